"""Files in gto's own cache folder: read only if they are ours, replaced whole.

Both caches of parsed objects (gto.git.tag_cache, gto.git.object_cache) live in
`$XDG_CACHE_HOME/gto/<kind>/`, one file per repository, named by a hash of the
repository's folder and object format. A file is read only if it is a regular file (not
a symbolic link) owned by the user; it is written to a temporary file beside it and
renamed over it, so a reader sees a whole old or a whole new file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

__all__ = ["read_framed", "read_header", "read_owned", "repository_file", "write_whole"]


def repository_file(
    cache_home: Path, kind: str, commondir: str, object_format: str, version: int
) -> Path:
    """The file of format `version` (its `.vN` suffix) of the repository whose common folder
    is `commondir` in the cache folder `kind`; its object format (`sha1`, `sha256`) is part
    of the name, so a repository made again in the other format never meets the first one's.

    Two CRC-32s, not a cryptographic hash (whose OpenSSL import costs every command a few
    milliseconds): entries are keyed by object ids, so even two repositories sharing a file
    would only evict each other's entries, never read a wrong one."""
    where = f"{os.path.realpath(commondir)}\0{object_format}".encode("utf-8", "surrogateescape")
    name = f"{zlib.crc32(where):08x}{zlib.crc32(where[::-1]):08x}.v{version}"
    return cache_home / kind / name


def read_header(
    path: Path, header: struct.Struct, magic: bytes, version: int
) -> tuple[Any, ...] | None:
    """The header fields of a cache file of ours (`header` starts with the magic and the
    format version), reading nothing else; None for any other file."""
    data = read_owned(path, header.size)
    return None if data is None else _ours(data, header, magic, version)


def read_framed(
    path: Path, header: struct.Struct, magic: bytes, version: int
) -> tuple[tuple[Any, ...], memoryview] | None:
    """The header fields and payload of a whole cache file of ours: `header` starts with
    the magic and the format version and ends with the payload's length and CRC-32.
    None for a missing, foreign, other-version, truncated or damaged file."""
    data = read_owned(path)
    fields = None if data is None else _ours(data, header, magic, version)
    if data is None or fields is None:
        return None
    payload = memoryview(data)[header.size :]
    if fields[-2] != len(payload) or zlib.crc32(payload) != fields[-1]:
        return None
    return fields, payload


def _ours(data: bytes, header: struct.Struct, magic: bytes, version: int) -> tuple[Any, ...] | None:
    if len(data) < header.size:
        return None
    fields = header.unpack_from(data)
    return fields if fields[:2] == (magic, version) else None


def read_owned(path: Path, limit: int = -1) -> bytes | None:
    """The bytes of the file at `path` (its first `limit` only, if not -1), or None if it is
    missing, unreadable, not a regular file (a link, a folder, a FIFO) or not the user's."""
    # O_NONBLOCK: opening a FIFO put at the path would wait for a writer; it is then no
    # regular file, and is never read.
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not _owned(os.fstat(fd), stat.S_ISREG):
            return None
        with open(fd, "rb", closefd=False) as f:
            return f.read(limit)
    except OSError:
        return None
    finally:
        os.close(fd)


def _owned(st: os.stat_result, is_kind: Callable[[int], bool]) -> bool:
    """Whether `st` is of the kind `is_kind` tells (`stat.S_ISREG`...) and the user's own
    (where the system has owners)."""
    owner = getattr(os, "geteuid", None)
    return is_kind(st.st_mode) and (owner is None or st.st_uid == owner())


def write_whole(path: Path, content: Iterable[bytes]) -> None:
    """Replace the file at `path` whole: a temporary file beside it, renamed over it.

    The folder is made if needed; one that is a symbolic link or someone else's is
    not written into. No fsync: a file a crash cut short fails its checksum, and is
    ignored.
    """
    folder = path.parent
    os.makedirs(folder, mode=0o700, exist_ok=True)
    for level in (folder.parent, folder):  # gto/ and gto/<kind>/: real folders of ours
        if not _owned(os.lstat(level), stat.S_ISDIR):
            return
    import tempfile  # only a command that learnt something writes

    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with open(fd, "wb") as f:
            f.writelines(content)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
