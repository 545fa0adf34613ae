"""Objects by id: loose files, packs and the stores borrowed through alternates, read directly.

No dulwich here: the packs' indexes and deltas are gto.git.pack's, loose objects are
inflated here, and `objects/info/alternates` (what `clone --shared` and `--reference`
leave) is followed as git follows it, relative paths from the objects folder, five
levels deep at most.

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
from gto.git.errors import READ_ERRORS, read_error
from gto.git.objects import TYPE_NUMS, hex_id_pattern
from gto.git.pack import PackFile

__all__ = ["ObjectSource", "ObjectStore"]

# git follows alternates of alternates this deep.
_ALTERNATES_DEPTH = 5


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
        *,
        id_length: int = 40,
        source: ObjectSource | None = None,
        depth: int = 0,
    ) -> None:
        self.objects_dir = objects_dir
        self.source = source
        self._id_length = id_length
        self._id = hex_id_pattern(id_length)
        self._depth = depth  # how many alternates away from the repository's own store
        self._packs: list[PackFile] | None = None
        self._alternates: list[ObjectStore] | None = None
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
                    pack = PackFile.open(os.path.join(pack_dir, name), self._id_length // 2)
                except FileNotFoundError:
                    continue  # removed by a repack since the listing: `raw` lists again
                except ValueError as e:
                    raise ValueError(f"{e} in '{os.path.join(pack_dir, name)}'") from e
                if pack is not None:
                    self._packs.append(pack)
        return self._packs

    def _open_alternates(self) -> list[ObjectStore]:
        """The stores `objects/info/alternates` lists (that exist), each opened once."""
        if self._alternates is None:
            self._alternates = []
            try:
                with open(os.path.join(self.objects_dir, "info", "alternates"), "rb") as f:
                    lines = f.read().decode("utf-8", "surrogateescape").splitlines()
            except (FileNotFoundError, NotADirectoryError):
                lines = []
            if self._depth < _ALTERNATES_DEPTH:
                for line in lines:
                    if line.strip() and not line.startswith("#"):
                        folder = os.path.normpath(os.path.join(self.objects_dir, line.strip()))
                        if os.path.isdir(folder) and folder != self.objects_dir:
                            self._alternates.append(
                                ObjectStore(
                                    folder, id_length=self._id_length, depth=self._depth + 1
                                )
                            )
        return self._alternates

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
        released = not kept
        for alternate in self._alternates or []:
            released = alternate.close() and released
        self._alternates = None
        return released

    def raw(self, oid: str) -> tuple[int, bytes] | None:
        """(type number, content) of an object, or None when it is not in the repository."""
        if not self._id.fullmatch(oid):
            return None
        return self._raw(bytes.fromhex(oid), oid)

    def _raw(self, sha: bytes, oid: str, *, relist: bool = True) -> tuple[int, bytes] | None:
        for retry in (False, True) if relist else (True,):
            try:
                found = self._read_directly(sha, oid)
            except FileNotFoundError:
                found = None  # a pack removed by a repack after it was listed
            except READ_ERRORS as e:
                raise read_error(f"object {oid}", e) from e
            if found is None:
                for alternate in self._open_alternates():
                    found = alternate._raw(sha, oid)
                    if found is not None:
                        break
            if found is not None or retry:
                return found
            self._reopen_packs()  # once: the object may be in a pack made since
        return None

    def _base(self, sha: bytes) -> tuple[int, bytes] | None:
        """A reference delta's base, wherever it is (another pack, a loose file).

        The packs are not listed again meanwhile: the delta's own pack is being read.
        """
        return self._raw(sha, sha.hex(), relist=False)

    def _read_directly(self, sha: bytes, oid: str) -> tuple[int, bytes] | None:
        """From a pack or a loose file of this store."""
        for pack in self._open_packs():
            offset = pack.offset(sha)
            if offset is not None:
                return pack.inflate(offset, self._base)
        return self._read_loose(oid)

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
                found = found or any(a.contains(oid) for a in self._open_alternates())
            except READ_ERRORS as e:
                raise read_error(f"object {oid}", e) from e
            if found or retry:
                break
            self._reopen_packs()  # once: a repack may have moved it into a new pack
        if found:
            self._present.add(oid)
        return found

    def missing(self, oids: set[str]) -> set[str]:
        """Those of `oids` that are not in the store, for many ids at once: each pack
        answers for all of them together, then a loose file is looked for (a stat each)."""
        left = oids
        try:
            for pack in self._open_packs():
                if left:
                    left = pack.absent(left)
        except READ_ERRORS as e:
            raise read_error("objects", e, verb="search") from e
        here = {o for o in left if self._id.fullmatch(o) and os.path.exists(self._loose_path(o))}
        return {oid for oid in left - here if not self.contains(oid)}

    def with_prefix(self, prefix: str) -> set[str]:
        """Ids of the objects whose hex id starts with `prefix` (lowercase hex, 4 or more)."""
        found: set[str] = set()
        try:
            for pack in self._open_packs():
                found.update(pack.with_prefix(prefix))
            folder = os.path.join(self.objects_dir, prefix[:2])
            with_rest = [prefix[:2] + n for n in _listdir(folder) if n.startswith(prefix[2:])]
            found.update(oid for oid in with_rest if self._id.fullmatch(oid))
            for alternate in self._open_alternates():
                found.update(alternate.with_prefix(prefix))
        except READ_ERRORS as e:
            raise read_error("objects", e, verb="search") from e
        return found

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


def _listdir(folder: str) -> list[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
