"""The "files" ref backend: loose ref files, and `packed-refs` for the rest.

Reading is cached: packed-refs is read once (until `refresh`) and parsed by
gto.git.packed_refs, whole or, for one prefix of a sorted file, by bisection; names git
would refuse are skipped. Loose refs are read first, as git does: `git pack-refs` writes
packed-refs before it deletes the loose files, so a ref moving meanwhile is seen in one.

Updating is strict and uncached: each update happens under the ref's `.lock` file
(gto.git.files), reads packed-refs afresh, and refuses a damaged one (ValueError).
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from gto.git import packed_refs
from gto.git.discover import Layout
from gto.git.errors import read_error
from gto.git.files import LockFile, naming
from gto.git.objects import hex_id_pattern
from gto.git.refs import is_ref_name

__all__ = ["FilesRefs", "read_mirror", "write_mirror"]

_PACKED_REFS = "packed-refs"
# packed-refs up to this size stays in memory until `refresh`; a bigger one is read anew.
_KEEP_TEXT = 1 << 20


def _loose_refs(folder: str, base: bytes, prefix: bytes) -> Iterable[tuple[bytes, str]]:
    """(ref name, file path) of the loose refs in `folder` (whose refs are named `base`...)
    whose names start with `prefix`."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as e:
        raise read_error(folder, e, verb="list") from e
    for entry in entries:
        ref = base + os.fsencode(entry.name)
        if entry.is_dir():
            inside = ref + b"/"
            if inside.startswith(prefix) or prefix.startswith(inside):
                yield from _loose_refs(entry.path, inside, prefix)
        elif ref.startswith(prefix) and is_ref_name(ref):  # skips *.lock files and other debris
            yield ref, entry.path


def _read_ref_file(path: str, name: bytes) -> bytes | None:
    """The first line of a loose ref file; None when it is gone (packed meanwhile)."""
    try:
        with open(path, "rb") as f:
            return f.readline().strip()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as e:
        raise read_error(f"ref '{os.fsdecode(name)}'", e) from e


def _name(ref: bytes, base: bytes) -> str:
    """A ref's name after `base`, as text (bytes that are not UTF-8 replaced)."""
    return ref[len(base) :].decode("utf-8", "replace")


def _entry(line: bytes) -> tuple[bytes, bytes] | None:
    """(object id, ref name) of a packed-refs line; None for comments and peeled lines."""
    if line[:1] in (b"#", b"^"):
        return None
    oid, _, name = line.rstrip(b"\r\n").partition(b" ")
    return oid, name


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


class FilesRefs:
    """The refs of one repository in loose files and packed-refs (see the module docstring)."""

    shared_lock = False  # one lock file per ref

    def __init__(self, layout: Layout) -> None:
        self._gitdir = layout.controldir  # HEAD (a linked work tree's own)
        self._commondir = layout.commondir  # refs/, packed-refs
        self._object_id = _id_reader(layout.id_length)
        self._id_length = layout.id_length
        self._packed: dict[bytes, str | None] | None = None
        self._packed_text: bytes | None = None
        self._packed_found: dict[bytes, tuple[str | None] | None] = {}
        self._packed_stat: tuple[int, int, int] | None = None

    def path(self, ref: str) -> str:
        folder = self._gitdir if ref == "HEAD" else self._commondir
        return os.path.join(folder, *ref.split("/"))

    # Reading

    def refresh(self) -> None:
        self._packed = None
        self._packed_text = None
        self._packed_found = {}

    def _stat_packed(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(os.path.join(self._commondir, _PACKED_REFS))
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def _text(self) -> bytes:
        """packed-refs as read since the last `refresh` (b"" when there is none).

        A big file is not kept: the few lookups after a listing bisect it afresh.
        """
        if self._packed_text is not None:
            return self._packed_text
        self._packed_stat = self._stat_packed()
        try:
            text = Path(self._commondir, _PACKED_REFS).read_bytes()
        except FileNotFoundError:
            text = b""
        except OSError as e:
            raise read_error("packed-refs", e) from e
        packed_refs.check_whole(text)
        if len(text) <= _KEEP_TEXT:
            self._packed_text = text
        return text

    def _packed_refs(self, text: bytes | None = None) -> dict[bytes, str | None]:
        """Every packed ref (parsed once until `refresh`); `text`: the file, if just read."""
        if self._packed is None:
            text = self._text() if text is None else text
            self._packed = packed_refs.parse(text, self._object_id, self._id_length)
        return self._packed

    def _packed_under(self, prefix: bytes) -> dict[bytes, str | None]:
        """The packed refs whose names start with `prefix`; a sorted file is bisected."""
        return {r: oid for r, oid in self._packed_from(prefix).items() if r.startswith(prefix)}

    def _packed_from(self, prefix: bytes) -> dict[bytes, str | None]:
        """The packed refs `prefix` needs: of a sorted file the lines it starts, else all."""
        if self._packed is not None:  # parsed whole already: not read again
            return self._packed
        text = self._text()
        if packed_refs.is_sorted(text):
            start, end = packed_refs.prefix_range(text, prefix)
            return packed_refs.parse(text[start:end], self._object_id, self._id_length)
        return self._packed_refs(text)

    def _loose_under(self, prefix: bytes) -> dict[bytes, bytes]:
        """The content of every loose ref whose name starts with `prefix`."""
        loose: dict[bytes, bytes] = {}
        base = prefix[: prefix.rfind(b"/") + 1]
        folder = os.path.join(self._commondir, os.fsdecode(base))
        for ref, path in _loose_refs(folder, base, prefix):
            content = _read_ref_file(path, ref)
            if content is not None:
                loose[ref] = content
        return loose

    def under(self, prefix: bytes) -> dict[bytes, str | None]:
        loose = self._loose_under(prefix)
        self.refresh()  # read after the loose files: see the module docstring
        refs = self._packed_under(prefix)
        for ref, content in loose.items():
            refs[ref] = self._value(content)
        return refs

    def names_under(self, base: bytes, prefix: bytes = b"") -> dict[str, str | None]:
        loose = self._loose_under(base + prefix)
        self.refresh()  # read after the loose files: see the module docstring
        text = self._text()
        found = None
        if self._packed is None and packed_refs.is_sorted(text):
            found = packed_refs.names_under(text, base, prefix, self._id_length)
        if found is None:
            packed = self._packed_under(base + prefix)
            found = {_name(ref, base): oid for ref, oid in packed.items()}
        for ref, content in loose.items():
            found[_name(ref, base)] = self._value(content)
        return found

    def _value(self, content: bytes) -> str | None:
        """What a loose ref's content names: an object id, or where a symbolic ref leads."""
        if content.startswith(b"ref: "):
            return self.get(content[5:].strip(), depth=1)
        return self._object_id(content)

    def get(self, ref: bytes, depth: int = 0) -> str | None:
        if depth >= 5 or (ref != b"HEAD" and not is_ref_name(ref)):  # git's chain limit
            return None
        content = _read_ref_file(self.path(os.fsdecode(ref)), ref)
        if content is not None:
            if content.startswith(b"ref: "):
                return self.get(content[5:].strip(), depth + 1)
            return self._object_id(content)
        found = self._packed_get(ref)
        if found is None and self._stat_packed() != self._packed_stat:
            self.refresh()  # packed since packed-refs was read (git pack-refs): read it again
            found = self._packed_get(ref)
        return None if found is None else found[0]

    def _packed_get(self, ref: bytes) -> tuple[str | None] | None:
        """(its id,) if `ref` is packed, else None; a sorted file is bisected."""
        if ref in self._packed_found:
            return self._packed_found[ref]
        packed = self._packed_from(ref)
        found = self._packed_found[ref] = (packed[ref],) if ref in packed else None
        return found

    def symbolic(self, ref: bytes) -> bytes | None:
        try:
            content = Path(self.path(os.fsdecode(ref))).read_bytes().strip()
        except OSError as e:
            raise read_error(os.fsdecode(ref), e) from e
        return content[5:].strip() if content.startswith(b"ref: ") else None

    # Updating

    def _packed_lines(self) -> list[bytes]:
        """The lines of packed-refs, read now (another writer may have changed it).

        Raises:
            ValueError: a line that is neither a comment, `<id> <ref>` nor `^<id>` (git
                refuses to write such a file too).
        """
        try:
            with open(os.path.join(self._commondir, _PACKED_REFS), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        packed_refs.check_whole(data)
        lines = data.splitlines(keepends=True)
        for number, line in enumerate(lines, 1):
            text = line.rstrip(b"\r\n")
            entry = _entry(line)
            if entry is None:
                ok = text.startswith(b"#") or self._object_id(text[1:]) is not None
            else:
                ok = self._object_id(entry[0]) is not None and entry[1].startswith(b"refs/")
            if not ok:
                raise ValueError(f"line {number} is not '<object id> <ref name>'")
        return lines

    def _packed_value(self, lines: list[bytes], ref: str) -> str | None:
        name = ref.encode()
        for line in lines:
            entry = _entry(line)
            if entry is not None and entry[1] == name:
                return self._object_id(entry[0])
        return None

    def read(self, ref: str) -> str | None:
        return self._read(ref)[0]

    def _read(self, ref: str) -> tuple[str | None, list[bytes] | None]:
        """`read(ref)`, and the packed-refs lines read for it (None: the loose file answered)."""
        try:
            with open(self.path(ref), "rb") as f:
                return self._object_id(f.readline()), None
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            pass
        lines = self._packed_lines()
        return self._packed_value(lines, ref), lines

    def exists(self, ref: str) -> bool:
        return (
            os.path.lexists(self.path(ref))
            or self._packed_value(self._packed_lines(), ref) is not None
        )

    def locked(self, ref: str) -> str | None:
        lock = f"{self.path(ref)}.lock"
        return lock if os.path.lexists(lock) else None

    def prepare(self, ref: str) -> None:
        """The folders `ref`'s loose file needs (made before any object is written for it)."""
        folder = os.path.dirname(self.path(ref))
        try:
            os.makedirs(folder, exist_ok=True)
        except FileExistsError as e:  # a ref file where a folder is needed
            raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), e.filename or folder) from e
        except OSError as e:
            raise OSError(e.errno, e.strerror, e.filename or folder) from e

    def create(self, ref: str, oid: str, peeled: str | None = None) -> bool:
        """The check and the creation happen under the ref's lock file, so of several
        writers of one name exactly one succeeds.

        Raises:
            RefLocked: another writer holds the lock.
        """
        self.prepare(ref)
        with LockFile(self.path(ref)) as lock:
            if self.exists(ref):
                return False
            lock.commit(oid.encode("ascii") + b"\n")
        return True

    def update(self, ref: str, old: str | None, new: str) -> bool:
        path = self.path(ref)
        with LockFile(path) as lock:
            if self.read(ref) != old:
                return False
            lock.commit(new.encode("ascii") + b"\n")
        return True

    def delete(self, ref: str, old: str) -> bool:
        """The loose file goes first: a kill in between leaves the packed line, so the ref
        still exists and deleting it again finishes the job."""
        path = self.path(ref)
        with LockFile(path):
            current, lines = self._read(ref)
            if current != old:
                return False
            with contextlib.suppress(FileNotFoundError):
                naming(path, lambda: os.unlink(path))
            if lines is None:  # the loose file answered: is the ref packed too?
                lines = self._packed_lines()
            if self._packed_value(lines, ref) is not None:
                with LockFile(os.path.join(self._commondir, _PACKED_REFS)) as packed_lock:
                    lines = self._packed_lines()  # read again, under the lock
                    packed_lock.commit(b"".join(_without(lines, ref)))
        self._remove_empty_folders(ref)
        return True

    def _remove_empty_folders(self, ref: str) -> None:
        """The folders a deleted `refs/tags/a/b` leaves empty, up to (not including) `refs/tags`."""
        parts = ref.split("/")[:-1]
        while len(parts) > 2:
            try:
                os.rmdir(self.path("/".join(parts)))
            except OSError:
                return
            parts.pop()


def write_mirror(commondir: str, refs: Mapping[str, str], head: str) -> None:
    """Make a repository's refs exactly `refs` (name -> id), HEAD holding `head`.

    packed-refs is replaced in one rename (readers see the old or the new set), then the
    loose refs go. For a cache gto alone writes (gto.remote.cache).

    Raises:
        OSError, RefLocked: the files cannot be written.
    """
    header = b"# pack-refs with: sorted \n"  # no peeled lines: readers peel themselves
    encoded = sorted((ref.encode("utf-8", "surrogateescape"), oid) for ref, oid in refs.items())
    lines = (oid.encode("ascii") + b" " + ref + b"\n" for ref, oid in encoded)
    packed = header + b"".join(lines)
    for name, content in ((_PACKED_REFS, packed), ("HEAD", f"{head}\n".encode())):
        current = Path(commondir, name)
        if not current.is_file() or current.read_bytes() != content:
            with LockFile(str(current)) as lock:
                lock.commit(content)
    for folder in ("refs/tags", "refs/heads"):
        for root, _, found in os.walk(os.path.join(commondir, folder)):
            for file in found:
                os.unlink(os.path.join(root, file))


def read_mirror(commondir: str, id_length: int) -> dict[str, str]:
    """The refs `write_mirror` wrote (name -> id of `id_length` hex digits), from
    packed-refs; {} when there is none."""
    try:
        text = Path(commondir, _PACKED_REFS).read_bytes()
    except FileNotFoundError:
        return {}
    packed_refs.check_whole(text)
    return {
        ref.decode("utf-8", "surrogateescape"): oid
        for ref, oid in packed_refs.parse(text, _id_reader(id_length), id_length).items()
        if oid is not None
    }


def _id_reader(id_length: int) -> Callable[[bytes], str | None]:
    """What a ref line's id bytes name: an object id of `id_length` hex digits, else None."""
    pattern = hex_id_pattern(id_length)

    def object_id(value: bytes) -> str | None:
        text = value.strip().decode("ascii", "replace")
        return text if pattern.fullmatch(text) else None

    return object_id
