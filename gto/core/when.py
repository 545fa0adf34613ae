"""WHEN for `--as-of` and `diff`: the date forms git reads, each read the way git reads it.

Pure: the caller hands in `now` and the local zone; nothing here reads the clock or TZ.
git's rules, measured with git 2.39 (`git rev-parse --until=TEXT` under GIT_TEST_DATE_NOW and
TZ) and matched, so `--as-of X` means what `git log --until=X` means:

- A clock time without an offset is local time on that date, summer time included. A local
  time that a clock change skips or repeats is refused (git's answer there depends on libc).
- A date without a time of day is that date at now's time of day, in now's UTC offset:
  `2024-03-03` read at 09:15 means 2024-03-03 09:15, not the end of the day.
- `N months ago` and `N years ago` count on that same wall clock; a day the target month lacks
  rolls over (March 31 minus one month is March 2). Seconds to weeks, `yesterday` and
  `last <weekday>` subtract whole seconds from now.
- Fractions of a second are dropped: tag and commit times are whole seconds.

gto is stricter than git: text git would read as garbage (and then as "now") is refused, and so
are bare numbers, which may be abbreviated commit ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo

from gto.exceptions import UnknownDateForm, WrongDate

# git reads a number as epoch seconds only from 100000000 (1973-03-03) on, up to 2099.
FIRST_EPOCH, LAST_EPOCH = 100_000_000, 4_102_444_799
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime.fromtimestamp(LAST_EPOCH, timezone.utc)
_MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}

_OFFSET = r"(?P<off>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    rf"(?:[T ](?P<h>\d{{2}}):(?P<mi>\d{{2}})(?::(?P<s>\d{{2}})(?:\.\d+)?)? ?{_OFFSET}?)?",
    re.ASCII,
)
_YMD = re.compile(r"(?P<y>\d{4})(?P<sep>[./])(?P<mo>\d{1,2})(?P=sep)(?P<d>\d{1,2})", re.ASCII)
_MDY = re.compile(r"(?P<mo>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})", re.ASCII)
_RFC2822 = re.compile(
    rf"(?:(?P<wd>[a-z]+),? )?(?P<d>\d{{1,2}}) (?P<mon>[a-z]+) (?P<y>\d{{4}}) "
    rf"{_TIME}(?: {_OFFSET})?",
    re.ASCII | re.IGNORECASE,
)
_GIT_DEFAULT = re.compile(  # `git log`'s own format: Sun Mar 3 10:00:00 2024 +0200
    rf"(?:(?P<wd>[a-z]+) )?(?P<mon>[a-z]+) (?P<d>\d{{1,2}}) {_TIME} (?P<y>\d{{4}})(?: {_OFFSET})?",
    re.ASCII | re.IGNORECASE,
)
_EPOCH = re.compile(r"(?P<at>@)?(?P<e>\d+)(?: (?P<off>[+-]\d{4}))?", re.ASCII)
_AGO = re.compile(
    r"(?P<n>\d+)[ ._]*(?P<unit>second|minute|hour|day|week|month|year)s?[ ._]+ago",
    re.ASCII | re.IGNORECASE,
)
_LAST = re.compile(r"last[ ._]+(?P<wd>[a-z]+)", re.ASCII | re.IGNORECASE)


def _invalid(text: str, why: str) -> WrongDate:
    return WrongDate(f"Cannot read {text!r} as a date: {why}")


@dataclass(frozen=True)
class _Reading:
    """One WHEN being read: its text, now in the local offset, and the local zone."""

    text: str
    now: datetime
    local: tzinfo

    @property
    def now_offset(self) -> timezone:
        offset = self.now.utcoffset()
        assert offset is not None  # parse_when makes `now` aware
        return timezone(offset)


def _name_index(text: str, word: str, names: tuple[str, ...], what: str) -> int:
    """A month or weekday by its English name or first three letters."""
    lowered = word.lower()
    for index, name in enumerate(names):
        if lowered in (name, name[:3]):
            return index
    raise _invalid(text, f"{word!r} is not a {what}")


def _offset(text: str, spelled: str) -> timezone:
    if spelled.upper() in ("Z", "UTC", "GMT"):
        return timezone.utc
    digits = spelled[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise _invalid(text, f"{spelled!r} is not a UTC offset")
    sign = -1 if spelled[0] == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _date(reading: _Reading, year: str, month: int, day: str) -> date:
    try:
        return date(int(year), month, int(day))
    except ValueError as err:
        raise _invalid(reading.text, str(err)) from None


def _at_time(reading: _Reading, day: date, match: re.Match[str]) -> datetime:
    """A calendar date with the match's clock time, at its offset or else in the local zone."""
    try:
        naive = datetime.combine(day, datetime.min.time()).replace(
            hour=int(match["h"]), minute=int(match["mi"]), second=int(match["s"] or 0)
        )
    except ValueError as err:
        raise _invalid(reading.text, str(err)) from None
    if match["off"]:
        return naive.replace(tzinfo=_offset(reading.text, match["off"]))
    return _local(reading, naive)


def _local(reading: _Reading, naive: datetime) -> datetime:
    """Local wall time as an instant; refused where a clock change makes it ambiguous."""
    first, second = (naive.replace(tzinfo=reading.local, fold=fold) for fold in (0, 1))
    if first.utcoffset() == second.utcoffset():
        return first
    exists = first.astimezone(timezone.utc).astimezone(reading.local).replace(tzinfo=None)
    why = "happens twice" if exists == naive else "does not exist"
    raise _invalid(
        reading.text,
        f"{naive:%Y-%m-%d %H:%M:%S} {why} in the local time zone (a clock change); "
        "add a UTC offset such as +01:00",
    )


def _date_only(reading: _Reading, day: date) -> datetime:
    """A date alone is that date at now's time of day, in now's offset (git's approxidate)."""
    return datetime.combine(day, reading.now.time(), tzinfo=reading.now_offset)


def _check_weekday(reading: _Reading, weekday: str | None, day: date) -> None:
    """git ignores a weekday that contradicts the date; gto refuses it, as a likely typo."""
    if weekday is not None:
        named = _name_index(reading.text, weekday, _WEEKDAYS, "weekday")
        if named != day.weekday():
            raise _invalid(reading.text, f"{day} is a {_WEEKDAYS[day.weekday()].title()}")


def _absolute(reading: _Reading, text: str) -> datetime | None:
    """The calendar forms, or None when `text` is in none of them."""
    if match := _ISO.fullmatch(text):
        day = _date(reading, match["y"], int(match["mo"]), match["d"])
        return _at_time(reading, day, match) if match["h"] else _date_only(reading, day)
    if match := _YMD.fullmatch(text):
        return _date_only(reading, _date(reading, match["y"], int(match["mo"]), match["d"]))
    if match := _MDY.fullmatch(text):
        day = _date(reading, match["y"], int(match["mo"]), match["d"])
        # git reads MM/DD/YYYY only up to ten days ahead (anything later as another date).
        if day > reading.now.date() + timedelta(days=10):
            raise _invalid(reading.text, f"MM/DD/YYYY more than ten days ahead; write {day}")
        return _date_only(reading, day)
    for pattern in (_RFC2822, _GIT_DEFAULT):
        if match := pattern.fullmatch(text):
            month = _name_index(reading.text, match["mon"], _MONTHS, "month") + 1
            day = _date(reading, match["y"], month, match["d"])
            _check_weekday(reading, match["wd"], day)
            return _at_time(reading, day, match)
    return None


def _epoch(reading: _Reading, text: str) -> datetime | None:
    """`@<seconds>`, with or without git's ` +HHMM`; a bare number is no date (a commit id?)."""
    match = _EPOCH.fullmatch(text)
    if match is None or not (match["at"] or match["off"]):
        return None
    seconds = int(match["e"])
    if not FIRST_EPOCH <= seconds <= LAST_EPOCH:
        raise _invalid(
            reading.text, f"epoch seconds must be from {FIRST_EPOCH} to {LAST_EPOCH}, as git reads"
        )
    zone = _offset(reading.text, match["off"]) if match["off"] else timezone.utc
    return datetime.fromtimestamp(seconds, zone)


def _months_back(reading: _Reading, months: int) -> datetime:
    now = reading.now.astimezone(reading.now_offset)
    year, month0 = divmod(now.year * 12 + now.month - 1 - months, 12)
    if year < _EARLIEST.year:
        raise _invalid(reading.text, "before 1970")
    return now.replace(year=year, month=month0 + 1, day=1) + timedelta(days=now.day - 1)


def _relative(reading: _Reading, text: str) -> datetime | None:
    """`now`, `yesterday`, `N <unit>s ago`, `last <weekday>`; None for anything else."""
    now = reading.now.astimezone(reading.now_offset)
    lowered = text.lower()
    if lowered == "now":
        return now
    if lowered == "yesterday":
        return now - timedelta(days=1)
    if match := _AGO.fullmatch(text):
        count, unit = int(match["n"]), match["unit"].lower()
        if unit in ("month", "year"):
            return _months_back(reading, count * (12 if unit == "year" else 1))
        seconds = count * _SECONDS[unit]
        if seconds > LAST_EPOCH:
            raise _invalid(reading.text, "before 1970")
        return now - timedelta(seconds=seconds)
    if match := _LAST.fullmatch(text):
        weekday = _name_index(reading.text, match["wd"], _WEEKDAYS, "weekday")
        return now - timedelta(days=(now.weekday() - weekday) % 7 or 7)
    return None


def parse_when(text: str, *, now: datetime, local: tzinfo | None = None) -> datetime:
    """The moment `text` names, as git reads it (module docstring); whole seconds, aware.

    Args:
        now: the current time, aware; relative forms and dates alone count from it, in its
            offset as seen from `local`.
        local: the zone of clock times written without an offset; `now`'s offset if None.

    >>> now = datetime(2024, 3, 5, 8, 20, 30, tzinfo=timezone.utc)
    >>> parse_when("2 weeks ago", now=now).isoformat()
    '2024-02-20T08:20:30+00:00'
    >>> parse_when("2024-03-03", now=now).isoformat()
    '2024-03-03T08:20:30+00:00'

    Raises:
        UnknownDateForm: `text` is in none of the forms (a ref, perhaps).
        WrongDate: `text` is in a form but names no valid moment (2024-02-30, 25:00).
    """
    if now.utcoffset() is None:
        raise ValueError("parse_when needs an aware `now`")
    zone = local if local is not None else timezone(now.utcoffset() or timedelta())
    reading = _Reading(text, now.astimezone(zone).replace(microsecond=0), zone)
    cleaned = " ".join(text.split())
    moment = _epoch(reading, cleaned) or _absolute(reading, cleaned) or _relative(reading, cleaned)
    if moment is None:
        raise UnknownDateForm(text)
    if not _EARLIEST <= moment <= _LATEST:
        raise _invalid(text, "outside the years 1970 to 2099 that git reads")
    return moment.replace(microsecond=0)


@dataclass(frozen=True)
class When:
    """A resolved WHEN: the moment, and the commit when the text named a ref."""

    at: datetime
    text: str
    commit: str | None = None


def resolve_when(
    text: str,
    *,
    now: datetime,
    local: tzinfo | None = None,
    commit_time: Callable[[str], tuple[str, datetime] | None],
) -> When:
    """A date first, then a ref: `now` or `2024.03.03` mean the date even if a branch has that name.

    A ref that looks like a date stays reachable as `refs/tags/2024.03.03` or `NAME^{commit}`,
    which no date form matches. Text in a date form but invalid (2024-02-30) is an error, not a
    ref. `commit_time(text)` is the caller's ref lookup: (commit id, committer time) or None.

    >>> now = datetime(2024, 3, 5, tzinfo=timezone.utc)
    >>> resolve_when("v1", now=now, commit_time={"v1": ("c" * 40, now)}.get).commit == "c" * 40
    True
    """
    try:
        return When(parse_when(text, now=now, local=local), text)
    except UnknownDateForm:
        found = commit_time(text)
        if found is None:
            raise UnknownDateForm(text, ref_tried=True) from None
    commit, at = found
    return When(at.replace(microsecond=0), text, commit)
