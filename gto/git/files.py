"""Files in a repository, written the way git writes them: whole, or not at all.

Each write goes to a new file beside its target (a `.lock` file for refs, packed-refs
and the index, as git's lock protocol has it; a temporary file for loose objects and
work tree files), which is written, fsynced and then renamed over the target. A full
disk, a read-only folder or a kill leaves the old file whole; every failure but a kill
also removes the new file, so no `.lock` file and no partial object stays behind.

dulwich's own writers are not used for this: when the final flush of a lock file fails
(a full disk), its lock file stays behind and is removed later, by the garbage
collector, which may by then remove another writer's lock.

Errors are OSErrors whose `filename` is the file being written; gto.git.errors names the
part of the repository (objects, refs, a work tree file) in the one line a user sees.
Refs are written through these lock files by gto.git.refs_files.
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

__all__ = [
    "Backoff",
    "LockFile",
    "RefLocked",
    "lock_files",
    "naming",
    "write_atomically",
    "write_object",
]

_T = TypeVar("_T")
# Not every system has these flags (Windows has only O_BINARY): 0 leaves them out.
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)


class RefLocked(Exception):
    """`path` is locked: its `.lock` file exists (another writer, or one that was killed).

    `shared`: the lock is the whole ref store's (reftable's `tables.list.lock`), which
    every writer takes for a moment, not one ref's.
    """

    def __init__(self, path: str, lock_path: str, *, shared: bool = False) -> None:
        super().__init__(f"'{lock_path}' exists")
        self.path = path
        self.lock_path = lock_path
        self.shared = shared


class Backoff:
    """The waits between the tries of a lock retry loop: about 1 ms, doubling up to 50 ms
    (each varied by half, so that writers waiting on one lock do not retry in step), for
    `seconds` from its making."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds
        self._delay = 0.001

    def expired(self) -> bool:
        return time.monotonic() > self._deadline

    def sleep(self) -> None:
        time.sleep(self._delay * random.uniform(0.5, 1.5))
        self._delay = min(self._delay * 2, 0.05)


def naming(path: str, action: Callable[[], _T]) -> _T:
    """Run `action`; an OSError without a file name gets `path` as its file name."""
    try:
        return action()
    except OSError as e:
        if e.filename is None:
            raise OSError(e.errno, e.strerror or str(e), path) from e
        raise


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_folder(folder: str) -> None:
    """Make a rename in `folder` durable (best effort: some file systems refuse)."""
    try:
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class LockFile:
    """git's lock protocol for one file: `<path>.lock` is created exclusively, written,
    then renamed over `<path>`; leaving the `with` block without `commit` removes it.

    Raises:
        RefLocked: the lock file exists already.
    """

    def __init__(self, path: str, mode: int = 0o644) -> None:
        self.path = path
        self.lock_path = f"{path}.lock"
        try:
            self._fd: int | None = os.open(
                self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _CLOEXEC | _BINARY, mode
            )
        except FileExistsError:
            raise RefLocked(path, self.lock_path) from None
        except OSError as e:
            raise OSError(e.errno, e.strerror, path) from e
        self._done = False

    def commit(self, data: bytes) -> None:
        """Replace the file with `data`, durably; on any failure the lock file is removed."""
        assert self._fd is not None and not self._done
        try:
            naming(self.path, lambda: _write_all(self._fd or 0, data))
            naming(self.path, lambda: os.fsync(self._fd or 0))
            os.close(self._fd)
            self._fd = None
            naming(self.path, lambda: os.replace(self.lock_path, self.path))
        except BaseException:
            self.abort()
            raise
        self._done = True
        _fsync_folder(os.path.dirname(self.path))

    def abort(self) -> None:
        """Give up: close and remove the lock file (it is ours: we created it)."""
        if self._done:
            return
        self._done = True
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.lock_path)

    def __enter__(self) -> LockFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.abort()


def write_atomically(path: str, data: bytes, mode: int | None = None) -> None:
    """Replace `path` with `data` through a temporary file beside it (fsync, then rename).

    The new file keeps the old one's permissions (else the umask's default). On any
    failure the temporary file is removed and `path` is as it was.
    """
    folder, name = os.path.split(os.path.abspath(path))
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    import tempfile  # imported by writes only: reads stay fast to start

    fd, temporary = naming(
        path, lambda: tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    )
    _fill_and_rename(fd, temporary, path, data, mode)
    _fsync_folder(folder)


def _chmod(fd: int, path: str, mode: int) -> None:
    """fchmod where the system has it; by name elsewhere (Windows)."""
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    else:
        os.chmod(path, mode)


def _fill_and_rename(fd: int, temporary: str, path: str, data: bytes, mode: int) -> None:
    """Write `data` to the open temporary file, fsync it, rename it to `path`.

    On any failure the temporary file is closed and removed, and `path` is untouched.
    """
    try:
        naming(path, lambda: _write_all(fd, data))
        naming(path, lambda: _chmod(fd, temporary, mode))
        naming(path, lambda: os.fsync(fd))
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    os.close(fd)
    try:
        naming(path, lambda: os.replace(temporary, path))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def write_object(objects_dir: str, oid: str, compressed: bytes) -> bool:
    """Store a loose object (`compressed`: its zlib-deflated text); False if it was there.

    Written to a `tmp_obj_*` file (the name git's own gc cleans up) and renamed into place,
    so a reader never sees half an object.
    """
    folder = os.path.join(objects_dir, oid[:2])
    path = os.path.join(folder, oid[2:])
    if os.path.exists(path):
        with contextlib.suppress(OSError):
            os.utime(path)  # a fresh mtime keeps a concurrent gc from pruning it
        return False
    import tempfile  # imported by writes only: reads stay fast to start

    made_folder = False
    for _ in range(3):  # another writer may remove the folder it found empty (a discard)
        try:
            os.mkdir(folder)
            made_folder = True
        except FileExistsError:
            pass
        except OSError as e:
            raise OSError(e.errno, e.strerror, folder) from e
        try:
            fd, temporary = tempfile.mkstemp(prefix="tmp_obj_", dir=folder)
            break
        except FileNotFoundError:
            continue
        except OSError as e:
            raise OSError(e.errno, e.strerror, folder) from e
    else:
        raise OSError(errno.ENOENT, os.strerror(errno.ENOENT), folder)
    try:
        _fill_and_rename(fd, temporary, path, compressed, 0o444)
    except BaseException:
        if made_folder:
            with contextlib.suppress(OSError):
                os.rmdir(folder)  # only if nothing else arrived meanwhile
        raise
    return True


def lock_files(root: Path, gitdirs: Iterable[str], commondir: str) -> list[tuple[str, float]]:
    """The `.lock` files in `gitdirs`, their reftable folders and `commondir`'s refs: (path
    relative to `root`, age in seconds), sorted."""
    found: set[str] = set()
    folders = set(gitdirs)
    folders |= {os.path.join(folder, "reftable") for folder in folders}  # tables.list.lock
    for folder in folders:
        with contextlib.suppress(OSError):
            found.update(e.path for e in os.scandir(folder) if e.name.endswith(".lock"))
    for top, _, names in os.walk(os.path.join(commondir, "refs")):
        found.update(os.path.join(top, name) for name in names if name.endswith(".lock"))
    now = time.time()
    locks = []
    for path in sorted(found):
        with contextlib.suppress(OSError):
            age = max(0.0, now - os.lstat(path).st_mtime)
            locks.append((os.path.relpath(path, root), age))
    return locks
