"""Values parsed from git objects, kept between commands by object id: commits,
`artifacts.yaml` blobs and where a tree holds a path, read once.

An object's id names its bytes, so what gto parses from them can never change under the
id: an entry can only be missing, never stale. A registry's versions sit on a few
thousand commits sharing a few dozen `artifacts.yaml` blobs; parsing those blobs with
PyYAML took a fifth of a warm `gto show` at 10,000 tags, reading the commits a tenth,
finding `artifacts.yaml` in their trees a twentieth. Whether a cached commit is in the
repository is still asked every time (a partial store may lack it; a missing one is read,
or fetched, as without the cache); a tree is not read at all when where it holds a path
is known (the blob found is read, or fetched, as without the cache).

One file per repository in `$XDG_CACHE_HOME/gto/objects/` (gto.git.cache_files): a
header (magic, format version, payload length, CRC-32) and a JSON object of
`{"<kind>:<object id>": value}`. JSON, so loading it never builds anything but plain
values (non-ASCII and lone surrogates escaped, so every str comes back exactly); what
is read back is checked for its shape. A file that is missing, foreign, of another
version, truncated, corrupt or of someone else is ignored and replaced at the next
write; any failure to read or write it is silent: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from gto.core.tags import CommitRecord
from gto.exceptions import RepoError
from gto.git.cache_files import read_framed, repository_file, write_whole
from gto.git.discover import Layout
from gto.git.errors import PARSE_ERRORS
from gto.git.objects import BLOB, COMMIT, TYPE_NAMES, ParsedCommit, moment, object_id, parse_commit
from gto.git.store import ObjectStore

__all__ = ["FORMAT_VERSION", "MAGIC", "ObjectCache", "read_commit"]

MAGIC = b"GTOOBJS\0"
FORMAT_VERSION = 1
# magic, format version, payload bytes, CRC-32 of the payload
_HEADER = struct.Struct("<8sIQI")


def _load(path: Path) -> dict[str, Any] | None:
    """The entries of the file at `path`, or None when it is not a whole cache file of ours."""
    found = read_framed(path, _HEADER, MAGIC, FORMAT_VERSION)
    if found is None:
        return None
    try:
        entries = json.loads(bytes(found[1]))
    except (ValueError, RecursionError):
        return None
    return entries if isinstance(entries, dict) else None


def commit_json(commit: ParsedCommit) -> list[Any] | None:
    """A parsed commit as JSON values; None for a time JSON cannot keep exactly."""
    record = commit.record
    offset = record.created_at.utcoffset()
    seconds = record.created_at.timestamp()
    if offset is None or seconds != int(seconds):
        return None
    people = [record.author, record.author_email, record.committer, record.committer_email]
    when = [int(seconds), int(offset.total_seconds())]
    return [commit.tree, list(commit.parents), *people, *when, record.message]


def commit_from_json(oid: str, value: Any) -> ParsedCommit | None:
    """`commit_json`'s value back as the commit `oid`; None for anything else."""
    if type(value) is not list or len(value) != 9:
        return None
    tree, parents, author, author_email, committer, committer_email, seconds, offset, message = (
        value
    )
    texts = (tree, author, author_email, committer, committer_email, message)
    if not (
        all(type(text) is str for text in texts)
        and type(parents) is list
        and all(type(parent) is str for parent in parents)
        and type(seconds) is int
        and type(offset) is int
    ):
        return None
    try:
        created_at = moment(seconds, offset)
    except (ValueError, OverflowError, OSError):
        return None
    record = CommitRecord(
        oid, author, author_email, committer, committer_email, created_at, message
    )
    return ParsedCommit(record, tree, tuple(parents))


def read_commit(store: ObjectStore, cache: ObjectCache | None, oid: str) -> ParsedCommit | None:
    """The commit `oid`, from `cache` if a command parsed it before and it is in `store`, else
    read and parsed (and kept); None if `store` lacks it.

    Raises:
        RepoError: `oid` is another kind of object, or a malformed commit.
    """
    found = None if cache is None else cache.commit(oid)  # the same bytes, parsed before
    if found is not None and store.contains(oid):
        return found
    raw = store.raw(oid)
    if raw is None:
        return None
    kind, body = raw
    if kind != COMMIT:
        raise RepoError(f"Object {oid} is a {TYPE_NAMES[kind]}, not a commit")
    try:
        commit = parse_commit(oid, body)
    except PARSE_ERRORS as e:
        raise RepoError(f"Commit {oid} is malformed: {e}") from e
    if cache is not None:
        cache.add_commit(commit)
    return commit


class ObjectCache:
    """The object cache file of one repository: loaded on first use, written when it learnt
    something. Entries are `(kind, object id) -> a JSON value`."""

    def __init__(self, path: Path, object_format: str = "sha1") -> None:
        self.path = path
        self._object_format = object_format
        self._entries: dict[str, Any] | None = None
        self._new: dict[str, Any] = {}

    @classmethod
    def of(cls, cache_home: Path, layout: Layout) -> ObjectCache:
        """The object cache of a repository, under gto's cache folder `cache_home`."""
        form = layout.format.object_format
        path = repository_file(cache_home, "objects", layout.commondir, form, FORMAT_VERSION)
        return cls(path, form)

    def id_of(self, data: bytes) -> str:
        """The id `data` has (or would have) as a blob of the repository: the key of a
        work tree file's entry, as of a committed one."""
        return object_id(BLOB, data, self._object_format)

    def _loaded(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = _load(self.path) or {}
        return self._entries

    def get(self, kind: str, oid: str) -> Any:
        """What was stored for object `oid` under `kind`, or None."""
        return self._loaded().get(f"{kind}:{oid}")

    def add(self, kind: str, oid: str, value: Any) -> None:
        """Remember a value (not None) parsed from object `oid` (written by `save`)."""
        self._new[f"{kind}:{oid}"] = value

    def commit(self, oid: str) -> ParsedCommit | None:
        """The commit `oid` as a command parsed it before, or None."""
        return commit_from_json(oid, self.get("commit", oid))

    def add_commit(self, commit: ParsedCommit) -> None:
        value = commit_json(commit)
        if value is not None:
            self.add("commit", commit.record.hexsha, value)

    def entry(self, tree: str, path: str) -> tuple[tuple[int, str] | None] | None:
        """`((mode, id),)` of what `path` ("a/b.txt") is in the tree `tree`, or `(None,)` when
        there is nothing, as a command found it before; None if unknown."""
        value = self.get("path", f"{tree}:{path}")
        if value == []:
            return (None,)
        if type(value) is list and len(value) == 2:
            mode, oid = value
            if type(mode) is int and type(oid) is str:
                return ((mode, oid),)
        return None

    def add_entry(self, tree: str, path: str, entry: tuple[int, str] | None) -> None:
        self.add("path", f"{tree}:{path}", [] if entry is None else list(entry))

    def save(self) -> None:
        """Write the file if anything new was added; entries are kept until the folder is
        removed (one per commit a command read, one per distinct artifacts.yaml)."""
        if not self._new:
            return
        entries = {**self._loaded(), **self._new}
        self._new = {}
        with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
            payload = json.dumps(entries, separators=(",", ":")).encode("ascii")
            header = _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload), zlib.crc32(payload))
            write_whole(self.path, [header, payload])
