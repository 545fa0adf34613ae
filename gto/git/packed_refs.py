"""`packed-refs` read fast: whole, in a few passes over its text, or one prefix by bisection.

git keeps most refs of a big registry in this one file, one `<id> <name>` line per
ref, sorted by name when its header says `sorted` (every git since 1.8 writes it so).
Checking each line with a regular expression took longer than reading a thousand tag
objects, so names and ids are checked all at once, and a file with anything odd in
it falls back to the line by line rule (gto.git.refs.is_ref_name). A command about
one artifact bisects the sorted file for that artifact's names and parses only them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from gto.exceptions import RepoError
from gto.git.refs import is_ref_name

__all__ = ["check_whole", "is_sorted", "names_under", "parse", "prefix_range"]

# Bytes git never allows in a ref name (git-check-ref-format); `\n` separates names here.
_BAD_BYTE = bytes(c for c in range(256) if c <= 0x20 and c != 0x0A) + b"\x7f~^:?*[\\"
_BAD_BYTE_IN_LINES = _BAD_BYTE.replace(b" ", b"").replace(b"^", b"")
# Sequences git refuses, with `\n` standing for either end of a name (one search for all).
_BAD_SEQUENCE = re.compile(rb"@\{|\.\.|//|\n/|/\n|\.\n|/\.|\n\.|\.lock[/\n]")
_SORTED = b" sorted "
_HEX_DIGITS = b"0123456789abcdef"
# Bytes of packed-refs parsed at a time by `names_under`: a big file is never split whole.
_CHUNK = 1 << 18


def check_whole(text: bytes) -> None:
    """Refuse a file whose last line has no line break: it was cut short, maybe in the
    middle of a name, and the refs after the cut cannot be told (git stops at such an
    `unterminated line` too).

    Raises:
        RepoError: the file does not end with a line break.
    """
    if text and not text.endswith(b"\n"):
        last = text[text.rfind(b"\n") + 1 :]
        raise RepoError(f"Cannot read packed-refs: unterminated line {last[:80]!r}")


def is_sorted(text: bytes) -> bool:
    """Whether the file says its lines are sorted by name (its header's `sorted` trait)."""
    if not text.startswith(b"# pack-refs with:"):
        return False
    return _SORTED in text[: text.find(b"\n")] + b" "


def parse(
    text: bytes, object_id: Callable[[bytes], str | None], id_length: int
) -> dict[bytes, str | None]:
    """Every ref of (a part of) a packed-refs file -> its id (None: not an object id).

    Comments and peeled (`^`) lines are skipped, and so are names git would refuse.

    Raises:
        RepoError: a line that is not `<id> <name>` at all (git stops at it too): the
            refs after it cannot be told, and a registry without them would be wrong.
    """
    lines = text.splitlines() if b"\r" in text else text.split(b"\n")
    entries = [line.partition(b" ") for line in lines if line and line[:1] not in (b"#", b"^")]
    names = [name for _, _, name in entries]
    ids = _ids(b"\n".join(oid for oid, _, _ in entries), len(entries), id_length)
    if ids is not None and _all_ref_names(names):
        return dict(zip(names, ids, strict=True))
    for oid, sep, name in entries:
        if not sep or not name:
            _unexpected(oid + sep + name)
    # Line by line: a name git would refuse is not shown, nor used.
    return {name: object_id(oid) for oid, _, name in entries if is_ref_name(name)}


def _all_ref_names(names: list[bytes]) -> bool:
    """Whether git allows every name: checked over all of them at once."""
    if not all(b"/" in name for name in names):
        return False
    joined = b"\n" + b"\n".join(names) + b"\n"
    if len(joined.translate(None, _BAD_BYTE)) != len(joined):
        return False
    return _BAD_SEQUENCE.search(joined) is None


def _ids(oids: bytes, count: int, id_length: int) -> list[str] | None:
    """`oids` (one per line) as `count` strings, if each is a full lowercase hex id."""
    if not count:
        return []
    if oids.translate(None, _HEX_DIGITS + b"\n") or not oids.isascii():
        return None
    ids = oids.decode("ascii").split("\n")
    return ids if len(ids) == count and set(map(len, ids)) == {id_length} else None


def names_under(
    text: bytes, base: bytes, prefix: bytes, id_length: int
) -> dict[str, str | None] | None:
    """The refs of a sorted file whose names start with `base + prefix`, by the name after
    `base` (UTF-8, errors replaced) -> id; None when some line needs `parse`'s rule.

    The lines are read a chunk at a time and straight into strings, so listing a
    registry's tags makes no object per line beyond the names and ids it keeps.
    """
    start, end = prefix_range(text, base + prefix)
    if not (base + prefix).isascii():
        return None
    head = " " + (base + prefix).decode("ascii")
    skip = id_length + 1 + len(base)
    after = id_length + len(head)
    found: dict[str, str | None] = {}
    while start < end:
        stop = text.find(b"\n", min(start + _CHUNK, end))
        stop = end if stop < 0 or stop >= end else stop + 1
        chunk = text[start:stop]
        start = stop
        lines = [line for line in chunk.decode("utf-8", "replace").split("\n") if line[:1] != "^"]
        if lines and not lines[-1]:
            lines.pop()  # after the last line break
        else:
            chunk += b"\n"
        if not _plain_lines(chunk, len(lines)):
            return None
        if not all(line[id_length:after] == head for line in lines):
            return None
        ids = [line[:id_length] for line in lines]
        joined = "".join(ids)
        if len(joined) != id_length * len(ids) or not _lowercase_hex(joined):
            return None
        found.update(zip([line[skip:] for line in lines], ids, strict=True))
    return found


def _lowercase_hex(text: str) -> bool:
    """Whether `text` is lowercase hex digits only (as bytes: a C loop, not a str's)."""
    return text.isascii() and not text.encode("ascii").translate(None, _HEX_DIGITS)


def _plain_lines(chunk: bytes, refs: int) -> bool:
    """Whether `chunk` (whole lines) holds `refs` ref lines whose names git allows, and
    nothing else but peeled lines: one space per ref line, `^` only at the start of a
    line, no other byte or sequence git refuses."""
    if chunk.count(b" ") != refs:
        return False
    if chunk.count(b"^") != chunk.count(b"\n^") + (chunk[:1] == b"^"):
        return False
    if len(chunk.translate(None, _BAD_BYTE_IN_LINES)) != len(chunk):
        return False
    return _BAD_SEQUENCE.search(chunk) is None


def prefix_range(text: bytes, prefix: bytes) -> tuple[int, int]:
    """The bytes of a sorted packed-refs file holding every ref whose name starts with `prefix`.

    Bisects the lines (a peeled `^` line belongs to the ref above it), as git reads a
    big packed-refs file; the caller parses the range.
    """
    n = len(prefix)
    body = text.find(b"\n") + 1 if text.startswith(b"#") else 0
    start = _first_line(text, body, lambda name: name[:n] < prefix)
    end = _first_line(text, start, lambda name: name[:n] <= prefix)
    return start, end


def _first_line(text: bytes, lo: int, before: Callable[[bytes], bool]) -> int:
    """Where the first ref line at or after `lo` (a line start) whose name is not `before` starts.

    `before` holds for a leading run of the sorted lines and for none after it.
    """
    hi = len(text)
    while lo < hi:
        mid = _line_start(text, lo, (lo + hi) // 2)
        end = text.find(b"\n", mid)
        end = len(text) if end < 0 else end
        if before(_name_of(text[mid:end])):
            lo = _next_ref(text, end)
        else:
            hi = mid
    return lo


def _name_of(line: bytes) -> bytes:
    """The ref name of a `<id> <name>` line (a bisection's probe must not guess past others)."""
    _, sep, name = line.partition(b" ")
    if not sep or not name:
        _unexpected(line)
    return name


def _unexpected(line: bytes) -> NoReturn:
    raise RepoError(f"Cannot read packed-refs: unexpected line {line[:80]!r}")


def _line_start(text: bytes, lo: int, pos: int) -> int:
    """The start of the ref line holding `pos` (a peeled line belongs to the ref above)."""
    start = max(text.rfind(b"\n", lo, pos) + 1, lo)
    if start > lo and text[start : start + 1] == b"^":
        start = max(text.rfind(b"\n", lo, start - 1) + 1, lo)
    return start


def _next_ref(text: bytes, end: int) -> int:
    """The start of the ref line after the line ending at `end`, past any peeled line."""
    pos = end + 1
    while text[pos : pos + 1] == b"^":
        nxt = text.find(b"\n", pos)
        pos = len(text) if nxt < 0 else nxt + 1
    return min(pos, len(text))
