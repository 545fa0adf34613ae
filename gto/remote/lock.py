"""An exclusive lock on one cache, on any OS, re-entrant within its owner.

Where the system has them, the lock is one the OS drops when the process ends, so a
crashed gto never leaves a cache locked: `flock` on POSIX, `msvcrt.locking` on
Windows. Elsewhere a lock file made with O_EXCL holds the owner's process id; one
whose owner is gone (on this machine) is taken over.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gto.exceptions import RemoteError

__all__ = ["CacheLock", "lock_kind"]

# A cold fetch of a big registry can take minutes; a stuck lock should not wait forever.
LOCK_TIMEOUT = 300.0
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def lock_kind() -> str:
    """Which lock this system gives: `flock`, `msvcrt` or `file` (an O_EXCL lock file)."""
    try:
        import fcntl  # noqa: F401 - POSIX only
    except ImportError:
        pass
    else:
        return "flock"
    try:
        import msvcrt  # noqa: F401 - Windows only
    except ImportError:
        return "file"
    return "msvcrt"


def _try_flock(fd: int) -> bool:
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _msvcrt() -> Any:
    """Windows' C runtime module (typed loosely: its stubs exist for Windows only)."""
    return importlib.import_module("msvcrt")


def _try_msvcrt(fd: int) -> bool:
    msvcrt = _msvcrt()
    try:
        os.lseek(fd, 0, os.SEEK_SET)  # the lock covers the first byte
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (POSIX's signal 0; elsewhere assume it does)."""
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CacheLock:
    """The lock of one cache: `path` is the lock file beside the cache folder.

    `check_owned(path, stat)` refuses a lock file gto did not make (a symlink, another
    user's file), as gto.remote.cache refuses any such part of a cache.
    """

    def __init__(
        self,
        path: Path,
        url: str,
        check_owned: Callable[[Path, os.stat_result], None],
        *,
        kind: str | None = None,
    ) -> None:
        self.path = path
        self._url = url
        self._check_owned = check_owned
        self._fd: int | None = None
        self._depth = 0
        self._kind = kind or lock_kind()  # `kind`: another of `lock_kind()`'s answers

    def acquire(self) -> None:
        if self._depth == 0:
            self._fd = self._open()
            deadline = time.monotonic() + LOCK_TIMEOUT
            while not self._try():
                if time.monotonic() > deadline:
                    self._drop(held=False)
                    raise RemoteError(
                        f"Another gto has been using the cache of {self._url} for "
                        f"{LOCK_TIMEOUT:.0f} s ('{self.path}' is locked); try again later"
                    )
                time.sleep(0.05)
        self._depth += 1

    def _open(self) -> int:
        try:
            # Not through a symlink planted in its place (ELOOP), and only our own file.
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _BINARY, 0o600)
        except OSError as e:
            if e.errno == errno.ELOOP:
                self._check_owned(self.path, self.path.lstat())
            raise RemoteError(
                f"Cannot create the cache lock '{self.path}': {e.strerror} (or use --no-cache)"
            ) from e
        try:
            self._check_owned(self.path, os.fstat(fd))
            if not _NOFOLLOW:
                self._check_owned(self.path, self.path.lstat())
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _try(self) -> bool:
        assert self._fd is not None
        if self._kind == "flock":
            return _try_flock(self._fd)
        if self._kind == "msvcrt":
            return _try_msvcrt(self._fd)
        return self._try_file()

    @property
    def _holder(self) -> Path:
        return self.path.with_name(self.path.name + ".held")

    def _try_file(self) -> bool:
        """An O_EXCL `<lock>.held` file naming our process; a dead owner's is taken over."""
        try:
            fd = os.open(self._holder, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _BINARY, 0o600)
        except FileExistsError:
            try:
                pid = int(self._holder.read_text().strip() or "0")
            except (OSError, ValueError):
                return False  # being written by its owner just now: try again
            if pid and not _alive(pid):
                with contextlib.suppress(FileNotFoundError):
                    self._holder.unlink()
            return False
        with os.fdopen(fd, "w") as held:
            held.write(f"{os.getpid()}\n")
        return True

    def _drop(self, *, held: bool = True) -> None:
        """Give the lock up (when `held`) and close the lock file."""
        if self._fd is None:
            return
        if held and self._kind == "msvcrt":
            msvcrt = _msvcrt()
            with contextlib.suppress(OSError):
                os.lseek(self._fd, 0, os.SEEK_SET)
                msvcrt.locking(self._fd, msvcrt.LK_UNLCK, 1)
        elif held and self._kind == "file":
            with contextlib.suppress(FileNotFoundError):
                self._holder.unlink()
        os.close(self._fd)  # which also drops a flock
        self._fd = None

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._drop()

    def release_all(self) -> None:
        while self._depth > 0:
            self.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
