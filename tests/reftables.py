"""Reftable tables and stacks for the tests of gto's reftable modules (tests/git/test_reftable_*).

Ids are recognisable (`oid(7)`), dulwich repositories are switched to reftable the way
dulwich 1.2.21 does it, and `dump_blocks` prints what git's `test-tool dump-reftable -b`
prints, so layouts can be compared with the numbers of git's own t0613 tests.
"""

from __future__ import annotations

import zlib
from pathlib import Path

from dulwich.objects import ObjectID
from dulwich.refs import Ref as DRef
from dulwich.reftable import ReftableRefsContainer
from dulwich.repo import Repo

from gto.git.reftable_encode import encode_table, fill_block, put_varint
from gto.git.reftable_stack import ReftableStack, RefUpdate

ZERO = bytes(20)


def oid(n: int, size: int = 20) -> str:
    """A distinct, recognisable object id (hex) for test n."""
    return f"{n:0{2 * size}x}"


def dulwich_repo(path: Path, object_format: str | None = None) -> ReftableRefsContainer:
    """The refs of a dulwich repository switched to reftable: format 1, extensions.refStorage."""
    path.mkdir()
    repo = Repo.init(str(path), format=1, object_format=object_format)
    config = repo.get_config()
    config.set((b"extensions",), b"refStorage", b"reftable")
    config.write_to_path()
    return dulwich_refs(path)


def dulwich_refs(path: Path) -> ReftableRefsContainer:
    """dulwich's own reader of the repository in `path`, opened afresh."""
    refs = Repo(str(path)).refs
    assert isinstance(refs, ReftableRefsContainer)
    return refs


def d(name: bytes) -> DRef:
    return DRef(name)


def doid(n: int, size: int = 20) -> ObjectID:
    return ObjectID(oid(n, size).encode())


def new_stack(path: Path, **kwargs: object) -> ReftableStack:
    path.mkdir(parents=True, exist_ok=True)
    return ReftableStack(path, **kwargs)  # type: ignore[arg-type]


def install(
    path: Path, data: bytes, name: str = "0x000000000001-0x000000000009-00000000.ref"
) -> Path:
    """Make `data` the only table of the stack in `path`."""
    path.mkdir(parents=True, exist_ok=True)
    (path / name).write_bytes(data)
    (path / "tables.list").write_text(name + "\n")
    return path / name


def dump_blocks(data: bytes) -> list[tuple[str, int, int]]:
    """(type, restart offset, restart count) per block, as git's `test-tool dump-reftable -b`."""
    hsize = {1: 24, 2: 28}[data[4]]
    block_size = int.from_bytes(data[5:8], "big")
    end = len(data) - {1: 68, 2: 72}[data[4]]
    out, at = [], 0
    while at < end:
        head = hsize if at == 0 else 0
        typ = chr(data[at + head])
        length = int.from_bytes(data[at + head + 1 : at + head + 4], "big")
        if typ == "g":
            inflater = zlib.decompressobj()
            block = data[at : at + head + 4] + inflater.decompress(data[at + head + 4 : end])
            nxt = end - len(inflater.unused_data)
        else:
            block, nxt = data[at : at + length], at + length
            if block_size and length < block_size and nxt < end and data[nxt] == 0:
                nxt = at + block_size
        count = int.from_bytes(block[length - 2 : length], "big")
        out.append((typ, length - 2 - 3 * count, count))
        at = nxt
    return out


def git_test_refs(*names: bytes) -> list[tuple[bytes, int, int, bytes]]:
    """HEAD -> refs/heads/master plus direct refs, as git's t0613 repositories hold."""
    recs = [(b"HEAD", 3, 1, b"refs/heads/master")]
    return sorted(recs + [(n, 1, 1, ZERO) for n in (b"refs/heads/master", *names)])


def reflog(name: bytes, index: int, new: bytes, message: bytes) -> tuple[bytes, int, bytes]:
    """A log record as git writes it for `git commit` (C O Mitter, test_tick's first time)."""
    key = name + b"\0" + (0xFFFFFFFFFFFFFFFF - index).to_bytes(8, "big")
    value = ZERO + new
    for text in (b"C O Mitter", b"committer@example.com"):
        value += put_varint(len(text)) + text
    value += put_varint(1112911993) + (-420 & 0xFFFF).to_bytes(2, "big")
    return key, 1, value + put_varint(len(message)) + message


def git_like_full_table(block_size: int = 100) -> tuple[bytes, list[tuple[bytes, int, bytes]]]:
    """Ref blocks, ref index, an obj block and a log block, laid out as git's writer does."""
    names = [b"refs/heads/branch-%d" % i for i in range(1, 6)]
    plain = encode_table(
        "sha1", 1, 3, git_test_refs(b"refs/tags/initial", *names), block_size=block_size
    )
    ref_index_at = int.from_bytes(plain[-68 + 24 : -68 + 32], "big")
    body = bytearray(plain[:-68])
    body += bytes(-len(body) % block_size)  # git pads the index block when obj blocks follow
    obj_at = len(body)
    body += fill_block(b"o", [(ZERO[:2], 1, put_varint(0))], 0, b"", block_size)[0]
    log_at = len(body)  # log blocks follow unpadded
    logs = [reflog(b"HEAD", 2, b"\x22" * 20, b"commit (initial): initial\n")]
    block = fill_block(b"g", logs, 0, b"", 4096)[0]
    body += block[:4] + zlib.compress(block[4:], 9)
    footer = plain[:24] + b"".join(
        p.to_bytes(8, "big") for p in (ref_index_at, obj_at << 5 | 2, 0, log_at, 0)
    )
    return bytes(body) + footer + zlib.crc32(footer).to_bytes(4, "big"), logs


def snapshot_dir(path: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(path.iterdir())}


def small_stack(path: Path) -> tuple[ReftableStack, Path]:
    stack = new_stack(path, auto_compact=False)
    stack.apply(
        [
            RefUpdate("HEAD", symref="refs/heads/main"),
            RefUpdate.create("refs/heads/main", oid(1)),
            RefUpdate.create("refs/tags/v1", oid(2), peeled=oid(1)),
            RefUpdate.create("refs/tags/v2", oid(3)),
        ]
    )
    return stack, path / stack.tables()[0]


def stack_of(path: Path, data: bytes) -> ReftableStack:
    install(path, data)
    return ReftableStack(path)
