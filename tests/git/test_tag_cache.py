"""The tag cache: the same answers with it, without it, cold and warm; never an error.

Entries are keyed by tag object id, so a registry whose tags are deleted, re-created
under the same name (a new object) or moved must read exactly as without a cache; and a
cache file that is missing, foreign, truncated, corrupt, of another version, a link or
being written by another process is ignored and rebuilt, never reported.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import cache_checks
import pytest
from builders import (
    EPOCH,
    init_repo,
    make_commit,
    make_lightweight_tag,
    make_tag,
    pack_everything,
)
from cache_checks import (
    cache_files,
    damage_folder,
    damage_symlink,
    damage_version,
    each_damage,
)
from dulwich.objects import ObjectID
from dulwich.objects import Tag as DulwichTag
from dulwich.refs import Ref
from dulwich.repo import Repo
from servers import run_at_once

from gto.cli import main
from gto.git.tag_cache import FORMAT_VERSION, MAGIC, Parsed, TagCache, cache_file

Run = Callable[..., tuple[int, str, str]]
# Every reading command whose output depends on the tag objects.
COMMANDS = [
    ("show",),
    ("show", "--json"),
    ("show", "m", "--json"),
    ("show", "m#prod", "--ref"),
    ("history",),
    ("history", "--json"),
    ("history", "m", "--asc"),
    ("check-ref", "m#prod#4", "--json"),
    ("check-ref", "m@v1.0.0", "--format", "json"),
    ("check-ref", "m#prod#5", "--format", "json"),
    ("print-state",),
    ("doctor",),
    ("describe", "m"),
    ("describe", "m@v1.1.0", "--path"),
    ("show", "--as-of", "@1660000250", "--json"),
    ("history", "m", "--as-of", "@1660000300", "--json"),
    ("check-ref", "m#prod#3", "--as-of", "@1660000350", "--json"),
    ("history", "signed", "--json"),
]


@pytest.fixture
def registry(tmp_path: Path) -> Repo:
    """Ties in one second, tags of tags, a lightweight tag, a tag of a tree, two refs on
    one tag object, a message with NUL, non-UTF-8 text, a malformed tagger time, a signed
    tag."""
    repo = init_repo(tmp_path / "repo")
    c1 = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, message="c1", time=EPOCH)
    c2 = make_commit(repo, {"f": "x"}, message="c2", time=EPOCH + 10)
    c3 = make_commit(repo, {"g": "y"}, message="c3", time=EPOCH + 20)
    make_tag(repo, "m@v1.0.0", c1, time=EPOCH + 100)
    make_tag(repo, "m@v1.1.0", c2, time=EPOCH + 200)
    for n, (commit, at) in enumerate([(c1, 300), (c2, 300), (c1, 300), (c2, 300)], 1):
        make_tag(repo, f"m#prod#{n}", commit, time=EPOCH + at)  # ties: counters decide
    make_tag(repo, "m#prod#5", c3, message=b"bytes \xff\xfe and NUL \x00 inside", time=EPOCH + 400)
    make_tag(repo, "m#dev", c2, time=EPOCH + 400, tz=5 * 3600 + 45 * 60)
    make_tag(repo, "other@v0.1.0", c3, time=EPOCH + 400, tagger=("Ünï Cödé", "u@x"))
    inner = make_tag(repo, "inner", c3, time=EPOCH + 500)
    outer = DulwichTag()
    outer.name, outer.object = b"other@v0.2.0", (DulwichTag, inner.encode())
    outer.tagger, outer.tag_time, outer.tag_timezone = b"T <t@x>", EPOCH + 600, 0
    outer.message = b"a tag of a tag"
    repo.object_store.add_object(outer)
    repo.refs[Ref(b"refs/tags/other@v0.2.0")] = outer.id
    repo.refs[Ref(b"refs/tags/copy@v9.0.0")] = repo.refs[Ref(b"refs/tags/m@v1.1.0")]
    make_tag(
        repo,
        "signed@v1.0.0",
        c2,
        message=b"signed\n-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n",
        time=EPOCH + 450,
    )  # its message is shown cut at the signature, as git shows it; never cached
    make_lightweight_tag(repo, "light@v1.0.0", c1)
    tree = repo.object_store[ObjectID(c1.encode())].tree  # type: ignore[attr-defined]
    make_tag(repo, "tree@v1.0.0", tree.decode(), time=EPOCH + 700)
    bad = DulwichTag.from_string(
        b"object " + c1.encode() + b"\ntype commit\ntag bad@v1.0.0\n"
        b"tagger T <t@x> 1660000800 +9999\n\nbad zone\n"
    )
    repo.object_store.add_object(bad)
    repo.refs[Ref(b"refs/tags/bad@v1.0.0")] = bad.id
    return repo


def outputs(path: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[int, str, str]]:
    return cache_checks.outputs(path, capsys, COMMANDS)


def test_cached_and_uncached_answer_alike(
    registry: Repo,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = Path(registry.path)
    c1 = registry.get_peeled(Ref(b"refs/tags/m@v1.0.0"))

    def compare(stage: str) -> None:
        monkeypatch.setenv("GTO_NO_CACHE", "1")
        expected = outputs(path, capsys)
        monkeypatch.delenv("GTO_NO_CACHE")
        cold = outputs(path, capsys)
        assert cache_files(cache_home, "tags"), stage
        warm = outputs(path, capsys)
        assert cold == expected, stage
        assert warm == expected, stage

    compare("loose")
    assert main(["history", "signed", "--json", "-r", str(path)]) == 0
    events = json.loads(capsys.readouterr().out)
    # The tag's message is cut at its signature, warm as cold.
    assert [(e["event"], e["message"]) for e in events] == [
        ("registration", "signed"),
        ("commit", "c2\n"),
    ]
    # Deleted, and re-created under the same name as another object (another commit,
    # time and message): the cache holds the old object's entry, under the old id.
    del registry.refs[Ref(b"refs/tags/m#prod#2")]
    del registry.refs[Ref(b"refs/tags/m@v1.0.0")]
    make_tag(registry, "m@v1.0.0", c1.decode(), message="again", time=EPOCH + 900)
    assert registry.refs[Ref(b"refs/tags/m@v1.0.0")] != c1
    compare("re-created")
    # Moved into a pack and packed-refs, as git gc leaves them.
    pack_everything(registry)
    compare("packed")
    # A later whole-registry read keeps only the objects the refs name.
    monkeypatch.delenv("GTO_NO_CACHE", raising=False)
    (file,) = cache_files(cache_home, "tags")
    count = struct.unpack_from("<8sIIIQI", file.read_bytes())[3]
    # Tags of commits only (not the message with NUL, nor the tag of a tag), one per object.
    assert count == 8
    registry.close()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    repo = init_repo(tmp_path / "small")
    for n in range(1, 6):
        commit = make_commit(repo, {}, message=f"c{n}", time=EPOCH + n)
        make_tag(repo, f"m@v1.0.{n}", commit, time=EPOCH + n)
    make_tag(repo, "m#prod#6", commit, time=EPOCH + 9)
    repo.close()
    return tmp_path / "small"


@pytest.fixture
def path(small: Path) -> Path:
    """The repository conftest's `run` reads: `small`."""
    return small


def the_file(path: Path, cache_home: Path) -> Path:
    """Where the tag cache of the repository at `path` is (whether it exists or not)."""
    from gto.git.discover import find

    layout, dulwich = find(path)
    dulwich.close()
    return cache_file(cache_home / "gto", layout.commondir, "sha1")


def header(payload: bytes) -> bytes:
    """A right header for `payload`: one SHA-1 entry, the payload's length and checksum."""
    return struct.pack("<8sIIIQI", MAGIC, FORMAT_VERSION, 20, 1, len(payload), zlib.crc32(payload))


def damage_header_only(file: Path) -> None:
    file.write_bytes(file.read_bytes()[: struct.calcsize("<8sIIIQI")])


ENTRY_COMMIT = bytes(range(20))  # the commit one_entry's tag tags


def one_entry(tagger: int = 0, seconds: int = 8, oid: bytes | None = None) -> bytes:
    """The payload of a file of one entry (tag object `oid`, else a random id) whose tagger
    is person number `tagger` (of one), with a time column `seconds` bytes long (8 fits)."""
    first = os.urandom(20) if oid is None else oid
    sections = [first, bytes(4), bytes(seconds), bytes(4), struct.pack("<I", tagger)]
    sections += [bytes(4), ENTRY_COMMIT, b"only one", b"m@v1.0.0", b"message"]
    return b"".join(struct.pack("<Q", len(s)) + s for s in sections)


def damage_consistent_but_wrong(file: Path) -> None:
    """A right checksum over columns that do not fit together (a buggy or hostile writer):
    two times for one entry, which is a real tag's (read, it would show a wrong time)."""
    table = TagCache(file, 40)._entries()
    assert table is not None
    payload = one_entry(seconds=16, oid=bytes.fromhex(next(iter(table.rows))))
    file.write_bytes(header(payload) + payload)


def damage_bad_people_index(file: Path) -> None:
    payload = one_entry(tagger=9)
    file.write_bytes(header(payload) + payload)


def test_one_entry_is_a_whole_file(tmp_path: Path) -> None:
    """What damage_bad_people_index damages: with a tagger that exists, the entry reads."""
    payload = one_entry(tagger=0)
    (tmp_path / "x.v4").write_bytes(header(payload) + payload)
    oid = payload[8:28].hex()
    assert TagCache(tmp_path / "x.v4", 40).get(oid) == (
        "m@v1.0.0",
        ENTRY_COMMIT.hex(),
        "only one",
        "only one",
        0,
        0,
        "message",
    )


@each_damage(
    damage_header_only, damage_version, damage_consistent_but_wrong, damage_bad_people_index
)
def test_a_damaged_cache_is_ignored_and_rebuilt(
    damage: Callable[[Path], None],
    small: Path,
    cache_home: Path,
    run: Run,
) -> None:
    expected = run("history")
    file = the_file(small, cache_home)
    assert file.is_file()
    whole = file.read_bytes()
    damage(file)
    assert run("history") == expected
    if damage not in (damage_folder, damage_symlink):  # ignored: its tags were parsed again
        assert file.read_bytes() == whole
    # The next command that parses a tag writes a whole file again (when it can).
    new = Repo(str(small))
    make_tag(new, "m@v2.0.0", make_commit(new, {}, message="c2"), time=EPOCH + 20)
    new.close()
    after = run("history")
    assert after == run("history", "--no-cache")
    assert after[0] == 0 and "m@v2.0.0" in after[1]
    if damage not in (damage_folder, damage_symlink):
        table = TagCache(file, 40)._entries()
        assert table is not None and len(table.rows) == 7
    assert run("history") == after


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_at_the_path_is_ignored_not_waited_on(
    small: Path, cache_home: Path, run: Run
) -> None:
    """Opening a FIFO for reading waits for a writer: a read that hung there forever."""
    expected = run("history")
    file = the_file(small, cache_home)
    file.unlink()
    os.mkfifo(file)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "gto", "history", "-r", str(small)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout, done.stderr) == expected
    assert file.is_file() and not file.is_fifo()  # replaced by a whole file
    assert run("history") == expected


def test_a_file_of_another_user_is_not_read(small: Path, cache_home: Path, run: Run) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("needs root to give the file to another user")
    expected = run("history")
    file = the_file(small, cache_home)
    os.chown(file, 12345, 12345)
    assert TagCache(file, 40)._entries() is None
    assert run("history") == expected


def test_a_half_written_temporary_file_is_ignored(small: Path, cache_home: Path, run: Run) -> None:
    """What a writer killed before its rename leaves: a temporary file beside the cache."""
    expected = run("history")
    file = the_file(small, cache_home)
    leftover = file.with_name(f".{file.name}.abc123")
    leftover.write_bytes(file.read_bytes()[:40])
    file.unlink()
    assert run("history") == expected
    assert run("history") == expected
    assert file.is_file()


def test_no_cache_reads_and_writes_none(
    small: Path,
    cache_home: Path,
    capsys: pytest.CaptureFixture[str],
    run: Run,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = run("history")
    file = the_file(small, cache_home)
    damage_consistent_but_wrong(file)
    before = file.read_bytes()
    for flag in ("--no-cache", None):
        if flag is None:
            monkeypatch.setenv("GTO_NO_CACHE", "true")
        capsys.readouterr()
        assert main(["history", "-r", str(small), *([flag] if flag else [])]) == 0
        assert capsys.readouterr().out == expected[1]
        assert file.read_bytes() == before


def test_reads_write_nothing_in_the_repository(small: Path, cache_home: Path, run: Run) -> None:
    def snapshot() -> dict[str, tuple[int, int]]:
        return {
            str(p): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in small.rglob("*")
            if p.is_file()
        }

    before = snapshot()
    for _ in range(2):
        run("history")
    assert snapshot() == before
    assert the_file(small, cache_home).is_file()


def test_concurrent_writers_leave_a_whole_file(
    small: Path, cache_home: Path, tmp_path: Path
) -> None:
    """Processes that parse tags at once (released together) each rename a whole file
    into place: every read succeeds, and the file that stays loads."""
    repo = Repo(str(small))
    commit = make_commit(repo, {}, message="more")
    for n in range(40):
        make_tag(repo, f"n{n}@v1.0.0", commit, time=EPOCH + 100 + n)
    repo.close()
    outputs = set()
    for attempt in range(3):
        the_file(small, cache_home).unlink(missing_ok=True)
        start = tmp_path / f"start{attempt}"
        start.mkdir()
        for code, out, err in run_at_once(start, [["show", "-r", str(small)]] * 6):
            assert (code, err) == (0, "")
            outputs.add(out)
        table = TagCache(the_file(small, cache_home), 40)._entries()
        assert table is not None and len(table.rows) == 46
    assert len(outputs) == 1


def test_save_merges_and_prunes(tmp_path: Path) -> None:
    file = tmp_path / "gto" / "tags" / "x.v1"
    one: Parsed = ("m@v0.0.1", "a" * 40, "T", "t@x", EPOCH, 3600, "one")
    two: Parsed = ("m@v0.0.2", "b" * 40, "T", "t@x", EPOCH + 1, -1800, "two\nlines")
    cache = TagCache(file, 40)
    cache.add("1" * 40, one)
    cache.save()
    cache = TagCache(file, 40)
    assert cache.get("1" * 40) == one
    cache.add("2" * 40, two)
    cache.save()  # a one-artifact read keeps every entry it found
    assert TagCache(file, 40).get("1" * 40) == one
    cache = TagCache(file, 40)
    cache.add("3" * 40, one)
    cache.save(named=["2" * 40, "3" * 40])  # after a scan of every tag: only those
    again = TagCache(file, 40)
    assert (again.get("1" * 40), again.get("2" * 40), again.get("3" * 40)) == (None, two, one)
    assert oct(file.stat().st_mode & 0o777) == "0o600"


def test_an_unwritable_cache_folder_is_no_error(cache_home: Path, run: Run) -> None:
    cache_home.mkdir(parents=True, exist_ok=True)
    (cache_home / "gto").write_text("not a folder")
    expected = run("history")
    assert expected[0] == 0 and expected[2] == ""
    (cache_home / "gto").unlink()
    (cache_home / "gto").mkdir()
    (cache_home / "gto" / "tags").symlink_to(cache_home)
    assert run("history") == expected
    assert sorted(p.name for p in cache_home.iterdir()) == ["gto"]


def test_a_ref_re_pointed_at_a_cached_tag_object_is_no_event(
    tmp_path: Path, cache_home: Path, run_in: Callable[[str], Run]
) -> None:
    """The cache keeps a tag object's own name: a ref moved onto an object a command
    cached before is skipped, as without a cache (and by gto.tag.find, as by show)."""
    from gto.tag import find

    repo = init_repo(tmp_path / "repo")
    commit = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    make_tag(repo, "m@v1.0.0", commit, time=EPOCH + 1)
    make_tag(repo, "m#staging#1", commit, time=EPOCH + 2)
    where = str(tmp_path / "repo")
    gto = run_in(where)
    assert gto("history", "m", "--json")[0] == 0
    assert cache_files(cache_home, "tags")  # the objects of both tags are cached now
    repo.refs[Ref(b"refs/tags/m#prod#2")] = repo.refs[Ref(b"refs/tags/m#staging#1")]
    assert gto("show", "m#prod", "--version") == (0, "", "")
    assert gto("check-ref", "m#prod#2") == (
        1,
        "",
        "❌ Tag 'm#prod#2' is ignored: the tag object names 'm#staging#1', not the ref "
        "'m#prod#2'\n",
    )
    assert [t.name for t in find(name="m", scm=where)] == ["m@v1.0.0", "m#staging#1"]


def test_a_tag_object_gone_from_the_store_is_not_served_from_the_cache(
    tmp_path: Path,
    cache_home: Path,
    run_in: Callable[[str], Run],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The cache keeps what an object said, not that it is still there: a loose tag object
    pruned, and a pack's tags lost with the alternate that held them, read as without the
    cache (the packed tags are many, so the pack is asked about them all at once)."""
    origin = init_repo(tmp_path / "origin")
    commit = make_commit(origin, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    for n in range(1, 21):
        make_tag(origin, f"n@v1.0.{n}", commit, time=EPOCH + n)
    pack_everything(origin)
    lost = make_tag(origin, "m@v2.0.0", commit, time=EPOCH + 100)  # loose
    kept = make_tag(origin, "m@v1.0.0", commit, time=EPOCH + 50)
    origin.close()
    where = str(tmp_path / "origin")
    commands = [("show",), ("show", "m"), ("check-ref", "m@v2.0.0"), ("doctor",)]

    def answers() -> list[tuple[int, str, str]]:
        return [run_in(where)(*command) for command in commands]

    before = answers()
    assert before[2][0] == 0 and cache_files(cache_home, "tags")
    os.unlink(tmp_path / "origin" / ".git" / "objects" / lost[:2] / lost[2:])
    warm = answers()
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    assert warm == answers()
    assert "v2.0.0" in before[1][1] and "v2.0.0" not in warm[1][1]
    assert warm[2] == (1, "", "❌ Tag 'm@v2.0.0' cannot be read: missing object\n")
    line = "❌ Tag 'm@v2.0.0' cannot be read: missing object [m@v2.0.0]\n"
    assert line not in before[3][1] and line in warm[3][1] and warm[3][0] == 1
    monkeypatch.delenv("GTO_NO_CACHE")
    # A repository borrowing every object through an alternate, which then goes away.
    shared = init_repo(tmp_path / "shared")
    shared.close()
    objects = tmp_path / "shared" / ".git" / "objects"
    alternates = objects / "info" / "alternates"
    alternates.write_text(str(tmp_path / "origin" / ".git" / "objects") + "\n")
    with open(tmp_path / "origin" / ".git" / "packed-refs", "rb") as f:
        (tmp_path / "shared" / ".git" / "packed-refs").write_bytes(f.read())
    (tmp_path / "shared" / ".git" / "refs" / "tags" / "m@v1.0.0").write_text(kept + "\n")
    where = str(tmp_path / "shared")
    commands = [("show",), ("check-ref", "n@v1.0.3"), ("doctor",)]
    assert answers()[1][0] == 0
    alternates.unlink()
    warm = answers()
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    assert warm == answers()
    assert warm[1] == (1, "", "❌ Tag 'n@v1.0.3' cannot be read: missing object\n")
    assert "v1.0.3" not in warm[0][1]
    assert "❌ Tag 'n@v1.0.3' cannot be read: missing object [n@v1.0.3]\n" in warm[2][1]


def test_a_few_tags_of_a_big_cache_are_parsed_without_loading_it(
    tmp_path: Path, cache_home: Path
) -> None:
    """`check-ref` of one tag of 200,000 must not load their whole file: when the tags asked
    for are fewer than a sixteenth of its entries, their objects are parsed instead (an
    entry made to differ from its object shows which answered)."""
    from gto.git.repo import GitRepo

    repo = init_repo(tmp_path / "repo")
    commit = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    names = [f"m@v1.0.{n}" for n in range(40)]
    oids = [make_tag(repo, name, commit, time=EPOCH + n) for n, name in enumerate(names)]
    repo.close()
    with GitRepo.open(tmp_path / "repo", cache_home=cache_home / "gto") as git:
        assert len(git.read_tags(git.tag_names())) == 40  # every tag: the file has 40 entries
    (file,) = cache_files(cache_home, "tags")
    cache = TagCache(file, 40)
    record = cache.get(oids[0])
    assert record is not None and record[6] == "Tag m@v1.0.0"
    cache.add(oids[0], (*record[:6], "told by the cache"))
    cache.save()

    def message(wanted: list[str]) -> str:
        with GitRepo.open(tmp_path / "repo", cache_home=cache_home / "gto") as git:
            return git.read_tags(wanted)[0].message

    assert message(names[:2]) == "Tag m@v1.0.0"  # 2 x 16 < 40: parsed
    assert message(names[:3]) == "told by the cache"  # 3 x 16 >= 40: loaded
    assert TagCache(file, 40).get(oids[0]) == (*record[:6], "told by the cache")  # kept whole
