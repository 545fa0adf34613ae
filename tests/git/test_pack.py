"""Packs and stores read without dulwich: deltas rebuilt, alternates followed, short ids found."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from format_fixtures import manifest, materialise

from gto.git.pack import _BISECT_SHARE, PackFile, apply_delta
from gto.git.store import ObjectStore

IDS = manifest()["ids"]


def test_a_delta_copies_and_inserts() -> None:
    base = bytes(range(256)) * 300  # 76,800 bytes: a copy of 0x10000 needs a zero size
    delta = bytes([0x80, 0xD8, 0x04, 0x80, 0xD8, 0x04])  # sizes 76800 -> 76800
    delta += bytes([0x90, 0x00])  # copy from 0, size byte 0: 0x10000 bytes
    delta += bytes([0xA4, 0x01, 0x2C])  # copy 0x2C00 bytes from 0x10000 (offset byte 2)
    assert apply_delta(base, delta) == base


@pytest.mark.parametrize(
    ("delta", "error"),
    [
        (bytes([4, 1, 1]) + b"x", "delta base is 3 bytes, the delta expects 4"),
        (bytes([3, 2, 0]), "delta holds a zero instruction"),
        (bytes([3, 4, 0x91, 2, 4]), "delta copies past the end of its base"),
        (bytes([3, 4, 2]) + b"xy", "delta made 2 bytes, it promised 4"),
    ],
)
def test_a_damaged_delta_is_refused(delta: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        apply_delta(b"abc", delta)


def test_alternates_of_alternates_and_short_ids(tmp_path: Path) -> None:
    """clone --shared of a clone --shared: two levels of alternates, relative paths."""
    clone = materialise("alternates", tmp_path)
    objects = clone / ".git" / "objects"
    second = tmp_path / "second"
    (second / "objects" / "info").mkdir(parents=True)
    (second / "objects" / "info" / "alternates").write_text(f"# a comment\n{objects}\n")
    store = ObjectStore(str(second / "objects"))
    commit = IDS["sha1"]["C6"]
    raw = store.raw(commit)
    assert raw is not None and raw[0] == 1 and store.contains(commit)
    assert store.with_prefix(commit[:7]) == {commit}
    assert store.raw("0" * 40) is None and not store.contains("0" * 40)
    assert store.close()


def test_short_ids_in_loose_objects_and_packs_of_sha256(tmp_path: Path) -> None:
    loose = ObjectStore(
        str(materialise("sha256-loose", tmp_path) / ".git" / "objects"), id_length=64
    )
    packed = ObjectStore(str(materialise("sha256-packed", tmp_path) / "objects"), id_length=64)
    for key in ("C1", "C6", "tag:churn@v1.0.0"):
        oid = IDS["sha256"][key]
        assert loose.with_prefix(oid[:5]) == packed.with_prefix(oid[:5]) == {oid}
        assert loose.raw(oid) == packed.raw(oid)


def test_a_pack_index_of_an_unknown_version_is_named(tmp_path: Path) -> None:
    repo = materialise("sha256-packed", tmp_path)
    (idx,) = (repo / "objects" / "pack").glob("*.idx")
    data = bytearray(idx.read_bytes())
    data[7] = 3  # version 3 (git's planned format with hash ids; never written)
    idx.write_bytes(bytes(data))
    store = ObjectStore(str(repo / "objects"), id_length=64)
    with pytest.raises(Exception, match=r"pack index version 3 is unknown in '.*\.idx'"):
        store.raw(IDS["sha256"]["C6"])
    shutil.rmtree(repo)


@pytest.mark.parametrize(
    ("name", "form"),
    [("pack-index-v1", "sha1"), ("many-packs", "sha1"), ("sha256-packed", "sha256")],
)
def test_missing_answers_for_many_ids_at_once(tmp_path: Path, name: str, form: str) -> None:
    """What the tag cache asks about every tag: each pack answers for all the ids together
    (its index read whole when they are many, looked up one by one when few)."""
    repo = materialise(name, tmp_path)
    objects = repo / ".git" / "objects" if (repo / ".git").is_dir() else repo / "objects"
    store = ObjectStore(str(objects), id_length=64 if form == "sha256" else 40)
    ids = set(IDS[form].values())
    width = 64 if form == "sha256" else 40
    absent = {"0" * width, "f" * width, IDS[form]["C1"].upper(), "zz", "../" + "0" * 37, ""}
    assert store.missing(ids) == set()
    assert store.missing(ids | absent) == absent
    assert store.missing({IDS[form]["C6"], "0" * width, "C6"}) == {"0" * width, "C6"}
    assert store.close()
    # The packs answer themselves (the store's one-by-one look after them would hide it).
    in_packs: set[str] = set()
    looked_up = 0
    for idx in sorted((objects / "pack").glob("*.idx")):
        pack = PackFile.open(str(idx), width // 2)
        assert pack is not None
        wanted = ids | absent
        whole = pack.absent(wanted)  # many: the index read whole
        in_packs |= wanted - whole
        few = absent | {IDS[form]["C6"]}  # few: each looked up, malformed ids included
        if len(few) * _BISECT_SHARE <= pack.fanout[255]:
            assert pack.absent(few) == few & whole
            looked_up += 1
        pack.close()
    assert in_packs and not in_packs & absent
    assert looked_up == (0 if name == "many-packs" else 1)  # its packs are small


def test_an_id_straddling_two_index_entries_is_not_found(tmp_path: Path) -> None:
    """A lookup searches the bytes of the entries sharing the id's first byte: a match that
    does not start an entry (here the end of one and the start of the next) is no object."""
    first = b"\x01" + b"\x00" * 9 + b"\x01" * 10
    second = b"\x01" * 10 + b"\x02" * 10
    straddling = (first + second)[10:30]  # 01 x 20: between the two, and no entry
    assert first < straddling < second
    fanout = b"".join((0 if byte < 1 else 2).to_bytes(4, "big") for byte in range(256))
    offsets = (12).to_bytes(4, "big") + (34).to_bytes(4, "big")
    index = b"\377tOc\0\0\0\2" + fanout + first + second + b"\0" * 8 + offsets + b"\0" * 40
    (tmp_path / "p.idx").write_bytes(index)
    (tmp_path / "p.pack").write_bytes(b"PACK" + b"\0" * 60)
    pack = PackFile.open(str(tmp_path / "p.idx"))
    assert pack is not None
    assert (pack.offset(first), pack.offset(second), pack.offset(straddling)) == (12, 34, None)
    assert pack.absent({first.hex(), second.hex(), straddling.hex()}) == {straddling.hex()}
    pack.close()
