"""The environment, read in one place with one rule for yes and no."""

from __future__ import annotations

import pytest

from gto.exceptions import ValidationError
from gto.settings import Limits, Settings


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
        ("maybe", True, False),  # neither: each setting keeps its default
        ("", True, False),
    ],
)
def test_one_yes_no_rule(value: str, emojis: bool, no_cache: bool) -> None:
    assert Settings({"GTO_EMOJIS": value}).emojis is emojis
    assert Settings({"GTO_NO_CACHE": value}).no_cache is no_cache


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
