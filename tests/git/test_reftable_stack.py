"""gto's reftable stack: transactions, compaction, concurrent writers, and dulwich's tables.

dulwich 1.2.21 writes some tables wrongly and reads some wrongly; each such defect has
a test here that shows gto raises (naming the file) instead of answering, or reads
what dulwich cannot.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from multiprocessing.synchronize import Event as EventType
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reftables import (
    d,
    doid,
    dulwich_refs,
    dulwich_repo,
    git_like_full_table,
    install,
    new_stack,
    oid,
    snapshot_dir,
)

from gto.git.reftable_encode import segment
from gto.git.reftable_format import Table
from gto.git.reftable_stack import (
    Expect,
    Ref,
    ReftableConflictError,
    ReftableError,
    ReftableFormatError,
    ReftableLockError,
    ReftableStack,
    RefUpdate,
)
from gto.git.reftable_update import compact

# -- dulwich interop ---------------------------------------------------------------------


def test_reads_what_dulwich_writes_and_agrees_with_dulwich(tmp_path: Path) -> None:
    refs = dulwich_repo(tmp_path / "repo")
    refs[d(b"refs/heads/main")] = doid(1)
    refs[d(b"refs/tags/v1.0.0")] = doid(2)
    with refs.batch_update():
        for i in range(5):
            refs[d(b"refs/tags/batch-%d" % i)] = doid(10 + i)
        refs.set_symbolic_ref(d(b"HEAD"), d(b"refs/heads/main"))
    refs[d(b"refs/tags/later")] = doid(3)
    assert refs.remove_if_equals(d(b"refs/tags/batch-2"), doid(12))
    refs[d(b"refs/tags/later")] = doid(5)  # dulwich 1.2.21 silently ignores this update
    assert refs.set_if_equals(d(b"refs/heads/main"), doid(1), doid(4))

    ours = ReftableStack(tmp_path / "repo" / ".git" / "reftable").refs_starting(b"")
    theirs = dulwich_refs(tmp_path / "repo")
    assert [r.name for r in ours] == sorted(k.decode() for k in theirs.allkeys())
    for ref in ours:
        raw = theirs.read_loose_ref(d(ref.name.encode()))
        assert raw.decode() == (f"ref: {ref.symref}" if ref.symref else ref.object_id)
    assert ours[0] == Ref("HEAD", symref="refs/heads/main")
    assert "refs/tags/batch-2" not in [r.name for r in ours]
    stack = ReftableStack(tmp_path / "repo" / ".git" / "reftable")
    assert stack.get("refs/heads/main") == Ref("refs/heads/main", oid(4))
    assert stack.get("refs/tags/later") == Ref("refs/tags/later", oid(3))


def test_reads_dulwich_batches_longer_than_one_block(tmp_path: Path) -> None:
    refs = dulwich_repo(tmp_path / "repo")
    with refs.batch_update():
        refs.set_symbolic_ref(d(b"HEAD"), d(b"refs/heads/main"))
        for i in range(200):
            refs[d(b"refs/tags/v%03d" % i)] = doid(i + 1)
    (table,) = (tmp_path / "repo" / ".git" / "reftable").glob("*.ref")
    assert int.from_bytes(table.read_bytes()[25:28], "big") > 4096  # one oversized block
    ours = ReftableStack(tmp_path / "repo" / ".git" / "reftable").refs_starting(b"")
    assert ours == [Ref("HEAD", symref="refs/heads/main")] + [
        Ref(f"refs/tags/v{i:03d}", oid(i + 1)) for i in range(200)
    ]
    # dulwich's reader ends a block at the first 00 00 1c bytes: inside the id of v027 here
    with pytest.raises(KeyError):
        dulwich_refs(tmp_path / "repo").read_loose_ref(d(b"refs/tags/v027"))


def test_dulwich_batches_with_bad_restart_points_are_refused(tmp_path: Path) -> None:
    refs = dulwich_repo(tmp_path / "repo")
    with refs.batch_update():  # no HEAD in the stack: the 2nd restart is a compressed key
        for i in range(3):
            refs[d(b"refs/tags/v%d" % i)] = doid(i + 1)
    assert len(dulwich_refs(tmp_path / "repo").as_dict()) == 3
    with pytest.raises(ReftableFormatError, match="restart points do not match records"):
        ReftableStack(tmp_path / "repo" / ".git" / "reftable").refs_starting(b"")


def test_names_are_never_cut_whatever_the_prefix(tmp_path: Path) -> None:
    refs = dulwich_repo(tmp_path / "repo")
    for name in (b"refs/tags/x1", b"refs/tags/x2", b"refs/tagsy", b"refs/heads/main"):
        refs[d(name)] = doid(len(name))
    stack = ReftableStack(tmp_path / "repo" / ".git" / "reftable")
    expected = ["refs/tags/x1", "refs/tags/x2"]
    assert [r.name for r in stack.refs_starting(b"refs/tags/")] == expected
    assert [r.name for r in stack.refs_starting(b"refs/tags")] == [*expected, "refs/tagsy"]
    assert len(stack.refs_starting(b"")) == 4
    # dulwich 1.2.21 cuts the names when the prefix ends in a slash
    assert sorted(dulwich_refs(tmp_path / "repo").keys(d(b"refs/tags/"))) == [b"1", b"2"]


def test_tables_dulwich_writes_wrongly_raise_instead_of_answering(tmp_path: Path) -> None:
    long_name = dulwich_repo(tmp_path / "long")  # suffix >= 32 bytes: bad varint
    long_name[d(b"refs/tags/a-rather-long-artifact-name@v1.0.0")] = doid(1)
    assert dulwich_refs(tmp_path / "long").as_dict() == {}  # dulwich loses the ref silently
    with pytest.raises(ReftableFormatError, match=r"damaged reftable .*long/\.git/reftable/0x"):
        ReftableStack(tmp_path / "long" / ".git" / "reftable").refs_starting(b"")

    many = dulwich_repo(tmp_path / "many")  # update index deltas >= 128: LEB128, not git's varint
    many.add_packed_refs({d(b"refs/tags/t%03d" % i): doid(i) for i in range(200)})
    assert len(dulwich_refs(tmp_path / "many").as_dict()) < 200  # dulwich loses most of them
    with pytest.raises(ReftableFormatError, match="update index outside"):
        ReftableStack(tmp_path / "many" / ".git" / "reftable").refs_starting(b"")


def test_sha256_tables_dulwich_writes_are_refused(tmp_path: Path) -> None:
    refs = dulwich_repo(tmp_path / "repo", object_format="sha256")
    refs[d(b"refs/tags/a")] = doid(7, 32)
    path = tmp_path / "repo" / ".git" / "reftable"
    # dulwich writes a version-1 (SHA-1) table holding the hex text of the id
    with pytest.raises(
        ReftableFormatError, match="stores sha1 object names but the repository uses sha256"
    ):
        ReftableStack(path, object_format="sha256").refs_starting(b"")
    with pytest.raises(ReftableFormatError, match="damaged reftable"):
        ReftableStack(path).refs_starting(b"")


def test_dulwich_reads_what_we_write(tmp_path: Path) -> None:
    dulwich_repo(tmp_path / "repo")
    stack = ReftableStack(tmp_path / "repo" / ".git" / "reftable", auto_compact=False)
    stack.apply(
        [
            RefUpdate("HEAD", symref="refs/heads/main"),
            RefUpdate.create("refs/heads/main", oid(1)),
            RefUpdate.create("refs/tags/v1", oid(2), peeled=oid(1)),
        ]
    )
    stack.apply([RefUpdate.create("refs/tags/v2", oid(3), peeled=oid(1))])
    stack.apply([RefUpdate.delete("refs/tags/v1", expect=oid(2))])
    stack.apply([RefUpdate("refs/heads/main", oid(5), expect=oid(1))])
    theirs = dulwich_refs(tmp_path / "repo")
    assert theirs.as_dict() == {
        b"HEAD": oid(5).encode(),
        b"refs/heads/main": oid(5).encode(),
        b"refs/tags/v2": oid(3).encode(),
    }
    assert theirs.get_peeled(d(b"refs/tags/v2")) == doid(1)
    assert [(r.name, r.object_id, r.peeled, r.symref) for r in stack.refs_starting(b"")] == [
        ("HEAD", None, None, "refs/heads/main"),
        ("refs/heads/main", oid(5), None, None),
        ("refs/tags/v2", oid(3), oid(1), None),
    ]


def test_dulwich_cannot_read_multi_block_tables_but_we_can(tmp_path: Path) -> None:
    dulwich_repo(tmp_path / "repo")
    stack = ReftableStack(tmp_path / "repo" / ".git" / "reftable")
    stack.apply([RefUpdate.create(f"refs/tags/t{i:04d}", oid(i + 1)) for i in range(300)])
    assert len(stack.refs_starting(b"")) == 300
    assert len(dulwich_refs(tmp_path / "repo").as_dict()) < 300  # dulwich reads one block only


# -- transactions ------------------------------------------------------------------------


def test_create_update_delete_with_expected_values(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt")
    stack.apply([RefUpdate.create("refs/tags/a", oid(1))])
    with pytest.raises(ReftableConflictError, match="reference 'refs/tags/a' already exists"):
        stack.apply([RefUpdate.create("refs/tags/a", oid(2))])
    with pytest.raises(ReftableConflictError, match=f"is at {oid(1)}, expected {oid(9)}"):
        stack.apply([RefUpdate("refs/tags/a", oid(2), expect=oid(9))])
    with pytest.raises(ReftableConflictError, match="'refs/tags/b' does not exist"):
        stack.apply([RefUpdate.delete("refs/tags/b", expect=oid(1))])
    stack.apply([RefUpdate("refs/tags/a", oid(2), expect=oid(1))])
    assert stack.get("refs/tags/a") == Ref("refs/tags/a", oid(2))
    stack.apply([RefUpdate.delete("refs/tags/a", expect=oid(2))])
    assert stack.get("refs/tags/a") is None
    before = snapshot_dir(tmp_path / "rt")
    stack.apply([RefUpdate.delete("refs/tags/never")])  # deleting nothing writes nothing
    assert snapshot_dir(tmp_path / "rt") == before


def test_a_failing_precondition_changes_nothing(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt")
    stack.apply([RefUpdate.create("refs/tags/taken", oid(1))])
    before = snapshot_dir(tmp_path / "rt")
    updates = [RefUpdate.create(f"refs/tags/n{i}", oid(i)) for i in range(10)]
    with pytest.raises(ReftableConflictError) as info:
        stack.apply([*updates, RefUpdate.create("refs/tags/taken", oid(2))])
    assert info.value.name == "refs/tags/taken"
    assert snapshot_dir(tmp_path / "rt") == before  # no table, no lock, same tables.list


@pytest.mark.parametrize("fail", ["fsync", "replace tables.list"])
def test_an_io_failure_while_writing_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: str
) -> None:
    stack = new_stack(tmp_path / "rt")
    stack.apply([RefUpdate.create("refs/tags/a", oid(1))])
    before = snapshot_dir(tmp_path / "rt")
    real_replace = os.replace

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    def broken_replace(src: str, dst: str) -> None:
        if dst.endswith("tables.list"):
            raise OSError("disk full")
        real_replace(src, dst)

    if fail == "fsync":
        monkeypatch.setattr(os, "fsync", broken_fsync)
    else:
        monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        stack.apply([RefUpdate.create("refs/tags/b", oid(2))])
    monkeypatch.undo()
    assert snapshot_dir(tmp_path / "rt") == before
    stack.apply([RefUpdate.create("refs/tags/b", oid(2))])
    assert [r.name for r in stack.refs_starting(b"")] == ["refs/tags/a", "refs/tags/b"]


def test_directory_file_conflicts_are_refused(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt")
    stack.apply(
        [RefUpdate.create("refs/tags/a", oid(1)), RefUpdate.create("refs/tags/b/c", oid(2))]
    )
    with pytest.raises(
        ReftableConflictError, match="cannot create 'refs/tags/a/x': 'refs/tags/a' exists"
    ):
        stack.apply([RefUpdate.create("refs/tags/a/x", oid(3))])
    with pytest.raises(
        ReftableConflictError, match="cannot create 'refs/tags/b': 'refs/tags/b/c' exists"
    ):
        stack.apply([RefUpdate.create("refs/tags/b", oid(3))])
    with pytest.raises(ReftableConflictError, match="'refs/tags/d/e' exists"):
        stack.apply(
            [RefUpdate.create("refs/tags/d", oid(3)), RefUpdate.create("refs/tags/d/e", oid(4))]
        )
    stack.apply([RefUpdate.delete("refs/tags/a"), RefUpdate.create("refs/tags/a/x", oid(3))])
    assert [r.name for r in stack.refs_starting(b"")] == ["refs/tags/a/x", "refs/tags/b/c"]


@pytest.mark.parametrize(
    "name",
    [
        "tags/v1",
        "refs/tags/",
        "refs/tags/a..b",
        "refs/tags/a b",
        "refs/tags/x.lock",
        "refs/tags/.x",
        "refs//a",
    ],
)
def test_invalid_names_are_refused(tmp_path: Path, name: str) -> None:
    stack = new_stack(tmp_path / "rt")
    with pytest.raises(ReftableError, match="invalid ref name"):
        stack.apply([RefUpdate.create(name, oid(1))])
    assert stack.tables() == []


def test_each_ref_only_once_per_transaction(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt")
    with pytest.raises(ReftableError, match="each ref only once"):
        stack.apply([RefUpdate.create("refs/tags/a", oid(1)), RefUpdate.delete("refs/tags/a")])
    with pytest.raises(ReftableError, match="mixes a symref and an object id"):
        stack.apply([RefUpdate("refs/tags/a", oid(1), symref="refs/heads/main")])
    with pytest.raises(ReftableError, match="mixes a symref and an object id"):
        stack.apply([RefUpdate("refs/tags/a", peeled=oid(1))])


def test_a_held_lock_times_out_and_changes_nothing(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt", lock_timeout=0.05)
    (tmp_path / "rt" / "tables.list.lock").write_bytes(b"")
    with pytest.raises(ReftableLockError, match=r"tables\.list\.lock' exists"):
        stack.apply([RefUpdate.create("refs/tags/a", oid(1))])
    assert sorted(os.listdir(tmp_path / "rt")) == ["tables.list.lock"]


def test_resolve_follows_symrefs_and_the_head_file(tmp_path: Path) -> None:
    gitdir = tmp_path / "git"
    stack = new_stack(gitdir / "reftable")
    (gitdir / "HEAD").write_text("ref: refs/heads/.invalid\n")
    assert stack.resolve() == (["HEAD"], None)
    (gitdir / "HEAD").write_text("ref: refs/heads/main\n")  # as dulwich leaves it
    assert stack.resolve() == (["HEAD", "refs/heads/main"], None)  # unborn
    stack.apply([RefUpdate.create("refs/heads/main", oid(1))])
    assert stack.resolve() == (["HEAD", "refs/heads/main"], Ref("refs/heads/main", oid(1)))
    stack.apply(
        [RefUpdate("HEAD", symref="refs/heads/other"), RefUpdate("refs/heads/other", symref="HEAD")]
    )
    with pytest.raises(ReftableError, match="nest too deeply or loop"):
        stack.resolve()


# -- compaction --------------------------------------------------------------------------


def test_geometric_segment_follows_git() -> None:
    assert segment([]) == (0, 0)
    assert segment([5]) == (0, 0)
    assert segment([64, 32, 16, 8, 4, 2, 1]) == (0, 0)
    assert segment([64, 32, 16, 8, 4, 3, 1]) == (0, 6)
    assert segment([128, 32, 16, 8, 4, 3, 1]) == (1, 6)
    assert segment([100, 1, 1]) == (1, 3)


def test_auto_compaction_keeps_the_stack_logarithmic(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt")
    for i in range(300):
        stack.apply([RefUpdate.create(f"refs/tags/v{i:04d}", oid(i + 1))])
        assert len(stack.tables()) <= 10
    assert [r.name for r in stack.refs_starting(b"")] == [f"refs/tags/v{i:04d}" for i in range(300)]
    assert sorted(os.listdir(tmp_path / "rt")) == sorted([*stack.tables(), "tables.list"])


def test_partial_compaction_keeps_tombstones_full_compaction_drops_them(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt", auto_compact=False)
    stack.apply([RefUpdate.create(f"refs/tags/base{i:03d}", oid(i + 1)) for i in range(200)])
    stack.apply([RefUpdate.delete("refs/tags/base007")])
    stack.apply([RefUpdate.create("refs/tags/new", oid(999))])
    compact(stack, full=False)  # merges the two small tables only
    tables = stack.tables()
    assert len(tables) == 2 and tables[1].startswith("0x000000000002-0x000000000003-")
    top = Table("t", "t", (tmp_path / "rt" / tables[1]).read_bytes(), None)
    assert [(r[0], r[1]) for r in top.refs] == [(b"refs/tags/base007", 0), (b"refs/tags/new", 1)]
    assert stack.get("refs/tags/base007") is None
    stack.compact()
    (only,) = stack.tables()
    assert only.startswith("0x000000000001-0x000000000003-")
    assert not Table("t", "t", (tmp_path / "rt" / only).read_bytes(), None).has_deletions
    assert len(stack.refs_starting(b"")) == 200 and stack.get("refs/tags/base007") is None


def test_compaction_keeps_the_newest_value_and_the_reflogs(tmp_path: Path) -> None:
    data, logs = git_like_full_table()
    install(tmp_path / "rt", data, "0x000000000001-0x000000000003-00000000.ref")
    stack = ReftableStack(tmp_path / "rt", auto_compact=False)
    stack.apply([RefUpdate("refs/heads/master", oid(5), expect="00" * 20)])
    stack.compact()
    (only,) = stack.tables()
    table = Table("t", "t", (tmp_path / "rt" / only).read_bytes(), None)
    assert table.logs() == logs
    assert stack.get("refs/heads/master") == Ref("refs/heads/master", oid(5))
    assert len(stack.refs_starting(b"")) == 8


def test_a_table_locked_by_a_compacting_git_is_left_alone(tmp_path: Path) -> None:
    stack = new_stack(tmp_path / "rt", auto_compact=False)
    for i in range(3):
        stack.apply([RefUpdate.create(f"refs/tags/v{i}", oid(i + 1))])
    names = stack.tables()
    (tmp_path / "rt" / (names[1] + ".lock")).write_bytes(b"")
    with pytest.raises(ReftableLockError):
        stack.compact()
    compact(stack, full=False)  # best effort: nothing to do with only one unlocked table on top
    assert stack.tables() == names


# -- concurrency -------------------------------------------------------------------------


Won = tuple[int, list[tuple[str, int]]]


def _writer(path: str, worker: int, rounds: int, results: multiprocessing.Queue[Won]) -> None:
    stack = ReftableStack(path, lock_timeout=60)
    won: list[tuple[str, int]] = []
    for i in range(rounds):
        mine = f"{worker:02x}{i:038x}"
        try:
            stack.apply([RefUpdate.create(f"refs/tags/shared-{i}", mine)])
            won.append(("shared", i))
        except ReftableConflictError:
            pass
        try:
            stack.apply(
                [
                    RefUpdate.create(f"refs/tags/pair-{i}-a", mine),
                    RefUpdate.create(f"refs/tags/pair-{i}-b", mine),
                ]
            )
            won.append(("pair", i))
        except ReftableConflictError:
            pass
        stack.apply([RefUpdate.create(f"refs/tags/w{worker}-{i}", mine)])
    results.put((worker, won))


def _reader(path: str, stop: EventType, results: multiprocessing.Queue[list[int]]) -> None:
    stack = ReftableStack(path)
    counts = []
    while not stop.is_set():
        counts.append(len(stack.refs_starting(b"")))
    results.put(counts)


def test_concurrent_writers_lose_nothing_and_each_name_has_one_winner(tmp_path: Path) -> None:
    path = tmp_path / "rt"
    path.mkdir()
    ctx = multiprocessing.get_context("fork")
    results: multiprocessing.Queue[Won] = ctx.Queue()
    seen: multiprocessing.Queue[list[int]] = ctx.Queue()
    stop = ctx.Event()
    rounds, workers = 40, 8
    reader = ctx.Process(target=_reader, args=(str(path), stop, seen))
    reader.start()
    procs = [
        ctx.Process(target=_writer, args=(str(path), w, rounds, results)) for w in range(workers)
    ]
    for proc in procs:
        proc.start()
    outcome = dict(results.get(timeout=300) for _ in procs)
    stop.set()
    counts = seen.get(timeout=60)
    for proc in [*procs, reader]:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    refs = {r.name: r.object_id for r in ReftableStack(path).refs_starting(b"")}
    assert len(refs) == rounds * (workers + 3)
    for kind, names in (("shared", ["shared-{}"]), ("pair", ["pair-{}-a", "pair-{}-b"])):
        for i in range(rounds):
            winners = [w for w, won in outcome.items() if (kind, i) in won]
            assert len(winners) == 1
            for name in names:
                assert refs[f"refs/tags/{name.format(i)}"] == f"{winners[0]:02x}{i:038x}"
    for w in range(workers):
        for i in range(rounds):
            assert refs[f"refs/tags/w{w}-{i}"] == f"{w:02x}{i:038x}"
    assert counts == sorted(counts) and counts  # a reader never saw refs vanish or a damaged stack
    ReftableStack(path).verify()
    assert len(ReftableStack(path).tables()) <= 12
    assert not [n for n in os.listdir(path) if n.endswith((".lock", ".temp")) or ".temp." in n]


# -- property tests ----------------------------------------------------------------------

names = st.sampled_from([f"refs/{ns}/{n}" for ns in ("tags", "heads") for n in "abcdefgh"])
ids = st.integers(1, 2**160 - 1).map(lambda n: f"{n:040x}")
op = st.one_of(
    st.tuples(st.just("set"), names, ids, st.none() | ids),
    st.tuples(st.just("del"), names, st.none(), st.none()),
)


@pytest.mark.property
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(op, min_size=1, max_size=6), min_size=1, max_size=15))
def test_random_transactions_match_a_model(
    batches: list[list[tuple[str, str, str | None, str | None]]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stack = ReftableStack(tmp)
        model: dict[str, Ref] = {}
        for batch in batches:
            unique = {name: (kind, name, new, peeled) for kind, name, new, peeled in batch}
            updates = []
            for kind, name, new, peeled in unique.values():
                if kind == "set":
                    assert new is not None
                    updates.append(RefUpdate(name, new, peeled))
                    model[name] = Ref(name, new, peeled)
                else:
                    updates.append(RefUpdate.delete(name))
                    model.pop(name, None)
            stack.apply(updates)
            assert stack.refs_starting(b"") == sorted(model.values(), key=lambda r: r.name)
        stack.compact()
        assert stack.refs_starting(b"") == sorted(model.values(), key=lambda r: r.name)
        assert len(stack.tables()) <= 1
        for name in {n for b in batches for _, n, _, _ in b}:
            assert stack.get(name) == model.get(name)


def test_lookup_and_error_types_are_public() -> None:
    assert issubclass(ReftableFormatError, ReftableError)
    assert issubclass(ReftableLockError, ReftableError)
    assert issubclass(ReftableConflictError, ReftableError)
    assert RefUpdate.create("refs/tags/a", oid(1)).expect is Expect.ABSENT


def test_tables_a_killed_writer_left_unlisted_are_removed_by_the_next_write(
    tmp_path: Path,
) -> None:
    """A writer killed between renaming its table and renaming the list leaves a table no
    list names; the next writer removes it, under the list lock (git's reftable_stack_clean)."""
    stack = new_stack(tmp_path / "rt", auto_compact=False)
    stack.apply([RefUpdate.create("refs/tags/a", oid(1))])
    (listed,) = stack.tables()
    orphan = tmp_path / "rt" / "0x000000000002-0x000000000002-0badc0de.ref"
    orphan.write_bytes((tmp_path / "rt" / listed).read_bytes())
    temporary = tmp_path / "rt" / ".0x000000000002-0x000000000002-12345678.ref.abc.tmp"
    temporary.write_bytes(b"a compaction of git's, at work")
    stack.apply([RefUpdate.create("refs/tags/b", oid(2))])
    assert not orphan.exists() and temporary.exists()
    assert sorted(os.listdir(tmp_path / "rt")) == sorted(
        [*stack.tables(), "tables.list", temporary.name]
    )


def test_a_failed_compaction_does_not_fail_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write is done when its list is renamed; a compaction that then fails (a full
    disk) must not report it as failed, nor change the stack."""
    stack = new_stack(tmp_path / "rt")
    stack.apply([RefUpdate.create("refs/tags/a", oid(1))])

    def full_disk(stack: ReftableStack, *, full: bool) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("gto.git.reftable_update.compact", full_disk)
    stack.apply([RefUpdate.create("refs/tags/b", oid(2))])
    assert [r.name for r in stack.refs_starting(b"")] == ["refs/tags/a", "refs/tags/b"]
    assert len(stack.tables()) == 2
