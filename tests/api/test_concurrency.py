"""Many `gto` processes writing to one repository at the same moment.

Each process imports gto, then waits for a common start signal (a file), so the
writes really overlap. However they interleave, no tag name is written twice and
no write is lost: each process either writes its own tag or fails loudly.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from builders import EPOCH, Commit, build_registry
from dulwich.objects import Tag
from dulwich.refs import Ref
from dulwich.repo import Repo
from format_fixtures import materialise
from servers import run_at_once as together

from gto.api.commands import Assign, WriteOptions, diagnose, write
from gto.core.tags import Action, parse_tag
from gto.git import identity as git_identity
from gto.git import write as gitwrite
from gto.git.reftable_stack import ReftableStack
from gto.git.repo import GitRepo
from gto.session import Session

PROCESSES = 8
TIMEOUT = 60


def run_at_once(
    tmp_path: Path, commands: Sequence[Sequence[str]], *, clock: bool = False
) -> list[tuple[int, str, str]]:
    """Start one process per command, release them together; (code, stdout, stderr) each.

    The tagger's date is fixed, unless `clock`: then each tag takes the time it is made.
    """
    env = {"GIT_COMMITTER_NAME": "Tess Tagger", "GIT_COMMITTER_EMAIL": "tess@example.com"}
    if not clock:
        env["GIT_COMMITTER_DATE"] = f"@{EPOCH + 1000} +0000"
    imports = ("gto.api.commands", "gto.git.transaction")
    return together(tmp_path, commands, env=env, imports=imports, timeout=TIMEOUT)


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    """Commits c0..c7 on main, and m@v0.0.1 registered on c0."""
    path = tmp_path / "repo"
    steps: list[object] = [Commit(f"c{i}", {f"f{i}.txt": str(i)}, at=i) for i in range(PROCESSES)]
    steps.append(("tag", "m@v0.0.1", "c0", 1))
    build_registry(path, steps).close()  # type: ignore[arg-type]
    return path


def tags(path: Path) -> dict[str, Tag]:
    with Repo(str(path)) as repo:
        found = {}
        for name, oid in repo.refs.as_dict(Ref(b"refs/tags")).items():
            tag = repo[oid]
            assert isinstance(tag, Tag)
            found[name.decode()] = tag
        return found


def test_concurrent_assignments_all_land(tmp_path: Path, repo_path: Path) -> None:
    # Half force the same stage (same tag names race), half take a stage of their own
    # (different names race for one counter).
    half = PROCESSES // 2
    stages = ["prod"] * half + [f"s{i}" for i in range(PROCESSES - half)]
    # Each writer has its own message: identical tag objects written at the same moment
    # trip over dulwich's object lock file (see the report on gitwrite.create_tag).
    results = run_at_once(
        tmp_path,
        [
            [
                "assign",
                "m",
                "--version",
                "v0.0.1",
                "--stage",
                stage,
                "--force",
                "-m",
                f"writer {i}",
                "-r",
                str(repo_path),
            ]
            for i, stage in enumerate(stages)
        ],
    )
    assert [code for code, _, _ in results] == [0] * PROCESSES, results
    assert all(err == "" for _, _, err in results)

    written = {name: tag for name, tag in tags(repo_path).items() if name != "m@v0.0.1"}
    parsed = [parse_tag(name) for name in written]
    # Distinct counters (a writer that backed off may leave a gap).
    assert len({p.counter for p in parsed}) == PROCESSES
    assert all(p.counter is not None for p in parsed)
    assert sorted(p.stage for p in parsed) == sorted(stages)  # type: ignore[type-var]
    # Each process reported the tag it wrote, and no two reported the same one.
    reported = [out.split("'")[1] for _, out, _ in results]
    assert sorted(reported) == sorted(written)
    assert sorted(tag.message for tag in written.values()) == sorted(
        f"writer {i}".encode() for i in range(PROCESSES)
    )

    with GitRepo.open(repo_path) as git:
        version = Session(git).registry().artifacts["m"].find_version("v0.0.1")
    assert version is not None
    assert sorted(version.stages) == sorted(set(stages))
    assert sum(len(s.assignments) for s in version.stages.values()) == PROCESSES


def test_concurrent_registrations_all_land(tmp_path: Path, repo_path: Path) -> None:
    count = PROCESSES - 1  # c1..c7; c0 already has v0.0.1
    results = run_at_once(
        tmp_path,
        [
            [
                "register",
                "m",
                f"HEAD~{count - 1 - i}",
                "--version",
                f"v1.{i}.0",
                "--simple",
                "false",
                "-r",
                str(repo_path),
            ]
            for i in range(count)
        ],
    )
    assert [code for code, _, _ in results] == [0] * count, results

    written = {n: t for n, t in tags(repo_path).items() if n != "m@v0.0.1"}
    parsed = {n: parse_tag(n) for n in written}
    assert len({p.counter for p in parsed.values()}) == count
    assert sorted(p.version for p in parsed.values()) == sorted(  # type: ignore[type-var]
        f"v1.{i}.0" for i in range(count)
    )
    with GitRepo.open(repo_path) as git:
        artifact = Session(git).registry().artifacts["m"]
        commits = {v.version: v.commit_hexsha for v in artifact.versions}
        for i in range(count):
            assert commits[f"v1.{i}.0"] == git.resolve(f"HEAD~{count - 1 - i}")
    assert len(set(commits.values())) == PROCESSES


def test_mixed_registrations_and_assignments(tmp_path: Path, repo_path: Path) -> None:
    """Auto-bumped registrations (two on one commit) and assignments, all at once.

    Every command that reports success is in the registry afterwards, no tag name is
    written twice, and no commit ends up with two versions.
    """
    repo = str(repo_path)
    commands = [
        ["register", "m", "HEAD~1", "-r", repo],
        ["register", "m", "HEAD~2", "-r", repo],
        ["register", "m", "HEAD~3", "-r", repo],
        ["register", "m", "HEAD~3", "-r", repo],  # the same commit as the one before
        ["assign", "m", "--version", "v0.0.1", "--stage", "dev", "-m", "a", "-r", repo],
        ["assign", "m", "--version", "v0.0.1", "--stage", "qa", "-m", "b", "-r", repo],
        ["assign", "m", "HEAD", "--stage", "prod", "--sr", "-m", "c", "-r", repo],
        ["assign", "m", "HEAD~4", "--stage", "prod", "--sr", "-m", "d", "-r", repo],
    ]
    results = run_at_once(tmp_path, commands)
    succeeded = [out.split("'")[1] for code, out, _ in results if code == 0]
    failed = [err for code, _, err in results if code != 0]
    # Only the two registrations of one commit may lose (one, or rarely both, when each
    # sees the other), with a clear one-line error.
    assert [i for i, (code, _, _) in enumerate(results) if code != 0] in ([], [2], [3], [2, 3])
    for err in failed:
        assert err.startswith("❌ 'm' is already registered in this commit with version"), err
        assert err.count("\n") == 1
    written = set(tags(repo_path)) - {"m@v0.0.1"}
    # Each success is there (the first tag each printed: a registration or the assignment).
    assert set(succeeded) <= written
    with GitRepo.open(repo_path) as git:
        artifact = Session(git).registry().artifacts["m"]
    per_commit: dict[str, list[str]] = {}
    for version in artifact.versions:
        if version.registrations:
            per_commit.setdefault(version.commit_hexsha, []).append(version.version)
    assert all(len(names) == 1 for names in per_commit.values()), per_commit
    assert len(per_commit) == 1 + 3 - len(failed) // 2
    stage_tags = [parse_tag(n) for n in written if "#" in n]
    assert len({p.counter for p in stage_tags}) == len(stage_tags) == 4


REPEATED = {
    "deprecate": "❌ Stage 'prod' of version 'v0.0.1' is unassigned already. Use the '--force' "
    "flag to create a new Git tag nevertheless.\n",
    "assign": "❌ Version 'v0.0.1' is already in stage 'prod'. Use the '--force' flag to create "
    "a new Git tag nevertheless.\n",
}


@pytest.mark.parametrize("command", ["deprecate", "assign"])
def test_one_stage_change_made_by_many_at_once_succeeds_once(
    command: str, tmp_path: Path, repo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As when run one after another: the first unassigns (or assigns) the stage, the
    # others find it done. Each writes a tag, then the later ones back off.
    if command == "deprecate":
        monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
        monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 900} +0000")  # before the rest
        write(str(repo_path), Assign("m", "prod", version="v0.0.1"), WriteOptions())
        args = ["deprecate", "m", "v0.0.1", "prod"]
    else:
        args = ["assign", "m", "--version", "v0.0.1", "--stage", "prod"]
    results = run_at_once(tmp_path, [[*args, "-r", str(repo_path)]] * PROCESSES)
    assert sorted(code for code, _, _ in results) == [0] + [1] * (PROCESSES - 1), results
    assert sorted(err for _, _, err in results) == [""] + [REPEATED[command]] * (PROCESSES - 1)
    action = Action.UNASSIGN if command == "deprecate" else Action.ASSIGN
    made = [n for n in tags(repo_path) if parse_tag(n).action is action]
    assert made == [out.split("'")[1] for code, out, _ in results if code == 0]


def test_concurrent_writers_never_date_a_higher_counter_earlier(
    tmp_path: Path, repo_path: Path
) -> None:
    # Real clocks: a writer that retries with a higher counter takes the time anew.
    results = run_at_once(
        tmp_path,
        [
            ["assign", "m", "--version", "v0.0.1", "--stage", f"s{i}", "-r", str(repo_path)]
            for i in range(PROCESSES)
        ],
        clock=True,
    )
    assert [code for code, _, _ in results] == [0] * PROCESSES, results
    assert [p for p in diagnose(repo_path) if p.check == "counter-backwards"] == []


def test_a_stale_counter_lock_moves_on_to_the_next_counter(
    repo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A writer killed while creating m#qa#1 left its lock: the next one takes #2 at
    # once (no waiting for the lock), with the time it takes that counter, not before.
    lock = repo_path / ".git" / "refs" / "tags" / "m#qa#1.lock"
    lock.write_text("")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    clock = iter(range(EPOCH + 100, EPOCH + 200))

    class Clock:
        """The clock new tags read (gto.git.identity.now): every reading a second later."""

        def __getattr__(self, name: str) -> object:
            return getattr(time, name)

        def time(self) -> float:
            return float(next(clock))

    monkeypatch.setattr(git_identity, "time", Clock())
    started = time.monotonic()
    outcome = write(str(repo_path), Assign("m", "qa", version="v0.0.1"), WriteOptions())
    assert time.monotonic() - started < gitwrite.LOCK_TIMEOUT
    assert [e.tag for e in outcome.created] == ["m#qa#2"]
    with Repo(str(repo_path)) as repo:
        made = repo[repo.refs[Ref(b"refs/tags/m#qa#2")]]
        assert isinstance(made, Tag)
        assert made.tag_time == EPOCH + 101  # the second reading: the one for counter 2
    assert outcome.created[0].created_at.timestamp() == EPOCH + 101
    assert lock.exists()  # not ours to remove: doctor reports it


@pytest.mark.parametrize("name", ["reftable-sha1", "reftable-sha256"])
def test_concurrent_writers_of_a_reftable_stack_lose_nothing(tmp_path: Path, name: str) -> None:
    """As with loose refs: every reported tag lands, counters stay distinct, the stack whole.

    Each writer adds one table under tables.list.lock and compacts when it can.
    """
    repo = materialise(name, tmp_path / "fixture")
    half = PROCESSES // 2
    commands = [
        ["assign", "churn", "--version", "v1.1.0", "--stage", f"s{i}", "-r", str(repo)]
        for i in range(half)
    ] + [
        ["register", f"new{i}", "HEAD", "--version", "v1.0.0", "-r", str(repo)]
        for i in range(PROCESSES - half)
    ]
    results = run_at_once(tmp_path, commands, clock=True)
    assert [code for code, _, _ in results] == [0] * PROCESSES, results
    reported = {out.split("'")[1] for _, out, _ in results}
    stack = ReftableStack(repo / "reftable")
    stack.verify()
    written = {ref.name.removeprefix("refs/tags/") for ref in stack.refs_starting(b"refs/tags/")}
    assert reported <= written and len(reported) == PROCESSES
    counters = [parse_tag(n).counter for n in reported if n.startswith("churn#")]
    assert len(set(counters)) == half and min(c or 0 for c in counters) >= 6
    assert len(stack.tables()) <= 6
    assert [p for p in diagnose(repo) if p.check == "counter-backwards"] == []


def test_a_writer_waits_for_the_lower_counter_another_is_making(
    repo_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer holds the lock of `m#prod!#2` (it is making that same unassignment):
    this one moves on to #3, then waits for #2 to land before checking for rivals, so it
    backs off instead of both succeeding."""
    import os
    import threading

    from builders import make_tag

    from gto.cli import main

    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 900} +0000")
    write(str(repo_path), Assign("m", "prod", version="v0.0.1"), WriteOptions())
    ref = repo_path / ".git" / "refs" / "tags" / "m#prod!#2"
    with Repo(str(repo_path)) as repo:
        commit = repo.refs[Ref(b"refs/tags/m#prod#1")]
        made = repo[commit]
        assert isinstance(made, Tag)
        make_tag(repo, "m#prod!#2", made.object[1].decode(), time=EPOCH + 901)
    oid = ref.read_bytes()
    ref.unlink()
    lock = ref.with_name(ref.name + ".lock")
    lock.write_bytes(b"")

    def other_writer() -> None:
        time.sleep(0.5)
        lock.write_bytes(oid)
        os.rename(lock, ref)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        code = main(["deprecate", "m", "v0.0.1", "prod", "-r", str(repo_path)])
    finally:
        thread.join()
    assert (code, capsys.readouterr().err) == (1, REPEATED["deprecate"])
    assert sorted(n for n in tags(repo_path) if "!" in n) == ["m#prod!#2"]
