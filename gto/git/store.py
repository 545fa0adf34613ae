"""Objects by id: packs and loose files read directly, the rest (deltas, alternates) via dulwich.

A store may hold only part of a repository: a remote's cache has the tags and commits
but only the blobs that were asked for. Such a store has a `source`, the one hook
through which it asks for what it lacks; a local repository has none, and asking
costs nothing. Readers never need to know which kind they hold.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from gto.git import files
from gto.git.discover import Dulwich
from gto.git.errors import READ_ERRORS, dulwich_errors, read_error
from gto.git.objects import TYPE_NUMS, hex_id_pattern
from gto.git.pack import PackFile

__all__ = ["ObjectSource", "ObjectStore"]


class ObjectSource(Protocol):
    """Where a partial store gets what it lacks (a remote repository, through its cache)."""

    def fetch(self, oids: Sequence[str]) -> None:
        """Bring these objects into the store, in one request."""

    def deepen(self) -> bool:
        """Bring the whole commit history; False when it is here already."""


class ObjectStore:
    """The objects of one repository (`objects/`), by hex id."""

    def __init__(
        self,
        objects_dir: str,
        dulwich: Dulwich,
        *,
        id_length: int = 40,
        source: ObjectSource | None = None,
    ) -> None:
        self.objects_dir = objects_dir
        self.source = source
        self._dulwich = dulwich
        self._id = hex_id_pattern(id_length)
        self._packs: list[PackFile] | None = None
        self._unreleased: list[PackFile] = []
        self._present: set[str] = set()

    # Asking for what is missing

    def fetch_missing(self, oids: Iterable[str]) -> None:
        """Make sure these objects are here: a partial store fetches those it lacks, at once."""
        if self.source is None:
            return
        missing = sorted({oid for oid in oids if not self.contains(oid)})
        if missing:
            self.source.fetch(missing)
            self._reopen_packs()  # the fetch made a new pack

    def deepen(self) -> bool:
        """Make sure the whole commit history is here; False when nothing was fetched."""
        if self.source is None or not self.source.deepen():
            return False
        self._reopen_packs()
        return True

    # Reading

    def _open_packs(self) -> list[PackFile]:
        if self._packs is None:
            pack_dir = os.path.join(self.objects_dir, "pack")
            try:
                names = sorted(n for n in os.listdir(pack_dir) if n.endswith(".idx"))
            except FileNotFoundError:
                names = []
            self._packs = []
            for name in names:
                try:
                    pack = PackFile.open(os.path.join(pack_dir, name))
                except FileNotFoundError:
                    continue  # removed by a repack since the listing: `raw` lists again
                if pack is not None:
                    self._packs.append(pack)
        return self._packs

    def _reopen_packs(self) -> None:
        """List the packs again: a repack (git gc) or a fetch may have made a new one."""
        self.close()

    def close(self) -> bool:
        """Release the pack files; False when some cannot be released yet (try again later).

        A read that failed inside a pack can leave views of its mapping in a traceback
        that is still alive; such a pack is released by a later call.
        """
        self._unreleased += self._packs or []
        self._packs = None
        kept = []
        for pack in self._unreleased:
            try:
                pack.close()
            except BufferError:
                kept.append(pack)
        self._unreleased = kept
        return not kept

    def raw(self, oid: str) -> tuple[int, bytes] | None:
        """(type number, content) of an object, or None when it is not in the repository."""
        if not self._id.fullmatch(oid):
            return None
        for retry in (False, True):
            try:
                found = self._read_directly(oid)
            except FileNotFoundError:
                found = None  # a pack removed by a repack after it was listed
            except READ_ERRORS as e:
                raise read_error(f"object {oid}", e) from e
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
            raise read_error(f"object {oid}", e) from e
        except dulwich_errors() as e:
            raise read_error(f"object {oid}", e) from e

    def contains(self, oid: str) -> bool:
        """Whether the object exists, without inflating it (positive answers are cached)."""
        if oid in self._present:
            return True
        if not self._id.fullmatch(oid):
            return False
        sha = bytes.fromhex(oid)
        found = False
        for retry in (False, True):
            try:
                found = any(pack.offset(sha) is not None for pack in self._open_packs())
                found = found or os.path.exists(self._loose_path(oid))
            except READ_ERRORS as e:
                raise read_error(f"object {oid}", e) from e
            if found or retry:
                break
            self._reopen_packs()  # once: a repack may have moved it into a new pack
        if not found:
            from dulwich.objects import ObjectID

            store = self._dulwich.get().object_store
            try:
                found = ObjectID(oid.encode()) in store  # alternates
            except dulwich_errors() as e:
                raise read_error(f"object {oid}", e) from e
        if found:
            self._present.add(oid)
        return found

    def with_prefix(self, prefix: str) -> set[str]:
        """Ids of the objects whose hex id starts with `prefix` (lowercase), via dulwich."""
        store = self._dulwich.get().object_store
        try:
            return {oid.decode("ascii") for oid in store.iter_prefix(prefix.encode())}
        except dulwich_errors() as e:
            raise read_error("objects", e, verb="search") from e

    def _loose_path(self, oid: str) -> str:
        return os.path.join(self.objects_dir, oid[:2], oid[2:])

    def _read_loose(self, oid: str) -> tuple[int, bytes] | None:
        try:
            with open(self._loose_path(oid), "rb") as f:
                text = zlib.decompress(f.read())
        except FileNotFoundError:
            return None
        header, _, body = text.partition(b"\0")
        kind = TYPE_NUMS.get(header.partition(b" ")[0])
        if kind is None:
            raise ValueError(f"unknown object type in {header!r}")
        return kind, body

    # Writing

    def add(self, oid: str, compressed: bytes) -> bool:
        """Store a loose object (its zlib-deflated file content); False if it was there.

        Raises:
            OSError: it cannot be written (the caller names the repository part).
        """
        return files.write_object(self.objects_dir, oid, compressed)
