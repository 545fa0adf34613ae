"""Files in a repository, written the way git writes them: whole, or not at all.

Each write goes to a new file beside its target (a `.lock` file for refs, packed-refs
and the index, as git's lock protocol has it; a temporary file for loose objects and
work tree files), which is written, fsynced and then renamed over the target. A full
disk, a read-only folder or a kill leaves the old file whole; every failure but a kill
also removes the new file, so no `.lock` file and no partial object stays behind.

dulwich's own writers are not used for this: when the final flush of a lock file fails
(a full disk), its lock file stays behind and is removed later, by the garbage
collector, which may by then remove another writer's lock.

Errors are OSErrors whose `filename` is the file being written; gitwrite names the part
of the repository (objects, refs, a work tree file) in the one line a user sees.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from typing import TypeVar

__all__ = [
    "LockFile",
    "RefLocked",
    "create_ref",
    "delete_ref",
    "make_ref_folders",
    "read_ref",
    "update_ref",
    "write_atomically",
    "write_object",
]

_T = TypeVar("_T")
_PACKED_REFS = "packed-refs"
_HEX = frozenset("0123456789abcdef")


class RefLocked(Exception):
    """`path` is locked: its `.lock` file exists (another writer, or one that was killed)."""

    def __init__(self, path: str, lock_path: str) -> None:
        super().__init__(f"'{lock_path}' exists")
        self.path = path
        self.lock_path = lock_path


def _naming(path: str, action: Callable[[], _T]) -> _T:
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
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
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
                self.lock_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode
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
            _naming(self.path, lambda: _write_all(self._fd or 0, data))
            _naming(self.path, lambda: os.fsync(self._fd or 0))
            os.close(self._fd)
            self._fd = None
            _naming(self.path, lambda: os.replace(self.lock_path, self.path))
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
    fd, temporary = _naming(
        path, lambda: tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    )
    _fill_and_rename(fd, temporary, path, data, mode)
    _fsync_folder(folder)


def _fill_and_rename(fd: int, temporary: str, path: str, data: bytes, mode: int) -> None:
    """Write `data` to the open temporary file, fsync it, rename it to `path`.

    On any failure the temporary file is closed and removed, and `path` is untouched.
    """
    try:
        _naming(path, lambda: _write_all(fd, data))
        _naming(path, lambda: os.fchmod(fd, mode))
        _naming(path, lambda: os.fsync(fd))
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    os.close(fd)
    try:
        _naming(path, lambda: os.replace(temporary, path))
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


# Refs


def _ref_file(refs_dir: str, ref: str) -> str:
    return os.path.join(refs_dir, *ref.split("/"))


def _object_id(text: bytes) -> str | None:
    value = text.strip().decode("ascii", "replace")
    return value if len(value) == 40 and set(value) <= _HEX else None


def _packed(refs_dir: str) -> list[bytes]:
    """The lines of packed-refs, read now (no caching: another writer may have changed it).

    Raises:
        ValueError: a line that is neither a comment, `<id> <ref>` nor `^<id>` (git
            refuses to write such a file too).
    """
    try:
        with open(os.path.join(refs_dir, _PACKED_REFS), "rb") as f:
            lines = f.read().splitlines(keepends=True)
    except FileNotFoundError:
        return []
    for number, line in enumerate(lines, 1):
        text = line.rstrip(b"\r\n")
        entry = _entry(line)
        if entry is None:
            ok = text.startswith(b"#") or _object_id(text[1:]) is not None
        else:
            ok = _object_id(entry[0]) is not None and entry[1].startswith(b"refs/")
        if not ok:
            raise ValueError(f"line {number} is not '<object id> <ref name>'")
    return lines


def _entry(line: bytes) -> tuple[bytes, bytes] | None:
    """(object id, ref name) of a packed-refs line; None for comments and peeled lines."""
    if line[:1] in (b"#", b"^"):
        return None
    oid, _, name = line.rstrip(b"\r\n").partition(b" ")
    return oid, name


def _packed_value(lines: list[bytes], ref: str) -> str | None:
    name = ref.encode()
    for line in lines:
        entry = _entry(line)
        if entry is not None and entry[1] == name:
            return _object_id(entry[0])
    return None


def read_ref(refs_dir: str, ref: str) -> str | None:
    """The object id `ref` (`refs/tags/x`, not symbolic) holds: its loose file, else packed-refs.

    `refs_dir` is the folder holding `refs/` and packed-refs (the common git dir).
    """
    try:
        with open(_ref_file(refs_dir, ref), "rb") as f:
            return _object_id(f.readline())
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        pass
    return _packed_value(_packed(refs_dir), ref)


def _exists(refs_dir: str, ref: str) -> bool:
    return (
        os.path.lexists(_ref_file(refs_dir, ref))
        or _packed_value(_packed(refs_dir), ref) is not None
    )


def make_ref_folders(refs_dir: str, ref: str) -> None:
    """The folders `ref`'s loose file needs (made before any object is written for it)."""
    folder = os.path.dirname(_ref_file(refs_dir, ref))
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError as e:  # a ref file where a folder is needed
        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), e.filename or folder) from e
    except OSError as e:
        raise OSError(e.errno, e.strerror, e.filename or folder) from e


def create_ref(refs_dir: str, ref: str, oid: str) -> bool:
    """Create `ref` pointing at `oid` unless it exists (loose or packed); False if it does.

    The check and the creation happen under the ref's lock file, so of several writers of
    one name exactly one succeeds.

    Raises:
        RefLocked: another writer holds the lock.
    """
    make_ref_folders(refs_dir, ref)
    with LockFile(_ref_file(refs_dir, ref)) as lock:
        if _exists(refs_dir, ref):
            return False
        lock.commit(oid.encode("ascii") + b"\n")
    return True


def update_ref(path: str, refs_dir: str, ref: str, old: str | None, new: str) -> bool:
    """Point the ref stored at `path` to `new` if it holds `old` now (None: if it is absent).

    `path` is the ref's loose file (HEAD lives in the work tree's own git dir, branches in
    `refs_dir`); False if the ref holds something else.
    """
    with LockFile(path) as lock:
        try:
            with open(path, "rb") as f:
                current = _object_id(f.readline())
        except FileNotFoundError:
            current = _packed_value(_packed(refs_dir), ref)
        if current != old:
            return False
        lock.commit(new.encode("ascii") + b"\n")
    return True


def delete_ref(refs_dir: str, ref: str, old: str) -> bool:
    """Delete `ref` (its loose file and its packed-refs line) if it holds `old`; else False.

    The loose file goes first: a kill in between leaves the packed line, so the ref still
    exists and deleting it again finishes the job.
    """
    path = _ref_file(refs_dir, ref)
    with LockFile(path):
        if read_ref(refs_dir, ref) != old:
            return False
        with contextlib.suppress(FileNotFoundError):
            _naming(path, lambda: os.unlink(path))
        packed_path = os.path.join(refs_dir, _PACKED_REFS)
        if _packed_value(_packed(refs_dir), ref) is not None:
            with LockFile(packed_path) as packed_lock:
                lines = _packed(refs_dir)  # read again, under the lock
                packed_lock.commit(b"".join(_without(lines, ref)))
    _remove_empty_folders(refs_dir, ref)
    return True


def _without(lines: list[bytes], ref: str) -> list[bytes]:
    """packed-refs lines without `ref`'s line and the peeled (`^...`) line after it."""
    name = ref.encode()
    kept: list[bytes] = []
    dropping = False
    for line in lines:
        if line.startswith(b"^") and dropping:
            continue
        entry = _entry(line)
        dropping = entry is not None and entry[1] == name
        if not dropping:
            kept.append(line)
    return kept


def _remove_empty_folders(refs_dir: str, ref: str) -> None:
    """The folders a deleted `refs/tags/a/b` leaves empty, up to (not including) `refs/tags`."""
    parts = ref.split("/")[:-1]
    while len(parts) > 2:
        try:
            os.rmdir(_ref_file(refs_dir, "/".join(parts)))
        except OSError:
            return
        parts.pop()
