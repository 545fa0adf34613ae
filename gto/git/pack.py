"""One pack file, read without dulwich: its .idx searched in place, objects inflated from it.

dulwich's own lookups cost several times more per object, which adds up over thousands
of tags. Both index versions git writes are read (version 1, and version 2 with its
large offsets), for SHA-1's 20-byte and SHA-256's 32-byte object ids, and deltified
entries are rebuilt here: offset deltas within the pack, reference deltas from a base
found anywhere in the repository (`Lookup`), chains of any length.
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable

from gto.git.objects import TAG

__all__ = ["Lookup", "PackFile", "apply_delta"]

# Lookups that bisect a pack index before it is read into a dict: at least this many,
# and at least this share of its entries (a dict of a big index costs more than a
# few thousand bisections).
_BISECT_LOOKUPS = 256
_BISECT_SHARE = 8
# Entries sharing a first byte up to which a lookup searches their bytes rather than
# bisecting them: one search in C beats a dozen slices in Python (up to about 100,000
# objects in a pack).
_SCAN_ENTRIES = 512
_IDX_MAGIC = b"\377tOc"
_FANOUT = 256 * 4
_OFS_DELTA, _REF_DELTA = 6, 7
# Objects rebuilt from deltas, kept by offset: the bases of a chain are read once.
_CACHE_BYTES = 4 << 20
# A base (kind, content) by binary object id, from anywhere in the repository.
Lookup = Callable[[bytes], "tuple[int, bytes] | None"]


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A delta header's little-endian base-128 size."""
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """Rebuild an object from its base and a git delta (copy and insert instructions).

    >>> apply_delta(b"hello world", bytes([11, 8, 0x91, 6, 5, 3]) + b"!!!")
    b'world!!!'
    """
    size, pos = _varint(delta, 0)
    if size != len(base):
        raise ValueError(f"delta base is {len(base)} bytes, the delta expects {size}")
    size, pos = _varint(delta, pos)
    out = bytearray()
    end = len(delta)
    while pos < end:
        op = delta[pos]
        pos += 1
        if op & 0x80:  # copy from the base: which offset and size bytes follow is in `op`
            offset = length = 0
            for i in range(4):
                if op & (1 << i):
                    offset |= delta[pos] << (8 * i)
                    pos += 1
            for i in range(3):
                if op & (0x10 << i):
                    length |= delta[pos] << (8 * i)
                    pos += 1
            length = length or 0x10000
            if offset + length > len(base):
                raise ValueError("delta copies past the end of its base")
            out += base[offset : offset + length]
        elif op:  # insert the next `op` bytes
            out += delta[pos : pos + op]
            pos += op
        else:
            raise ValueError("delta holds a zero instruction")
    if len(out) != size:
        raise ValueError(f"delta made {len(out)} bytes, it promised {size}")
    return bytes(out)


class PackFile:
    """A pack and its index (version 1 or 2), both mapped into memory until `close`."""

    def __init__(self, index: mmap.mmap, data: mmap.mmap, id_size: int = 20) -> None:
        self.index = index
        self.data = data
        self.id_size = id_size
        version2 = index[:4] == _IDX_MAGIC
        if version2 and index[4:8] != b"\0\0\0\2":
            raise ValueError(f"pack index version {int.from_bytes(index[4:8], 'big')} is unknown")
        self._header = 8 if version2 else 0
        self.fanout: tuple[int, ...] = struct.unpack(
            ">256I", index[self._header : self._header + _FANOUT]
        )
        count = self.fanout[255]
        names = self._header + _FANOUT
        if version2:  # ids, then CRCs, then 4-byte offsets, then 8-byte ones
            self._names, self._stride, self._name_at = names, id_size, 0
            self.offsets = names + count * (id_size + 4)
            self.large_offsets = self.offsets + count * 4
            minimum = self.large_offsets + 2 * id_size
        else:  # (4-byte offset, id) entries
            self._names, self._stride, self._name_at = names, 4 + id_size, 4
            self.offsets = self.large_offsets = 0
            minimum = names + count * (4 + id_size) + 2 * id_size
        if len(index) < minimum:
            raise ValueError("pack index is cut short")
        self._lookups = 0
        self._positions: dict[bytes, int] | None = None
        self._cache: OrderedDict[int, tuple[int, bytes]] = OrderedDict()
        self._cached = 0

    @classmethod
    def open(cls, idx_path: str, id_size: int = 20) -> PackFile | None:
        """The pack of an index; None when the pack file is gone (a repack removed it).

        Raises:
            FileNotFoundError: the index is gone.
            ValueError: an index version gto does not know, or one cut short.
        """
        pack_path = idx_path[: -len(".idx")] + ".pack"
        with open(idx_path, "rb") as f:
            index = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if not os.path.exists(pack_path):
            index.close()
            return None
        with open(pack_path, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            return cls(index, data, id_size)
        except BaseException:
            index.close()
            data.close()
            raise

    def close(self) -> None:
        self.index.close()
        self.data.close()

    def _name(self, position: int) -> bytes:
        start = self._names + position * self._stride + self._name_at
        return self.index[start : start + self.id_size]

    def offset(self, sha: bytes) -> int | None:
        """Where the object with binary id `sha` starts in the pack, if it is there.

        The first lookups bisect the index; a command that reads many objects (every
        tag of a registry) switches to a dict of the whole index, built once.
        """
        position = self._position(sha)
        return None if position is None else self._offset_at(position)

    def absent(self, oids: set[str]) -> set[str]:
        """Those of `oids` (hex ids) that are not in this pack.

        Asked about many (every tag of a registry, known from the tag cache), the index's
        ids are read whole into a set for this one question, and dropped after it: a
        lookup each would cost more than the cache saves.
        """
        if len(oids) * _BISECT_SHARE <= self.fanout[255]:
            return {oid for oid in oids if not self._has_hex(oid)}
        entries = self.index[self._names : self._names + self.fanout[255] * self._stride]
        text = entries.hex(" ", self._stride).split()  # one entry each: (offset,) id
        skip = 2 * self._name_at
        return oids.difference(text if not skip else (entry[skip:] for entry in text))

    def _has_hex(self, oid: str) -> bool:
        try:
            sha = bytes.fromhex(oid)
        except ValueError:
            return False
        return sha.hex() == oid and len(sha) == self.id_size and self._position(sha) is not None

    def _offset_at(self, position: int) -> int:
        if not self.offsets:  # version 1: the offset comes before the id
            pos = self._names + position * self._stride
            return int.from_bytes(self.index[pos : pos + 4], "big")
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
        if self._lookups > max(_BISECT_LOOKUPS, self.fanout[255] // _BISECT_SHARE):
            self._positions = {self._name(i): i for i in range(self.fanout[255])}
            return self._positions.get(sha)
        lo = self.fanout[sha[0] - 1] if sha[0] else 0
        hi = self.fanout[sha[0]]
        if hi - lo <= _SCAN_ENTRIES:
            return self._scan(sha, lo, hi)
        while lo < hi:
            mid = (lo + hi) // 2
            name = self._name(mid)
            if name < sha:
                lo = mid + 1
            elif name > sha:
                hi = mid
            else:
                return mid
        return None

    def _scan(self, sha: bytes, lo: int, hi: int) -> int | None:
        """The entry `sha` among entries lo..hi, found by one search of their bytes in place
        (an index entry's id only counts where it starts one)."""
        start = self._names + self._name_at + lo * self._stride
        end = self._names + self._name_at + (hi - 1) * self._stride + self.id_size
        found = self.index.find(sha, start, end)
        while found >= 0:
            entry, misaligned = divmod(found - start, self._stride)
            if not misaligned:
                return lo + entry
            found = self.index.find(sha, found + 1, end)
        return None

    def with_prefix(self, prefix: str) -> list[str]:
        """Hex ids in this pack that start with `prefix` (lowercase hex, any length)."""
        low = bytes.fromhex(prefix.ljust(2 * self.id_size, "0"))
        lo = self.fanout[low[0] - 1] if low[0] else 0
        hi = self.fanout[low[0]]
        while lo < hi:  # the first name not below `low`
            mid = (lo + hi) // 2
            if self._name(mid) < low:
                lo = mid + 1
            else:
                hi = mid
        found = []
        for position in range(lo, self.fanout[255]):
            name = self._name(position).hex()
            if not name.startswith(prefix):
                break
            found.append(name)
        return found

    def _header_at(self, offset: int) -> tuple[int, int, int]:
        """(type number, inflated size, where the data starts) of the entry at `offset`."""
        data = self.data
        byte = data[offset]
        kind, size, shift, pos = (byte >> 4) & 7, byte & 15, 4, offset + 1
        while byte & 0x80:
            byte = data[pos]
            size |= (byte & 0x7F) << shift
            shift += 7
            pos += 1
        return kind, size, pos

    def _inflate_at(self, pos: int, size: int) -> bytes:
        # deflate never grows data by more than ~0.1% plus a few bytes of framing;
        # an exact bufsize saves zlib a 16 KiB allocation per object.
        end = pos + size + (size >> 9) + 64
        try:
            body = zlib.decompress(self.data[pos:end], bufsize=max(size, 1))
        except zlib.error:  # an odd encoder's longer stream: inflate it piece by piece
            inflater = zlib.decompressobj()
            body = inflater.decompress(self.data[pos:end])
            while not inflater.eof and end < len(self.data) and len(body) <= size:
                body += inflater.decompress(self.data[end : end + 65536])
                end += 65536
        if len(body) != size:
            raise ValueError(f"pack entry at {pos} inflates to {len(body)} bytes, not {size}")
        return body

    def inflate(self, offset: int, lookup: Lookup | None = None) -> tuple[int, bytes] | None:
        """(type number, content) of the object at `offset`, deltas applied.

        A reference delta's base outside this pack is asked of `lookup`; None when it is
        nowhere (a thin pack's base that is missing).

        Raises:
            ValueError, zlib.error, IndexError: the pack is damaged.
        """
        chain: list[tuple[int, bytes]] = []  # (offset, delta), outermost first
        at = offset
        while True:
            cached = self._cache.get(at)
            if cached is not None:
                self._cache.move_to_end(at)
                kind, body = cached
                break
            kind, size, pos = self._header_at(at)
            if kind == _OFS_DELTA:
                byte = self.data[pos]
                distance, pos = byte & 0x7F, pos + 1
                while byte & 0x80:
                    byte = self.data[pos]
                    distance, pos = ((distance + 1) << 7) | (byte & 0x7F), pos + 1
                chain.append((at, self._inflate_at(pos, size)))
                if not 0 < distance <= at:
                    raise ValueError(f"offset delta at {at} points outside the pack")
                at -= distance
            elif kind == _REF_DELTA:
                base = bytes(self.data[pos : pos + self.id_size])
                chain.append((at, self._inflate_at(pos + self.id_size, size)))
                base_offset = self.offset(base)
                if base_offset is not None:
                    at = base_offset
                    continue
                found = None if lookup is None else lookup(base)
                if found is None:
                    return None
                kind, body = found
                break
            elif 1 <= kind <= TAG:
                body = self._inflate_at(pos, size)
                break
            else:
                raise ValueError(f"unknown pack entry type {kind} at {at}")
            if len(chain) > 10_000:
                raise ValueError(f"delta chain at {offset} does not end")
        for delta_at, delta in reversed(chain):
            body = apply_delta(body, delta)
            self._remember(delta_at, kind, body)
        return kind, body

    def _remember(self, offset: int, kind: int, body: bytes) -> None:
        """Keep a rebuilt object: it may be the base of the next one read."""
        if len(body) > _CACHE_BYTES // 4:
            return
        self._cache[offset] = (kind, body)
        self._cached += len(body)
        while self._cached > _CACHE_BYTES:
            _, (_, dropped) = self._cache.popitem(last=False)
            self._cached -= len(dropped)
