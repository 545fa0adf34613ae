"""One pack file, read without dulwich: its v2 .idx searched in place, objects inflated from it.

dulwich's own lookups cost several times more per object, which adds up over thousands
of tags. Anything unusual (deltas, other index versions) is left to dulwich (gto.git.store).
"""

from __future__ import annotations

import mmap
import os
import struct
import zlib

from gto.git.objects import TAG

__all__ = ["PackFile"]

# Lookups that bisect a pack index before it is read into a dict.
_BISECT_LOOKUPS = 256
_IDX_V2 = b"\377tOc\0\0\0\2"
_NAMES = 1032  # after the header (8 bytes) and the fan-out table (256 * 4 bytes)


class PackFile:
    """A pack and its version 2 index, both mapped into memory until `close`."""

    def __init__(self, index: mmap.mmap, data: mmap.mmap, id_size: int = 20) -> None:
        self.index = index
        self.data = data
        self.id_size = id_size
        self.fanout: tuple[int, ...] = struct.unpack(">256I", index[8:_NAMES])
        count = self.fanout[255]
        self.offsets = _NAMES + count * (id_size + 4)  # after the names and the CRCs
        self.large_offsets = self.offsets + count * 4
        self._lookups = 0
        self._positions: dict[bytes, int] | None = None

    @classmethod
    def open(cls, idx_path: str) -> PackFile | None:
        """The pack of a version 2 index, or None for anything else."""
        pack_path = idx_path[: -len(".idx")] + ".pack"
        with open(idx_path, "rb") as f:
            index = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if index[:8] != _IDX_V2 or not os.path.exists(pack_path):
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
        size = self.id_size
        self._lookups += 1
        if self._lookups > _BISECT_LOOKUPS:
            names = self.index[_NAMES : _NAMES + self.fanout[255] * size]
            self._positions = {names[i * size : (i + 1) * size]: i for i in range(self.fanout[255])}
            return self._positions.get(sha)
        index = self.index
        lo = self.fanout[sha[0] - 1] if sha[0] else 0
        hi = self.fanout[sha[0]]
        while lo < hi:
            mid = (lo + hi) // 2
            start = _NAMES + mid * size
            name = index[start : start + size]
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
        if kind > TAG:
            return None
        try:
            # deflate never grows data by more than ~0.1% plus a few bytes of framing;
            # an exact bufsize saves zlib a 16 KiB allocation per object.
            chunk = data[pos : pos + size + (size >> 9) + 64]
            body = zlib.decompress(chunk, bufsize=max(size, 1))
        except zlib.error:
            return None  # an odd encoder: let dulwich read it, or report the damage
        return (kind, body) if len(body) == size else None
