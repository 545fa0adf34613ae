"""Git objects as bytes <-> values: tag, commit and tree parsing; new tag objects.

Parsing is gto's own (dulwich's validation costs more than reading ten thousand
tags): no `bytes` leave this module, names and messages are decoded (utf-8, errors
replaced), times become aware datetimes in their own offset and object ids hex
strings. New objects are built with dulwich, which also computes their ids.
Object ids are hex strings of any length: SHA-1's 40 or SHA-256's 64 characters.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from gto.core.tags import CommitRecord

__all__ = [
    "BLOB",
    "COMMIT",
    "TAG",
    "TREE",
    "TYPE_NAMES",
    "TYPE_NUMS",
    "ParsedCommit",
    "commit_object",
    "hex_id_pattern",
    "loose_object",
    "moment",
    "object_id",
    "parse_commit",
    "parse_signature",
    "parse_tree",
    "signature_parts",
    "split_object",
    "tag_header",
    "tag_object",
    "tree_object",
]

COMMIT, TREE, BLOB, TAG = 1, 2, 3, 4
TYPE_NAMES = {COMMIT: "commit", TREE: "tree", BLOB: "blob", TAG: "tag"}
TYPE_NUMS = {name.encode(): num for num, name in TYPE_NAMES.items()}


def hex_id_pattern(length: int = 40) -> re.Pattern[str]:
    """A full object id of this object format (40 hex characters for SHA-1)."""
    return re.compile(rf"[0-9a-f]{{{length}}}")


@dataclass(frozen=True)
class ParsedCommit:
    """A parsed commit: what gto shows plus what walking the graph needs."""

    record: CommitRecord
    tree: str
    parents: tuple[str, ...]


_TIMEZONES: dict[int, timezone] = {}


def _offset_seconds(offset: bytes) -> int:
    """`+0545` -> seconds east of UTC.

    Raises:
        ValueError: not a sign and four digits, or a whole day or more.
    """
    digits = offset[1:]
    if offset[:1] not in (b"+", b"-") or len(digits) != 4 or not digits.isdigit():
        raise ValueError(f"bad timezone {offset!r}")
    seconds = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    if seconds >= 86400:
        raise ValueError(f"bad timezone {offset!r}")
    return -seconds if offset[:1] == b"-" else seconds


def moment(seconds: int, offset: int) -> datetime:
    """Unix seconds and an offset east of UTC -> an aware datetime in that offset.

    >>> moment(0, 3600).isoformat()
    '1970-01-01T01:00:00+01:00'
    """
    tz = _TIMEZONES.get(offset)
    if tz is None:
        tz = _TIMEZONES[offset] = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(seconds, tz)


def signature_parts(value: bytes) -> tuple[str, str, int, int]:
    """`Name <email> 1660000000 +0545` -> name, email, unix seconds, offset east of UTC.

    Raises:
        ValueError: no `> ` before the time, or a time or an offset that is not one.
    """
    identity, sep, when = value.rpartition(b"> ")
    if not sep:
        raise ValueError(f"bad signature {value!r}")
    name, _, email = identity.rpartition(b"<")
    seconds, _, offset = when.partition(b" ")
    return (
        name.strip().decode("utf-8", "replace"),
        email.decode("utf-8", "replace"),
        int(seconds),
        _offset_seconds(offset.strip()),
    )


def parse_signature(value: bytes) -> tuple[str, str, datetime]:
    """`Name <email> 1660000000 +0545` -> name, email, time.

    >>> parse_signature(b"Ann <ann@x> 0 +0100")[2].isoformat()
    '1970-01-01T01:00:00+01:00'
    """
    name, email, seconds, offset = signature_parts(value)
    return name, email, moment(seconds, offset)


def tag_header(
    body: bytes,
) -> tuple[bytes | None, bytes | None, bytes | None, bytes | None, bytes]:
    """A tag object's `object`, `type`, `tag` and `tagger` values (None if absent) and its
    message.

    Tags as git writes them (`object`, `type`, `tag`, `tagger`, in that order) are cut
    apart directly; anything else goes through `split_object`, with the same result.

    >>> tag_header(b"object c\\ntype commit\\ntag t\\ntagger A <a> 0 +0000\\n\\nhi\\n")
    (b'c', b'commit', b't', b'A <a> 0 +0000', b'hi\\n')
    """
    head, _, message = body.partition(b"\n\n")
    lines = head.split(b"\n")
    if (
        len(lines) == 4
        and lines[0][:7] == b"object "
        and lines[1][:5] == b"type "
        and lines[2][:4] == b"tag "
        and lines[3][:7] == b"tagger "
    ):
        return lines[0][7:], lines[1][5:], lines[2][4:], lines[3][7:], message
    fields, _, message = split_object(body)
    found = fields.get
    return found(b"object"), found(b"type"), found(b"tag"), found(b"tagger"), message


def split_object(body: bytes) -> tuple[dict[bytes, bytes], list[bytes], bytes]:
    """Commit or tag text -> first value of each header, the parents, the message.

    Continuation lines (gpgsig, mergetag) start with a space and are skipped.

    >>> split_object(b"tree t\\nparent a\\nparent b\\n\\nhi\\n")
    ({b'tree': b't'}, [b'a', b'b'], b'hi\\n')
    """
    head, _, message = body.partition(b"\n\n")
    fields: dict[bytes, bytes] = {}
    parents: list[bytes] = []
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"parent":
            parents.append(value)
        elif key:
            fields.setdefault(key, value)
    return fields, parents, message


def parse_commit(oid: str, body: bytes) -> ParsedCommit:
    """A commit object's text -> its record, tree and parents.

    Raises:
        KeyError, ValueError, OverflowError, OSError: a missing header or a bad time.
    """
    fields, parents, message = split_object(body)
    author, author_email, _ = parse_signature(fields[b"author"])
    committer, committer_email, created_at = parse_signature(fields[b"committer"])
    record = CommitRecord(
        oid,
        author,
        author_email,
        committer,
        committer_email,
        created_at,
        message.decode("utf-8", "replace"),
    )
    tree = fields[b"tree"].decode("ascii")
    return ParsedCommit(record, tree, tuple(p.decode("ascii") for p in parents))


def parse_tree(body: bytes, id_size: int = 20) -> dict[bytes, tuple[int, str]]:
    """Tree text -> {name: (mode, object id)}; `id_size` is 20 bytes for SHA-1, 32 for SHA-256.

    >>> parse_tree(b"100644 a.txt\\0" + bytes(20))
    {b'a.txt': (33188, '0000000000000000000000000000000000000000')}
    """
    entries: dict[bytes, tuple[int, str]] = {}
    pos, end = 0, len(body)
    while pos < end:
        space = body.index(b" ", pos)
        nul = body.index(b"\0", space)
        start = nul + 1
        entries[body[space + 1 : nul]] = (
            int(body[pos:space], 8),
            body[start : start + id_size].hex(),
        )
        pos = start + id_size
    return entries


def loose_object(kind: int, body: bytes) -> bytes:
    """The zlib-deflated content of a loose object file."""
    return zlib.compress(TYPE_NAMES[kind].encode() + b" %d\0" % len(body) + body)


def object_id(kind: int, body: bytes, object_format: str = "sha1") -> str:
    """The id of an object in the repository's object format (`sha1` or `sha256`).

    >>> object_id(BLOB, b"")
    'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'
    """
    import hashlib  # only writes name objects: reads load no OpenSSL

    header = TYPE_NAMES[kind].encode() + b" %d\0" % len(body)
    return hashlib.new(object_format, header + body).hexdigest()


def tag_object(
    name: str,
    commit: str,
    tagger: bytes,
    when: tuple[int, int],
    message: str,
    object_format: str = "sha1",
    sign: Callable[[bytes], bytes] | None = None,
) -> tuple[str, bytes]:
    """A new annotated tag of `commit`: (its id, its loose object file's content).

    `tagger` is `Name <email>`; `when` is (unix seconds, offset in seconds east of UTC).
    The message is stored as given (upstream 1.10.1 writes no trailing newline), except
    that a signed tag's message ends with one, as git's do: `sign` turns the tag object
    (the payload) into the signed object, the payload with its signature appended. The
    id is named in the repository's object format, as `commit`'s is.
    """
    from dulwich.objects import Commit, ObjectID, Tag

    tag = Tag()
    tag.name = name.encode()
    tag.object = (Commit, ObjectID(commit.encode()))
    tag.tagger = tagger
    tag.tag_time, tag.tag_timezone = when
    tag.message = message.encode()
    if sign is not None and not message.endswith("\n"):
        tag.message += b"\n"  # the signature must start a line of its own
    body = tag.as_raw_string()
    if sign is not None:
        body = sign(body)
    return object_id(TAG, body, object_format), loose_object(TAG, body)


def _offset(seconds: int) -> bytes:
    """A UTC offset in git's `+HHMM` form.

    >>> _offset(-5400), _offset(19800)
    (b'-0130', b'+0530')
    """
    sign = b"-" if seconds < 0 else b"+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return sign + b"%02d%02d" % (hours, minutes)


def tree_object(entries: dict[bytes, tuple[int, str]]) -> bytes:
    """The body of a tree holding `entries` (name -> (mode, hex id)), in git's order.

    git sorts a folder's name as if it ended in `/`, so `a.txt` comes before `a/`.

    >>> tree_object({b"a": (0o40000, "00" * 20), b"a.txt": (0o100644, "11" * 20)})[:12]
    b'100644 a.txt'
    """

    def key(name: bytes) -> bytes:
        return name + b"/" if entries[name][0] == 0o40000 else name

    return b"".join(
        b"%o %s\0" % (entries[name][0], name) + bytes.fromhex(entries[name][1])
        for name in sorted(entries, key=key)
    )


def commit_object(
    tree: str, parents: list[str], author: bytes, when: tuple[int, int], message: str
) -> bytes:
    """The body of a commit by `author` (also its committer) at `when` (seconds, offset)."""
    stamp = author + b" %d " % when[0] + _offset(when[1])
    lines = [b"tree " + tree.encode()]
    lines += [b"parent " + parent.encode() for parent in parents]
    lines += [b"author " + stamp, b"committer " + stamp]
    return b"\n".join(lines) + b"\n\n" + message.encode()
