"""Values parsed from blobs, kept between commands by blob id: `artifacts.yaml` read once.

A blob's id names its bytes, so what gto parses from them can never change under the
id: an entry can only be missing, never stale. A registry's commits share a few dozen
`artifacts.yaml` blobs, and parsing them with PyYAML took a fifth of a warm `gto show` at
10,000 tags; reading them back from here takes a few milliseconds.

One file per repository in `$XDG_CACHE_HOME/gto/blobs/` (gto.git.cache_files): a header
(magic, format version, payload length, CRC-32) and a JSON object of
`{"<kind>:<blob id>": value}`. JSON, so loading it never builds anything but plain
values; the caller stores only values that JSON gives back exactly, and checks the shape
of what it reads. A file that is missing, foreign, of another version, truncated,
corrupt or of someone else is ignored and replaced at the next write; any failure to
read or write it is silent: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from pathlib import Path
from typing import Any

from gto.git.cache_files import read_owned, repository_file, write_whole
from gto.git.discover import Layout
from gto.git.objects import BLOB, object_id

__all__ = ["FORMAT_VERSION", "MAGIC", "BlobCache"]

MAGIC = b"GTOBLOBS"
FORMAT_VERSION = 1
# magic, format version, payload bytes, CRC-32 of the payload
_HEADER = struct.Struct("<8sIQI")


def _load(path: Path) -> dict[str, Any] | None:
    """The entries of the file at `path`, or None when it is not a whole cache file of ours."""
    data = read_owned(path)
    if data is None or len(data) < _HEADER.size:
        return None
    magic, version, length, checksum = _HEADER.unpack_from(data)
    payload = memoryview(data)[_HEADER.size :]
    if (magic, version) != (MAGIC, FORMAT_VERSION) or length != len(payload):
        return None
    if zlib.crc32(payload) != checksum:
        return None
    try:
        entries = json.loads(bytes(payload))
    except (ValueError, RecursionError):
        return None
    return entries if isinstance(entries, dict) else None


class BlobCache:
    """The blob cache file of one repository: loaded on first use, written when it learnt
    something. Entries are `(kind, blob id) -> a JSON value`."""

    def __init__(self, path: Path, object_format: str = "sha1") -> None:
        self.path = path
        self._object_format = object_format
        self._entries: dict[str, Any] | None = None
        self._new: dict[str, Any] = {}

    @classmethod
    def of(cls, cache_home: Path, layout: Layout) -> BlobCache:
        """The blob cache of a repository, under gto's cache folder `cache_home`."""
        base = repository_file(cache_home, "blobs", layout.commondir, layout.format.object_format)
        path = base.with_name(f"{base.name}.v{FORMAT_VERSION}")
        return cls(path, layout.format.object_format)

    def id_of(self, data: bytes) -> str:
        """The id `data` has (or would have) as a blob of the repository: the key of a
        work tree file's entry, as of a committed one."""
        return object_id(BLOB, data, self._object_format)

    def _loaded(self) -> dict[str, Any]:
        if self._entries is None:
            self._entries = _load(self.path) or {}
        return self._entries

    def get(self, kind: str, blob: str) -> Any:
        """What was stored for blob `blob` under `kind`, or None."""
        return self._loaded().get(f"{kind}:{blob}")

    def add(self, kind: str, blob: str, value: Any) -> None:
        """Remember a value (not None) parsed from blob `blob` (written by `save`)."""
        self._new[f"{kind}:{blob}"] = value

    def save(self) -> None:
        """Write the file if anything new was added; entries are kept until the folder is
        removed (a repository has few distinct `artifacts.yaml` blobs)."""
        if not self._new:
            return
        entries = {**self._loaded(), **self._new}
        self._new = {}
        with contextlib.suppress(OSError, ValueError, TypeError, RecursionError):
            payload = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode()
            header = _HEADER.pack(MAGIC, FORMAT_VERSION, len(payload), zlib.crc32(payload))
            write_whole(self.path, [header, payload])
