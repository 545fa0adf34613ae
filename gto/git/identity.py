"""Who writes a tag or a commit, and when: git's identity and date rules.

The identity comes from GIT_COMMITTER_NAME/EMAIL or the config files; the time from
GIT_COMMITTER_DATE (in any form git accepts) or the clock, in the local offset. Both
read the `environ` the caller passes (gto.settings), never the process environment.
"""

from __future__ import annotations

import email.utils
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from gto.exceptions import GTOException, IdentityNotFound
from gto.git.config import repo_config, user_configs
from gto.git.config import value as config_value

if TYPE_CHECKING:
    from gto.git.repo import GitRepo

__all__ = ["Identity", "InvalidDate", "find_identity", "now", "signature", "writer"]

_NO_IDENTITY = (
    "Cannot find who is tagging: set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL, "
    "or run `git config --global user.name NAME` and `git config --global user.email EMAIL`"
)
# GIT_COMMITTER_DATE forms git accepts (date.c): its own "@seconds +hhmm" (the "@" may
# be left out for 9+ digits), ISO 8601 and RFC 2822; without an offset, local time.
_RAW_DATE = re.compile(r"(?=@|\d{9})@?(\d+)(?:\s+([+-]\d{4}))?")
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


class InvalidDate(GTOException):
    """GIT_COMMITTER_DATE is set to something git would refuse too."""

    def __init__(self, value: str) -> None:
        super().__init__(
            f"Invalid GIT_COMMITTER_DATE '{value}': use '@1660000000 +0000', "
            "'Thu, 07 Apr 2005 22:13:13 +0200' or '2005-04-07T22:13:13+02:00'"
        )


@dataclass(frozen=True)
class Identity:
    """Who writes a tag or a commit: the tagger, or the author and committer."""

    name: str
    email: str


def find_identity(git: GitRepo, environ: Mapping[str, str]) -> Identity:
    """The committer identity git itself would use, each field looked up on its own.

    Order: GIT_COMMITTER_NAME/EMAIL, the repository's config, ~/.gitconfig, then
    $XDG_CONFIG_HOME/git/config (git reads the XDG file first, so ~/.gitconfig wins).
    HOME comes from `environ`, so a test or an embedding program controls it. Unlike
    git, gto never guesses an identity from the user and host names.

    Raises:
        IdentityNotFound: a name or an email is found nowhere.
    """
    configs = [repo_config(git.dulwich), *user_configs(environ)]
    fields = []
    for env_var, key in (("GIT_COMMITTER_NAME", b"name"), ("GIT_COMMITTER_EMAIL", b"email")):
        found = environ.get(env_var) or config_value(configs, (b"user",), key)
        if not found:
            raise IdentityNotFound(_NO_IDENTITY)
        fields.append(found)
    return Identity(*fields)


def writer(
    git: GitRepo, environ: Mapping[str, str], name: str | None, email: str | None
) -> Identity:
    """Who writes: `name` and `email` where given (--author), else looked up as git does."""
    if name and email:
        return Identity(name, email)
    found = find_identity(git, environ)
    return Identity(name or found.name, email or found.email)


def signature(who: Identity) -> bytes:
    """`Name <email>`, without the characters that would break the header (git drops them)."""
    crud = str.maketrans("", "", "<>\n")
    return f"{who.name.translate(crud).strip()} <{who.email.translate(crud).strip()}>".encode()


# Time


def now(environ: Mapping[str, str]) -> tuple[int, int]:
    """(unix seconds, UTC offset in seconds) for a new tag or commit, as git picks them.

    GIT_COMMITTER_DATE wins (so tests and scripts get reproducible objects); otherwise
    the current time in the local offset.

    >>> now({"GIT_COMMITTER_DATE": "2005-04-07T22:13:13+02:00"})
    (1112904793, 7200)

    Raises:
        InvalidDate: GIT_COMMITTER_DATE is set but is none of git's formats.
    """
    value = environ.get("GIT_COMMITTER_DATE")
    if not value:
        seconds = int(time.time())
        return seconds, _local_offset(seconds)
    text = value.strip()
    try:
        if match := _RAW_DATE.fullmatch(text):
            return _with_offset(int(match[1]), match[2])
        if match := _ISO_DATE.fullmatch(text):
            year, month, day, hour, minute, second = (int(x) for x in match.groups("0")[:6])
            moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
            return _from_wall_clock(moment, match[7])
        parsed = email.utils.parsedate_tz(text)
        if parsed is not None:
            moment = datetime(*parsed[:6], tzinfo=timezone.utc)
            offset = parsed[9]
            if offset is None:
                return _from_wall_clock(moment, None)
            return int(moment.timestamp()) - offset, offset
    except (ValueError, OverflowError) as e:
        raise InvalidDate(value) from e
    raise InvalidDate(value)


def _local_offset(seconds: int) -> int:
    return time.localtime(seconds).tm_gmtoff


def _parse_offset(text: str) -> int:
    """`+0200`, `-05:30` or `Z` -> seconds east of UTC."""
    if text == "Z":
        return 0
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes >= 60:
        raise ValueError(f"bad offset {text}")
    offset = hours * 3600 + minutes * 60
    return -offset if text[0] == "-" else offset


def _with_offset(seconds: int, offset: str | None) -> tuple[int, int]:
    return seconds, _local_offset(seconds) if offset is None else _parse_offset(offset)


def _from_wall_clock(moment: datetime, offset: str | None) -> tuple[int, int]:
    """A wall-clock time (held in a UTC datetime) read in `offset`, or in local time."""
    if offset is None:
        seconds = int(time.mktime(moment.replace(tzinfo=None).timetuple()))
        return seconds, _local_offset(seconds)
    seconds_east = _parse_offset(offset)
    return int((moment - timedelta(seconds=seconds_east)).timestamp()), seconds_east
