"""The reftable ref backend (`extensions.refStorage = reftable`), behind gto.git.refs's RefStore.

The tables are read and written by gto's own reftable modules (gto.git.reftable_*),
not dulwich's, whose reftable support returns wrong refs in several cases (names cut
short, SHA-1-sized ids in SHA-256 repositories, tables of its own it cannot read
back) and never compacts. A linked work tree keeps its own refs (HEAD, refs/worktree/,
refs/bisect/) in a stack of its own, `$GIT_DIR/worktrees/<id>/reftable`.

Tag objects are peeled by reading them (gto.git.tags), never by trusting a table's
peeled value: tables dulwich wrote have none. New tags are written with their peeled
value, as git writes them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TypeVar

from gto.git.discover import Layout
from gto.git.errors import read_error
from gto.git.files import RefLocked
from gto.git.refs import is_ref_name
from gto.git.reftable_format import HASH_SIZE
from gto.git.reftable_stack import (
    Expect,
    Ref,
    ReftableConflictError,
    ReftableLockError,
    ReftableStack,
    RefUpdate,
)

__all__ = ["ReftableRefs"]

_T = TypeVar("_T")
# How long an update waits for tables.list.lock (every update of the stack takes it).
LOCK_TIMEOUT = 5.0
# Refs a linked work tree keeps in its own stack, as git's reftable backend does.
_PER_WORKTREE = ("HEAD", "refs/worktree/", "refs/bisect/", "refs/rewritten/")
_MAX_SYMREF_DEPTH = 5


class ReftableRefs:
    """The refs of one repository in reftable stacks (see the module docstring)."""

    shared_lock = True  # every update takes tables.list.lock

    def __init__(self, layout: Layout) -> None:
        fmt = layout.format.object_format
        self._hash_size = HASH_SIZE[fmt]
        self._main = ReftableStack(
            os.path.join(layout.commondir, "reftable"), object_format=fmt, lock_timeout=LOCK_TIMEOUT
        )
        own = os.path.join(layout.controldir, "reftable")
        self._own = self._main
        if layout.controldir != layout.commondir and os.path.isdir(own):
            self._own = ReftableStack(own, object_format=fmt, lock_timeout=LOCK_TIMEOUT)

    def _stack(self, name: str) -> ReftableStack:
        return self._own if name.startswith(_PER_WORKTREE) else self._main

    def _reading(self, action: Callable[[], _T]) -> _T:
        """Run a read; an OSError becomes one line naming the stack."""
        try:
            return action()
        except OSError as e:
            raise read_error(f"refs in '{self._main.path}'", e.strerror or e) from e

    def path(self, ref: str) -> str:
        return self._stack(ref).list_path

    # Reading

    def refresh(self) -> None:
        """Nothing to forget: every read takes the list afresh (tables are cached by stat)."""

    def _ref(self, name: str) -> Ref | None:
        stack = self._stack(name)
        found = stack.get(name)
        if found is None and name == "HEAD":
            found = stack.head_file(self._hash_size)
        return found

    def _resolve(self, name: str) -> str | None:
        for _ in range(_MAX_SYMREF_DEPTH):
            if name != "HEAD" and not is_ref_name(name.encode("utf-8", "surrogateescape")):
                return None
            found = self._ref(name)
            if found is None or found.symref is None:
                return None if found is None else found.object_id
            name = found.symref
        return None

    def get(self, ref: bytes) -> str | None:
        return self._reading(lambda: self._resolve(ref.decode("utf-8", "surrogateescape")))

    def under(self, prefix: bytes) -> dict[bytes, str | None]:
        def scan() -> dict[bytes, str | None]:
            found: dict[bytes, str | None] = {}
            for ref in self._main.refs_starting(prefix):
                name = ref.name.encode("utf-8", "surrogateescape")
                if is_ref_name(name):
                    value = ref.object_id if ref.symref is None else self._resolve(ref.symref)
                    found[name] = value
            return found

        return self._reading(scan)

    def names_under(self, base: bytes, prefix: bytes = b"") -> dict[str, str | None]:
        return {
            ref[len(base) :].decode("utf-8", "replace"): oid
            for ref, oid in self.under(base + prefix).items()
        }

    def symbolic(self, ref: bytes) -> bytes | None:
        found = self._reading(lambda: self._ref(ref.decode("utf-8", "surrogateescape")))
        if found is None or found.symref is None:
            return None
        return found.symref.encode("utf-8", "surrogateescape")

    def read(self, ref: str) -> str | None:
        found = self._reading(lambda: self._stack(ref).get(ref))
        return None if found is None else found.object_id

    def exists(self, ref: str) -> bool:
        return self._reading(lambda: self._stack(ref).get(ref)) is not None

    def locked(self, ref: str) -> str | None:
        """The stack's lock, while a writer holds it (or a killed one left it)."""
        lock = f"{self.path(ref)}.lock"
        return lock if os.path.lexists(lock) else None

    def prepare(self, ref: str) -> None:
        """Nothing: a table needs no folders made for a ref."""

    # Updating

    def _apply(self, *updates: RefUpdate) -> bool:
        """Apply the updates as one table, all or none; False when a precondition fails (a
        ref exists, or moved). Every update goes to the first one's stack.

        Raises:
            RefLocked: tables.list stayed locked past LOCK_TIMEOUT.
            ReftableConflictError: the name clashes with a folder of refs.
            OSError: the table or the list cannot be written; nothing changed.
        """
        name = updates[0].name
        try:
            self._stack(name).apply(updates)
        except ReftableLockError as e:
            raise RefLocked(e.path or self.path(name), e.lock_path, shared=True) from e
        except ReftableConflictError as e:
            if e.clash:
                raise
            return False
        return True

    def create(self, ref: str, oid: str, peeled: str | None = None) -> bool:
        return self._apply(RefUpdate.create(ref, oid, peeled))

    def update(self, ref: str, old: str | None, new: str) -> bool:
        return self._apply(RefUpdate(ref, new, expect=Expect.ABSENT if old is None else old))

    def delete(self, ref: str, old: str) -> bool:
        return self._apply(RefUpdate.delete(ref, expect=old))

    def delete_all(self, refs: Mapping[str, str]) -> bool:
        """Delete tags (ref -> the value it must hold) in one table: all, or none (False)."""
        return self._apply(*(RefUpdate.delete(ref, expect=old) for ref, old in refs.items()))
