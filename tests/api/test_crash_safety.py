"""Writes killed at any moment, on a full disk, or where they may not write.

* `kill -9` at random moments of `deprecate --delete` and `annotate --commit` (a
  bounded number of times, within a time budget): the repository is always in a
  state the same command finishes when run again, and never holds a staged revert;
* a real full disk (a small tmpfs, when the tests may mount one) and a simulated one
  (RLIMIT_FSIZE, everywhere): each write fails in one line, leaves no lock file and no
  partial object behind, and `git fsck` stays clean;
* folders that cannot be written (as root, the process drops its power to ignore file
  permissions): one line naming objects, refs or the file, relative to the repository.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from builders import (
    EPOCH,
    Commit,
    Tag,
    build_registry,
    make_commit,
    make_tag,
    pack_everything,
    tag_names,
)
from dulwich.index import Index, IndexEntry
from dulwich.objects import Commit as CommitObject
from dulwich.objects import Tree
from dulwich.repo import Repo
from servers import REAL_GIT, set_remote

import gto

PROJECT = Path(gto.__file__).resolve().parent.parent
IDENTITY = {
    "GIT_COMMITTER_NAME": "Tess Tagger",
    "GIT_COMMITTER_EMAIL": "tess@example.com",
    "GIT_COMMITTER_DATE": f"@{EPOCH + 1000} +0000",
}
# Each kill loop stops after this many kills, or this many seconds, whichever is first.
KILLS = 12
KILL_BUDGET = 45.0
# Waits until the child has imported everything, then runs the command.
_BOOT = """
import sys
from gto.api import commands
from gto.git import transaction
from gto.cli import main
print("ready", flush=True)
sys.exit(main(sys.argv[1:]))
"""


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        **IDENTITY,
        "PYTHONPATH": str(PROJECT),
        "PYTHONIOENCODING": "utf-8",
        **(extra or {}),
    }


def gto_run(
    args: Sequence[str], *, prefix: Sequence[str] = (), **popen: object
) -> tuple[int, str, str]:
    """`gto ARGS` in a new process: (exit code, stdout, stderr)."""
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "gto", *args],
        capture_output=True,
        env=_env(),
        timeout=120,
        **popen,  # type: ignore[call-overload]
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode()


def debris(path: Path) -> list[str]:
    """Lock files, temporary objects and temporary files anywhere in the repository."""
    return sorted(
        str(p.relative_to(path))
        for p in path.rglob("*")
        if p.name.endswith((".lock", ".tmp")) or p.name.startswith(("tmp_obj_", "tmp_pack"))
    )


def ref_state(path: Path) -> dict[str, str]:
    """Every ref and HEAD as stored: what a failed write must leave unchanged."""
    with Repo(str(path)) as repo:
        state = {name.decode(): value.decode() for name, value in repo.get_refs().items()}
        state["HEAD file"] = Path(repo.controldir(), "HEAD").read_text()
    return state


def fsck(path: Path) -> None:
    """`git fsck --full` finds nothing wrong (dangling objects are no damage)."""
    if not REAL_GIT:
        return
    done = subprocess.run(
        [REAL_GIT, "fsck", "--full", "--no-dangling"],
        cwd=path,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == "", done.stdout


def clear_stale_locks(path: Path) -> None:
    """What doctor tells a user to do right after a kill left lock files: check, then
    remove them. Doctor names each lock at once, however young."""
    locks = [p for p in path.rglob("*.lock")]
    if not locks:
        return
    code, out, _ = gto_run(["doctor", "-r", str(path)])
    assert code == 1
    for lock in locks:
        relative = str(lock.relative_to(path))
        assert f"Lock file '{relative}' was made" in out and f"rm {relative}" in out.replace(
            "'", ""
        ), out
        lock.unlink()


class Killer:
    """Starts a command, kills it with SIGKILL after a random delay once it is running."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)
        self.duration = 0.0

    def measure(self, args: Sequence[str]) -> None:
        """How long the command takes once started (the window the kills aim at)."""
        start, process = self._start(args)
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        self.duration = time.monotonic() - start

    def _start(self, args: Sequence[str]) -> tuple[float, subprocess.Popen[bytes]]:
        process = subprocess.Popen(
            [sys.executable, "-c", _BOOT, *args],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        assert process.stdout.readline() == b"ready\n"
        return time.monotonic(), process

    def kill_during(self, args: Sequence[str]) -> None:
        _, process = self._start(args)
        time.sleep(self.random.uniform(0, self.duration * 1.2))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)

    def kill_at_first_change(self, args: Sequence[str], changed: Callable[[], bool]) -> None:
        """Kill the command the moment `changed()` sees its first write land."""
        _, process = self._start(args)
        while process.poll() is None:
            if changed():
                process.send_signal(signal.SIGKILL)
                break
        process.communicate(timeout=60)


def kill_loop(tmp_path: Path, pristine: Path) -> Iterator[Path]:
    """Fresh copies of `pristine`, one per kill, within the budget."""
    deadline = time.monotonic() + KILL_BUDGET
    for i in range(KILLS):
        if time.monotonic() > deadline:
            return
        work = tmp_path / f"run-{i}"
        shutil.copytree(pristine, work, symlinks=True)
        yield work


# --- kill -9 -------------------------------------------------------------------------------


STAGE_TAGS = [f"m#{('dev', 'qa', 'prod')[i % 3]}{'!' if i % 2 else ''}#{i + 1}" for i in range(60)]


@pytest.fixture
def many_tags(tmp_path: Path) -> Path:
    """m@v1.0.0 and 60 stage tags of it: 40 packed, 20 loose (deleting takes a while)."""
    path = tmp_path / "pristine"
    steps: list[Commit | Tag] = [
        Commit("c1", {"artifacts.yaml": "m: {type: model}\n"}),
        Tag("m@v1.0.0", "c1", at=1),
    ]
    steps += [Tag(name, "c1", at=10 + i) for i, name in enumerate(STAGE_TAGS[:40])]
    repo = build_registry(path, steps)
    pack_everything(repo)
    for i, name in enumerate(STAGE_TAGS[40:]):
        make_tag(repo, name, repo.commits["c1"], time=EPOCH + 100 + i)
    repo.close()
    return path


def test_a_killed_delete_is_finished_by_running_it_again(many_tags: Path, tmp_path: Path) -> None:
    every = sorted(["m@v1.0.0", *STAGE_TAGS])
    assert tag_names(many_tags) == every
    killer = Killer(seed=8)
    measured = tmp_path / "measured"
    shutil.copytree(many_tags, measured)
    killer.measure(["deprecate", "m", "v1.0.0", "--delete", "-r", str(measured)])
    assert tag_names(measured) == []
    partial = 0
    for work in kill_loop(tmp_path, many_tags):
        killer.kill_during(["deprecate", "m", "v1.0.0", "--delete", "-r", str(work)])
        left = tag_names(work)
        # All, none, or some with the version tag: never stage tags without their version.
        assert left in (every, []) or "m@v1.0.0" in left, left
        partial += left not in (every, [])
        clear_stale_locks(work)
        if left:
            code, _, err = gto_run(["deprecate", "m", "v1.0.0", "--delete", "-r", str(work)])
            assert (code, err) == (0, "")
        assert tag_names(work) == []
        assert debris(work) == []
        fsck(work)
    print(f"kills that left a partial delete: {partial}")


def test_a_lock_left_by_a_killed_delete_is_named_by_doctor_at_once(
    many_tags: Path, tmp_path: Path
) -> None:
    """The kill landed while one ref was being deleted: its lock stays, the re-run stops
    on it, and doctor (run at once) says so, with the command that removes it."""
    work = tmp_path / "work"
    shutil.copytree(many_tags, work)
    lock = work / ".git/refs/tags/m#qa#41.lock"
    lock.write_text("")
    command = ["deprecate", "m", "v1.0.0", "--delete", "-r", str(work)]
    assert gto_run(command) == (
        1,
        "",
        f"❌ Cannot lock '{work}/.git/refs/tags/m#qa#41': '{lock}' exists. If no other git "
        "process is running, remove that file and try again\n",
    )
    code, out, _ = gto_run(["doctor", "--json", "-r", str(work)])
    message = json.loads(out)["issues"][0]["message"]
    assert (code, len(json.loads(out)["issues"])) == (1, 1)
    assert re.fullmatch(
        r"Lock file '\.git/refs/tags/m#qa#41\.lock' was made \d+ s ago by a git or gto process "
        r"that is at work or was killed; if none is running, remove it: "
        r"rm '\.git/refs/tags/m#qa#41\.lock'",
        message,
    ), message
    lock.unlink()
    assert gto_run(command)[0] == 0
    assert tag_names(work) == []


def _tags_now(path: Path) -> set[str]:
    """Tag names as stored right now (loose files and packed-refs), read without locks."""
    tags = {
        str(p.relative_to(path / ".git/refs/tags"))
        for p in (path / ".git/refs/tags").rglob("*")
        if p.is_file() and not p.name.endswith(".lock")
    }
    with contextlib.suppress(FileNotFoundError):
        for line in (path / ".git/packed-refs").read_text().splitlines():
            if line[:1] not in ("#", "^") and " refs/tags/" in line:
                tags.add(line.split(" refs/tags/", 1)[1])
    return tags


def test_a_delete_killed_at_its_first_deletion_keeps_the_version(
    many_tags: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    shutil.copytree(many_tags, work)
    every = _tags_now(work)
    Killer(seed=0).kill_at_first_change(
        ["deprecate", "m", "v1.0.0", "--delete", "-r", str(work)],
        lambda: _tags_now(work) != every,
    )
    left = tag_names(work)
    assert "m@v1.0.0" in left and len(left) < len(every)
    clear_stale_locks(work)
    assert gto_run(["deprecate", "m", "v1.0.0", "--delete", "-r", str(work)])[0] == 0
    assert tag_names(work) == []


def _blob(repo: Repo, tree_id: bytes, name: bytes) -> bytes:
    tree = repo[tree_id]
    assert isinstance(tree, Tree)
    return repo[tree[name][1]].as_raw_string()


def file_states(path: Path) -> tuple[bytes, bytes, bytes, bytes]:
    """artifacts.yaml at HEAD, in the index, in the work tree; and HEAD's first parent."""
    with Repo(str(path)) as repo:
        head = repo[repo.head()]
        assert isinstance(head, CommitObject)
        committed = _blob(repo, head.tree, b"artifacts.yaml")
        entry = Index(repo.index_path())[b"artifacts.yaml"]
        assert isinstance(entry, IndexEntry)
        staged = repo[entry.sha].as_raw_string()
        parent = head.parents[0] if head.parents else b""
    return committed, staged, (path / "artifacts.yaml").read_bytes(), parent


def _temporary(path: str) -> bool:
    return path.startswith(".artifacts.yaml.") or "/tmp_obj_" in path


def annotated_repo(pristine: Path) -> None:
    build_registry(
        pristine,
        [
            Commit("c0", {"README": "hello\n"}),
            Commit("c1", {"artifacts.yaml": "# models\nm:\n  type: model\n"}),
        ],
    ).close()


ANNOTATE = ["annotate", "m", "--path", "models/m.pkl", "--commit", "-r"]
ANNOTATED = b"# models\nm:\n  path: models/m.pkl\n  type: model\n"


def test_an_annotate_commit_killed_as_the_branch_moves_has_staged_its_change(
    tmp_path: Path,
) -> None:
    annotated_repo(tmp_path / "work")
    branch = tmp_path / "work" / ".git" / "refs" / "heads" / "main"
    before = branch.read_bytes()
    Killer(seed=0).kill_at_first_change(
        [*ANNOTATE, str(tmp_path / "work")], lambda: branch.read_bytes() != before
    )
    assert file_states(tmp_path / "work")[:3] == (ANNOTATED, ANNOTATED, ANNOTATED)


def test_a_killed_annotate_commit_never_leaves_a_staged_revert(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    annotated_repo(pristine)
    args = ANNOTATE
    killer = Killer(seed=12)
    measured = tmp_path / "measured"
    shutil.copytree(pristine, measured)
    old, _, _, _ = file_states(measured)
    before_head = ref_state(measured)["refs/heads/main"]
    killer.measure([*args, str(measured)])
    new, _, _, _ = file_states(measured)
    assert new == ANNOTATED
    for work in kill_loop(tmp_path, pristine):
        killer.kill_during([*args, str(work)])
        committed, staged, worktree, _ = file_states(work)
        assert {committed, staged, worktree} <= {old, new}  # never half a file
        if committed == new:  # the branch moved: index and work tree moved first
            assert (staged, worktree) == (new, new)
        elif staged == new:  # staged: the change itself, not its revert
            assert worktree == new
        clear_stale_locks(work)
        if committed != new:  # interrupted before the branch moved: run it again
            code, _, err = gto_run([*args, str(work)])
            assert (code, err) == (0, ""), err
        committed, staged, worktree, parent = file_states(work)
        assert (committed, staged, worktree) == (new, new, new)
        assert parent.decode() == before_head  # one commit, whatever the kill left
        # A kill in the middle of a write leaves its temporary file (git ignores
        # `tmp_obj_*`; an untracked `.artifacts.yaml.*.tmp` shows in `git status`).
        assert [d for d in debris(work) if not _temporary(d)] == []
        fsck(work)
        if REAL_GIT:
            status = subprocess.run(
                [REAL_GIT, "status", "--porcelain"], cwd=work, capture_output=True, text=True
            ).stdout
            assert [line for line in status.splitlines() if not line.startswith("??")] == []


# --- a full disk ---------------------------------------------------------------------------


WRITES = [
    pytest.param(["register", "m"], id="register"),
    pytest.param(["assign", "m", "--version", "v1.0.0", "--stage", "qa"], id="assign"),
    pytest.param(["deprecate", "m", "v1.0.0", "prod"], id="unassign"),
    pytest.param(["deprecate", "m", "v1.0.0", "--delete"], id="delete"),
    pytest.param(["annotate", "m", "--type", "dataset"], id="annotate"),
    pytest.param(["annotate", "m", "--path", "m.pkl", "--commit"], id="annotate-commit"),
    pytest.param(["remove", "n", "--commit"], id="remove-commit"),
]


def small_repo(path: Path) -> None:
    """m@v1.0.0 on c1 with prod, packed; a loose n@v1.0.0 on c2 = HEAD."""
    repo = build_registry(
        path,
        [
            Commit("c1", {"artifacts.yaml": "m: {type: model}\nn: {}\n"}),
            Tag("m@v1.0.0", "c1", at=10),
            Tag("m#prod#1", "c1", at=20),
        ],
    )
    pack_everything(repo)
    c2 = make_commit(repo, {"b.txt": "b"}, time=EPOCH + 30)
    make_tag(repo, "n@v1.0.0", c2, time=EPOCH + 40)
    repo.close()


def check_failed_write(path: Path, code: int, err: str, before: dict[str, str]) -> None:
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert debris(path) == [], debris(path)
    if code != 0:
        assert code == 1 and err.startswith("❌ ") and err.count("\n") == 1, err
        assert ref_state(path) == before
        committed, staged, _, _ = file_states(path)
        assert committed == staged  # nothing staged, least of all a revert
    fsck(path)


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root (the simulated full disk runs anyway)")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(disk: Path, leave: int) -> None:
    """Fill the file system, then free `leave` bytes."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as f:
        for chunk in (65536, 512, 1):
            with contextlib.suppress(OSError):
                while f.write(b"\0" * chunk):
                    pass
    size = filler.stat().st_size
    os.truncate(filler, max(0, size - leave))


@pytest.mark.parametrize("args", WRITES)
def test_a_full_disk_fails_in_one_line_and_leaves_nothing(args: list[str], tmp_path: Path) -> None:
    small_repo(tmp_path / "pristine")
    with tmpfs(tmp_path / "disk", "2m") as disk:
        outcomes = []
        for pages in range(8):  # each step frees one more page: the failure moves along
            work = disk / "repo"
            shutil.rmtree(work, ignore_errors=True)
            (disk / "filler").unlink(missing_ok=True)
            shutil.copytree(tmp_path / "pristine", work)
            fill(disk, pages * 4096)
            before = ref_state(work)
            code, _, err = gto_run([*args, "-r", str(work)])
            (disk / "filler").unlink()
            check_failed_write(work, code, err, before)
            outcomes.append(code)
            if code == 0:
                break
        assert outcomes[0] == 1, outcomes  # a full disk fails...
        assert "No space left on device" in err or outcomes[-1] == 0


def _limit_file_size() -> None:
    """In the child: writes past 100 bytes fail (EFBIG) instead of killing it (SIGXFSZ)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (100, 100))


@pytest.mark.parametrize("args", WRITES)
def test_a_simulated_full_disk_fails_in_one_line_and_leaves_nothing(
    args: list[str], tmp_path: Path
) -> None:
    # Where no tmpfs can be mounted: a file may not grow past 100 bytes, so loose
    # objects (and the index) cannot be written while small ref files still can.
    small_repo(tmp_path / "repo")
    if args[0] in ("annotate", "remove") and "--commit" not in args:
        (tmp_path / "repo" / "artifacts.yaml").write_text(
            f"m:\n  description: {'x' * 100}\nn: {{}}\n"
        )
    before = ref_state(tmp_path / "repo")
    code, _, err = gto_run([*args, "-r", str(tmp_path / "repo")], preexec_fn=_limit_file_size)
    check_failed_write(tmp_path / "repo", code, err, before)
    assert code == 1 and "File too large" in err, err


# --- folders that cannot be written --------------------------------------------------------


def unprivileged() -> list[str]:
    """A command prefix under which file permissions apply, even to root."""
    if os.geteuid() != 0:
        return []
    if not shutil.which("setpriv"):
        pytest.skip("as root, needs setpriv to drop the power to ignore file permissions")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search", "--"]


@pytest.mark.parametrize(
    ("args", "read_only", "expected"),
    [
        pytest.param(
            ["annotate", "m", "--type", "dataset"],
            "",
            "❌ Cannot write 'artifacts.yaml': Permission denied\n",
            id="work-tree",
        ),
        pytest.param(
            ["register", "m"],
            ".git/objects",
            "❌ Cannot write objects to '.git/objects/{}': Permission denied\n",
            id="objects",
        ),
        pytest.param(
            ["register", "m"],
            ".git/refs/tags",
            "❌ Cannot write refs to '.git/refs/tags/m@v1.0.1': Permission denied\n",
            id="refs",
        ),
        pytest.param(
            ["deprecate", "m", "v1.0.0", "--delete"],
            ".git",
            "❌ Cannot write refs to '.git/packed-refs': Permission denied\n",
            id="packed-refs",
        ),
        pytest.param(
            ["annotate", "m", "--path", "m.pkl", "--commit"],
            ".git/refs/heads",
            "❌ Cannot write refs to '.git/refs/heads/main': Permission denied\n",
            id="branch",
        ),
    ],
)
def test_a_folder_that_cannot_be_written_is_named_in_one_line(
    args: list[str], read_only: str, expected: str, tmp_path: Path
) -> None:
    small_repo(tmp_path / "repo")
    path = tmp_path / "repo"
    before = ref_state(path)
    folders = [path / read_only]
    if read_only == ".git/objects":
        folders += [p for p in (path / read_only).iterdir() if p.is_dir()]
    for folder in folders:
        folder.chmod(0o555)
    try:
        code, out, err = gto_run([*args, "-r", str(path)], prefix=unprivileged())
    finally:
        for folder in folders:
            folder.chmod(0o755)
    if "{}" in expected:
        fanout = err.split("'.git/objects/")[1][:2] if "'.git/objects/" in err else "??"
        expected = expected.format(fanout)
    assert (code, out, err) == (1, "", expected)
    assert ref_state(path) == before
    assert debris(path) == []
    fsck(path)


@pytest.mark.parametrize(
    ("read_only", "expected"),
    [
        ("objects", "cannot write objects to 'objects/{}': Permission denied"),
        ("refs/tags", "cannot write refs to 'refs/tags/m@v1.0.1': Permission denied"),
    ],
)
def test_a_push_target_that_cannot_be_written_is_named_as_such(
    read_only: str, expected: str, tmp_path: Path
) -> None:
    # The defect: `Cannot write objects to 'objects/72/...'`, as if the folder were local.
    # (A full disk at the target goes the same way: `No space left on device`.)
    small_repo(tmp_path / "work")
    origin = tmp_path / "origin.git"
    shutil.copytree(tmp_path / "work" / ".git", origin)
    (origin / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
    set_remote(tmp_path / "work", str(origin))
    before = ref_state(tmp_path / "work"), ref_state(origin)
    folders = [origin / read_only]
    if read_only == "objects":
        folders += [p for p in folders[0].iterdir() if p.is_dir()]
    for folder in folders:
        folder.chmod(0o555)
    try:
        code, out, err = gto_run(
            ["register", "m", "--push", "-r", str(tmp_path / "work")], prefix=unprivileged()
        )
    finally:
        for folder in folders:
            folder.chmod(0o755)
    fanout = err.split("'objects/")[1][:2] if "'objects/" in err else "??"
    assert (code, out, err) == (1, "", f"❌ Cannot push to '{origin}': {expected.format(fanout)}\n")
    assert (ref_state(tmp_path / "work"), ref_state(origin)) == before
    assert debris(origin) == []


def test_an_artifacts_yaml_that_is_a_folder_is_one_line(tmp_path: Path) -> None:
    small_repo(tmp_path / "repo")
    path = tmp_path / "repo"
    (path / "artifacts.yaml").unlink()
    (path / "artifacts.yaml").mkdir()
    code, out, err = gto_run(["annotate", "m", "--type", "model", "-r", str(path)])
    assert (code, out, err) == (1, "", "❌ Cannot write 'artifacts.yaml': Is a directory\n")
    assert list((path / "artifacts.yaml").iterdir()) == []
    assert [p.name for p in path.iterdir() if p.name.endswith(".tmp")] == []


def test_a_bare_repository_names_paths_from_its_root(tmp_path: Path) -> None:
    small_repo(tmp_path / "work")
    bare = tmp_path / "bare.git"
    shutil.copytree(tmp_path / "work" / ".git", bare)
    (bare / "config").write_text("[core]\n\trepositoryformatversion = 0\n\tbare = true\n")
    (bare / "refs" / "tags").chmod(0o555)
    try:
        code, out, err = gto_run(["register", "m", "-r", str(bare)], prefix=unprivileged())
    finally:
        (bare / "refs" / "tags").chmod(0o755)
    assert (code, out, err) == (
        1,
        "",
        "❌ Cannot write refs to 'refs/tags/m@v1.0.1': Permission denied\n",
    )
