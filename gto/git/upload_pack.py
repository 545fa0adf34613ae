"""A protocol v2 `fetch` of gto's own: want the tagged commits, and let `include-tag`
bring their tags.

dulwich's fetch sends no `include-tag` over protocol v2. Without it a first read of a
registry wants every tag object (a line each), and, fetched one commit deep, the server
answers each of those wants with a `shallow` line: more bytes than a clone. Wanting the
distinct tagged commits and asking for `include-tag` brings every annotated tag that
points into the pack, for one line per commit. This module speaks only that request;
the channel (a socket, an ssh process, two HTTP requests) comes from gto.git.client.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["Listing", "V2Channel", "fetch_with_tags", "ls_refs", "pkt", "read_pkts"]

# A reader of an answer's bytes: `read(n)` gives at most n bytes, b"" at its end.
Reader = Callable[[int], bytes]
_FLUSH, _DELIM = b"0000", b"0001"


@dataclass
class V2Channel:
    """A server speaking protocol v2: what it offers, and how a request reaches it."""

    capabilities: list[bytes]
    request: Callable[[bytes], Reader]  # the whole request -> a reader of its answer
    close: Callable[[], None]

    def offers(self, command: bytes, feature: bytes) -> bool:
        """Whether the server's `command` takes `feature` (`fetch=shallow filter`)."""
        for line in self.capabilities:
            name, _, value = line.partition(b"=")
            if name == command:
                return feature in value.split()
        return False


def pkt(data: bytes) -> bytes:
    """One pkt-line (git's length-prefixed line)."""
    return b"%04x" % (len(data) + 4) + data


def read_pkts(read: Reader) -> Iterable[bytes | None]:
    """The pkt-lines of one answer, up to its flush packet; None for a delimiter packet.

    A v2 answer ends with a flush (0000); sections within it are parted by delimiters
    (0001). The connection may stay open for another request, so nothing past the
    flush is read.

    Raises:
        OSError: the connection ended before the flush (what came is not the whole answer).
        ValueError: the server sent an `ERR` line.
    """
    while True:
        head = _exactly(read, 4)
        if not head:
            raise OSError("the server closed the connection before the end of its answer")
        size = int(head, 16)
        if size == 0:
            return
        if size < 4:
            yield None  # a delimiter (0001) or a response end (0002)
            continue
        line = _exactly(read, size - 4)
        if line.startswith(b"ERR "):
            raise ValueError(line[4:].decode("utf-8", "replace").strip())
        yield line


def _exactly(read: Reader, size: int) -> bytes:
    chunks, wanted = [], size
    while wanted:
        chunk = read(wanted)
        if not chunk:
            if wanted == size:
                return b""
            raise OSError("the server closed the connection in the middle of a packet")
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def fetch_with_tags(
    channel: V2Channel,
    commits: Iterable[str],
    *,
    depth: int | None,
    filter_spec: bytes | None,
    write_pack: Callable[[bytes], object],
    progress: Callable[[bytes], None] | None = None,
) -> set[str]:
    """Fetch `commits` (with their trees, as deep as `depth`, filtered by `filter_spec`
    where the server filters) and every annotated tag pointing into them; the pack goes
    to `write_pack`. Returns the commits the server made shallow.

    Raises:
        OSError: the server closed the connection early.
        ValueError: the server reported an error, or answered something else.
    """
    args = [b"ofs-delta", b"include-tag"]
    if progress is None:
        args.append(b"no-progress")
    args += [b"want %s" % oid.encode("ascii") for oid in sorted(set(commits))]
    if depth is not None:
        args.append(b"deepen %d" % depth)
    if filter_spec is not None and channel.offers(b"fetch", b"filter"):
        args.append(b"filter " + filter_spec)
    args.append(b"done")
    body = pkt(b"command=fetch\n") + _DELIM + b"".join(pkt(a + b"\n") for a in args) + _FLUSH
    shallow: set[str] = set()
    section = b""
    for line in read_pkts(channel.request(body)):
        if line is None:
            continue
        if section == b"packfile":
            band, data = line[:1], line[1:]
            if band == b"\x01":
                write_pack(data)
            elif band == b"\x02" and progress is not None:
                progress(data)
            elif band == b"\x03":
                raise ValueError(data.decode("utf-8", "replace").strip())
            continue
        text = line.rstrip(b"\n")
        if text in (b"shallow-info", b"packfile", b"acknowledgments", b"wanted-refs"):
            section = text
        elif section == b"shallow-info" and text.startswith(b"shallow "):
            shallow.add(text[8:].decode("ascii"))
    if section != b"packfile":
        raise ValueError("the server sent no pack")
    return shallow


@dataclass
class Listing:
    """What `ls-refs` answered: ref -> id, the peeled id of each annotated tag, symrefs."""

    refs: dict[str, str]
    peeled: dict[str, str]
    symrefs: dict[str, str]


def ls_refs(channel: V2Channel, prefixes: Iterable[str]) -> Listing:
    """The refs under `prefixes`, with the commits their annotated tags peel to.

    Names are decoded with `surrogateescape`, so bytes that are not UTF-8 survive.
    """
    args = [b"peel", b"symrefs", *(b"ref-prefix " + p.encode() for p in prefixes)]
    body = pkt(b"command=ls-refs\n") + _DELIM + b"".join(pkt(a + b"\n") for a in args) + _FLUSH
    found = Listing({}, {}, {})
    for line in read_pkts(channel.request(body)):
        if line is None:
            continue
        oid, _, rest = line.rstrip(b"\n").partition(b" ")
        name, *attributes = rest.split(b" ")
        ref = name.decode("utf-8", "surrogateescape")
        found.refs[ref] = oid.decode("ascii", "replace")
        for attribute in attributes:
            key, _, value = attribute.partition(b":")
            if key == b"peeled":
                found.peeled[ref] = value.decode("ascii", "replace")
            elif key == b"symref-target":
                found.symrefs[ref] = value.decode("utf-8", "surrogateescape")
    return found
