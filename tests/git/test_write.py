"""The write side of the adapter, against real repositories read back with dulwich.

Pushes go to real servers on loopback (tests/servers.py): dulwich's HTTP server,
git's own daemon when GTO_TEST_REAL_GIT names the real git, and a plain path.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from builders import (
    EPOCH,
    build_registry,
    init_repo,
    make_commit,
    make_lightweight_tag,
    make_tag,
    pack_everything,
    tree_files,
)
from dulwich.index import Index
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Commit, ObjectID, Tag, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo
from servers import dulwich_http_server, git_daemon, push, set_remote

from gto.exceptions import (
    IdentityNotFound,
    InvalidTagName,
    PushError,
    RefNotFound,
    RepoError,
    TagExists,
    TagNotFound,
    WrongArgs,
)
from gto.git import worktree
from gto.git.identity import Identity, InvalidDate, find_identity, now
from gto.git.repo import GitRepo
from gto.git.write import commit_files, create_tag, delete_tag, wait_unlocked

ME = Identity("Jürgen Tagger", "jt@example.com")
WHEN = (EPOCH + 100, 5 * 3600 + 45 * 60)
TAG = "churn@v1.0.0"
TAG_REF = Ref(b"refs/tags/" + TAG.encode())
MAIN = Ref(b"refs/heads/main")


@pytest.fixture
def repo_path(tmp_path: Path) -> Path:
    """A work tree with two commits on main: c1 has three files, c2 changes none."""
    path = tmp_path / "repo"
    build_registry(
        path,
        [
            ("commit", "c1", {"artifacts.yaml": "churn: {}\n", "models/m.pkl": "m", "b.txt": "b"}),
            ("commit", "c2"),
        ],
    )
    return path


@pytest.fixture
def git(repo_path: Path) -> Iterator[GitRepo]:
    with GitRepo.open(repo_path) as opened:
        yield opened


def head_of(path: Path, ref: Ref = MAIN) -> str:
    with Repo(str(path)) as repo:
        return repo.refs[ref].decode()


def read_tag(path: Path, ref: Ref = TAG_REF) -> Tag:
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[ref]]
    assert isinstance(tag, Tag)
    return tag


def read_commit(path: Path, oid: str) -> Commit:
    with Repo(str(path)) as repo:
        commit = repo[oid.encode()]
    assert isinstance(commit, Commit)
    return commit


def blob_id(path: Path, commit: str, file: str) -> str:
    with Repo(str(path)) as repo:
        _, oid = tree_lookup_path(repo.__getitem__, read_commit(path, commit).tree, file.encode())
    return oid.decode()


# create_tag


def test_create_tag_writes_an_annotated_tag(git: GitRepo, repo_path: Path) -> None:
    c1 = git.resolve("HEAD~1")
    tag_id = create_tag(git, TAG, c1, "Registering artifact churn version v1.0.0", ME, WHEN)

    tag = read_tag(repo_path)
    assert tag.id.decode() == tag_id
    assert tag.name == TAG.encode()
    assert tag.object == (Commit, c1.encode())
    assert tag.tagger == "Jürgen Tagger <jt@example.com>".encode()
    assert (tag.tag_time, tag.tag_timezone) == WHEN
    assert tag.message == b"Registering artifact churn version v1.0.0"  # no trailing newline
    [record] = git.read_tags([TAG])
    assert (record.commit, record.tagger, record.tagger_email) == (c1, ME.name, ME.email)
    assert record.created_at.isoformat() == "2022-08-09T04:53:20+05:45"


def test_create_tag_keeps_the_header_intact_with_odd_identities(
    git: GitRepo, repo_path: Path
) -> None:
    create_tag(git, TAG, git.resolve("HEAD"), "m", Identity("Eve <x>\n", "<e@x>"), WHEN)
    assert read_tag(repo_path).tagger == b"Eve x <e@x>"


@pytest.mark.parametrize("kind", ["annotated", "lightweight", "packed"])
def test_create_tag_refuses_an_existing_name(repo_path: Path, kind: str) -> None:
    with Repo(str(repo_path)) as repo:
        c1 = repo.refs[MAIN].decode()
        if kind == "lightweight":
            make_lightweight_tag(repo, TAG, c1)
        else:
            make_tag(repo, TAG, c1)
        if kind == "packed":
            pack_everything(repo)
        before = repo.refs[TAG_REF]
    assert (kind == "packed") != (repo_path / ".git" / TAG_REF.decode()).exists()

    with GitRepo.open(repo_path) as git, pytest.raises(TagExists) as error:
        create_tag(git, TAG, git.resolve("HEAD~1"), "again", ME, WHEN)
    assert str(error.value) == f"tag '{TAG}' already exists"
    assert head_of(repo_path, TAG_REF) == before.decode()


@pytest.mark.parametrize("target", ["0" * 40, "tree"])
def test_create_tag_needs_a_commit(git: GitRepo, repo_path: Path, target: str) -> None:
    if target == "tree":
        target = read_commit(repo_path, git.resolve("HEAD")).tree.decode()
    with pytest.raises(RefNotFound):
        create_tag(git, TAG, target, "m", ME, WHEN)
    assert not (repo_path / ".git" / TAG_REF.decode()).exists()


def test_create_tag_rejects_a_name_git_cannot_store(git: GitRepo) -> None:
    with pytest.raises(InvalidTagName):
        create_tag(git, "churn@{v1}", git.resolve("HEAD"), "m", ME, WHEN)


def _create_in_process(
    path: str, name: str, commit: str, writer: int, barrier: object, results: object
) -> None:
    """One of the concurrent writers (runs in a spawned process)."""
    barrier.wait(60)  # type: ignore[attr-defined]
    try:
        with GitRepo.open(path) as git:
            outcome = create_tag(git, name, commit, f"writer {writer}", ME, (EPOCH + writer, 0))
    except TagExists:
        outcome = "exists"
    except Exception as e:  # reported to the test, which shows it
        outcome = f"error: {e!r}"
    results.put((writer, outcome))  # type: ignore[attr-defined]


def _run_writers(path: Path, names: list[str], commit: str) -> dict[int, str]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(names))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_create_in_process, args=(str(path), name, commit, i, barrier, results))
        for i, name in enumerate(names)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = dict(results.get(timeout=120) for _ in processes)
    finally:
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()
                process.join()
            process.close()
        results.close()
        results.join_thread()
    return outcomes


def test_concurrent_writers_of_one_name_one_wins(git: GitRepo, repo_path: Path) -> None:
    outcomes = _run_writers(repo_path, [TAG] * 8, git.resolve("HEAD"))

    winners = {writer: oid for writer, oid in outcomes.items() if oid != "exists"}
    assert len(winners) == 1, outcomes
    [(writer, tag_id)] = winners.items()
    tag = read_tag(repo_path)
    assert tag.id.decode() == tag_id
    assert tag.message == f"writer {writer}".encode()
    assert [p.name for p in (repo_path / ".git" / "refs" / "tags").iterdir()] == [TAG]


def test_concurrent_writers_of_different_names_all_win(git: GitRepo, repo_path: Path) -> None:
    names = [f"m{i}@v1.0.0" for i in range(8)]
    outcomes = _run_writers(repo_path, names, git.resolve("HEAD"))

    assert sorted(outcomes) == list(range(8))
    for writer, tag_id in outcomes.items():
        assert read_tag(repo_path, Ref(f"refs/tags/{names[writer]}".encode())).id.decode() == tag_id


# delete_tag


@pytest.mark.parametrize("packed", [False, True], ids=["loose", "packed"])
def test_delete_tag(repo_path: Path, packed: bool) -> None:
    with Repo(str(repo_path)) as repo:
        c1 = repo.refs[MAIN].decode()
        tag_id = make_tag(repo, TAG, c1)
        make_tag(repo, "other@v1.0.0", c1)
        if packed:
            pack_everything(repo)

    with GitRepo.open(repo_path) as git:
        delete_tag(git, TAG)

    with Repo(str(repo_path)) as repo:
        assert TAG_REF not in repo.refs
        assert Ref(b"refs/tags/other@v1.0.0") in repo.refs
        assert ObjectID(tag_id.encode()) in repo.object_store  # objects are left to git gc
        assert TAG_REF not in repo.refs.get_packed_refs()
    assert not (repo_path / ".git" / TAG_REF.decode()).exists()


def test_delete_tag_that_does_not_exist(git: GitRepo) -> None:
    with pytest.raises(TagNotFound) as error:
        delete_tag(git, TAG)
    assert str(error.value) == f"tag '{TAG}' is not found"


def test_delete_lightweight_tag(git: GitRepo, repo_path: Path) -> None:
    with Repo(str(repo_path)) as repo:
        make_lightweight_tag(repo, TAG, repo.refs[MAIN].decode())
    delete_tag(git, TAG)
    with Repo(str(repo_path)) as repo:
        assert TAG_REF not in repo.refs


# wait_unlocked


def test_wait_unlocked_waits_for_a_lock_to_go_and_no_longer(git: GitRepo, repo_path: Path) -> None:
    """It returns at once without a lock, when the lock goes, or after `seconds` if it stays."""
    lock = repo_path / ".git" / f"{TAG_REF.decode()}.lock"
    started = time.monotonic()
    wait_unlocked(git, [TAG], 5.0)
    assert time.monotonic() - started < 1.0
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_bytes(b"")
    started = time.monotonic()
    wait_unlocked(git, [TAG], 0.2)  # a lock left by a killed writer only delays
    assert 0.2 <= time.monotonic() - started < 1.5
    assert lock.exists()
    remover = threading.Timer(0.05, lock.unlink)
    remover.start()
    started = time.monotonic()
    wait_unlocked(git, [TAG], 5.0)
    remover.join()
    assert time.monotonic() - started < 4.0


# find_identity


def write_config(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


USER = "[user]\n\tname = {0}\n\temail = {0}@example.com\n"


@pytest.mark.parametrize(
    ("env", "repo", "home", "xdg", "expected"),
    [
        pytest.param(
            {"GIT_COMMITTER_NAME": "Env", "GIT_COMMITTER_EMAIL": "env@example.com"},
            "repo",
            "home",
            "xdg",
            ("Env", "env@example.com"),
            id="env-wins",
        ),
        pytest.param(
            {"GIT_COMMITTER_NAME": "Env"},
            "repo",
            "home",
            "xdg",
            ("Env", "repo@example.com"),
            id="each-field-on-its-own",
        ),
        pytest.param({}, "repo", "home", "xdg", ("repo", "repo@example.com"), id="repo-config"),
        pytest.param({}, None, "home", "xdg", ("home", "home@example.com"), id="gitconfig"),
        pytest.param({}, None, None, "xdg", ("xdg", "xdg@example.com"), id="xdg-config"),
        pytest.param(
            {"GIT_COMMITTER_EMAIL": "env@example.com"},
            None,
            None,
            "xdg",
            ("xdg", "env@example.com"),
            id="env-email-config-name",
        ),
    ],
)
def test_find_identity_precedence(
    git: GitRepo,
    repo_path: Path,
    tmp_path: Path,
    env: dict[str, str],
    repo: str | None,
    home: str | None,
    xdg: str | None,
    expected: tuple[str, str],
) -> None:
    home_dir = tmp_path / "home"
    if repo:
        write_config(repo_path / ".git" / "config", USER.format(repo))
    if home:
        write_config(home_dir / ".gitconfig", USER.format(home))
    if xdg:
        write_config(tmp_path / "xdg" / "git" / "config", USER.format(xdg))
    environ = {"HOME": str(home_dir), "XDG_CONFIG_HOME": str(tmp_path / "xdg"), **env}
    assert find_identity(git, environ) == Identity(*expected)


def test_find_identity_default_xdg_folder_is_under_home(git: GitRepo, tmp_path: Path) -> None:
    write_config(tmp_path / ".config" / "git" / "config", USER.format("xdg"))
    assert find_identity(git, {"HOME": str(tmp_path)}) == Identity("xdg", "xdg@example.com")


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"GIT_COMMITTER_NAME": "Only Name"}, id="no-email"),
        pytest.param({"GIT_COMMITTER_EMAIL": ""}, id="empty"),
    ],
)
def test_find_identity_not_found(git: GitRepo, tmp_path: Path, environ: dict[str, str]) -> None:
    with pytest.raises(IdentityNotFound) as error:
        find_identity(git, {"HOME": str(tmp_path), **environ})
    assert str(error.value) == (
        "Cannot find who is tagging: set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL, or run "
        "`git config --global user.name NAME` and `git config --global user.email EMAIL`"
    )


# now


@pytest.fixture
def kathmandu(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC+05:45 (a POSIX TZ string, so no tz database is needed)."""
    monkeypatch.setenv("TZ", "XYZ-05:45")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("@1660000000 +0000", (1660000000, 0), id="git-internal"),
        pytest.param("1660000000 +0200", (1660000000, 7200), id="unix-seconds"),
        pytest.param("@1660000000 -0530", (1660000000, -19800), id="negative-offset"),
        pytest.param("Thu, 07 Apr 2005 22:13:13 +0200", (1112904793, 7200), id="rfc2822"),
        pytest.param("2005-04-07T22:13:13+02:00", (1112904793, 7200), id="iso8601"),
        pytest.param("2005-04-07 22:13:13 +0200", (1112904793, 7200), id="iso8601-space"),
        pytest.param("2005-04-07T22:13:13Z", (1112911993, 0), id="iso8601-z"),
        pytest.param("2005-04-07T22:13:13 -05:30", (1112931793, -19800), id="iso8601-west"),
        pytest.param("2005-04-07T22:13:13.5+02:00", (1112904793, 7200), id="iso8601-fraction"),
        pytest.param("2005-04-07 22:13 +0200", (1112904780, 7200), id="iso8601-no-seconds"),
        # Without an offset git reads local time (here UTC+05:45).
        pytest.param("2005-04-07T22:13:13", (1112891293, 20700), id="iso8601-local"),
        pytest.param("@1660000000", (1660000000, 20700), id="seconds-local"),
    ],
)
@pytest.mark.usefixtures("kathmandu")
def test_now_reads_git_committer_date(value: str, expected: tuple[int, int]) -> None:
    assert now({"GIT_COMMITTER_DATE": value}) == expected


@pytest.mark.parametrize(
    "value", ["xyz", "2005-13-40T00:00:00", "@1660000000 +0075", "12345 +0000", "yesterday"]
)
def test_now_rejects_other_dates(value: str) -> None:
    with pytest.raises(InvalidDate) as error:
        now({"GIT_COMMITTER_DATE": value})
    assert str(error.value) == (
        f"Invalid GIT_COMMITTER_DATE '{value}': use '@1660000000 +0000', "
        "'Thu, 07 Apr 2005 22:13:13 +0200' or '2005-04-07T22:13:13+02:00'"
    )


@pytest.mark.usefixtures("kathmandu")
def test_now_without_git_committer_date_is_the_clock() -> None:
    before = int(time.time())
    seconds, offset = now({})
    assert before <= seconds <= int(time.time())
    assert offset == 20700


# commit_files


def index_sha(path: Path, file: str) -> str | None:
    index = Index(str(path / ".git" / "index"))
    return index[file.encode()].sha.decode() if file.encode() in index else None  # type: ignore[union-attr]


def test_commit_files_commits_only_the_given_paths(git: GitRepo, repo_path: Path) -> None:
    c2 = git.resolve("HEAD")
    (repo_path / "b.txt").write_text("dirty, not committed")
    (repo_path / "untracked.txt").write_text("untracked")
    b_in_index = index_sha(repo_path, "b.txt")

    new = commit_files(
        git,
        {"artifacts.yaml": b"churn: {type: model}\n", "deep/new/x.yaml": b"x"},
        "Annotate artifact `churn`",
        ME,
        WHEN,
    )

    commit = read_commit(repo_path, new)
    assert commit.parents == [c2.encode()]
    assert commit.message == b"Annotate artifact `churn`\n"
    assert commit.author == commit.committer == "Jürgen Tagger <jt@example.com>".encode()
    assert (commit.author_time, commit.author_timezone) == WHEN
    assert (commit.commit_time, commit.commit_timezone) == WHEN
    assert head_of(repo_path) == new
    assert tree_files(repo_path, new) == {
        "artifacts.yaml": b"churn: {type: model}\n",
        "b.txt": b"b",
        "deep/new/x.yaml": b"x",
        "models/m.pkl": b"m",
    }
    # The work tree and the index follow the committed paths, and only them.
    assert (repo_path / "artifacts.yaml").read_bytes() == b"churn: {type: model}\n"
    assert (repo_path / "deep" / "new" / "x.yaml").read_bytes() == b"x"
    assert (repo_path / "b.txt").read_text() == "dirty, not committed"
    assert (repo_path / "untracked.txt").read_text() == "untracked"
    for file in ("artifacts.yaml", "deep/new/x.yaml"):
        assert index_sha(repo_path, file) == blob_id(repo_path, new, file)
    assert index_sha(repo_path, "b.txt") == b_in_index


def test_commit_files_deletes(git: GitRepo, repo_path: Path) -> None:
    new = commit_files(git, {"models/m.pkl": None, "never-there.txt": None}, "Remove", ME, WHEN)

    assert sorted(tree_files(repo_path, new)) == ["artifacts.yaml", "b.txt"]
    assert not (repo_path / "models").exists()
    assert index_sha(repo_path, "models/m.pkl") is None


def test_commit_files_keeps_the_executable_bit(git: GitRepo, repo_path: Path) -> None:
    with Repo(str(repo_path)) as repo:
        main = repo.refs[MAIN]
        commit = repo[main]
        assert isinstance(commit, Commit)
        root = repo[commit.tree]
        assert isinstance(root, Tree)
        name, (_, blob) = b"b.txt", root[b"b.txt"]
        root[name] = (stat.S_IFREG | 0o755, blob)
        repo.object_store.add_object(root)
        commit.tree = root.id
        repo.object_store.add_object(commit)
        repo.refs[MAIN] = commit.id

    new = commit_files(git, {"b.txt": b"#!/bin/sh\n"}, "Script", ME, WHEN)

    with Repo(str(repo_path)) as repo:
        tree = repo[read_commit(repo_path, new).tree]
        assert isinstance(tree, Tree)
        assert tree[b"b.txt"][0] == stat.S_IFREG | 0o755
    assert os.access(repo_path / "b.txt", os.X_OK)


def test_commit_files_on_a_detached_head(repo_path: Path) -> None:
    main = head_of(repo_path)
    (repo_path / ".git" / "HEAD").write_text(main + "\n")
    with GitRepo.open(repo_path) as git:
        new = commit_files(git, {"a.txt": b"a"}, "Detached", ME, WHEN)
    assert (repo_path / ".git" / "HEAD").read_text() == new + "\n"
    assert head_of(repo_path) == main


def test_commit_files_in_a_bare_repo(tmp_path: Path) -> None:
    path = tmp_path / "bare.git"
    built = build_registry(path, [("commit", "c1", {"a.txt": "a"})], bare=True)
    with GitRepo.open(path) as git:
        new = commit_files(git, {"a.txt": b"A"}, "Bare", ME, WHEN)
    assert read_commit(path, new).parents == [built.commits["c1"].encode()]
    assert tree_files(path, new) == {"a.txt": b"A"}
    assert not (path / "index").exists()


def test_commit_files_as_the_first_commit(tmp_path: Path) -> None:
    init_repo(tmp_path / "new").close()
    with GitRepo.open(tmp_path / "new") as git:
        new = commit_files(git, {"artifacts.yaml": b"{}\n"}, "First", ME, WHEN)
    assert read_commit(tmp_path / "new", new).parents == []
    assert head_of(tmp_path / "new") == new
    assert index_sha(tmp_path / "new", "artifacts.yaml") is not None


def test_commit_files_fails_when_the_branch_moved(
    git: GitRepo, repo_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer commits between our read of HEAD and our update of the branch."""

    new_tree = worktree.new_tree

    def racing(
        git: GitRepo, tree: str | None, changes: Mapping[str, bytes | None]
    ) -> tuple[str, worktree.NewObjects, dict[str, tuple[int, bytes] | None]]:
        with Repo(str(repo_path)) as repo:
            make_commit(repo, {"other.txt": "o"}, message="someone else")
        return new_tree(git, tree, changes)

    monkeypatch.setattr("gto.git.worktree.new_tree", racing)
    theirs_before = head_of(repo_path)
    with pytest.raises(RepoError, match="'refs/heads/main' moved while committing"):
        commit_files(git, {"artifacts.yaml": b"x"}, "Mine", ME, WHEN)
    assert head_of(repo_path) != theirs_before  # their commit stays
    assert (repo_path / "artifacts.yaml").read_text() == "churn: {}\n"


@pytest.mark.parametrize("path", ["../x", "/abs", "a//b", ".git/config", "a/./b", ""])
def test_commit_files_rejects_odd_paths(git: GitRepo, path: str) -> None:
    with pytest.raises(WrongArgs):
        commit_files(git, {path: b"x"}, "m", ME, WHEN)


def test_commit_files_cannot_replace_a_folder(git: GitRepo) -> None:
    with pytest.raises(RepoError, match="it is a folder"):
        commit_files(git, {"models": b"x"}, "m", ME, WHEN)
    with pytest.raises(RepoError, match="a parent of it is a file"):
        commit_files(git, {"b.txt/x": b"x"}, "m", ME, WHEN)


# push


@pytest.fixture(
    params=[
        "path",
        pytest.param("http", marks=pytest.mark.server),
        pytest.param("git-daemon", marks=pytest.mark.server),
    ]
)
def remote(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """An empty bare repository and the URL it is served at (plain path, HTTP, git://)."""
    bare = tmp_path / "srv" / "remote.git"
    init_repo(bare, bare=True).close()
    if request.param == "path":
        yield bare, str(bare)
    elif request.param == "http":
        with dulwich_http_server(bare) as url:
            yield bare, url
    else:
        with git_daemon(bare.parent) as base:
            yield bare, f"{base}/remote.git"


@pytest.fixture
def origin(git: GitRepo, repo_path: Path, remote: tuple[Path, str]) -> Path:
    """`remote` as the work tree's origin, with main pushed to it; returns the bare repo."""
    bare, url = remote
    set_remote(repo_path, url)
    push(git, [("refs/heads/main", "refs/heads/main")])
    return bare


def test_push_a_branch_a_tag_and_a_deletion(git: GitRepo, repo_path: Path, origin: Path) -> None:
    assert head_of(origin) == head_of(repo_path)

    tag_id = create_tag(git, TAG, git.resolve("HEAD~1"), "Registering", ME, WHEN)
    push(git, [(TAG_REF.decode(), TAG_REF.decode())])
    pushed = read_tag(origin)
    assert pushed.id.decode() == tag_id
    assert (pushed.tagger, pushed.message) == (read_tag(repo_path).tagger, b"Registering")
    push(git, [(TAG_REF.decode(), TAG_REF.decode())])  # already there: nothing to do

    delete_tag(git, TAG)
    push(git, [(None, TAG_REF.decode())])
    with Repo(str(origin)) as repo:
        assert TAG_REF not in repo.refs
        assert MAIN in repo.refs


def test_push_never_moves_a_remote_tag(git: GitRepo, repo_path: Path, origin: Path) -> None:
    with Repo(str(origin)) as repo:
        theirs = make_tag(repo, TAG, repo.refs[MAIN].decode(), message="theirs")
    create_tag(git, TAG, git.resolve("HEAD~1"), "ours", ME, WHEN)

    with pytest.raises(PushError) as error:
        push(git, [(TAG_REF.decode(), TAG_REF.decode())])
    assert f"{TAG_REF.decode()} already exists there with another target" in str(error.value)
    assert head_of(origin, TAG_REF) == theirs


def test_push_only_fast_forwards_a_branch(git: GitRepo, repo_path: Path, origin: Path) -> None:
    with Repo(str(origin)) as repo:
        theirs = make_commit(repo, {"theirs.txt": "t"}, message="theirs")
    commit_files(git, {"ours.txt": b"o"}, "ours", ME, WHEN)

    with pytest.raises(PushError, match="refs/heads/main has commits there that are not here"):
        push(git, [("refs/heads/main", "refs/heads/main")])
    assert head_of(origin) == theirs


def test_push_cannot_delete_what_the_remote_lacks(git: GitRepo, origin: Path) -> None:
    with pytest.raises(PushError, match=f"Cannot delete {TAG_REF.decode()} on .*no such ref"):
        push(git, [(None, TAG_REF.decode())])


@pytest.mark.server
def test_push_refused_by_the_server(git: GitRepo, repo_path: Path, tmp_path: Path) -> None:
    bare = tmp_path / "srv" / "remote.git"
    init_repo(bare, bare=True).close()
    with Repo(str(bare)) as repo:
        config = repo.get_config()
        config.set((b"receive",), b"denyDeletes", True)  # git applies it to branches only
        config.write_to_path()
    with git_daemon(bare.parent) as base:
        set_remote(repo_path, f"{base}/remote.git")
        push(git, [("refs/heads/main", "refs/heads/main")])
        with pytest.raises(PushError, match="was refused: refs/heads/main: deletion prohibited"):
            push(git, [(None, "refs/heads/main")])
    assert head_of(bare) == head_of(repo_path)


def test_push_prefers_pushurl(git: GitRepo, repo_path: Path, tmp_path: Path) -> None:
    bare = tmp_path / "pushed.git"
    init_repo(bare, bare=True).close()
    set_remote(repo_path, str(tmp_path / "missing.git"))
    set_remote(repo_path, str(bare), key="pushurl")
    push(git, [("refs/heads/main", "refs/heads/main")])
    assert head_of(bare) == head_of(repo_path)


def test_push_without_a_remote(git: GitRepo) -> None:
    with pytest.raises(PushError) as error:
        push(git, [(TAG_REF.decode(), TAG_REF.decode())])
    assert str(error.value) == (
        "No remote 'origin' configured: add it with `git remote add origin URL` "
        "(or set remote.origin.url in .git/config)"
    )


def test_push_a_missing_local_ref(git: GitRepo, repo_path: Path, tmp_path: Path) -> None:
    set_remote(repo_path, str(tmp_path))
    with pytest.raises(PushError, match=f"Cannot push '{TAG_REF.decode()}': no such ref"):
        push(git, [(TAG_REF.decode(), TAG_REF.decode())])


@pytest.mark.parametrize("scheme", ["http", "git"])
def test_push_errors_hide_credentials(git: GitRepo, repo_path: Path, scheme: str) -> None:
    with socket.socket() as closed:  # bound but not listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        set_remote(repo_path, f"{scheme}://alice:s3cret@127.0.0.1:{port}/r.git")
        with pytest.raises(PushError) as error:
            push(git, [("refs/heads/main", "refs/heads/main")])
    message = str(error.value)
    assert message.startswith(f"Cannot push to {scheme}://127.0.0.1:{port}/r.git: ")
    assert "s3cret" not in message and "alice" not in message and "\n" not in message
