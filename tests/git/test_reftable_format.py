"""gto's reftable format against git's: block layouts, sections, hashes, and damage named.

The layouts are those of git's own t/t0613-reftable-write-options.sh (restart offsets
and counts per block, as `test-tool dump-reftable -b` prints them); tables are read
back whole, and every structural flip of a byte is either caught or lies in a field
the format does not check.
"""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest
from dulwich.reftable import ReftableReader
from hypothesis import given, settings
from hypothesis import strategies as st
from reftables import (
    dump_blocks,
    git_like_full_table,
    git_test_refs,
    install,
    new_stack,
    oid,
    reflog,
    small_stack,
    stack_of,
)

from gto.git.reftable_encode import encode_table, put_varint
from gto.git.reftable_format import ReftableError, ReftableFormatError, Table, get_varint
from gto.git.reftable_stack import Ref, ReftableStack, RefUpdate

# -- git's own layout (expected values from git's t/t0613-reftable-write-options.sh) ---------


def test_varints_are_gits_offset_encoding() -> None:
    assert put_varint(127) == b"\x7f"
    assert put_varint(128) == b"\x80\x00"
    assert put_varint(137) == b"\x80\x09"
    assert put_varint(16511) == b"\xff\x7f"
    assert put_varint(16512) == b"\x80\x80\x00"
    for value in (0, 1, 127, 128, 255, 16511, 16512, 2**32, 2**63, 2**64 - 1):
        encoded = put_varint(value)
        assert get_varint(encoded, 0, len(encoded)) == (value, len(encoded))


def test_one_block_matches_git_default_write_options() -> None:
    data = encode_table("sha1", 1, 3, git_test_refs(b"refs/tags/initial"))
    assert dump_blocks(data) == [("r", 129, 2)]
    assert len(data) == 137 + 68  # the last block before the footer is not padded


def test_small_blocks_match_git_small_block_size() -> None:
    data = encode_table("sha1", 1, 3, git_test_refs(b"refs/tags/A", b"refs/tags/B"), block_size=100)
    assert dump_blocks(data) == [("r", 53, 1), ("r", 74, 1), ("r", 38, 1)]


def test_ref_index_matches_git_object_index_disabled() -> None:
    names = [b"refs/heads/branch-%d" % i for i in range(1, 6)]
    data = encode_table("sha1", 1, 3, git_test_refs(b"refs/tags/initial", *names), block_size=100)
    assert dump_blocks(data) == [
        ("r", 53, 1),
        ("r", 95, 1),
        ("r", 71, 1),
        ("r", 80, 1),
        ("i", 55, 2),
    ]
    assert int.from_bytes(data[-68 + 24 : -68 + 32], "big") == 400  # ref_index_position


def test_many_refs_match_git_multiple_blocks() -> None:
    names = [b"refs/heads/branch-%d" % i for i in range(1, 201)]
    data = encode_table("sha1", 1, 3, git_test_refs(b"refs/tags/initial", *names))
    assert dump_blocks(data) == [("r", 4049, 11), ("r", 1136, 3)]


def test_log_block_matches_git_default_write_options() -> None:
    logs = [reflog(b"HEAD", 2, b"\x11" * 20, b"commit (initial): initial\n")]
    logs.append(reflog(b"refs/heads/master", 2, b"\x11" * 20, b"commit (initial): initial\n"))
    data = encode_table("sha1", 1, 3, git_test_refs(b"refs/tags/initial"), logs)
    assert dump_blocks(data) == [("r", 129, 2), ("g", 262, 2)]
    table = Table("t", "t", data, None)
    assert table.logs() == logs
    assert [r[0] for r in table.refs] == [b"HEAD", b"refs/heads/master", b"refs/tags/initial"]


def test_reads_index_obj_and_log_sections_as_git_lays_them_out(tmp_path: Path) -> None:
    data, logs = git_like_full_table()
    assert [t for t, _, _ in dump_blocks(data)] == ["r", "r", "r", "r", "i", "o", "g"]
    install(tmp_path, data)
    stack = ReftableStack(tmp_path)
    assert [r.name for r in stack.refs_starting(b"refs/heads/")] == [
        "refs/heads/branch-1",
        "refs/heads/branch-2",
        "refs/heads/branch-3",
        "refs/heads/branch-4",
        "refs/heads/branch-5",
        "refs/heads/master",
    ]
    assert stack.get("refs/tags/initial") == Ref("refs/tags/initial", "00" * 20)
    assert stack.resolve() == (["HEAD", "refs/heads/master"], Ref("refs/heads/master", "00" * 20))
    stack.verify()
    assert Table("t", "t", data, None).logs() == logs


def test_multi_level_index_is_followed_and_checked(tmp_path: Path) -> None:
    refs = [(b"refs/tags/t%05d" % i, 1, 1, bytes.fromhex(oid(i))) for i in range(3000)]
    data = encode_table("sha1", 1, 1, refs, block_size=256)
    kinds = [t for t, _, _ in dump_blocks(data)]
    assert kinds.count("i") > 4  # more than one index level
    install(tmp_path, data)
    stack = ReftableStack(tmp_path)
    assert stack.get("refs/tags/t02999") == Ref("refs/tags/t02999", oid(2999))
    assert len(stack.refs_starting(b"refs/tags/")) == 3000


# -- SHA-256 -----------------------------------------------------------------------------


def test_sha256_tables_use_version_2_and_32_byte_ids(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt", object_format="sha256", auto_compact=False)
    stack.apply([RefUpdate.create("refs/tags/v1", oid(1, 32))])
    stack.apply([RefUpdate.create("refs/tags/v2", oid(2, 32), peeled=oid(3, 32))])
    first, second = (tmp_path / "rt" / n for n in stack.tables())
    one = first.read_bytes()
    assert one[:5] == b"REFT\x02" and one[24:28] == b"s256" and one[-72 + 24 : -72 + 28] == b"s256"
    assert len(one) == 28 + 4 + (1 + 1 + 12 + 1 + 32) + 5 + 72
    assert int.from_bytes(one[28 + 4 + 47 : 28 + 4 + 47 + 3], "big") == 32  # first restart
    assert len(second.read_bytes()) == 28 + 4 + (1 + 1 + 12 + 1 + 64) + 5 + 72
    assert stack.refs_starting(b"") == [
        Ref("refs/tags/v1", oid(1, 32)),
        Ref("refs/tags/v2", oid(2, 32), oid(3, 32)),
    ]
    with pytest.raises(ReftableError, match="not a 64-hex-digit object id"):
        stack.apply([RefUpdate.create("refs/tags/v3", oid(4))])
    with pytest.raises(
        ReftableFormatError, match="stores sha256 object names but the repository uses sha1"
    ):
        ReftableStack(tmp_path / "rt", object_format="sha1").refs_starting(b"")
    with pytest.raises(ValueError, match="Unsupported reftable version: 2"):
        dulwich_reads_table(first)


def dulwich_reads_table(path: Path) -> None:
    with open(path, "rb") as f:
        ReftableReader(f)


# -- damage ------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", [0, 3, 4, 20, 24, 40, -69, -68, -4, -1])
def test_truncated_tables_raise_naming_the_file(tmp_path: Path, keep: int) -> None:
    _, table = small_stack(tmp_path / "rt")
    table.write_bytes(table.read_bytes()[:keep])
    with pytest.raises(ReftableFormatError) as info:
        ReftableStack(tmp_path / "rt").refs_starting(b"")
    assert str(table) in str(info.value) and info.value.path == str(table)


def unchecked_bytes(data: bytes) -> set[int]:
    """Offsets of the bytes the format carries no check for, in a one-block v1 table:
    name suffixes, prefix lengths of records that are not restart points, ids, symref targets.
    """
    length = int.from_bytes(data[25:28], "big")
    count = int.from_bytes(data[length - 2 : length], "big")
    end = length - 2 - 3 * count
    restarts = {int.from_bytes(data[end + 3 * i : end + 3 * i + 3], "big") for i in range(count)}
    spans: set[int] = set()
    pos = 28
    while pos < end:  # every varint in this small table is one byte
        if pos not in restarts:
            spans.add(pos)
        suffix_len, typ = data[pos + 1] >> 3, data[pos + 1] & 7
        spans.update(range(pos + 2, pos + 2 + suffix_len))
        pos += 3 + suffix_len  # prefix, suffix+type, suffix, update index delta
        size = data[pos] + 1 if typ == 3 else 20 * typ
        spans.update(range(pos + (typ == 3), pos + size))
        pos += size
    return spans


def test_every_undetected_flip_is_in_an_unchecked_field(tmp_path: Path) -> None:
    stack, table = small_stack(tmp_path / "rt")
    original = table.read_bytes()
    unchecked = unchecked_bytes(original)
    before = stack.refs_starting(b"")
    shape = [(r.symref is None, r.peeled is None) for r in before]
    missed = set()
    for pos in range(len(original)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(original)
            damaged[pos] ^= mask
            try:
                after = stack_of(tmp_path / f"f{pos}-{mask}", bytes(damaged)).refs_starting(b"")
            except ReftableFormatError:
                continue
            missed.add(pos)
            assert [(r.symref is None, r.peeled is None) for r in after] == shape
    assert missed <= unchecked, sorted(missed - unchecked)
    # name suffixes 4+15+7+1, two prefix lengths, ids 20+40+20, the symref target 15
    assert len(unchecked) == 4 + 15 + 7 + 1 + 2 + 20 + 40 + 20 + 15


@pytest.mark.parametrize(
    ("pos", "mask", "message"),
    [
        (0, 0x01, "bad magic"),
        (4, 0x01, "unsupported reftable .*: format version 0"),
        (5, 0x01, "header and footer differ"),
        (24, 0x01, "expected a 'r' block|unknown first block type"),
        (26, 0x01, "bad block length"),
        (-1, 0x01, "CRC-32 does not match"),
        (-30, 0x01, "CRC-32 does not match"),
    ],
)
def test_structural_damage_is_named(tmp_path: Path, pos: int, mask: int, message: str) -> None:
    _, table = small_stack(tmp_path / "rt")
    data = bytearray(table.read_bytes())
    data[pos] ^= mask
    table.write_bytes(bytes(data))
    with pytest.raises(ReftableFormatError, match=message):
        ReftableStack(tmp_path / "rt").refs_starting(b"")


def resealed(data: bytes, header: bytes) -> bytes:
    """`data` with a new header (and the footer's copy of it) and a valid CRC."""
    fsize = 72 if header[4] == 2 else 68
    footer = header + data[len(data) - fsize + len(header) : -4]
    return (
        header
        + data[len(header) : len(data) - fsize]
        + footer
        + zlib.crc32(footer).to_bytes(4, "big")
    )


def test_unknown_hash_id_and_version_are_refused(tmp_path: Path) -> None:
    data = encode_table("sha256", 1, 1, [(b"refs/tags/a", 1, 1, bytes(32))])
    with pytest.raises(ReftableFormatError, match=r"unknown hash id b'sha2'"):
        stack_of(tmp_path / "a", resealed(data, data[:24] + b"sha2")).refs_starting(b"")
    with pytest.raises(ReftableFormatError, match="format version 3"):
        stack_of(tmp_path / "b", resealed(data, data[:4] + b"\x03" + data[5:28])).refs_starting(b"")


def test_a_bad_or_missing_table_list_entry_is_named(tmp_path: Path) -> None:
    stack, table = small_stack(tmp_path / "rt")
    (tmp_path / "rt" / "tables.list").write_text(f"{table.name}\n../../etc/passwd\n")
    with pytest.raises(ReftableFormatError, match=r"bad table name '\.\./\.\./etc/passwd'"):
        stack.refs_starting(b"")
    (tmp_path / "rt" / "tables.list").write_text(f"{table.name}\n0x1-0x2-gone.ref\n")
    with pytest.raises(ReftableFormatError, match=r"0x1-0x2-gone\.ref is missing"):
        stack.refs_starting(b"")
    with pytest.raises(ReftableFormatError, match="no reftable folder"):
        ReftableStack(tmp_path / "nowhere").refs_starting(b"")


def test_bad_padding_is_damage(tmp_path: Path) -> None:
    refs = git_test_refs(b"refs/tags/A", b"refs/tags/B")
    data = bytearray(encode_table("sha1", 1, 3, refs, block_size=100))
    assert int.from_bytes(data[25:28], "big") == 58  # then 42 bytes of padding
    data[68] = 1
    with pytest.raises(ReftableFormatError, match="bad padding after block at 0"):
        stack_of(tmp_path / "rt", bytes(data)).refs_starting(b"")


raw_names = st.lists(st.binary(min_size=1, max_size=120), min_size=0, max_size=300, unique=True)


@pytest.mark.property
@settings(max_examples=60, deadline=None)
@given(raw_names, st.integers(200, 4096), st.sampled_from(["sha1", "sha256"]), st.data())
def test_any_sorted_records_round_trip_through_a_table(
    keys: list[bytes], block_size: int, hash_name: str, data: st.DataObject
) -> None:
    size = 20 if hash_name == "sha1" else 32
    recs = []
    for i, key in enumerate(sorted(keys)):
        typ = data.draw(st.integers(0, 3))
        payload = {
            0: b"",
            1: os.urandom(size),
            2: os.urandom(2 * size),
            3: b"refs/heads/x" * (i % 3),
        }[typ]
        recs.append((key, typ, 5 + i % 7, payload))
    table = Table("t", "t", encode_table(hash_name, 5, 11, recs, block_size=block_size), hash_name)
    assert table.refs == recs
