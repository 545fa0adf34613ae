"""Updating a reftable stack as git does: one new table per transaction, then compaction.

A transaction takes `tables.list.lock` (O_CREAT|O_EXCL, waiting with jittered backoff
up to the stack's `lock_timeout`), reads the stack again under it and checks every
precondition there (a ref to create is absent, a ref to change is at the value
expected, no name clashes with a folder of refs: `refs/a` against `refs/a/b`). Then it
writes one table at the next update index (a temporary file, fsync, rename) and a new
list into the lock file (fsync, rename over `tables.list`): every ref of the
transaction or none, and readers see the old list or the new one. Any failure removes
the new table and the lock.

After each transaction git's geometric rule (factor 2) picks tables to merge, so the
stack stays a few tables long and a write stays fast however many refs it holds;
compaction takes the list lock without waiting (a busy stack is compacted by its next
writer) and locks each table it merges, as git does. Tables a killed writer left
unlisted are removed under the lock.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Sequence

from gto.git.files import Backoff, LockFile, RefLocked, write_atomically
from gto.git.refs import is_ref_name
from gto.git.reftable_encode import encode_table, segment
from gto.git.reftable_format import (
    DELETION,
    HASH_SIZE,
    SYMREF,
    VAL1,
    VAL2,
    Log,
    Rec,
    ReftableError,
    Table,
    merge,
)
from gto.git.reftable_stack import (
    Expect,
    ReftableConflictError,
    ReftableLockError,
    ReftableStack,
    RefUpdate,
    Snapshot,
)

__all__ = ["apply", "compact"]

_HEX = re.compile(r"[0-9a-f]+")
# What git (and `_write_table`) names a table: 0x<min>-0x<max>-<random>.ref
_TABLE_FILE = re.compile(r"0x[0-9a-f]{12}-0x[0-9a-f]{12}-[0-9a-f]{8}\.ref")


def _lock(target: str, timeout: float) -> LockFile:
    """git's lock on `target` (`<target>.lock`), waiting up to `timeout` seconds for it."""
    backoff = Backoff(timeout)
    while True:
        try:
            return LockFile(target)
        except RefLocked as e:
            if backoff.expired():
                raise ReftableLockError(
                    f"Cannot lock '{target}': '{e.lock_path}' exists; another process is "
                    "writing refs, or one crashed and left it behind",
                    target,
                    e.lock_path,
                ) from None
        backoff.sleep()


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _check_ref_name(name: str) -> bytes:
    """Refuse names git's check-ref-format refuses, so we never write what git cannot read."""
    raw = name.encode("utf-8", "surrogateescape")
    if name != "HEAD" and not (name.startswith("refs/") and is_ref_name(raw)):
        raise ReftableError(f"invalid ref name {name!r}")
    return raw


def apply(stack: ReftableStack, updates: Sequence[RefUpdate]) -> None:
    """Apply all updates as one new table, or none if any precondition fails."""
    if len({u.name for u in updates}) != len(updates):
        raise ReftableError("a transaction may change each ref only once")
    lock = _lock(stack.list_path, stack.lock_timeout)
    written: str | None = None
    try:
        snap = stack.snapshot()
        _remove_orphans(stack, snap.names)
        hash_name = stack.hash_name(snap)
        index = snap.next_index()
        records = _plan(snap, updates, hash_name, index)
        if not records:
            return
        written = _write_table(stack, encode_table(hash_name, index, index, records), index, index)
        lock.commit("".join(f"{n}\n" for n in [*snap.names, written]).encode())
        written = None
    finally:
        lock.abort()
        if written is not None:
            _unlink(os.path.join(stack.path, written))
    if stack.auto_compact:
        # Best effort, as git's auto-compaction: the transaction is done whatever happens
        # here, and a failed compaction leaves the stack as it was (the next write retries).
        with contextlib.suppress(OSError, ReftableError):
            compact(stack, full=False)


def _remove_orphans(stack: ReftableStack, listed: Sequence[str]) -> None:
    """Remove tables no list names: a writer killed between its table and its list left them.

    Only under the list lock: every writer (git's too) renames its table into place
    and then the list while it holds that lock, so an unlisted table is nobody's.
    """
    keep = set(listed)
    for name in os.listdir(stack.path):
        if _TABLE_FILE.fullmatch(name) and name not in keep:
            _unlink(os.path.join(stack.path, name))


def _plan(snap: Snapshot, updates: Sequence[RefUpdate], hash_name: str, index: int) -> list[Rec]:
    """Check every precondition against the locked stack; the records to write."""
    size = HASH_SIZE[hash_name]
    planned: dict[bytes, Rec] = {}
    created: list[bytes] = []
    for update in updates:
        raw = _check_ref_name(update.name)
        if (update.symref is not None and update.object_id is not None) or (
            update.peeled is not None and update.object_id is None
        ):
            raise ReftableError(f"update of {update.name!r} mixes a symref and an object id")
        current = snap.lookup(raw)
        _check_expect(update, current, size)
        if update.symref is not None:
            _check_ref_name(update.symref)
            payload, typ = update.symref.encode("utf-8", "surrogateescape"), SYMREF
        elif update.object_id is not None:
            payload = _oid(update.object_id, size)
            typ = VAL1
            if update.peeled is not None:
                payload, typ = payload + _oid(update.peeled, size), VAL2
        elif current is None:
            continue  # deleting a ref that does not exist changes nothing
        else:
            payload, typ = b"", DELETION
        planned[raw] = (raw, typ, index, payload)
        if current is None and typ != DELETION:
            created.append(raw)
    gone = {n for n, rec in planned.items() if rec[1] == DELETION}
    for raw in created:
        _check_directory_conflict(snap, raw, planned, gone)
    return [planned[n] for n in sorted(planned)]


def _oid(hex_id: str, size: int) -> bytes:
    if len(hex_id) != 2 * size or not _HEX.fullmatch(hex_id):
        raise ReftableError(f"{hex_id!r} is not a {2 * size}-hex-digit object id")
    return bytes.fromhex(hex_id)


def _check_expect(update: RefUpdate, current: Rec | None, size: int) -> None:
    expect = update.expect
    if expect is Expect.ANY:
        return
    if expect is Expect.ABSENT:
        if current is not None:
            raise ReftableConflictError(
                f"reference {update.name!r} already exists", update.name, exists=True
            )
        return
    assert isinstance(expect, str)
    if current is None:
        raise ReftableConflictError(
            f"reference {update.name!r} does not exist; expected {expect}", update.name
        )
    found = current[3][:size].hex() if current[1] in (VAL1, VAL2) else "a symbolic ref"
    if found != expect:
        raise ReftableConflictError(
            f"reference {update.name!r} is at {found}, expected {expect}", update.name
        )


def _check_directory_conflict(
    snap: Snapshot, raw: bytes, planned: dict[bytes, Rec], gone: set[bytes]
) -> None:
    """git keeps refs/a and refs/a/b from coexisting; so must we."""
    parts = raw.split(b"/")
    others = [b"/".join(parts[:i]) for i in range(1, len(parts))]
    below = raw + b"/"
    for rec in merge(snap.tables, below, keep_deletions=False):
        if not rec[0].startswith(below):
            break
        if rec[0] not in gone:
            others.append(rec[0])
            break
    others += [n for n, rec in planned.items() if n.startswith(below) and rec[1] != DELETION]
    for other in others:
        live = other in planned and planned[other][1] != DELETION
        if live or (other not in gone and snap.lookup(other) is not None):
            name = raw.decode("utf-8", "surrogateescape")
            raise ReftableConflictError(
                f"cannot create {name!r}: {other.decode('utf-8', 'surrogateescape')!r} exists",
                name,
                clash=True,
            )


def _write_table(stack: ReftableStack, data: bytes, min_index: int, max_index: int) -> str:
    """Write a table under a fresh name (gto.git.files: temporary file, fsync, rename)."""
    while True:
        name = f"0x{min_index:012x}-0x{max_index:012x}-{os.urandom(4).hex()}.ref"
        final = os.path.join(stack.path, name)
        if not os.path.exists(final):
            break
    write_atomically(final, data)
    return name


# Compaction


def _merge_logs(tables: Sequence[Table], keep_deletions: bool) -> list[Log]:
    """The newest reflog record per key; deletions dropped when nothing older can hold one."""
    newest: dict[bytes, Log] = {}
    for table in tables:
        for log in table.logs():
            newest[log[0]] = log
    return [newest[k] for k in sorted(newest) if keep_deletions or newest[k][1] != 0]


def _range(snap: Snapshot, full: bool) -> tuple[int, int]:
    """The tables [start, end) to merge: all of them, or those git's geometric rule picks."""
    tables = snap.tables
    if full:
        if len(tables) < 2 and not (tables and tables[0].has_deletions):
            return 0, 0
        return 0, len(tables)
    overhead = {1: 68 + 23, 2: 72 + 27}
    return segment([t.size - overhead[t.version] for t in tables])


def compact(stack: ReftableStack, *, full: bool) -> None:
    """Merge a range of tables as git does; auto mode (not `full`) gives up quietly on a lock."""
    try:
        lock = _lock(stack.list_path, stack.lock_timeout if full else 0)
    except ReftableLockError:
        if full:
            raise
        return
    table_locks: list[LockFile] = []
    written: str | None = None
    try:
        snap = stack.snapshot()
        tables = snap.tables
        start, end = _range(snap, full)
        if (end - start < 2 and not full) or end == start:
            return
        for k in range(end - 1, start - 1, -1):  # newest first, like git
            try:
                table_locks.append(_lock(tables[k].path, 0))
            except ReftableLockError:
                if full:
                    raise
                if end - 1 - k < 2:  # git's best effort: compact what we did lock
                    return
                start = k + 1
                break
        chosen = tables[start:end]
        refs = list(merge(chosen, b"", keep_deletions=start > 0))
        logs = _merge_logs(chosen, keep_deletions=start > 0)
        kept: list[str] = []
        if refs or logs:
            low, high = chosen[0].min_index, chosen[-1].max_index
            data = encode_table(stack.hash_name(snap), low, high, refs, logs)
            written = _write_table(stack, data, low, high)
            kept = [written]
        names = [*snap.names[:start], *kept, *snap.names[end:]]
        lock.commit("".join(f"{n}\n" for n in names).encode())
        written = None
        for table in chosen:  # readers holding them open keep working (POSIX)
            _unlink(table.path)
    finally:
        lock.abort()
        for table_lock in table_locks:
            table_lock.abort()
        if written is not None:
            _unlink(os.path.join(stack.path, written))
