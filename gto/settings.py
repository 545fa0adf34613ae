"""The process environment, the clock and the local time zone: the only module that reads them.

Everything else receives a `Settings` (or its `environ` mapping, or `now()` and the local
zone) from its caller, so a test or an embedding program decides what gto sees. Yes/no
values follow one rule (gto.core.flags). Imports stay light: the CLI reads settings before
`--help`.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import NamedTuple

from gto.core.flags import parse_flag
from gto.exceptions import ValidationError

__all__ = [
    "MAX_SIZE_VARIABLE",
    "TIMEOUT_VARIABLE",
    "Limits",
    "LocalZone",
    "Settings",
    "current",
    "now",
]

TIMEOUT_VARIABLE = "GTO_REMOTE_TIMEOUT"
MAX_SIZE_VARIABLE = "GTO_REMOTE_MAX_SIZE"
_SIZE = re.compile(r"(\d+)\s*([KMG]?)i?B?", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


class Limits(NamedTuple):
    """How long to wait for a server's next bytes, and how many bytes to take at most."""

    timeout: float = 60.0
    max_bytes: int = 1 << 30


class Settings:
    """What the environment says, read once per call (`current()`).

    A plain class, not a dataclass: `gto --help` reads it, and must stay quick.
    """

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ: Mapping[str, str] = {} if environ is None else environ

    def _gto(self, name: str) -> str | None:
        """A GTO_* variable; like upstream, its name is matched in any case."""
        return next((v for k, v in self.environ.items() if k.upper() == name), None)

    @property
    def emojis(self) -> bool:
        """GTO_EMOJIS: on unless it says no (environment only, like upstream)."""
        value = self._gto("GTO_EMOJIS")
        return value is None or parse_flag(value) is not False

    @property
    def git_dirs(self) -> tuple[str | None, str | None]:
        """GIT_DIR and GIT_WORK_TREE, as git reads them (empty counts as unset).

        >>> Settings({"GIT_DIR": "meta.git", "GIT_WORK_TREE": ""}).git_dirs
        ('meta.git', None)
        """
        return self.environ.get("GIT_DIR") or None, self.environ.get("GIT_WORK_TREE") or None

    @property
    def no_cache(self) -> bool:
        """GTO_NO_CACHE: no cache at all (as `--no-cache`): parsed tags are neither read from
        nor written to the tag cache, and a remote is fetched into a temporary folder.

        Raises:
            ValidationError: a value that is neither yes nor no (as for GTO_EMOJIS).
        """
        return self._flag("GTO_NO_CACHE", self.environ.get("GTO_NO_CACHE", "")) is True

    @staticmethod
    def _flag(name: str, value: str) -> bool | None:
        """A yes/no variable's value, None when empty.

        Raises:
            ValidationError: a value that is neither yes nor no.
        """
        if not value:
            return None
        flag = parse_flag(value)
        if flag is None:
            raise ValidationError(
                f"Invalid value in environment variable {name}: expected true or false, "
                f"got {value!r}"
            )
        return flag

    @property
    def cache_home(self) -> Path:
        """gto's cache folder: $XDG_CACHE_HOME/gto, ~/.cache/gto by default (XDG base
        directories; a relative XDG_CACHE_HOME is ignored, as the specification says)."""
        base = self.environ.get("XDG_CACHE_HOME", "")
        if not os.path.isabs(base):
            base = os.path.join(self.environ.get("HOME") or os.path.expanduser("~"), ".cache")
        return Path(base, "gto")

    def colour(self, is_terminal: bool) -> bool:
        """Colour only on a terminal, by the no-color.org and force-color.org conventions.

        NO_COLOR (any non-empty value) turns it off, then FORCE_COLOR (non-empty) turns it
        on even into a pipe, then TERM=dumb turns it off (the order Python 3.13 uses).
        """
        if self.environ.get("NO_COLOR"):
            return False
        if self.environ.get("FORCE_COLOR"):
            return True
        return self.environ.get("TERM") != "dumb" and is_terminal

    @property
    def sign(self) -> bool | None:
        """GTO_SIGN: sign the tags gto writes (None when unset: `.gto`'s `sign` decides).

        Raises:
            ValidationError: a value that is neither yes nor no (signing is not guessed).
        """
        return self._flag("GTO_SIGN", self._gto("GTO_SIGN") or "")

    @property
    def signing_key(self) -> str | None:
        """GTO_SIGNING_KEY: the private key file `--sign` signs with, unless --signing-key."""
        return self._gto("GTO_SIGNING_KEY") or None

    @property
    def allowed_signers(self) -> str | None:
        """GTO_ALLOWED_SIGNERS: an allowed signers file anywhere (CI's own), over `.gto`'s."""
        return self._gto("GTO_ALLOWED_SIGNERS") or None

    def github_file(self, variable: str) -> str | None:
        """$GITHUB_OUTPUT or $GITHUB_STEP_SUMMARY: where a GitHub step's results go."""
        return self.environ.get(variable) or None

    @property
    def limits(self) -> Limits:
        """GTO_REMOTE_TIMEOUT (seconds) and GTO_REMOTE_MAX_SIZE (bytes; K, M, G suffixes).

        >>> Settings({"GTO_REMOTE_TIMEOUT": "2.5", "GTO_REMOTE_MAX_SIZE": "10M"}).limits
        Limits(timeout=2.5, max_bytes=10485760)

        Raises:
            ValidationError: a value that is not a positive number (of seconds, of bytes).
        """
        limits = Limits()
        timeout, size = self.environ.get(TIMEOUT_VARIABLE), self.environ.get(MAX_SIZE_VARIABLE)
        seconds, max_bytes = limits.timeout, limits.max_bytes
        if timeout:
            try:
                seconds = float(timeout)
            except ValueError:
                seconds = -1
            if not 0 < seconds < float("inf"):
                raise ValidationError(
                    f"Invalid value in environment variable {TIMEOUT_VARIABLE}: expected a "
                    f"number of seconds, got {timeout!r}"
                )
        if size:
            match = _SIZE.fullmatch(size.strip())
            if match is None or int(match[1]) == 0:
                raise ValidationError(
                    f"Invalid value in environment variable {MAX_SIZE_VARIABLE}: expected a "
                    f"number of bytes (or 500K, 200M, 2G), got {size!r}"
                )
            max_bytes = int(match[1]) * _UNITS[match[2].upper()]
        return Limits(seconds, max_bytes)


def current() -> Settings:
    """The environment as it is now (a copy: later changes are not seen)."""
    return Settings(dict(os.environ))


def now() -> datetime:
    """The current time, whole seconds, in UTC (git's times have one-second resolution)."""
    return datetime.now(timezone.utc).replace(microsecond=0)


class LocalZone(tzinfo):
    """The system's local time zone (TZ, else the system's), as git and ssh-keygen read local
    times, with summer time: a wall time that a clock change skips or repeats has two
    offsets, told apart by `fold` (0: the offset before the change, 1: after it)."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        assert dt is not None
        wall = int(dt.replace(tzinfo=timezone.utc).timestamp())  # the wall time, as if UTC
        before = time.localtime(wall - 86400).tm_gmtoff
        after = time.localtime(wall + 86400).tm_gmtoff
        valid = [
            o for o in dict.fromkeys((before, after)) if time.localtime(wall - o).tm_gmtoff == o
        ]
        if len(valid) == 1:
            return timedelta(seconds=valid[0])
        return timedelta(seconds=after if dt.fold else before)  # repeated, or skipped

    def fromutc(self, dt: datetime) -> datetime:
        stamp = int(dt.replace(tzinfo=timezone.utc).timestamp())
        offset = timedelta(seconds=time.localtime(stamp).tm_gmtoff)
        local = (dt.replace(tzinfo=None) + offset).replace(tzinfo=self)
        # The second of two equal wall times (a clock set back) is fold 1.
        return local if local.utcoffset() == offset else local.replace(fold=1)

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str:
        return "local"
