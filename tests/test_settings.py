"""The environment, the clock and the local zone, read in one place; one rule for yes and no."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gto.exceptions import ValidationError
from gto.settings import Limits, LocalZone, Settings, now


@pytest.mark.parametrize(
    ("value", "emojis", "no_cache"),
    [
        ("1", True, True),
        ("yes", True, True),
        (" On ", True, True),
        ("t", True, True),
        ("y", True, True),
        ("0", False, False),
        ("n", False, False),
        ("Off", False, False),
        ("", True, False),
    ],
)
def test_one_yes_no_rule(value: str, emojis: bool, no_cache: bool) -> None:
    assert Settings({"GTO_EMOJIS": value}).emojis is emojis
    assert Settings({"GTO_NO_CACHE": value}).no_cache is no_cache


@pytest.mark.parametrize("value", ["maybe", "2", "none"])
def test_a_no_cache_value_that_is_neither_yes_nor_no_is_refused(value: str) -> None:
    """As GTO_EMOJIS and GTO_SIGN are (a cache silently used was the old answer)."""
    expected = (
        f"Invalid value in environment variable GTO_NO_CACHE: expected true or false, got '{value}'"
    )
    with pytest.raises(ValidationError) as error:
        Settings({"GTO_NO_CACHE": value}).no_cache  # noqa: B018
    assert str(error.value) == expected


def test_gto_variables_in_any_case() -> None:
    assert not Settings({"gto_emojis": "false"}).emojis
    assert Settings({}).emojis and not Settings({}).no_cache


@pytest.mark.parametrize(
    ("environ", "is_terminal", "colour"),
    [
        ({}, True, True),
        ({}, False, False),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),
        ({"FORCE_COLOR": "1"}, False, True),
        ({"TERM": "dumb"}, True, False),
        ({"NO_COLOR": ""}, True, True),
    ],
)
def test_colour(environ: dict[str, str], is_terminal: bool, colour: bool) -> None:
    assert Settings(environ).colour(is_terminal) is colour


def test_limits() -> None:
    assert Settings({}).limits == Limits(60.0, 1 << 30)
    assert Settings({"GTO_REMOTE_MAX_SIZE": "2G"}).limits.max_bytes == 2 << 30
    with pytest.raises(ValidationError, match="GTO_REMOTE_TIMEOUT: expected a number of seconds"):
        Settings({"GTO_REMOTE_TIMEOUT": "inf"}).limits  # noqa: B018
    with pytest.raises(ValidationError, match="GTO_REMOTE_MAX_SIZE: expected a number of bytes"):
        Settings({"GTO_REMOTE_MAX_SIZE": "0"}).limits  # noqa: B018


def test_github_files() -> None:
    settings = Settings({"GITHUB_OUTPUT": "/x/out", "GITHUB_STEP_SUMMARY": ""})
    assert settings.github_file("GITHUB_OUTPUT") == "/x/out"
    assert settings.github_file("GITHUB_STEP_SUMMARY") is None


def test_signing_settings() -> None:
    assert [Settings({"GTO_SIGN": v}).sign for v in ("1", "Off", "")] == [True, False, None]
    with pytest.raises(ValidationError, match="GTO_SIGN: expected true or false, got 'maybe'"):
        Settings({"GTO_SIGN": "maybe"}).sign  # noqa: B018
    settings = Settings({"gto_signing_key": "~/k", "GTO_ALLOWED_SIGNERS": "/ci/signers"})
    assert (settings.signing_key, settings.allowed_signers) == ("~/k", "/ci/signers")
    assert (Settings({}).signing_key, Settings({"GTO_SIGNING_KEY": ""}).signing_key) == (None, None)


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
def test_local_zone_reads_local_times_as_the_zone_database_does(
    zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offsets, the fold of a repeated hour and a skipped hour, as zoneinfo has them: so
    `--as-of '2024-03-31 02:30'` is refused in Berlin, as the time does not exist there."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        local, reference = LocalZone(), ZoneInfo(zone)
        for stamp in range(1704067200, 1735689600, 1800):  # 2024, every half hour
            instant = datetime.fromtimestamp(stamp, timezone.utc)
            mine, theirs = instant.astimezone(local), instant.astimezone(reference)
            assert (mine.replace(tzinfo=None), mine.fold) == (
                theirs.replace(tzinfo=None),
                theirs.fold,
            )
            wall = theirs.replace(tzinfo=None)
            for fold in (0, 1):
                expected = wall.replace(tzinfo=reference, fold=fold).utcoffset()
                assert wall.replace(tzinfo=local, fold=fold).utcoffset() == expected
    finally:
        monkeypatch.undo()
        time.tzset()


def test_now_is_aware_and_whole_seconds() -> None:
    moment = now()
    assert (moment.utcoffset(), moment.microsecond) == (timedelta(0), 0)
