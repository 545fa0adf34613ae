"""git's reftable format, read: tables, their blocks and records, checked as they are parsed.

The format is git's Documentation/technical/reftable: a table holds ref records sorted
by name in prefix-compressed blocks (each with a restart table), an optional ref index,
optional obj and log sections, and a footer that repeats the header with a CRC-32.
Every structure read is checked (magic, CRC, header/footer agreement, block lengths,
padding, restart points, key order, update indexes, the ref index), and damage raises
ReftableFormatError naming the file, never a ref that might be wrong. A table's
records stay bytes here; gto.git.reftable_stack turns them into refs. Writing tables
is gto.git.reftable_encode's job.
"""

from __future__ import annotations

import heapq
import itertools
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from gto.exceptions import RepoError

__all__ = [
    "DELETION",
    "HASH_SIZE",
    "SYMREF",
    "VAL1",
    "VAL2",
    "Log",
    "Rec",
    "ReftableError",
    "ReftableFormatError",
    "Table",
    "get_varint",
    "merge",
]

MAGIC = b"REFT"
HEADER_SIZE = {1: 24, 2: 28}
FOOTER_SIZE = {1: 68, 2: 72}
_HASH_BY_ID = {b"sha1": "sha1", b"s256": "sha256"}
HASH_SIZE = {"sha1": 20, "sha256": 32}
DELETION, VAL1, VAL2, SYMREF = 0, 1, 2, 3

# One ref record: (name, value type, absolute update index, payload). The payload is
# the object id, the id followed by the peeled id, the symref target, or b"".
Rec = tuple[bytes, int, int, bytes]
# One log record: (key, log type, raw value bytes), kept verbatim for compaction.
Log = tuple[bytes, int, bytes]


class ReftableError(RepoError):
    """Root of the reftable errors; `path` is the file concerned, if one is."""

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.path = path


class ReftableFormatError(ReftableError):
    """A table or tables.list is damaged, or uses something gto does not support."""


class _Damage(Exception):
    """Raised inside a parser; the table turns it into a ReftableFormatError."""


def _be(data: bytes, pos: int, size: int) -> int:
    return int.from_bytes(data[pos : pos + size], "big")


def get_varint(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode git's offset varint (each continuation adds one before shifting).

    >>> get_varint(bytes([0x80, 0x00]), 0, 2)
    (128, 2)
    """
    if pos >= end:
        raise _Damage("record runs past the end of its block")
    byte = data[pos]
    value = byte & 0x7F
    pos += 1
    while byte & 0x80:
        if pos >= end or value >= 1 << 57:
            raise _Damage("bad varint")
        byte = data[pos]
        pos += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, pos


_V = TypeVar("_V")


def _parse_records(
    data: bytes,
    start: int,
    records_at: int,
    end: int,
    parse_value: Callable[[bytes, int, int, int], tuple[_V, int]],
) -> list[tuple[bytes, _V]]:
    """The records of the block data[start:end] whose first record is at records_at."""
    if end - 2 < records_at:
        raise _Damage(f"block at {start} is too short")
    count = _be(data, end - 2, 2)
    table_at = end - 2 - 3 * count
    if count == 0 or table_at < records_at:
        raise _Damage(f"bad restart table in block at {start}")
    records: list[tuple[bytes, _V]] = []
    unshared: set[int] = set()  # offsets of records whose key is not prefix compressed
    last = b""
    pos = records_at
    while pos < table_at:
        at = pos - start
        prefix_len, pos = get_varint(data, pos, table_at)
        if not prefix_len:
            unshared.add(at)
        suffix_and_type, pos = get_varint(data, pos, table_at)
        suffix_len = suffix_and_type >> 3
        if prefix_len > len(last) or pos + suffix_len > table_at:
            raise _Damage(f"bad key in block at {start}")
        key = last[:prefix_len] + data[pos : pos + suffix_len]
        pos += suffix_len
        if records and key <= last:
            raise _Damage(f"keys out of order in block at {start}")
        value, pos = parse_value(data, pos, table_at, suffix_and_type & 7)
        records.append((key, value))
        last = key
    restarts = [_be(data, table_at + 3 * i, 3) for i in range(count)]
    if any(b <= a for a, b in itertools.pairwise(restarts)) or not unshared.issuperset(restarts):
        raise _Damage(f"restart points do not match records in block at {start}")
    return records


def _index_value(data: bytes, pos: int, end: int, extra: int) -> tuple[int, int]:
    if extra:
        raise _Damage("bad index record")
    return get_varint(data, pos, end)


class Table:
    """One parsed, checked table; refs are kept sorted by name."""

    def __init__(self, name: str, path: str, data: bytes, hash_name: str | None) -> None:
        self.name = name
        self.path = path
        self.size = len(data)
        self._data = data
        try:
            self._parse_footer()
            if hash_name is not None and hash_name != self.hash_name:
                raise ReftableFormatError(
                    f"unsupported reftable '{path}': it stores {self.hash_name} object names "
                    f"but the repository uses {hash_name}",
                    path,
                )
            self.refs = self._parse_refs()
        except _Damage as exc:
            raise ReftableFormatError(f"damaged reftable '{path}': {exc}", path) from None
        self.keys = [rec[0] for rec in self.refs]
        self.has_deletions = any(rec[1] == DELETION for rec in self.refs)

    def _parse_footer(self) -> None:
        data = self._data
        if len(data) < 5:
            raise _Damage("truncated file")
        if data[:4] != MAGIC:
            raise _Damage("bad magic")
        self.version = data[4]
        if self.version not in HEADER_SIZE:
            raise ReftableFormatError(
                f"unsupported reftable '{self.path}': format version {self.version}", self.path
            )
        hsize, fsize = HEADER_SIZE[self.version], FOOTER_SIZE[self.version]
        if len(data) < hsize + fsize:
            raise _Damage("truncated file")
        self.footer_at = len(data) - fsize
        footer = data[self.footer_at :]
        if footer[:4] != MAGIC or zlib.crc32(footer[:-4]) != _be(footer, fsize - 4, 4):
            raise _Damage("footer is missing or its CRC-32 does not match (truncated or damaged)")
        if footer[:hsize] != data[:hsize]:
            raise _Damage("header and footer differ")
        self.block_size = _be(data, 5, 3)
        self.min_index, self.max_index = _be(data, 8, 8), _be(data, 16, 8)
        if self.version == 1:
            self.hash_name = "sha1"
        elif data[24:28] in _HASH_BY_ID:
            self.hash_name = _HASH_BY_ID[data[24:28]]
        else:
            raise ReftableFormatError(
                f"unsupported reftable '{self.path}': unknown hash id {data[24:28]!r}", self.path
            )
        self.hash_size = HASH_SIZE[self.hash_name]
        fields = [_be(footer, hsize + 8 * i, 8) for i in range(5)]
        self.ref_index_at, obj, self.obj_index_at, self.log_at, self.log_index_at = fields
        self.obj_at, obj_id_len = obj >> 5, obj & 31
        if self.min_index > self.max_index or (self.obj_at and not obj_id_len):
            raise _Damage("bad header fields")
        if any(
            p and not hsize <= p < self.footer_at for p in fields[:1] + fields[2:] + [self.obj_at]
        ):
            raise _Damage("section position outside the file")

    def _block(
        self,
        at: int,
        bound: int,
        typ: bytes,
        parse_value: Callable[[bytes, int, int, int], tuple[_V, int]],
    ) -> tuple[list[tuple[bytes, _V]], int]:
        """Records of the block at `at` and where the next block starts.

        A block followed by a NUL is padded to the block size; otherwise the next block
        follows at once, as git's reader decides. A block longer than the block size
        (dulwich writes every table as one block) is read as unaligned.
        """
        data = self._data
        head = HEADER_SIZE[self.version] if at == 0 else 0
        if at + head + 4 > bound or data[at + head : at + head + 1] != typ:
            raise _Damage(f"expected a {typ.decode()!r} block at {at}")
        length = _be(data, at + head + 1, 3)
        if length < head + 6 or at + length > bound:
            raise _Damage(f"bad block length at {at}")
        end = at + length
        nxt = end
        if self.block_size and length < self.block_size and end < bound and data[end] == 0:
            nxt = at + self.block_size  # padded to the block size; the padding must be NULs
            if nxt > bound or data[end:nxt].count(0) != nxt - end:
                raise _Damage(f"bad padding after block at {at}")
        return _parse_records(data, at, at + head + 4, end, parse_value), nxt

    def _ref_value(
        self, data: bytes, pos: int, end: int, extra: int
    ) -> tuple[tuple[int, int, bytes], int]:
        delta, pos = get_varint(data, pos, end)
        if delta > self.max_index - self.min_index:
            raise _Damage("update index outside the table's range")
        if extra == SYMREF:
            size, pos = get_varint(data, pos, end)
        elif extra == DELETION:
            size = 0
        elif extra == VAL1:
            size = self.hash_size
        elif extra == VAL2:
            size = 2 * self.hash_size
        else:
            raise _Damage(f"unknown ref value type {extra}")
        if pos + size > end:
            raise _Damage("ref value runs past its block")
        return (extra, self.min_index + delta, data[pos : pos + size]), pos + size

    def _section_end(self, *positions: int) -> int:
        return min([p for p in positions if p] or [self.footer_at])

    def _parse_refs(self) -> list[Rec]:
        data = self._data
        hsize = HEADER_SIZE[self.version]
        if self.footer_at == hsize or data[hsize : hsize + 1] != b"r":
            if self.footer_at != hsize and data[hsize : hsize + 1] != b"g":
                raise _Damage("unknown first block type")
            if self.ref_index_at or self.obj_at:
                raise _Damage("ref index without ref blocks")
            return []
        bound = self._section_end(self.ref_index_at, self.obj_at, self.log_at)
        refs: list[Rec] = []
        blocks: dict[int, tuple[bytes, bytes]] = {}  # offset -> (first key, last key)
        at = 0
        while at < bound and data[at + (hsize if at == 0 else 0)] == ord("r"):
            records, nxt = self._block(at, bound, b"r", self._ref_value)
            if refs and records[0][0] <= refs[-1][0]:
                raise _Damage(f"keys out of order at block {at}")
            blocks[at] = (records[0][0], records[-1][0])
            refs.extend((key, *value) for key, value in records)
            at = nxt
        if self.ref_index_at:
            if at > self.ref_index_at or data[at : at + 1] != b"i":
                raise _Damage("ref blocks do not end where the index starts")
            self._check_index(blocks, self._section_end(self.obj_at, self.log_at))
        elif at != bound:
            raise _Damage(f"ref blocks end at {at}, expected {bound}")
        return refs

    def _check_index(self, blocks: dict[int, tuple[bytes, bytes]], bound: int) -> None:
        """The (multi-level) ref index must point at exactly the ref blocks, in order."""
        top: list[tuple[bytes, int, int]] = []  # (last key, child offset, parent offset)
        at = self.ref_index_at
        while at < bound:
            records, nxt = self._block(at, bound, b"i", _index_value)
            top.extend((key, child, at) for key, child in records)
            at = nxt
        leaves: list[int] = []
        seen: set[int] = set()

        def descend(entries: list[tuple[bytes, int, int]]) -> None:
            for key, child, parent in entries:
                if child in blocks:
                    if key != blocks[child][1]:
                        raise _Damage(f"index key does not match block at {child}")
                    leaves.append(child)
                    continue
                if child >= parent or child in seen:
                    raise _Damage("index points forward or twice at one block")
                seen.add(child)
                records, _ = self._block(child, bound, b"i", _index_value)
                if key != records[-1][0]:
                    raise _Damage(f"index key does not match index block at {child}")
                descend([(k, v, child) for k, v in records])

        descend(top)
        if leaves != list(blocks):
            raise _Damage("ref index does not list the ref blocks")

    def logs(self) -> list[Log]:
        """Every log record, checked; read only when compacting or verifying."""
        try:
            return self._parse_logs()
        except _Damage as exc:
            raise ReftableFormatError(f"damaged reftable '{self.path}': {exc}", self.path) from None

    def _log_value(
        self, data: bytes, pos: int, end: int, extra: int
    ) -> tuple[tuple[int, bytes], int]:
        start = pos
        if extra == 1:
            pos += 2 * self.hash_size
            for _ in range(2):
                size, pos = get_varint(data, pos, end)
                pos += size
            _, pos = get_varint(data, pos, end)
            size, pos = get_varint(data, pos + 2, end)
            pos += size
        elif extra != 0:
            raise _Damage(f"unknown log type {extra}")
        if pos > end:
            raise _Damage("log record runs past its block")
        return (extra, data[start:pos]), pos

    def _parse_logs(self) -> list[Log]:
        data = self._data
        hsize = HEADER_SIZE[self.version]
        if self.log_at:
            at = self.log_at
        elif self.footer_at > hsize and data[hsize] == ord("g"):
            at = 0
        else:
            return []
        bound = self._section_end(self.log_index_at)
        logs: list[Log] = []
        while at < bound:
            head = hsize if at == 0 else 0
            if data[at + head : at + head + 1] != b"g":
                raise _Damage(f"expected a log block at {at}")
            length = _be(data, at + head + 1, 3)
            if length < head + 6:
                raise _Damage(f"bad block length at {at}")
            inflater = zlib.decompressobj()
            try:
                body = inflater.decompress(data[at + head + 4 : bound], length - head - 3)
            except zlib.error:
                raise _Damage(f"bad zlib data in log block at {at}") from None
            if not inflater.eof or len(body) != length - head - 4:
                raise _Damage(f"bad log block at {at}")
            block = data[at : at + head + 4] + body
            for key, value in _parse_records(block, 0, head + 4, length, self._log_value):
                if len(key) <= 9 or key[-9] != 0:
                    raise _Damage("bad log key")
                if logs and key <= logs[-1][0]:
                    raise _Damage("log keys out of order")
                logs.append((key, *value))
            at = bound - len(inflater.unused_data)
        return logs

    def find(self, name: bytes) -> Rec | None:
        i = bisect_left(self.keys, name)
        return self.refs[i] if i < len(self.keys) and self.keys[i] == name else None

    def iter_from(self, start: bytes, rank: int) -> Iterator[tuple[bytes, int, Rec]]:
        refs = self.refs
        for i in range(bisect_left(self.keys, start), len(refs)):
            yield refs[i][0], rank, refs[i]


def merge(tables: Sequence[Table], start: bytes, keep_deletions: bool) -> Iterator[Rec]:
    """Records by name from `start` on; the newest table wins, tombstones hide older ones."""
    streams = [t.iter_from(start, -i) for i, t in enumerate(tables)]
    last = None
    for name, _, rec in heapq.merge(*streams):
        if name != last:
            last = name
            if keep_deletions or rec[1] != DELETION:
                yield rec
