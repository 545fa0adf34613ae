"""git's reftable format, written: whole tables laid out as git's own writer lays them.

Ref records are prefix-compressed into aligned blocks (4096 bytes, a restart point every
16 records), a ref index follows once a section has more than 3 blocks, reflog records
go into zlib-deflated log blocks, and the footer repeats the header with a CRC-32.
Block by block this matches git's writer (the restart offsets and counts of git's
t0613 tables, tests/git/test_reftable_format.py). No obj blocks are written: they are
optional and git's readers scan without them. `segment` is git's geometric rule for
which tables of a stack to merge.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from gto.git.reftable_format import MAGIC, SYMREF, Log, Rec, ReftableError

__all__ = ["BLOCK_SIZE", "encode_table", "fill_block", "put_varint", "segment"]

BLOCK_SIZE = 4096
_ID_BY_HASH = {"sha1": b"sha1", "sha256": b"s256"}
_RESTART_INTERVAL = 16
_MAX_RESTARTS = 0xFFFF
_INDEX_THRESHOLD = 3  # git writes an index once a section has more blocks than this
_GEOMETRIC_FACTOR = 2


def put_varint(value: int) -> bytes:
    """git's offset varint (the reverse of gto.git.reftable_format.get_varint).

    >>> put_varint(128)
    b'\\x80\\x00'
    """
    out = bytearray([value & 0x7F])
    value >>= 7
    while value:
        value -= 1
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.reverse()
    return bytes(out)


def fill_block(
    typ: bytes, records: Sequence[tuple[bytes, int, bytes]], i: int, head: bytes, block_size: int
) -> tuple[bytes, int, bytes]:
    """Pack records[i:] into one block (after `head`, the file header or nothing)."""
    buf = bytearray(head) + typ + b"\0\0\0"
    restarts: list[int] = []
    last = b""
    count = 0
    while i < len(records):
        key, extra, value = records[i]
        prefix = 0
        if count % _RESTART_INTERVAL:
            limit = min(len(last), len(key))
            while prefix < limit and last[prefix] == key[prefix]:
                prefix += 1
        restart = prefix == 0 and len(restarts) < _MAX_RESTARTS
        record = (
            put_varint(prefix) + put_varint((len(key) - prefix) << 3 | extra) + key[prefix:] + value
        )
        if len(buf) + len(record) + 3 * (len(restarts) + restart) + 2 > block_size:
            if not count:
                raise ReftableError(f"record {key!r} does not fit in a {block_size}-byte block")
            break
        if restart:
            restarts.append(len(buf))
        buf += record
        last = key
        count += 1
        i += 1
    for offset in restarts:
        buf += offset.to_bytes(3, "big")
    buf += len(restarts).to_bytes(2, "big")
    buf[len(head) + 1 : len(head) + 4] = len(buf).to_bytes(3, "big")
    return bytes(buf), i, last


def encode_table(
    hash_name: str,
    min_index: int,
    max_index: int,
    refs: Sequence[Rec],
    logs: Sequence[Log] = (),
    block_size: int = BLOCK_SIZE,
) -> bytes:
    """A whole table: aligned ref blocks, ref index, zlib log blocks, footer."""
    version = 1 if hash_name == "sha1" else 2
    header = MAGIC + bytes([version]) + block_size.to_bytes(3, "big")
    header += min_index.to_bytes(8, "big") + max_index.to_bytes(8, "big")
    header += _ID_BY_HASH[hash_name] if version == 2 else b""
    out = bytearray()
    pending = 0  # padding is only written if another block follows, as git does

    def put(block: bytes, padded: bool) -> int:
        nonlocal pending
        out.extend(bytes(pending))
        at = len(out)
        out.extend(block)
        pending = block_size - len(block) if padded else 0
        return at

    def section(typ: bytes, records: Sequence[tuple[bytes, int, bytes]]) -> int:
        """Write blocks, then index levels until one has at most the threshold."""
        index: list[tuple[bytes, int]] = []
        i = 0
        while i < len(records):
            head = header if not out else b""
            block, i, last = fill_block(typ, records, i, head, block_size)
            if typ == b"g":
                block = block[: len(head) + 4] + zlib.compress(block[len(head) + 4 :], 9)
            index.append((last, put(block, typ != b"g")))
        index_at = 0
        while len(index) > _INDEX_THRESHOLD:
            entries = [(key, 0, put_varint(at)) for key, at in index]
            index, i, index_at = [], 0, len(out) + pending
            while i < len(entries):
                block, i, last = fill_block(b"i", entries, i, b"", block_size)
                index.append((last, put(block, True)))
        return index_at

    ref_records = [
        (
            name,
            typ,
            put_varint(ui - min_index) + (put_varint(len(v)) + v if typ == SYMREF else v),
        )
        for name, typ, ui, v in refs
    ]
    ref_index_at = section(b"r", ref_records)
    log_at = log_index_at = 0
    if logs:
        pending = 0
        log_at = len(out)
        log_index_at = section(b"g", logs)
    if not out:
        out.extend(header)
    footer = header + b"".join(
        p.to_bytes(8, "big") for p in (ref_index_at, 0, 0, log_at, log_index_at)
    )
    out.extend(footer + zlib.crc32(footer).to_bytes(4, "big"))
    return bytes(out)


def segment(sizes: Sequence[int]) -> tuple[int, int]:
    """git's geometric rule: the range [start, end) of tables to merge, if any."""
    start = end = total = 0
    i = len(sizes) - 1
    while i > 0:
        if sizes[i - 1] < sizes[i] * _GEOMETRIC_FACTOR:
            end, total = i + 1, sizes[i]
            break
        i -= 1
    while i > 0:
        current = total
        total += sizes[i - 1]
        if sizes[i - 1] < current * _GEOMETRIC_FACTOR:
            start = i - 1
        i -= 1
    return start, end
