"""WHEN: every accepted form against a hand-written moment and, with GTO_TEST_REAL_GIT, git's own.

git's reading is `git rev-parse --until=TEXT` (it prints `--min-age=<epoch>`), with its clock
fixed by GIT_TEST_DATE_NOW and its zone by TZ.
"""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from builders import init_repo
from hypothesis import given
from hypothesis import strategies as st

from gto.core.when import When, parse_when, resolve_when
from gto.exceptions import GTOException, UnknownDateForm, WrongDate

# Read at import: the autouse hermetic_env fixture removes GTO_* variables before each test.
REAL_GIT = os.environ.get("GTO_TEST_REAL_GIT", "")

TUE = 1709626830  # Tue 2024-03-05 08:20:30 UTC (winter in Berlin and New York)
SUMMER = 1720000000  # Wed 2024-07-03 09:46:40 UTC (11:46:40 +0200 in Berlin)
MAR31 = 1711843200  # Sun 2024-03-31 00:00:00 UTC
LEAP = 1709164800  # Thu 2024-02-29 00:00:00 UTC


def now_in(epoch: int, zone: str) -> datetime:
    return datetime.fromtimestamp(epoch, ZoneInfo(zone))


def read(text: str, zone: str = "UTC", now: int = TUE) -> datetime:
    return parse_when(text, now=now_in(now, zone), local=ZoneInfo(zone))


def case(text: str, expected: str, zone: str = "UTC", now: int = TUE, *, id: str) -> object:
    return pytest.param(text, expected, zone, now, id=id)


ACCEPTED = [
    # ISO 8601 and git's `--date=iso`/`iso-strict`/`short`
    case("2024-03-03", "2024-03-03T08:20:30+00:00", id="iso-date-takes-now's-time-of-day"),
    case("2024-03-03 10:00", "2024-03-03T10:00:00+00:00", id="iso-space-no-seconds"),
    case("2024-03-03T10:00:00", "2024-03-03T10:00:00+00:00", id="iso-local"),
    case("2024-03-03T10:00:00+02:00", "2024-03-03T10:00:00+02:00", id="iso-offset-colon"),
    case("2024-03-03T10:00+0200", "2024-03-03T10:00:00+02:00", id="iso-offset-basic"),
    case("2024-03-03T10:00:00+02", "2024-03-03T10:00:00+02:00", id="iso-offset-hours"),
    case("2024-03-03T10:00:00Z", "2024-03-03T10:00:00+00:00", id="iso-zulu"),
    case("2024-03-03T10:00:00.987Z", "2024-03-03T10:00:00+00:00", id="iso-fraction-dropped"),
    case("2024-03-03T10:00:00-00:00", "2024-03-03T10:00:00+00:00", id="iso-minus-zero"),
    case("2024-03-03 10:00:00 -0530", "2024-03-03T10:00:00-05:30", id="git-iso"),
    case("2024-03-03 10:00:00 +02:00", "2024-03-03T10:00:00+02:00", id="iso-space-offset"),
    case("2024-03-03 10:00:00Z", "2024-03-03T10:00:00+00:00", id="iso-space-zulu"),
    case("2024-03-03 10:00:00 UTC", "2024-03-03T10:00:00+00:00", id="iso-utc-name"),
    case("1970-01-01T00:00:00Z", "1970-01-01T00:00:00+00:00", id="earliest"),
    case("2099-12-31T23:59:59Z", "2099-12-31T23:59:59+00:00", id="latest"),
    # other calendar dates (a date alone: now's time of day)
    case("2024.03.03", "2024-03-03T08:20:30+00:00", id="dotted"),
    case("2024.3.4", "2024-03-04T08:20:30+00:00", id="dotted-short"),
    case("2024/03/04", "2024-03-04T08:20:30+00:00", id="slashed"),
    case("03/04/2024", "2024-03-04T08:20:30+00:00", id="us-month-first"),
    case("3/4/2024", "2024-03-04T08:20:30+00:00", id="us-short"),
    case("03/15/2024", "2024-03-15T08:20:30+00:00", id="us-ten-days-ahead"),
    # epoch seconds and git's raw `<epoch> <offset>`
    case("@1700000000", "2023-11-14T22:13:20+00:00", id="at-epoch"),
    case("@100000000", "1973-03-03T09:46:40+00:00", id="at-epoch-smallest"),
    case("@1700000000 +0200", "2023-11-15T00:13:20+02:00", id="at-epoch-offset"),
    case("1700000000 +0200", "2023-11-15T00:13:20+02:00", id="git-raw"),
    # RFC 2822 and git's default format
    case("Thu, 7 Apr 2005 22:13:13 +0200", "2005-04-07T22:13:13+02:00", id="rfc2822"),
    case("Thu, 07 Apr 2005 22:13:13 GMT", "2005-04-07T22:13:13+00:00", id="rfc2822-gmt"),
    case("7 Apr 2005 22:13 +0200", "2005-04-07T22:13:00+02:00", id="rfc2822-no-weekday"),
    case("Thursday, 7 April 2005 22:13:13 +0200", "2005-04-07T22:13:13+02:00", id="rfc-long"),
    case("Sun Mar 3 10:00:00 2024 +0200", "2024-03-03T10:00:00+02:00", id="git-default"),
    case("Sun Mar  3 10:00:00 2024", "2024-03-03T10:00:00+00:00", id="git-default-local"),
    case("Mar 3 10:00:00 2024", "2024-03-03T10:00:00+00:00", id="git-default-no-weekday"),
    # relative to now
    case("now", "2024-03-05T08:20:30+00:00", id="now"),
    case(" Now ", "2024-03-05T08:20:30+00:00", id="now-case-space"),
    case("yesterday", "2024-03-04T08:20:30+00:00", id="yesterday"),
    case("Yesterday", "2024-03-04T08:20:30+00:00", id="yesterday-case"),
    case("2 weeks ago", "2024-02-20T08:20:30+00:00", id="weeks-ago"),
    case("2 Weeks Ago", "2024-02-20T08:20:30+00:00", id="weeks-ago-case"),
    case("2.weeks.ago", "2024-02-20T08:20:30+00:00", id="weeks-ago-dots"),
    case("2_weeks_ago", "2024-02-20T08:20:30+00:00", id="weeks-ago-underscores"),
    case("2weeks ago", "2024-02-20T08:20:30+00:00", id="weeks-ago-joined"),
    case("1 week ago", "2024-02-27T08:20:30+00:00", id="week-ago"),
    case("3.days.ago", "2024-03-02T08:20:30+00:00", id="days-ago-dots"),
    case("0 days ago", "2024-03-05T08:20:30+00:00", id="zero-days-ago"),
    case("2 hours ago", "2024-03-05T06:20:30+00:00", id="hours-ago"),
    case("1 minute ago", "2024-03-05T08:19:30+00:00", id="minute-ago"),
    case("90 seconds ago", "2024-03-05T08:19:00+00:00", id="seconds-ago"),
    case("1 month ago", "2024-02-05T08:20:30+00:00", id="month-ago"),
    case("14 months ago", "2023-01-05T08:20:30+00:00", id="months-ago-across-years"),
    case("1 year ago", "2023-03-05T08:20:30+00:00", id="year-ago"),
    case("1 month ago", "2024-03-02T00:00:00+00:00", now=MAR31, id="month-ago-rolls-over"),
    case("1 year ago", "2023-03-31T00:00:00+00:00", now=MAR31, id="year-ago-same-day"),
    case("1 year ago", "2023-03-01T00:00:00+00:00", now=LEAP, id="year-ago-from-feb-29"),
    case("last friday", "2024-03-01T08:20:30+00:00", id="last-friday"),
    case("last fri", "2024-03-01T08:20:30+00:00", id="last-fri"),
    case("LAST FRIDAY", "2024-03-01T08:20:30+00:00", id="last-friday-case"),
    case("last.friday", "2024-03-01T08:20:30+00:00", id="last-friday-dot"),
    case("last tuesday", "2024-02-27T08:20:30+00:00", id="last-today-is-a-week-ago"),
    case("last wednesday", "2024-02-28T08:20:30+00:00", id="last-tomorrow"),
    # local zones: a fixed one, and summer time (Berlin, New York)
    case("2024-03-03 10:00", "2024-03-03T10:00:00+05:30", "Asia/Kolkata", id="kolkata-local"),
    case("2024-03-03", "2024-03-03T13:50:30+05:30", "Asia/Kolkata", id="kolkata-date"),
    case("yesterday", "2024-03-04T13:50:30+05:30", "Asia/Kolkata", id="kolkata-yesterday"),
    case("Sun Mar 3 10:00:00 2024", "2024-03-03T10:00:00+05:30", "Asia/Kolkata", id="kolkata-git"),
    case("2024-01-15 10:00", "2024-01-15T10:00:00+01:00", "Europe/Berlin", SUMMER, id="winter"),
    case(
        "Mon Jan 15 10:00:00 2024",
        "2024-01-15T10:00:00+01:00",
        "Europe/Berlin",
        SUMMER,
        id="winter-git-default",
    ),
    case(
        "Mon, 15 Jan 2024 10:00",
        "2024-01-15T10:00:00+01:00",
        "Europe/Berlin",
        SUMMER,
        id="winter-rfc2822",
    ),
    case("2024-07-01 10:00", "2024-07-01T10:00:00+02:00", "Europe/Berlin", SUMMER, id="summer"),
    case(
        "2024-01-15",
        "2024-01-15T11:46:40+02:00",
        "Europe/Berlin",
        SUMMER,
        id="date-keeps-now's-offset",
    ),
    case("01/15/2024", "2024-01-15T11:46:40+02:00", "Europe/Berlin", SUMMER, id="us-summer"),
    case(
        "6 months ago",
        "2024-01-03T11:46:40+02:00",
        "Europe/Berlin",
        SUMMER,
        id="months-keep-now's-offset",
    ),
    case("200 days ago", "2023-12-16T11:46:40+02:00", "Europe/Berlin", SUMMER, id="days-summer"),
    case("2024-03-10", "2024-03-10T03:20:30-05:00", "America/New_York", id="new-york-date"),
    case("2024-07-04 12:00", "2024-07-04T12:00:00-04:00", "America/New_York", id="new-york-edt"),
]

REFUSED = [
    pytest.param("2024-02-30", "day is out of range for month", id="no-such-day"),
    pytest.param("2024-13-01", "month must be in 1..12", id="no-such-month"),
    pytest.param("2024-03-03 25:00", "hour must be in 0..23", id="no-such-hour"),
    pytest.param("2024-03-03T24:00:00", "hour must be in 0..23", id="hour-24"),
    pytest.param("2024-03-03T23:59:60Z", "second must be in 0..59", id="leap-second"),
    pytest.param("2024-03-03T10:00+0260", "'+0260' is not a UTC offset", id="bad-offset"),
    pytest.param("13/04/2024", "month must be in 1..12", id="day-first"),
    pytest.param("03/16/2024", "MM/DD/YYYY more than ten days ahead; write 2024-03-16", id="ahead"),
    pytest.param("Fri, 7 Apr 2005 22:13:13 +0200", "2005-04-07 is a Thursday", id="weekday"),
    pytest.param("7 Foo 2005 22:13:13 +0200", "'Foo' is not a month", id="month-name"),
    pytest.param("last fryday", "'fryday' is not a weekday", id="weekday-name"),
    pytest.param("last week", "'week' is not a weekday", id="last-week"),
    pytest.param("@99999999", "epoch seconds must be from 100000000 to 4102444799", id="epoch-low"),
    pytest.param("@5000000000", "epoch seconds must be from 100000000", id="epoch-high"),
    pytest.param("1969-12-31T10:00:00Z", "outside the years 1970 to 2099", id="before-1970"),
    pytest.param("2100-01-01", "outside the years 1970 to 2099", id="after-2099"),
    pytest.param("100 years ago", "before 1970", id="years-ago"),
    pytest.param("99999999999 weeks ago", "before 1970", id="weeks-overflow"),
]

UNKNOWN = [
    pytest.param(text, id=text or "empty")
    for text in (
        "",
        "garbage",
        "1700000000",
        "deadbeef",
        "HEAD~2",
        "v1.0.0",
        "friday",
        "2 weeks",
        "2 weeks agox",
        "a week ago",
        "3 min ago",
        "10:00",
        "noon",
        "yesterday noon",
        "2024-03-03t10:00:00",
        "2024-3-3",
        "2024-03-03T10",
        "2024.03/04",
        "@ 1700000000",
        "\u0662\u0660\u0662\u0664-03-03",
    )
]


@pytest.mark.parametrize(("text", "expected", "zone", "now"), ACCEPTED)
def test_accepted_forms(text: str, expected: str, zone: str, now: int) -> None:
    assert read(text, zone, now).isoformat() == expected


@pytest.fixture(scope="module")
def git_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("when")
    init_repo(path).close()
    return path


def git_reads(git_dir: Path, text: str, zone: str, now: int) -> int:
    """What git makes of `text` as `--until`, in epoch seconds."""
    env = {
        "PATH": os.defpath,
        "HOME": str(git_dir),
        "TZ": zone,
        "GIT_TEST_DATE_NOW": str(now),
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    out = subprocess.run(
        [REAL_GIT, "rev-parse", f"--until={text}"],
        cwd=git_dir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out.startswith("--min-age="), out
    return int(out.removeprefix("--min-age="))


@pytest.mark.skipif(not REAL_GIT, reason="needs GTO_TEST_REAL_GIT to ask git how it reads dates")
@pytest.mark.parametrize(("text", "expected", "zone", "now"), ACCEPTED)
def test_git_reads_the_same_moment(
    git_dir: Path, text: str, expected: str, zone: str, now: int
) -> None:
    assert git_reads(git_dir, text, zone, now) == int(datetime.fromisoformat(expected).timestamp())


@pytest.mark.parametrize(("text", "why"), REFUSED)
def test_refused_with_one_line(text: str, why: str) -> None:
    with pytest.raises(WrongDate) as caught:
        read(text)
    assert not isinstance(caught.value, UnknownDateForm)
    assert str(caught.value).startswith(f"Cannot read {text!r} as a date: {why}")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("text", UNKNOWN)
def test_unknown_forms(text: str) -> None:
    with pytest.raises(UnknownDateForm) as caught:
        read(text)
    assert str(caught.value) == (
        f"Cannot read {text!r} as a date; use a date such as 2024-03-03, "
        "2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'"
    )
    assert isinstance(caught.value, GTOException)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        pytest.param("2024-03-31 02:30", "does not exist", id="spring-gap"),
        pytest.param("2024-10-27 02:30", "happens twice", id="autumn-overlap"),
    ],
)
def test_local_time_that_a_clock_change_makes_ambiguous(text: str, why: str) -> None:
    with pytest.raises(WrongDate, match=f"2024-..-.. 02:30:00 {why} in the local time zone"):
        read(text, "Europe/Berlin", SUMMER)
    # With an offset it is one moment.
    assert read(f"{text}+01:00", "Europe/Berlin", SUMMER).isoformat().endswith("02:30:00+01:00")


def test_without_a_local_zone_the_offset_of_now_is_used() -> None:
    now = datetime(2024, 3, 5, 8, 20, 30, tzinfo=timezone(timedelta(hours=-3)))
    assert parse_when("2024-03-03 10:00", now=now).isoformat() == "2024-03-03T10:00:00-03:00"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("now", now=datetime(2024, 3, 5))


# --- a date first, then a ref -----------------------------------------------------------------

C1 = "c" * 40
NOW = now_in(TUE, "UTC")
COMMIT_AT = datetime(2024, 3, 1, 12, 0, 0, 500, tzinfo=timezone(timedelta(hours=1)))


def test_a_ref_when_the_text_is_no_date() -> None:
    asked: list[str] = []

    def lookup(text: str) -> tuple[str, datetime] | None:
        asked.append(text)
        return (C1, COMMIT_AT) if text == "main~2" else None

    assert resolve_when("main~2", now=NOW, commit_time=lookup) == When(
        COMMIT_AT.replace(microsecond=0), "main~2", C1
    )
    assert asked == ["main~2"]


def test_a_date_wins_over_a_ref_of_the_same_name() -> None:
    when = resolve_when("now", now=NOW, commit_time=lambda _: (C1, COMMIT_AT))
    assert when == When(NOW, "now", None)


def test_an_invalid_date_is_not_looked_up_as_a_ref() -> None:
    asked: list[str] = []

    def lookup(text: str) -> None:
        asked.append(text)

    with pytest.raises(WrongDate, match="day is out of range"):
        resolve_when("2024-02-30", now=NOW, commit_time=lookup)
    assert asked == []


def test_neither_a_date_nor_a_ref() -> None:
    with pytest.raises(UnknownDateForm) as caught:
        resolve_when("nope", now=NOW, commit_time=lambda _: None)
    assert str(caught.value).startswith("Cannot read 'nope' as a date or a ref; use a date")


# --- algebra ----------------------------------------------------------------------------------

instants = st.integers(100_000_000, 4_102_444_799)
offsets = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))


@pytest.mark.property
@given(instants, offsets)
def test_iso_round_trips(epoch: int, zone: timezone) -> None:
    moment = datetime.fromtimestamp(epoch, zone)
    assert parse_when(moment.isoformat(), now=NOW) == moment
    assert parse_when(moment.isoformat(), now=NOW).utcoffset() == moment.utcoffset()
    assert parse_when(f"@{epoch}", now=NOW).timestamp() == epoch


@pytest.mark.property
@given(
    instants.filter(lambda e: e > 1_900_000_000),
    st.integers(0, 30),
    st.integers(0, 30),
    st.sampled_from(["second", "minute", "hour", "day", "week", "month", "year"]),
)
def test_further_ago_is_never_later(epoch: int, a: int, b: int, unit: str) -> None:
    now = datetime.fromtimestamp(epoch, timezone.utc)
    near, far = sorted((a, b))
    assert parse_when(f"{far} {unit}s ago", now=now) <= parse_when(f"{near} {unit}s ago", now=now)
    if unit in ("day", "week"):
        days = near * (7 if unit == "week" else 1)
        assert parse_when(f"{near} {unit}s ago", now=now) == now - timedelta(days=days)
