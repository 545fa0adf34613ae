"""The object cache: commits and artifacts.yaml read back by object id answer exactly as
parsed; never an error.

Entries are keyed by object id, so an entry can only be missing, never stale; only an
index that JSON gives back exactly is kept (a `custom` date or set is parsed every
time), and a file that is missing, damaged, foreign, of another version, a link or
someone else's is ignored and rebuilt.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cache_checks
import pytest
from builders import EPOCH, init_repo, make_commit, make_tag
from cache_checks import (
    cache_files,
    damage_folder,
    damage_symlink,
    damage_version,
    each_damage,
)
from dulwich.repo import Repo
from servers import PROJECT

from gto.core.annotations import Annotation, parse_index
from gto.core.index_json import index_from_json, index_to_json
from gto.git.object_cache import FORMAT_VERSION, MAGIC, ObjectCache

COMMANDS = [
    ("show", "--json"),
    ("show", "m", "--json"),
    ("history", "--json"),
    ("describe", "m"),
    ("describe", "m@v1.0.0"),
    ("describe", "odd@v1.0.0"),
    ("describe", "dated@v1.0.0"),
    ("doctor",),
]

PLAIN = """\
m:
  type: model
  path: m.pkl
  virtual: false
  labels: [a, b-2]
  description: "first\\nsecond ü"
  custom: {n: 1, f: 0.1, z: -0.0, t: true, list: [null, "x", {k: v}], big: 123456789012345678901}
odd: {}
"""
DATED = "m: {type: model}\ndated:\n  custom: {when: 2024-01-02 10:00:00, keys: {1: one}}\n"
BROKEN = "m: {type: model}\nbad name!: {}\n"


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """Versions on commits with an index JSON keeps, one it does not (a date, an int key),
    and one that does not parse (its error is the same every time)."""
    repo = init_repo(tmp_path / "repo")
    c1 = make_commit(repo, {"artifacts.yaml": PLAIN}, message="c1", time=EPOCH)
    c2 = make_commit(
        repo,
        {"artifacts.yaml": DATED},
        message="c2 ü\n\nbody",
        time=EPOCH + 10,
        tz=-(3 * 3600 + 30 * 60),
        author=("Ünï Cödé", "u@x"),
    )
    c3 = make_commit(repo, {"artifacts.yaml": PLAIN + "other: {}\n"}, time=EPOCH + 20)
    make_tag(repo, "m@v1.0.0", c1, time=EPOCH + 100)
    make_tag(repo, "odd@v1.0.0", c1, time=EPOCH + 110)
    make_tag(repo, "dated@v1.0.0", c2, time=EPOCH + 200)
    make_tag(repo, "m@v1.1.0", c3, time=EPOCH + 300)
    repo.close()
    return tmp_path / "repo"


def outputs(path: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    return cache_checks.outputs(path, capsys, COMMANDS)


def indexes(file: Path) -> list[str]:
    return [key for key in entries(file) if key.startswith("index:")]


def commits(file: Path) -> list[str]:
    return [key for key in entries(file) if key.startswith("commit:")]


def paths(file: Path) -> list[tuple[str, list[Any]]]:
    """The paths looked up in trees, by name (each of the three commits has its own tree)."""
    found = entries(file).items()
    return sorted(
        (key.split(":")[2], value)
        for key, value in found
        if key.startswith("path:") and isinstance(value, list)
    )


def entries(file: Path) -> dict[str, object]:
    data = file.read_bytes()
    magic, version, length, checksum = struct.unpack_from("<8sIQI", data)
    assert (magic, version, length, checksum) == (
        MAGIC,
        FORMAT_VERSION,
        len(data) - 24,
        zlib.crc32(data[24:]),
    )
    found = json.loads(data[24:])
    assert isinstance(found, dict)
    return found


def test_cached_and_uncached_answer_alike(
    registry: Path,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    expected = outputs(registry, capsys)
    assert not cache_files(cache_home, "objects")
    monkeypatch.delenv("GTO_NO_CACHE")
    assert outputs(registry, capsys) == expected  # cold: parses and fills the cache
    (file,) = cache_files(cache_home, "objects")
    # The two plain indexes are kept; the one with a date and an int key is not.
    assert len(indexes(file)) == 2
    assert len(commits(file)) == 3
    # Where each commit's tree holds artifacts.yaml, and that HEAD's has no .gto nor DVC files.
    found = [(name, value[0] if value else None) for name, value in paths(file)]
    files = [("artifacts.yaml", 0o100644)] * 3
    assert found == [(".dvc", None), (".gto", None), *files, ("dvc.yaml", None)]
    assert len(entries(file)) == 3 + 2 + 6
    before = file.read_bytes()
    assert outputs(registry, capsys) == expected  # warm: read back
    assert file.read_bytes() == before  # nothing new learnt: nothing written
    # A version on a commit whose index does not parse fails alike, cold and warm.
    repo = Repo(str(registry))
    make_tag(repo, "m@v2.0.0", make_commit(repo, {"artifacts.yaml": BROKEN}), time=EPOCH + 400)
    repo.close()
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    broken = outputs(registry, capsys)
    assert broken[0][0] == 1 and "bad name!" in broken[0][2]
    monkeypatch.delenv("GTO_NO_CACHE")
    assert outputs(registry, capsys) == broken
    assert outputs(registry, capsys) == broken
    assert len(indexes(file)) == 2 and len(commits(file)) == 4


def test_index_json_keeps_only_what_it_gives_back() -> None:
    index = parse_index(PLAIN)
    rows = index_to_json(index)
    assert rows is not None
    again = index_from_json(json.loads(json.dumps(rows)))
    assert again == index
    assert again is not None and repr(again) == repr(index)
    assert index_to_json(parse_index(DATED)) is None
    for custom in ({1: "x"}, {"s"}, (1,), float("nan"), b"x", "\udc80"):
        assert index_to_json({"m": Annotation(custom=custom)}) is None
    damaged: object
    for damaged in (None, {}, [["m"]], [[1, None, None, True, [], "", None]], [["m", None]]):
        assert index_from_json(damaged) is None
    assert index_from_json([["m", None, None, 1, [], "", None]]) is None  # 1 is not a bool


def _rewrite(file: Path, payload: bytes) -> None:
    header = struct.pack("<8sIQI", MAGIC, FORMAT_VERSION, len(payload), zlib.crc32(payload))
    file.write_bytes(header + payload)


def damage_consistent_but_wrong(file: Path) -> None:
    """A right checksum over entries of the wrong shape (a buggy or hostile writer)."""
    _rewrite(file, json.dumps({key: [["m", 1, 2]] for key in entries(file)}).encode())


def damage_not_an_object(file: Path) -> None:
    _rewrite(file, b"[1, 2, 3]")


def damage_not_json(file: Path) -> None:
    _rewrite(file, b"{not json")


def damage_deep(file: Path) -> None:
    _rewrite(file, b"[" * 200_000 + b"]" * 200_000)


@each_damage(
    damage_version, damage_consistent_but_wrong, damage_not_an_object, damage_not_json, damage_deep
)
def test_a_damaged_cache_is_ignored_and_rebuilt(
    registry: Path,
    cache_home: Path,
    damage: Callable[[Path], None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = outputs(registry, capsys)
    (file,) = cache_files(cache_home, "objects")
    whole = file.read_bytes()
    damage(file)
    assert outputs(registry, capsys) == expected
    if damage not in (damage_folder, damage_symlink):
        assert file.read_bytes() == whole  # ignored, and rewritten by the runs that parsed again
    assert outputs(registry, capsys) == expected


def test_no_cache_reads_and_writes_none(
    registry: Path,
    monkeypatch: pytest.MonkeyPatch,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = outputs(registry, capsys)
    (file,) = cache_files(cache_home, "objects")
    damage_consistent_but_wrong(file)
    before = file.read_bytes()
    monkeypatch.setenv("GTO_NO_CACHE", "true")
    assert outputs(registry, capsys) == expected
    assert file.read_bytes() == before


def test_save_merges(tmp_path: Path) -> None:
    file = tmp_path / "gto" / "objects" / "x.v1"
    cache = ObjectCache(file)
    assert cache.get("index", "a" * 40) is None
    cache.add("index", "a" * 40, [["m", None, None, True, [], "", None]])
    cache.save()
    cache = ObjectCache(file)
    cache.add("index", "b" * 40, [])
    cache.save()
    again = ObjectCache(file)
    assert again.get("index", "a" * 40) == [["m", None, None, True, [], "", None]]
    assert again.get("index", "b" * 40) == []
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_the_work_tree_index_is_kept_by_its_blob_id(
    registry: Path,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An uncommitted artifacts.yaml is kept under the id git would give it as a blob: an
    edit is a new entry, never a stale one."""
    from gto.git.objects import BLOB, object_id

    worktree_file = registry / "artifacts.yaml"
    for text in (PLAIN + "new: {type: dataset}\n", PLAIN + "new: {type: model}\n", BROKEN):
        worktree_file.write_text(text)
        monkeypatch.setenv("GTO_NO_CACHE", "1")
        expected = outputs(registry, capsys)
        monkeypatch.delenv("GTO_NO_CACHE")
        assert outputs(registry, capsys) == expected
        assert outputs(registry, capsys) == expected
        (file,) = cache_files(cache_home, "objects")
        key = f"index:{object_id(BLOB, text.encode())}"
        assert (key in indexes(file)) == (text != BROKEN)


def test_a_warm_read_imports_no_yaml(tmp_path: Path) -> None:
    """A warm `gto show` of a bare repository has its indexes in the cache: PyYAML is not
    even imported."""
    import subprocess
    import sys

    bare = tmp_path / "bare.git"
    repo = init_repo(bare, bare=True)
    commit = make_commit(repo, {"artifacts.yaml": PLAIN}, message="c1", time=EPOCH)
    make_tag(repo, "m@v1.0.0", commit, time=EPOCH + 100)
    repo.close()
    code = (
        "import sys; from gto.cli import main; code = main(['show', '-r', sys.argv[1]]); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'yaml'), file=sys.stderr); "
        "sys.exit(code)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    runs = [
        subprocess.run([sys.executable, "-c", code, str(bare)], env=env, capture_output=True)
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout
    assert runs[0].returncode == runs[1].returncode == 0
    assert runs[0].stderr.decode().startswith("['yaml'")  # cold: parses
    assert runs[1].stderr.decode().strip() == "[]"  # warm: reads the cache


def test_commit_json_round_trips() -> None:
    from gto.git.object_cache import commit_from_json, commit_json
    from gto.git.objects import parse_commit

    body = (
        b"tree "
        + b"1" * 40
        + b"\nparent "
        + b"2" * 40
        + b"\nparent "
        + b"3" * 40
        + b"\nauthor \xc3\x9c <u@x> 1660000000 +0545\ncommitter C <c@x> 1660000100 -0330"
        + b"\n\nmessage \xff\n"
    )
    commit = parse_commit("a" * 40, body)
    value = commit_json(commit)
    assert value is not None
    assert commit_from_json("a" * 40, json.loads(json.dumps(value))) == commit
    for damaged in (
        None,
        [],
        [1] * 9,
        [*value[:6], "0", *value[7:]],
        [*value[:1], "p", *value[2:]],
    ):
        assert commit_from_json("a" * 40, damaged) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_at_the_path_is_not_waited_on(tmp_path: Path) -> None:
    """The object cache opens its file as the tag cache does (gto.git.cache_files): a FIFO
    is no regular file, never read, and the next save replaces it with one."""
    fifo = tmp_path / "gto" / "objects" / "x.v1"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)
    cache = ObjectCache(fifo)
    assert cache.get("index", "a" * 40) is None
    cache.add("index", "a" * 40, [])
    cache.save()
    assert fifo.is_file() and ObjectCache(fifo).get("index", "a" * 40) == []


def _fifo(file: Path) -> None:
    file.unlink()
    os.mkfifo(file)


@pytest.mark.parametrize(
    "damage",
    [
        cache_checks.damage_symlink,
        cache_checks.damage_folder,
        pytest.param(
            _fifo,
            marks=pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here"),
        ),
    ],
    ids=["symlink", "folder", "fifo"],
)
def test_the_shared_reader_takes_only_a_regular_file_of_ours(
    tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    """What the damage tests cannot tell apart (a link to a whole cache reads the same):
    the reader itself refuses anything but a regular file, and never follows a link."""
    from gto.git.cache_files import read_owned

    file = tmp_path / "cache.v1"
    file.write_bytes(b"whole")
    assert read_owned(file) == b"whole"
    damage(file)
    assert read_owned(file) is None


def test_a_path_entry_of_another_shape_is_unknown(tmp_path: Path) -> None:
    cache = ObjectCache(tmp_path / "objects.v1")
    tree = "a" * 40
    cache.add_entry(tree, "artifacts.yaml", (0o100644, "b" * 40))
    cache.add_entry(tree, "dvc.yaml", None)
    for bad, value in [("x", [0o100644]), ("y", ["100644", "b" * 40]), ("z", {}), ("w", None)]:
        cache.add("path", f"{tree}:{bad}", value)
    cache.save()
    again = ObjectCache(tmp_path / "objects.v1")
    assert again.entry(tree, "artifacts.yaml") == ((0o100644, "b" * 40),)
    assert again.entry(tree, "dvc.yaml") == (None,)
    assert [again.entry(tree, name) for name in "xyzw"] == [None] * 4
    assert again.entry("c" * 40, "artifacts.yaml") is None
