"""A reftable stack ($GIT_DIR/reftable): its tables in order, and the refs they hold together.

`tables.list` names the tables oldest first; a later table overrides an earlier one and
a deletion record (tombstone) hides the name. A read takes a snapshot: the list, then
each table (parsed and checked once, cached by name and stat); when a concurrent
compaction removed a listed table meanwhile, the snapshot is taken again. Updates
(`apply`, `compact`) are gto.git.reftable_update's, imported only when a command
writes.
"""

from __future__ import annotations

import enum
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from gto.git.reftable_format import (
    DELETION,
    HASH_SIZE,
    SYMREF,
    VAL2,
    Rec,
    ReftableError,
    ReftableFormatError,
    Table,
    merge,
)

__all__ = [
    "Expect",
    "Ref",
    "RefUpdate",
    "ReftableConflictError",
    "ReftableError",
    "ReftableFormatError",
    "ReftableLockError",
    "ReftableStack",
    "Snapshot",
]

_MAX_SYMREF_DEPTH = 5
_TABLE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_HEX = re.compile(r"[0-9a-f]+")
# git's placeholder HEAD file in a reftable repository (HEAD itself is in the tables).
_PLACEHOLDER = "refs/heads/.invalid"


class ReftableLockError(ReftableError):
    """Another writer held a lock for longer than we were willing to wait."""

    def __init__(self, message: str, path: str, lock_path: str) -> None:
        super().__init__(message, path)
        self.lock_path = lock_path


class ReftableConflictError(ReftableError):
    """A transaction's precondition failed; nothing was written.

    `exists`: the ref to create exists already; `clash`: its name clashes with a folder
    of refs (`refs/a` against `refs/a/b`); neither: a ref is not at the value expected.
    """

    def __init__(self, message: str, name: str, *, exists: bool = False, clash: bool = False):
        super().__init__(message)
        self.name = name
        self.exists = exists
        self.clash = clash


class Expect(enum.Enum):
    """What a ref must hold before a transaction, besides a specific object id."""

    ANY = "any"
    ABSENT = "absent"


@dataclass(frozen=True)
class Ref:
    """One ref as the stack holds it: an object id (and what it peels to) or a symref."""

    name: str
    object_id: str | None = None
    peeled: str | None = None
    symref: str | None = None


@dataclass(frozen=True)
class RefUpdate:
    """One change in a transaction: the new value and what the ref must hold now.

    With neither object_id nor symref the update deletes the ref. `expect` is an
    object id the ref must point at directly, Expect.ABSENT (create only) or
    Expect.ANY (no check). `peeled` is what an annotated tag peels to; the caller
    knows it because it wrote the tag.
    """

    name: str
    object_id: str | None = None
    peeled: str | None = None
    symref: str | None = None
    expect: str | Expect = Expect.ANY

    @classmethod
    def create(cls, name: str, object_id: str, peeled: str | None = None) -> RefUpdate:
        """A ref that must not exist yet."""
        return cls(name, object_id, peeled, None, Expect.ABSENT)

    @classmethod
    def delete(cls, name: str, expect: str | Expect = Expect.ANY) -> RefUpdate:
        """Remove a ref, optionally only while it still points at `expect`."""
        return cls(name, None, None, None, expect)


@dataclass(frozen=True)
class Snapshot:
    """The stack as one reader saw it: table names and tables, oldest first."""

    names: list[str]
    tables: list[Table]

    def lookup(self, name: bytes) -> Rec | None:
        """The live record for `name`, or None if absent or deleted."""
        for table in reversed(self.tables):
            rec = table.find(name)
            if rec is not None:
                return None if rec[1] == DELETION else rec
        return None

    def next_index(self) -> int:
        return self.tables[-1].max_index + 1 if self.tables else 1


def to_ref(rec: Rec, hash_size: int) -> Ref:
    """A record as a Ref: names decoded (bytes that are not UTF-8 kept), ids as hex."""
    name = rec[0].decode("utf-8", "surrogateescape")
    if rec[1] == SYMREF:
        return Ref(name, symref=rec[3].decode("utf-8", "surrogateescape"))
    value = rec[3]
    peeled = value[hash_size:].hex() if rec[1] == VAL2 else None
    return Ref(name, value[:hash_size].hex(), peeled)


class ReftableStack:
    """The reftable stack in one directory ($GIT_DIR/reftable).

    `object_format` ('sha1' or 'sha256') is the repository's; a table using the other
    raises ReftableFormatError. Parsed tables are cached by name and stat, so a
    long-lived instance reads each table once. OSErrors other than a vanished table
    pass through: gto.git.refs_reftable words them.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        object_format: str | None = None,
        lock_timeout: float = 5.0,
        auto_compact: bool = True,
    ) -> None:
        if object_format is not None and object_format not in HASH_SIZE:
            raise ReftableError(f"unknown object format {object_format!r}")
        self.path = os.fspath(path)
        self.object_format = object_format
        self.lock_timeout = lock_timeout
        self.auto_compact = auto_compact
        self.list_path = os.path.join(self.path, "tables.list")
        self._cache: dict[str, tuple[tuple[int, int, int], Table]] = {}

    # Reading

    def read_list(self) -> list[str]:
        """The names tables.list holds now, checked."""
        try:
            with open(self.list_path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            if not os.path.isdir(self.path):
                raise ReftableFormatError(
                    f"no reftable folder at '{self.path}'", self.path
                ) from None
            return []
        names = [line.decode("ascii", "replace") for line in raw.split(b"\n") if line]
        for name in names:
            if not _TABLE_NAME.fullmatch(name) or names.count(name) > 1:
                raise ReftableFormatError(
                    f"damaged reftable stack '{self.list_path}': bad table name {name!r}",
                    self.list_path,
                )
        return names

    def _open(self, name: str, hash_name: str | None) -> Table:
        path = os.path.join(self.path, name)
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            key = (st.st_ino, st.st_size, st.st_mtime_ns)
            cached = self._cache.get(name)
            if cached is not None and cached[0] == key and hash_name in (None, cached[1].hash_name):
                return cached[1]
            table = Table(name, path, f.read(), hash_name)
        self._cache[name] = (key, table)
        return table

    def snapshot(self) -> Snapshot:
        """A consistent view: taken again when a concurrent compaction removed a listed table."""
        for attempt in range(50):
            names = self.read_list()
            try:
                tables: list[Table] = []
                expected = self.object_format  # else every table must use the first one's
                for name in names:
                    tables.append(self._open(name, expected))
                    expected = expected or tables[-1].hash_name
            except FileNotFoundError as exc:
                if self.read_list() == names:
                    raise ReftableFormatError(
                        f"damaged reftable stack '{self.list_path}': {exc.filename} is missing",
                        self.list_path,
                    ) from None
                time.sleep(0.001 * attempt)
                continue
            for stale in set(self._cache) - set(names):
                del self._cache[stale]
            return Snapshot(names, tables)
        raise ReftableFormatError(f"'{self.list_path}' keeps changing; gave up", self.list_path)

    def hash_name(self, snap: Snapshot) -> str:
        return self.object_format or (snap.tables[0].hash_name if snap.tables else "sha1")

    def tables(self) -> list[str]:
        """The table files of the stack, oldest first."""
        return self.read_list()

    def refs_starting(self, prefix: bytes) -> list[Ref]:
        """Every ref whose name starts with the bytes `prefix` (`refs/tags/churn@` too: any
        prefix, not only a folder), sorted by name; the tables are sought, not scanned."""
        snap = self.snapshot()
        size = HASH_SIZE[self.hash_name(snap)]
        out = []
        for rec in merge(snap.tables, prefix, keep_deletions=False):
            if not rec[0].startswith(prefix):
                break  # names are sorted: the refs starting with `prefix` are together
            out.append(to_ref(rec, size))
        return out

    def get(self, name: str) -> Ref | None:
        """The ref called `name` (symrefs not followed), or None."""
        snap = self.snapshot()
        rec = snap.lookup(name.encode("utf-8", "surrogateescape"))
        return None if rec is None else to_ref(rec, HASH_SIZE[self.hash_name(snap)])

    def resolve(self, name: str = "HEAD") -> tuple[list[str], Ref | None]:
        """Follow symrefs from `name`: the names visited and the direct ref reached.

        The ref is None when the chain ends at a ref that does not exist (an unborn
        branch). HEAD missing from the stack falls back to the HEAD file beside the
        reftable folder unless that holds git's placeholder refs/heads/.invalid.
        """
        snap = self.snapshot()
        size = HASH_SIZE[self.hash_name(snap)]
        chain: list[str] = []
        for _ in range(_MAX_SYMREF_DEPTH + 1):
            chain.append(name)
            rec = snap.lookup(name.encode("utf-8", "surrogateescape"))
            ref = to_ref(rec, size) if rec is not None else None
            if ref is None and name == "HEAD" and len(chain) == 1:
                ref = self.head_file(size)
            if ref is None or ref.symref is None:
                return chain, ref
            name = ref.symref
        raise ReftableError(f"symbolic refs from {chain[0]!r} nest too deeply or loop")

    def head_file(self, hash_size: int) -> Ref | None:
        """HEAD as the file beside the reftable folder says, unless it is git's placeholder."""
        try:
            with open(os.path.join(os.path.dirname(self.path), "HEAD"), "rb") as f:
                text = f.read().decode("utf-8", "surrogateescape").strip()
        except FileNotFoundError:
            return None
        if text.startswith("ref: ") and text[5:] != _PLACEHOLDER:
            return Ref("HEAD", symref=text[5:])
        if len(text) == 2 * hash_size and _HEX.fullmatch(text):
            return Ref("HEAD", text)
        return None

    def verify(self) -> None:
        """Read every table completely, log blocks included; raise on any damage."""
        for table in self.snapshot().tables:
            table.logs()

    # Writing (gto.git.reftable_update)

    def apply(self, updates: Sequence[RefUpdate]) -> None:
        """Apply all updates as one new table, or none if any precondition fails.

        Raises:
            ReftableConflictError: a precondition failed; nothing was written.
            ReftableLockError: tables.list stayed locked past `lock_timeout`.
            OSError: a file could not be written; nothing was changed.
        """
        from gto.git.reftable_update import apply

        apply(self, updates)

    def compact(self) -> None:
        """Merge the whole stack into one table, dropping tombstones."""
        from gto.git.reftable_update import compact

        compact(self, full=True)
