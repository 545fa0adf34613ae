"""Read a git repository and hand the rest of gto plain values.

This is the only module that reads git. No `bytes` leave it: names and messages are
decoded (utf-8, errors replaced), times become aware datetimes in their own offset,
and object ids are 40-hex strings. Every failure becomes a GTOException.

Registries can hold tens of thousands of tags, so the hot paths avoid dulwich's
per-ref and per-object cost: refs are read in one pass over packed-refs and the
loose files, and packed objects are looked up in the .idx and inflated straight
from the pack. Importing dulwich costs more than a small command, so ordinary
repositories are found and read without it; dulwich is imported on first need, for
everything unusual (linked work trees, deltas, alternates, short ids) and for writing.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import re
import stat
import struct
import time
import weakref
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from gto.core.tags import CommitRecord, GitTag, TagRecord
from gto.core.values import build
from gto.exceptions import NoRepo, RefNotFound, RepoError

if TYPE_CHECKING:
    from dulwich.repo import Repo

# CommitRecord lives in gto.core.tags, with TagRecord.
__all__ = ["CommitRecord", "GitRepo", "is_ref_name"]

_COMMIT, _TREE, _BLOB, _TAG = 1, 2, 3, 4
_TYPE_NAMES = {_COMMIT: "commit", _TREE: "tree", _BLOB: "blob", _TAG: "tag"}
_TYPE_NUMS = {name.encode(): num for num, name in _TYPE_NAMES.items()}
_HEX40 = re.compile(r"[0-9a-f]{40}")
_SHORT_HEX = re.compile(r"[0-9a-fA-F]{4,39}")
_ANCESTRY = re.compile(r"([~^])([0-9]*)")
_REVISION = re.compile(r"(?P<base>.*?)(?P<ancestry>(?:[~^][0-9]*)*)", re.DOTALL)
_TAGS_PREFIX = b"refs/tags/"
# Errors zlib and the OS raise for unreadable repository data (IndexError: a pack cut short).
_READ_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, IndexError, zlib.error)


def _dulwich_errors() -> tuple[type[Exception], ...]:
    """The read errors plus dulwich's own (KeyError too), for the places that call dulwich.

    Imported here, not at the top: most commands never load dulwich at all. A caller
    to whom KeyError means "no such object" catches it first.
    """
    from dulwich.errors import ApplyDeltaError, ChecksumMismatch, ObjectFormatException
    from dulwich.repo import UnsupportedExtension, UnsupportedVersion

    return (
        *_READ_ERRORS,
        KeyError,
        ApplyDeltaError,
        ChecksumMismatch,
        ObjectFormatException,
        UnsupportedExtension,
        UnsupportedVersion,
    )


_MISSING = "missing object"
_LIGHTWEIGHT = "lightweight"


@dataclass(frozen=True)
class _Commit:
    """A parsed commit: what gto shows plus what walking the graph needs."""

    record: CommitRecord
    tree: str
    parents: tuple[str, ...]


_TIMEZONES: dict[bytes, timezone] = {}


def _timestamp(seconds: bytes, offset: bytes) -> datetime:
    """`1660000000`, `+0545` -> an aware datetime in that offset (offsets are cached)."""
    tz = _TIMEZONES.get(offset)
    if tz is None:
        digits = offset[1:]
        if offset[:1] not in (b"+", b"-") or len(digits) != 4 or not digits.isdigit():
            raise ValueError(f"bad timezone {offset!r}")
        delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        tz = _TIMEZONES[offset] = timezone(-delta if offset[:1] == b"-" else delta)
    return datetime.fromtimestamp(int(seconds), tz)


def _signature(value: bytes) -> tuple[str, str, datetime]:
    """`Name <email> 1660000000 +0545` -> name, email, time."""
    identity, sep, when = value.rpartition(b"> ")
    if not sep:
        raise ValueError(f"bad signature {value!r}")
    name, _, email = identity.rpartition(b"<")
    seconds, _, offset = when.partition(b" ")
    return (
        name.strip().decode("utf-8", "replace"),
        email.decode("utf-8", "replace"),
        _timestamp(seconds, offset.strip()),
    )


def _tagger(fields: dict[bytes, bytes]) -> tuple[str, str, datetime]:
    """A tag object's tagger name, email and time; very old tags have no tagger."""
    if b"tagger" in fields:
        return _signature(fields[b"tagger"])
    return "", "", datetime.fromtimestamp(0, timezone.utc)


def _split_object(body: bytes) -> tuple[dict[bytes, bytes], list[bytes], bytes]:
    """Commit or tag text -> first value of each header, the parents, the message.

    Continuation lines (gpgsig, mergetag) start with a space and are skipped.
    """
    head, _, message = body.partition(b"\n\n")
    fields: dict[bytes, bytes] = {}
    parents: list[bytes] = []
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value)
        elif key:
            fields.setdefault(key, value)
    return fields, parents, message


def _parse_tree(body: bytes) -> dict[bytes, tuple[int, str]]:
    """Tree text -> {name: (mode, object id)}."""
    entries: dict[bytes, tuple[int, str]] = {}
    pos, end = 0, len(body)
    while pos < end:
        space = body.index(b" ", pos)
        nul = body.index(b"\0", space)
        entries[body[space + 1 : nul]] = (int(body[pos:space], 8), body[nul + 1 : nul + 21].hex())
        pos = nul + 21
    return entries


# Lookups that bisect a pack index before it is read into a dict.
_BISECT_LOOKUPS = 256


class _PackFile:
    """One pack, read without dulwich: its v2 .idx searched in place, objects inflated from it.

    dulwich's own lookups cost several times more per object, which adds up over
    thousands of tags. Anything unusual (deltas, other index versions) is left to dulwich.
    """

    def __init__(self, index: mmap.mmap, data: mmap.mmap) -> None:
        self.index = index
        self.data = data
        self.fanout: tuple[int, ...] = struct.unpack(">256I", index[8:1032])
        count = self.fanout[255]
        self.offsets = 1032 + count * 24  # after the names (20 bytes) and CRCs (4 bytes)
        self.large_offsets = self.offsets + count * 4
        self._lookups = 0
        self._positions: dict[bytes, int] | None = None

    @classmethod
    def open(cls, idx_path: str) -> _PackFile | None:
        """The pack of a version 2 index, or None for anything else."""
        pack_path = idx_path[: -len(".idx")] + ".pack"
        with open(idx_path, "rb") as f:
            index = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if index[:8] != b"\377tOc\0\0\0\2" or not os.path.exists(pack_path):
            index.close()
            return None
        with open(pack_path, "rb") as f:
            return cls(index, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))

    def close(self) -> None:
        self.index.close()
        self.data.close()

    def offset(self, sha: bytes) -> int | None:
        """Where the object with binary id `sha` starts in the pack, if it is there.

        The first lookups bisect the index; a command that reads many objects (every
        tag of a registry) soon switches to a dict of the whole index, built once.
        """
        position = self._position(sha)
        if position is None:
            return None
        pos = self.offsets + position * 4
        offset = int.from_bytes(self.index[pos : pos + 4], "big")
        if offset & 0x80000000:
            pos = self.large_offsets + (offset & 0x7FFFFFFF) * 8
            offset = int.from_bytes(self.index[pos : pos + 8], "big")
        return offset

    def _position(self, sha: bytes) -> int | None:
        if self._positions is not None:
            return self._positions.get(sha)
        self._lookups += 1
        if self._lookups > _BISECT_LOOKUPS:
            names = self.index[1032 : 1032 + self.fanout[255] * 20]
            self._positions = {names[i * 20 : i * 20 + 20]: i for i in range(self.fanout[255])}
            return self._positions.get(sha)
        index = self.index
        lo = self.fanout[sha[0] - 1] if sha[0] else 0
        hi = self.fanout[sha[0]]
        while lo < hi:
            mid = (lo + hi) // 2
            name = index[1032 + mid * 20 : 1052 + mid * 20]
            if name < sha:
                lo = mid + 1
            elif name > sha:
                hi = mid
            else:
                return mid
        return None

    def inflate(self, offset: int) -> tuple[int, bytes] | None:
        """The object at `offset`; None for deltas (and surprises), which dulwich handles."""
        data = self.data
        byte = data[offset]
        kind, size, shift, pos = (byte >> 4) & 7, byte & 15, 4, offset + 1
        while byte & 0x80:
            byte = data[pos]
            size |= (byte & 0x7F) << shift
            shift += 7
            pos += 1
        if kind > _TAG:
            return None
        try:
            # deflate never grows data by more than ~0.1% plus a few bytes of framing;
            # an exact bufsize saves zlib a 16 KiB allocation per object.
            chunk = data[pos : pos + size + (size >> 9) + 64]
            body = zlib.decompress(chunk, bufsize=max(size, 1))
        except zlib.error:
            return None  # an odd encoder: let dulwich read it, or report the damage
        return (kind, body) if len(body) == size else None


class _Objects:
    """Raw objects by id: from pack files and loose files directly, the rest via dulwich."""

    def __init__(self, objects_dir: str, dulwich: _LazyRepo) -> None:
        self._objects_dir = objects_dir
        self._dulwich = dulwich
        self._packs: list[_PackFile] | None = None
        self._present: set[str] = set()

    def _open_packs(self) -> list[_PackFile]:
        if self._packs is None:
            pack_dir = os.path.join(self._objects_dir, "pack")
            try:
                names = sorted(n for n in os.listdir(pack_dir) if n.endswith(".idx"))
            except FileNotFoundError:
                names = []
            self._packs = []
            for name in names:
                try:
                    pack = _PackFile.open(os.path.join(pack_dir, name))
                except FileNotFoundError:
                    continue  # removed by a repack since the listing: `raw` lists again
                if pack is not None:
                    self._packs.append(pack)
        return self._packs

    def _reopen_packs(self) -> None:
        """List the packs again: a repack (git gc) may have moved objects into a new one."""
        self.close()

    def close(self) -> None:
        for pack in self._packs or ():
            pack.close()
        self._packs = None

    def raw(self, oid: str) -> tuple[int, bytes] | None:
        """(type number, content) of an object, or None when it is not in the repository."""
        if not _HEX40.fullmatch(oid):
            return None
        for retry in (False, True):
            try:
                found = self._read_directly(oid)
            except FileNotFoundError:
                found = None  # a pack removed by a repack after it was listed
            except _READ_ERRORS as e:
                raise RepoError(f"Cannot read object {oid}: {e}") from e
            if found is None:
                found = self._read_with_dulwich(oid, vanished_ok=not retry)
            if found is not None or retry:
                return found
            self._reopen_packs()  # once: the object may be in a pack made since
        return None

    def _read_directly(self, oid: str) -> tuple[int, bytes] | None:
        """From a pack or a loose file; None for deltas and for objects found elsewhere."""
        sha = bytes.fromhex(oid)
        for pack in self._open_packs():
            offset = pack.offset(sha)
            if offset is not None:
                return pack.inflate(offset)
        return self._read_loose(oid)

    def _read_with_dulwich(self, oid: str, *, vanished_ok: bool) -> tuple[int, bytes] | None:
        """Deltas, alternates, packs that appeared since the first lookup, missing objects."""
        from dulwich.objects import ObjectID

        store = self._dulwich.get().object_store
        try:
            return store.get_raw(ObjectID(oid.encode()))
        except KeyError:
            return None
        except FileNotFoundError as e:
            if vanished_ok:
                return None
            raise RepoError(f"Cannot read object {oid}: {e}") from e
        except _dulwich_errors() as e:
            raise RepoError(f"Cannot read object {oid}: {e}") from e

    def contains(self, oid: str) -> bool:
        """Whether the object exists, without inflating it (positive answers are cached)."""
        if oid in self._present:
            return True
        if not _HEX40.fullmatch(oid):
            return False
        sha = bytes.fromhex(oid)
        found = False
        for retry in (False, True):
            try:
                found = any(pack.offset(sha) is not None for pack in self._open_packs())
                found = found or os.path.exists(self._loose_path(oid))
            except _READ_ERRORS as e:
                raise RepoError(f"Cannot read object {oid}: {e}") from e
            if found or retry:
                break
            self._reopen_packs()  # once: a repack may have moved it into a new pack
        if not found:
            from dulwich.objects import ObjectID

            store = self._dulwich.get().object_store
            try:
                found = ObjectID(oid.encode()) in store  # alternates
            except _dulwich_errors() as e:
                raise RepoError(f"Cannot read object {oid}: {e}") from e
        if found:
            self._present.add(oid)
        return found

    def with_prefix(self, prefix: str) -> set[str]:
        """Ids of the objects whose hex id starts with `prefix` (lowercase), via dulwich."""
        store = self._dulwich.get().object_store
        try:
            return {oid.decode("ascii") for oid in store.iter_prefix(prefix.encode())}
        except _dulwich_errors() as e:
            raise RepoError(f"Cannot search objects: {e}") from e

    def _loose_path(self, oid: str) -> str:
        return os.path.join(self._objects_dir, oid[:2], oid[2:])

    def _read_loose(self, oid: str) -> tuple[int, bytes] | None:
        try:
            with open(self._loose_path(oid), "rb") as f:
                text = zlib.decompress(f.read())
        except FileNotFoundError:
            return None
        header, _, body = text.partition(b"\0")
        kind = _TYPE_NUMS.get(header.partition(b" ")[0])
        if kind is None:
            raise ValueError(f"unknown object type in {header!r}")
        return kind, body


# What git-check-ref-format forbids anywhere in a name: `..`, `@{`, control characters,
# space ~ ^ : ? * [ \, empty components (`//`, leading or trailing `/`), a trailing `.`,
# and components that start with `.` or end with `.lock`.
_BAD_REF = re.compile(rb"\.\.|@\{|[\x00-\x20\x7f~^:?*\[\\]|//|^/|[/.]\Z|(?:^|/)\.|\.lock(?:/|\Z)")


def is_ref_name(ref: bytes) -> bool:
    """Whether git would accept `ref` as a ref name (b"refs/tags/x", not a bare b"x").

    >>> is_ref_name(b"refs/tags/churn@v1.0.0"), is_ref_name(b"refs/tags/x.lock")
    (True, False)
    """
    return b"/" in ref and _BAD_REF.search(ref) is None


def _loose_refs(folder: str, prefix: bytes) -> Iterable[tuple[bytes, str]]:
    """(ref name, file path) of the loose refs in `folder`; their names start with `prefix`."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    except OSError as e:
        raise RepoError(f"Cannot list {folder}: {e}") from e
    for entry in entries:
        ref = prefix + os.fsencode(entry.name)
        if entry.is_dir():
            yield from _loose_refs(entry.path, ref + b"/")
        elif is_ref_name(ref):  # skips *.lock files and other debris
            yield ref, entry.path


def _read_ref_file(path: str, name: bytes) -> bytes | None:
    """The first line of a loose ref file; None when it is gone (packed meanwhile)."""
    try:
        with open(path, "rb") as f:
            return f.readline().strip()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    except OSError as e:
        raise RepoError(f"Cannot read ref '{os.fsdecode(name)}': {e}") from e


class _Refs:
    """Refs as git stores them: a loose file wins over its packed-refs line.

    packed-refs is parsed once (until `refresh`): dulwich validates every line, which
    costs more than reading ten thousand tag objects. Loose refs are read before
    packed-refs, as git does: `git pack-refs` writes packed-refs before it deletes the
    loose files, so a ref that moves from one to the other meanwhile is seen in one.
    """

    def __init__(self, gitdir: str, commondir: str) -> None:
        self._gitdir = gitdir
        self._commondir = commondir
        self._packed: dict[bytes, str | None] | None = None
        self._packed_stat: tuple[int, int, int] | None = None

    def refresh(self) -> None:
        self._packed = None

    def _stat_packed(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(os.path.join(self._commondir, "packed-refs"))
        except OSError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def _packed_refs(self) -> dict[bytes, str | None]:
        if self._packed is None:
            self._packed_stat = self._stat_packed()
            try:
                text = Path(self._commondir, "packed-refs").read_bytes()
            except FileNotFoundError:
                text = b""
            except OSError as e:
                raise RepoError(f"Cannot read packed-refs: {e}") from e
            self._packed = {}
            for line in text.splitlines():
                if line[:1] not in (b"#", b"^"):
                    oid, _, ref = line.partition(b" ")
                    if is_ref_name(ref):  # a name git would refuse is not shown, nor used
                        self._packed[ref] = _object_id(oid)
        return self._packed

    def under(self, prefix: bytes) -> dict[bytes, str | None]:
        """Every ref whose name starts with `prefix` (b"refs/tags/") -> object id or None."""
        loose: dict[bytes, bytes] = {}
        folder = os.path.join(self._commondir, os.fsdecode(prefix))
        for ref, path in _loose_refs(folder, prefix):
            content = _read_ref_file(path, ref)
            if content is not None:
                loose[ref] = content
        self.refresh()  # read after the loose files: see the class docstring
        refs = {ref: oid for ref, oid in self._packed_refs().items() if ref.startswith(prefix)}
        for ref, content in loose.items():
            refs[ref] = self._value(ref, content)
        return refs

    def _value(self, ref: bytes, content: bytes) -> str | None:
        """What a loose ref's content names: an object id, or where a symbolic ref leads."""
        if content.startswith(b"ref: "):
            return self.get(content[5:].strip(), depth=1)
        return _object_id(content)

    def get(self, ref: bytes, depth: int = 0) -> str | None:
        """The object a ref points to, symbolic refs followed; None if missing or broken."""
        if depth >= 5 or (ref != b"HEAD" and not is_ref_name(ref)):  # git's chain limit
            return None
        folder = self._gitdir if ref == b"HEAD" else self._commondir
        content = _read_ref_file(os.path.join(folder, os.fsdecode(ref)), ref)
        if content is not None:
            if content.startswith(b"ref: "):
                return self.get(content[5:].strip(), depth + 1)
            return _object_id(content)
        if ref not in self._packed_refs() and self._stat_packed() != self._packed_stat:
            self.refresh()  # packed since packed-refs was read (git pack-refs): read it again
        return self._packed_refs().get(ref)


def _object_id(value: bytes) -> str | None:
    text = value.decode("ascii", "replace")
    return text if _HEX40.fullmatch(text) else None


# Settings that move or change what reading relies on (core.worktree, extensions.*,
# includes, a repository format other than 0 or 1): dulwich opens such repositories.
_UNUSUAL_CONFIG = re.compile(
    rb"worktree|extensions|include|repositoryformatversion[ \t]*=(?![ \t]*[01][ \t]*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class _Layout:
    """Where a repository keeps its parts: all that reading needs to know."""

    root: str  # the work tree, or the repository itself when bare
    controldir: str  # HEAD
    commondir: str  # refs, packed-refs, objects/
    bare: bool


def _locate(start: str) -> tuple[str, bool] | None:
    """The innermost repository holding `start`, and whether it is bare.

    dulwich's rule (Repo.discover): a folder with a `.git` file or a `.git/objects`
    folder is a work tree; one with `objects` and `refs` folders is a bare repository.
    """
    path = start
    while True:
        hidden = os.path.join(path, ".git")
        if os.path.isfile(hidden) or os.path.isdir(os.path.join(hidden, "objects")):
            return path, False
        if os.path.isdir(os.path.join(path, "objects")) and os.path.isdir(
            os.path.join(path, "refs")
        ):
            return path, True
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _plain_layout(folder: str, bare: bool) -> _Layout | None:
    """The layout of an ordinary repository; None when dulwich has to work it out.

    A `.git` file (linked work trees, submodules), a `commondir` file or an unusual
    config leave the folders to dulwich.
    """
    controldir = folder if bare else os.path.join(folder, ".git")
    if not os.path.isdir(controldir) or os.path.exists(os.path.join(controldir, "commondir")):
        return None
    try:
        config = Path(controldir, "config").read_bytes()
    except FileNotFoundError:
        config = b""
    if _UNUSUAL_CONFIG.search(config):
        return None
    return _Layout(folder, controldir, controldir, bare)


class _LazyRepo:
    """dulwich's Repo for a folder, opened on first use: ordinary reads never need it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._repo: Repo | None = None

    def get(self) -> Repo:
        if self._repo is None:
            from dulwich.errors import NotGitRepository
            from dulwich.repo import Repo

            try:
                self._repo = Repo(self.path)
            except NotGitRepository as e:
                raise NoRepo(self.path) from e
            except _dulwich_errors() as e:
                raise RepoError(f"Cannot open the Git repo in '{self.path}': {e}") from e
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None  # opened again if the GitRepo is used after close()


def _close(dulwich: _LazyRepo, objects: _Objects) -> None:
    objects.close()
    dulwich.close()


class GitRepo:
    """A local repository (work tree or bare), read-only."""

    root: Path
    workdir: Path | None
    controldir: str  # HEAD, the index
    commondir: str  # refs, packed-refs, objects/

    def __init__(self, layout: _Layout, dulwich: _LazyRepo) -> None:
        self.root = Path(layout.root)
        self.workdir = None if layout.bare else self.root
        self.controldir = layout.controldir
        self.commondir = layout.commondir
        self._dulwich = dulwich
        self._refs = _Refs(layout.controldir, layout.commondir)
        self._objects = _Objects(os.path.join(layout.commondir, "objects"), dulwich)
        self._tag_refs: dict[str, str | None] | None = None
        self._tags: dict[str, TagRecord | str] = {}  # by tag object id
        self._commits: dict[str, _Commit] = {}
        self._trees: dict[str, dict[bytes, tuple[int, str]]] = {}
        self._paths: dict[tuple[str, str], tuple[int, str] | None] = {}
        self._named: dict[tuple[str, bytes], tuple[tuple[str, str], ...]] = {}
        # Packs stay open (mmaps, dulwich's caches) until close() or garbage collection.
        self._finalizer = weakref.finalize(self, _close, dulwich, self._objects)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> GitRepo:
        """Open the repository at `path`, a folder inside a work tree, or a bare repo.

        Ordinary repositories are found without importing dulwich, which costs more
        than a small command; dulwich opens the unusual ones.
        """
        if not os.path.isdir(path):
            raise NoRepo(str(path))
        try:
            found = _locate(os.path.realpath(path))
            layout = None if found is None else _plain_layout(*found)
        except OSError as e:
            raise RepoError(f"Cannot open the Git repo in '{path}': {e}") from e
        if found is None:
            raise NoRepo(str(path))
        dulwich = _LazyRepo(found[0])
        if layout is None:
            repo = dulwich.get()
            layout = _Layout(repo.path, repo.controldir(), repo.commondir(), repo.bare)
            # A `.git` file or `commondir` naming a folder that is gone: not a repository.
            if not os.path.isdir(os.path.join(layout.commondir, "objects")):
                dulwich.close()
                raise NoRepo(str(path))
        return cls(layout, dulwich)

    def close(self) -> None:
        """Release the pack files now rather than at garbage collection.

        A read that failed inside a pack can leave views of its mapping in a traceback
        that is still alive; then the files are released when the GitRepo is collected.
        """
        if not self._finalizer.alive:
            return
        try:
            _close(self._dulwich, self._objects)
        except BufferError:
            return
        self._finalizer.detach()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def objects_dir(self) -> str:
        """The object store's folder (`.git/objects`)."""
        return os.path.join(self.commondir, "objects")

    def ref_path(self, ref: str) -> str:
        """The loose file of a ref (`refs/tags/x`) in the common git dir."""
        return os.path.join(self.commondir, *ref.split("/"))

    @property
    def dulwich_repo(self) -> Repo:
        """The dulwich Repo underneath (opened now if need be), for gitwrite.py only."""
        return self._dulwich.get()

    def lock_files(self) -> list[tuple[str, float]]:
        """Lock files of refs, packed-refs, HEAD, the index...: (path relative to the
        repository, age in seconds). Each is a writer at work, or one that was killed."""
        found: set[str] = set()
        for folder in {self.controldir, self.commondir}:
            with contextlib.suppress(OSError):
                found.update(e.path for e in os.scandir(folder) if e.name.endswith(".lock"))
        for root, _, files in os.walk(os.path.join(self.commondir, "refs")):
            found.update(os.path.join(root, name) for name in files if name.endswith(".lock"))
        now = time.time()
        locks = []
        for path in sorted(found):
            with contextlib.suppress(OSError):
                age = max(0.0, now - os.lstat(path).st_mtime)
                locks.append((os.path.relpath(path, self.root), age))
        return locks

    # Tags

    def tag_names(self) -> list[str]:
        """Names under refs/tags/ (packed and loose), sorted; reads no objects."""
        self._refs.refresh()
        self._tag_refs = self._scan_tag_refs()
        return sorted(self._tag_refs)

    def _scan_tag_refs(self) -> dict[str, str | None]:
        """name -> object id (None: a broken ref), in one pass over the refs."""
        return {
            ref[len(_TAGS_PREFIX) :].decode("utf-8", "replace"): oid
            for ref, oid in self._refs.under(_TAGS_PREFIX).items()
        }

    def read_tags(self, names: Iterable[str]) -> list[TagRecord]:
        """Annotated tags peeled to commits, in the order of `names`; the rest is skipped.

        Refs come from the last `tag_names()` (one scan if none yet); names that are not
        in it are looked up one by one. Each tag object is read once per GitRepo.
        """
        return [tag for _, tag in self._classify(names) if isinstance(tag, TagRecord)]

    def problem_tags(self, names: Iterable[str]) -> dict[str, str]:
        """Why `read_tags` skips a tag: `lightweight`, `not a commit: tree`, `missing object`..."""
        return {name: tag for name, tag in self._classify(names) if isinstance(tag, str)}

    def _classify(self, names: Iterable[str]) -> list[tuple[str, TagRecord | str]]:
        refs = self._tag_refs
        if refs is None:
            refs = self._tag_refs = self._scan_tag_refs()
        result: list[tuple[str, TagRecord | str]] = []
        for name in names:
            if name in refs:
                oid = refs[name]
            else:
                oid = self._refs.get(_TAGS_PREFIX + name.encode())
                if oid is None:
                    result.append((name, "no such tag"))
                    continue
            if oid is None:
                result.append((name, "broken ref"))
                continue
            tag = self._tags.get(oid)
            if tag is None:
                tag = self._tags[oid] = self._peel_tag(name, oid)
            elif isinstance(tag, TagRecord) and tag.name != name:
                tag = replace(tag, name=name)  # two refs on one tag object
            result.append((name, tag))
        return result

    def read_git_tags(self, names: Iterable[str]) -> list[GitTag]:
        """The annotated tags among `names` as git stores them (unpeeled), in the order given.

        Lightweight tags, broken refs and malformed tag objects are skipped.
        """
        refs = self._tag_refs
        if refs is None:
            refs = self._tag_refs = self._scan_tag_refs()
        found = []
        for name in names:
            oid = refs.get(name)
            raw = None if oid is None else self._objects.raw(oid)
            if oid is None or raw is None or raw[0] != _TAG:
                continue
            fields, _, message = _split_object(raw[1])
            try:
                tagger, email, created_at = _tagger(fields)
                target = fields[b"object"].decode("ascii")
            except (KeyError, ValueError, OverflowError, OSError):
                continue
            offset = created_at.utcoffset()
            found.append(
                GitTag(
                    name=name,
                    hexsha=oid,
                    target=target,
                    tagger_name=tagger,
                    tagger_email=email,
                    tag_time=int(created_at.timestamp()),
                    tag_time_offset=0 if offset is None else int(offset.total_seconds()),
                    message=message.decode("utf-8", "replace"),
                )
            )
        return found

    def _peel_tag(self, name: str, oid: str) -> TagRecord | str:
        """The tag object `oid`, peeled through tags of tags to a commit, or a reason to skip."""
        raw = self._objects.raw(oid)
        if raw is None:
            return _MISSING
        if raw[0] != _TAG:
            return _LIGHTWEIGHT
        fields, _, message = _split_object(raw[1])
        try:
            tagger, email, created_at = _tagger(fields)
            target, kind = fields[b"object"].decode("ascii"), fields[b"type"]
        except (KeyError, ValueError, OverflowError, OSError):
            return "malformed tag object"
        while kind == b"tag":
            inner = self._objects.raw(target)
            if inner is None:
                return _MISSING
            inner_fields, _, _ = _split_object(inner[1])
            if inner[0] != _TAG or b"object" not in inner_fields:
                return "malformed tag object"
            target = inner_fields[b"object"].decode("ascii", "replace")
            kind = inner_fields.get(b"type", b"")
        if kind != b"commit":
            return f"not a commit: {kind.decode('ascii', 'replace')}"
        if not self._objects.contains(target):
            return _MISSING
        text = message.decode("utf-8", "replace").rstrip("\n")
        return build(
            TagRecord,
            name=name,
            commit=target,
            tagger=tagger,
            tagger_email=email,
            created_at=created_at,
            message=text,
        )

    # Commits

    def head(self) -> str | None:
        """The HEAD commit, or None in an empty repo or on an unborn branch."""
        return self._refs.get(b"HEAD")

    def current_branch(self) -> str | None:
        """The branch ref HEAD points at ("refs/heads/main", even if unborn); None if detached."""
        try:
            content = Path(self.controldir, "HEAD").read_bytes().strip()
        except OSError as e:
            raise RepoError(f"Cannot read HEAD: {e}") from e
        if not content.startswith(b"ref: "):
            return None
        return content[5:].strip().decode("utf-8", "replace")

    def branch_heads(self) -> list[str]:
        """Commits of the local branches, in branch name order, without repeats."""
        branches = self._refs.under(b"refs/heads/")
        return list(dict.fromkeys(oid for _, oid in sorted(branches.items()) if oid is not None))

    def reachable_commits(self, heads: Iterable[str]) -> list[str]:
        """Every commit reachable from `heads`, each once, heads first.

        Commits missing from the object store (a shallow clone's boundary) end the walk.
        """
        seen: dict[str, None] = {}
        todo = list(heads)[::-1]
        while todo:
            hexsha = todo.pop()
            if hexsha in seen:
                continue
            commit = self._commit(hexsha)
            if commit is None:
                continue
            seen[hexsha] = None
            todo.extend(reversed(commit.parents))
        return list(seen)

    def read_commit(self, hexsha: str) -> CommitRecord:
        """The commit `hexsha` (cached)."""
        commit = self._commit(hexsha)
        if commit is None:
            raise RepoError(f"Commit {hexsha} is missing from the repository")
        return commit.record

    def _commit(self, hexsha: str) -> _Commit | None:
        commit = self._commits.get(hexsha)
        if commit is not None:
            return commit
        raw = self._objects.raw(hexsha)
        if raw is None:
            return None
        kind, body = raw
        if kind != _COMMIT:
            raise RepoError(f"Object {hexsha} is a {_TYPE_NAMES[kind]}, not a commit")
        fields, parents, message = _split_object(body)
        try:
            author, author_email, _ = _signature(fields[b"author"])
            committer, committer_email, created_at = _signature(fields[b"committer"])
            tree = fields[b"tree"].decode("ascii")
        except (KeyError, ValueError, OverflowError, OSError) as e:
            raise RepoError(f"Commit {hexsha} is malformed: {e}") from e
        record = CommitRecord(
            hexsha,
            author,
            author_email,
            committer,
            committer_email,
            created_at,
            message.decode("utf-8", "replace"),
        )
        commit = self._commits[hexsha] = _Commit(
            record, tree, tuple(p.decode("ascii") for p in parents)
        )
        return commit

    # Files in commits

    def blob_id_at(self, commit: str, path: str) -> str | None:
        """The blob at `path` ("a/b.txt") in `commit`, or None if absent or not a file."""
        entry = self._entry_at(commit, path)
        if entry is None or not (stat.S_ISREG(entry[0]) or stat.S_ISLNK(entry[0])):
            return None
        return entry[1]

    def path_exists_at(self, commit: str, path: str) -> bool:
        """Whether `path` is a file or a folder in `commit`."""
        return self._entry_at(commit, path) is not None

    def _entry_at(self, commit: str, path: str) -> tuple[int, str] | None:
        """(mode, id) of `path` in the commit's tree; cached by tree, as commits share trees."""
        data = self._commit(commit)
        if data is None:
            raise RepoError(f"Commit {commit} is missing from the repository")
        key = (data.tree, path)
        if key in self._paths:
            return self._paths[key]
        entry: tuple[int, str] | None = (stat.S_IFDIR, data.tree)
        for part in path.encode().split(b"/"):
            if entry is None or part in (b"", b"."):
                continue
            entry = self._tree(entry[1]).get(part) if stat.S_ISDIR(entry[0]) else None
        self._paths[key] = entry
        return entry

    def files_named(self, commit: str, filename: str) -> list[tuple[str, str]]:
        """(path, blob id) of every file called `filename` in the commit, in any folder, by path.

        Each tree is walked once per GitRepo: commits share most of their trees.
        """
        data = self._commit(commit)
        if data is None:
            raise RepoError(f"Commit {commit} is missing from the repository")
        name = filename.encode()
        found = self._named
        todo: list[tuple[str, bool]] = [(data.tree, False)]
        while todo:  # depth first, children before their tree; no recursion limit to hit
            oid, children_done = todo.pop()
            if (oid, name) in found:
                continue
            entries = self._tree(oid)
            if not children_done:
                todo.append((oid, True))
                todo.extend((sub, False) for mode, sub in entries.values() if stat.S_ISDIR(mode))
                continue
            files: list[tuple[str, str]] = []
            for entry, (mode, child) in entries.items():
                if stat.S_ISDIR(mode):
                    folder = entry.decode("utf-8", "replace")
                    files.extend((f"{folder}/{path}", blob) for path, blob in found[(child, name)])
                elif entry == name and stat.S_ISREG(mode):
                    files.append((filename, child))
            found[(oid, name)] = tuple(files)
        return sorted(found[(data.tree, name)])

    def _tree(self, oid: str) -> dict[bytes, tuple[int, str]]:
        tree = self._trees.get(oid)
        if tree is None:
            raw = self._objects.raw(oid)
            if raw is None or raw[0] != _TREE:
                raise RepoError(f"Tree {oid} is missing from the repository")
            try:
                tree = self._trees[oid] = _parse_tree(raw[1])
            except ValueError as e:
                raise RepoError(f"Tree {oid} is malformed") from e
        return tree

    def read_blob(self, blob_id: str) -> bytes:
        """The content of a blob."""
        raw = self._objects.raw(blob_id)
        if raw is None or raw[0] != _BLOB:
            raise RepoError(f"Blob {blob_id} is missing from the repository")
        return raw[1]

    def worktree_path(self, relpath: str) -> Path:
        """Where a work tree file (`artifacts.yaml`, `.gto`) really is, symlinks followed.

        Raises:
            RepoError: it leads outside the work tree, or into `.git`: gto reads and
                writes repository files only, never what a symlink points to elsewhere.
        """
        assert self.workdir is not None
        root = os.path.realpath(self.workdir)
        target = os.path.realpath(os.path.join(root, relpath))
        inside = os.path.commonpath([root, target]) == root
        controldir = os.path.realpath(self.controldir)
        if not inside or os.path.commonpath([controldir, target]) == controldir:
            raise RepoError(
                f"'{relpath}' leads to '{target}', outside the repository's work tree: "
                "gto neither reads nor writes through it"
            )
        return Path(target)

    def read_worktree_file(self, relpath: str) -> bytes | None:
        """A file of the work tree; None in a bare repo or when there is no such file."""
        if self.workdir is None:
            return None
        try:
            return self.worktree_path(relpath).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as e:
            raise RepoError(f"Cannot read '{relpath}': {e.strerror or e}") from e

    # Revisions

    def resolve(self, ref: str) -> str:
        """A revision (`HEAD`, branch, tag, full ref, hex id, `X~N`, `X^N`) -> commit hexsha."""
        match = _REVISION.fullmatch(ref)
        assert match is not None  # the pattern matches any string
        commit = self._resolve_base(match["base"]) if match["base"] else None
        if commit is None:
            raise RefNotFound(ref)
        for op, count in _ANCESTRY.findall(match["ancestry"]):
            steps = int(count) if count else 1
            if op == "~":
                for _ in range(steps):
                    commit = self._parent(commit, 1, ref)
            elif steps:
                commit = self._parent(commit, steps, ref)
        return commit

    def _parent(self, hexsha: str, number: int, ref: str) -> str:
        data = self._commit(hexsha)
        if data is None or len(data.parents) < number:
            raise RefNotFound(ref)
        parent = data.parents[number - 1]
        if not self._objects.contains(parent):  # beyond a shallow clone's boundary
            raise RefNotFound(ref)
        return parent

    def _resolve_base(self, base: str) -> str | None:
        """git's lookup order: full ids, then refs, then unique short ids."""
        if _HEX40.fullmatch(base) and self._objects.contains(base):
            return self._peel_to_commit(base)
        refs = [base] if base == "HEAD" or base.startswith("refs/") else []
        refs += [f"refs/{base}", f"refs/tags/{base}", f"refs/heads/{base}"]
        refs += [f"refs/remotes/{base}", f"refs/remotes/{base}/HEAD"]
        for ref in refs:
            oid = self._refs.get(ref.encode())
            if oid is not None:
                return self._peel_to_commit(oid)
        if _SHORT_HEX.fullmatch(base):
            return self._resolve_short(base.lower())
        return None

    def _resolve_short(self, prefix: str) -> str | None:
        """The one commit (tags peeled) whose id starts with `prefix`."""
        matches = self._objects.with_prefix(prefix)
        commits = {commit for oid in matches if (commit := self._peel_to_commit(oid))}
        return commits.pop() if len(commits) == 1 else None

    def _peel_to_commit(self, oid: str) -> str | None:
        """Follow tags to the commit; None if the chain ends elsewhere."""
        while True:
            raw = self._objects.raw(oid)
            if raw is None:
                return None
            if raw[0] == _COMMIT:
                return oid
            if raw[0] != _TAG:
                return None
            oid = _split_object(raw[1])[0].get(b"object", b"").decode("ascii", "replace")
