"""Parsed tag objects kept between commands, by tag object id: what a warm `gto show` reads.

A tag object's id names its bytes, so what gto parses from them (the object it tags,
the tagger, the time, the message) can never change under the id: an entry can only
be missing, never stale. Refs are not cached (they are read every time), nor whether
the tag object and the tagged commit are still present (a pruned store, a lost alternate:
both are asked every time, cheaply), nor anything about a tag that could not be read, nor a
signed tag (`--verify` needs its signature, which is read from the object itself).

One file per repository in `$XDG_CACHE_HOME/gto/tags/` (named by a hash of the
repository's folder and object format); nothing is written inside the repository. The file
is columns of fixed-size values and NUL-separated text behind a header (magic, format version,
id size, entry count, payload length, CRC-32), so loading 50,000 entries takes about 20
milliseconds and nothing in it is ever run (no pickle, no marshal). A file that is
missing, foreign, of another version, truncated, corrupt, of someone else or not a
regular file (a link, a folder, a FIFO) is ignored, and replaced at the next write;
writing goes to a temporary file renamed
over the old one, so a reader sees a whole file, and of two concurrent writers the
last wins (the other's entries are parsed again later). Any failure to read or
write it is silent: the cache only ever saves time.
"""

from __future__ import annotations

import contextlib
import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Mapping
from pathlib import Path

from gto.git.cache_files import read_framed, read_header, repository_file, write_whole
from gto.git.discover import Layout

__all__ = ["FORMAT_VERSION", "MAGIC", "Parsed", "TagCache", "cache_file"]

MAGIC = b"GTOTAGS\0"
# 2: a signed tag is never stored (its message was stored whole); 3: the tag's own name;
# 4: the tagged commits stored once each, rows naming them by number
FORMAT_VERSION = 4
# magic, format version, id size in bytes, entries, payload bytes, CRC-32 of the payload
_HEADER = struct.Struct("<8sIIIQI")
_SECTION = struct.Struct("<Q")
# A command loads the file to look up at least 1/_LOAD_SHARE of its entries; fewer tags are
# parsed from their objects (loading costs about a sixteenth of parsing, per entry).
_LOAD_SHARE = 16


# What a tag object of a commit says: (its own name (the `tag` header, which may differ
# from a ref's name), the commit, the tagger's name, their email, unix seconds, offset in
# seconds east of UTC, the message decoded without its trailing line breaks). A plain
# tuple: one is made per tag of a registry.
Parsed = tuple[str, str, str, str, int, int, str]


def cache_file(cache_home: Path, commondir: str, object_format: str) -> Path:
    """Where the tag cache of the repository whose common folder is `commondir` lives
    (gto.git.cache_files.repository_file; the header's id size also says the format)."""
    return repository_file(cache_home, "tags", commondir, object_format, FORMAT_VERSION)


def _storable(parsed: Parsed) -> bool:
    """Text with NUL cannot be stored (NUL separates the strings); such tags are parsed again."""
    name, _, tagger, email, _, _, message = parsed
    return "\0" not in name + tagger + email + message


class _Table:
    """The entries of a loaded file, read in place: row lookups by hex id."""

    def __init__(self, payload: memoryview, count: int, id_size: int) -> None:
        sections = []
        pos = 0
        for _ in range(10):
            (size,) = _SECTION.unpack_from(payload, pos)
            pos += _SECTION.size
            sections.append(payload[pos : pos + size])  # views of the file: no copies
            pos += size
        if pos != len(payload):
            raise ValueError("trailing bytes")
        ids, targets, seconds, offsets, taggers, emails, commits, people, names, messages = sections
        if len(ids) != count * id_size or len(commits) % id_size:
            raise ValueError("id columns")
        self.seconds = _ints("q", seconds, count)
        self.offsets = _ints("i", offsets, count)
        known = str(people, "utf-8").split("\0") if people else []
        # Per row, the strings themselves: one str per distinct tagger, email and commit.
        self.taggers = [known[i] for i in _ints("I", taggers, count)]
        self.emails = [known[i] for i in _ints("I", emails, count)]
        tagged = _hex_ids(commits, id_size)
        self.targets = [tagged[i] for i in _ints("I", targets, count)]
        self.names = str(names, "utf-8").split("\0") if count else []
        self.messages = str(messages, "utf-8").split("\0") if count else []
        if len(self.names) != count or len(self.messages) != count:
            raise ValueError("names or messages")
        self.rows = dict(zip(_hex_ids(ids, id_size), range(count), strict=True))

    def get(self, oid: str) -> Parsed | None:
        row = self.rows.get(oid)
        if row is None:
            return None
        return (
            self.names[row],
            self.targets[row],
            self.taggers[row],
            self.emails[row],
            self.seconds[row],
            self.offsets[row],
            self.messages[row],
        )

    def items(self) -> Iterable[tuple[str, Parsed]]:
        for oid in self.rows:
            found = self.get(oid)
            assert found is not None
            yield oid, found


def _hex_ids(column: memoryview, id_size: int) -> list[str]:
    """A column of binary ids as hex strings (cut by `hex` itself: a slice each costs more)."""
    return column.hex(" ", -id_size).split(" ") if column else []


def _ints(code: str, data: memoryview, count: int) -> array[int]:
    values = array(code)
    if len(data) != count * values.itemsize:
        raise ValueError("number column")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()  # stored little-endian
    return values


def _load(path: Path, id_size: int) -> _Table | None:
    """The entries of the file at `path`, or None when it is not a whole cache file of ours."""
    found = read_framed(path, _HEADER, MAGIC, FORMAT_VERSION)
    if found is None:
        return None
    (_, _, size, count, _, _), payload = found
    if size != id_size:
        return None
    try:
        return _Table(payload, count, id_size)
    except (ValueError, IndexError, struct.error, OverflowError):
        return None


def _dump(entries: Mapping[str, Parsed], id_size: int) -> list[bytes]:
    """The file holding `entries`: its header, then its sections (never joined in memory)."""
    oids = list(entries)
    names, targets, tagger_names, emails_text, times, zones, messages = zip(
        *entries.values(), strict=True
    )
    people: dict[str, int] = {}
    taggers = array("I", (people.setdefault(t, len(people)) for t in tagger_names))
    emails = array("I", (people.setdefault(e, len(people)) for e in emails_text))
    commits: dict[str, int] = {}
    tagged = array("I", (commits.setdefault(c, len(commits)) for c in targets))
    seconds = array("q", times)
    offsets = array("i", zones)
    numbers = [tagged, seconds, offsets, taggers, emails]
    if sys.byteorder == "big":
        for column in numbers:
            column.byteswap()
    sections = [
        bytes.fromhex("".join(oids)),
        *(column.tobytes() for column in numbers),
        bytes.fromhex("".join(commits)),
        "\0".join(people).encode("utf-8"),
        "\0".join(names).encode("utf-8"),
        "\0".join(messages).encode("utf-8"),
    ]
    framed = [part for s in sections for part in (_SECTION.pack(len(s)), s)]
    checksum, length = 0, 0
    for part in framed:
        checksum = zlib.crc32(part, checksum)
        length += len(part)
    return [_HEADER.pack(MAGIC, FORMAT_VERSION, id_size, len(oids), length, checksum), *framed]


class TagCache:
    """The cache file of one repository: loaded on first use, written when it learnt something."""

    def __init__(self, path: Path, id_length: int) -> None:
        self.path = path
        self._id_size = id_length // 2
        self._table: _Table | None = None
        self._loaded = False
        self._new: dict[str, Parsed] = {}

    @classmethod
    def of(cls, cache_home: Path, layout: Layout) -> TagCache:
        """The tag cache of a repository, under gto's cache folder `cache_home`."""
        path = cache_file(cache_home, layout.commondir, layout.format.object_format)
        return cls(path, layout.id_length)

    def _entries(self) -> _Table | None:
        if not self._loaded:
            self._loaded = True
            self._table = _load(self.path, self._id_size)
        return self._table

    def worth_loading(self, wanted: int) -> bool:
        """Whether loading the file pays for looking up `wanted` tags: not when it holds many
        times more entries (`check-ref` of one tag of 200,000: their file takes a quarter
        of a second to load, and the tag's object a millisecond to parse). Only the
        header is read to tell."""
        if self._loaded or self._new:
            return True
        fields = read_header(self.path, _HEADER, MAGIC, FORMAT_VERSION)
        if fields is None or fields[2] != self._id_size:
            return True  # no file of ours to load: the tags read are added to a new one
        return int(fields[3]) <= wanted * _LOAD_SHARE

    def get(self, oid: str) -> Parsed | None:
        """The parsed tag object `oid`, if a command has parsed it before."""
        found = self._new.get(oid)
        if found is not None:
            return found
        table = self._entries()
        return None if table is None else table.get(oid)

    def holds_any(self) -> bool:
        """Whether there is any entry (the file is loaded to tell)."""
        table = self._entries()
        return bool(self._new) or (table is not None and bool(table.rows))

    def add(self, oid: str, parsed: Parsed) -> None:
        """Remember a tag object just parsed (written by `save`)."""
        if _storable(parsed) and len(oid) == 2 * self._id_size:
            self._new[oid] = parsed

    def release(self) -> None:
        """Let the loaded entries go (a later `get` reads the file again)."""
        self._table = None
        self._loaded = False

    def save(self, named: Iterable[str] | None = None) -> None:
        """Write the file if anything new was parsed; with `named` (every tag object the
        refs name now), entries for other objects are dropped, so the file stays the
        size of the registry."""
        if not self._new:
            return
        table = self._entries()
        entries: dict[str, Parsed] = dict(table.items()) if table is not None else {}
        entries.update(self._new)
        if named is not None:
            keep = set(named)
            entries = {oid: parsed for oid, parsed in entries.items() if oid in keep}
        self._new = {}
        with contextlib.suppress(OSError, ValueError, OverflowError):
            write_whole(self.path, _dump(entries, self._id_size))
