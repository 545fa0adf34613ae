"""The dulwich adapter against real repositories built with dulwich (no git, no mocks)."""

from __future__ import annotations

import ast
import gc
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from builders import (
    AUTHOR,
    COMMITTER,
    EPOCH,
    TAGGER,
    BuiltRepo,
    Commit,
    Tag,
    build_registry,
    init_repo,
    make_commit,
    make_lightweight_tag,
    make_tag,
    pack_everything,
)
from dulwich.objects import Blob, Tree
from dulwich.refs import Ref, check_ref_format
from dulwich.repo import Repo

import gto
from gto.core.tags import CommitRecord, TagRecord
from gto.exceptions import NoRepo, RefNotFound, RepoError
from gto.git.refs import is_ref_name
from gto.git.repo import GitRepo

UTC = timezone.utc
PLUS_0545 = timezone(timedelta(hours=5, minutes=45))
ARTIFACTS = "churn:\n  type: model\n  path: models/churn.pkl\n"


def at(seconds: int, tz: timezone = UTC) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, tz)


@pytest.fixture
def simple(tmp_path: Path) -> Iterator[BuiltRepo]:
    """Two commits on main, annotated, lightweight and nested tags."""
    with build_registry(
        tmp_path / "repo",
        [
            ("commit", "c1", {"artifacts.yaml": ARTIFACTS, "models/churn.pkl": b"\x00pickle"}),
            ("commit", "c2", {"models/churn.pkl": b"\x00pickle2", "README.md": "hi\n"}),
            ("tag", "churn@v1.0.0", "c1", 10),
            ("tag", "churn#prod#1", "c2", 20, "Promote to prod\n\n"),
            ("tag", "nested/dir=model@v0.0.1", "c2", 30),
            ("lightweight", "churn@v9.9.9", "c2"),
        ],
    ) as built:
        yield built


def open_repo(repo: Repo) -> GitRepo:
    return GitRepo.open(repo.path)


# Opening


def test_open_work_tree(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        assert repo.root == Path(simple.path)
        assert repo.workdir == Path(simple.path)


def test_open_from_a_subfolder(simple: BuiltRepo) -> None:
    with GitRepo.open(Path(simple.path) / "models") as repo:
        assert repo.root == Path(simple.path)
        assert repo.head() == simple.commits["c2"]


def test_open_bare(tmp_path: Path) -> None:
    built = build_registry(tmp_path / "bare.git", [("commit", "c1", {"a.txt": "a"})], bare=True)
    with GitRepo.open(tmp_path / "bare.git") as repo:
        assert repo.root == tmp_path / "bare.git"
        assert repo.workdir is None
        assert repo.head() == built.commits["c1"]
        assert repo.read_worktree_file("a.txt") is None


def test_open_not_a_repo(tmp_path: Path) -> None:
    with pytest.raises(NoRepo) as error:
        GitRepo.open(tmp_path)
    assert str(error.value) == f"No Git repo found in '{tmp_path}'"


def test_open_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(NoRepo) as error:
        GitRepo.open(str(missing))
    assert str(error.value) == f"No Git repo found in '{missing}'"


def test_open_missing_path_inside_a_repo(simple: BuiltRepo) -> None:
    """A typo inside a work tree must not silently open the enclosing repo."""
    with pytest.raises(NoRepo):
        GitRepo.open(Path(simple.path) / "typo")


@pytest.mark.parametrize("bare", [False, True], ids=["work-tree", "bare"])
def test_the_innermost_repo_wins(simple: BuiltRepo, bare: bool) -> None:
    inner = Path(simple.path) / "models" / "inner"
    built = build_registry(inner, [("commit", "i1", {"sub/a.txt": "a"})], bare=bare)
    start = inner / ("refs" if bare else "sub")
    with GitRepo.open(start) as repo:
        assert repo.root == inner
        assert repo.head() == built.commits["i1"]
        assert repo.tag_names() == []


def test_open_a_linked_work_tree(simple: BuiltRepo, tmp_path: Path) -> None:
    """A `.git` file and a `commondir` (git worktree add), laid out by hand; dulwich opens it."""
    work_tree = tmp_path / "linked"
    (work_tree / "sub").mkdir(parents=True)
    admin = Path(simple.controldir(), "worktrees", "linked")
    admin.mkdir(parents=True)
    (admin / "HEAD").write_text(simple.commits["c1"] + "\n")
    (admin / "commondir").write_text("../..\n")
    (admin / "gitdir").write_text(f"{work_tree / '.git'}\n")
    (work_tree / ".git").write_text(f"gitdir: {admin}\n")
    (work_tree / "sub" / "f.txt").write_text("linked\n")
    for start in (work_tree, work_tree / "sub"):
        with GitRepo.open(start) as repo:
            assert repo.root == work_tree
            assert repo.workdir == work_tree
            assert repo.head() == simple.commits["c1"]  # this work tree's own HEAD
            assert repo.current_branch() is None
            assert [t.name for t in repo.read_tags(repo.tag_names())] == [
                "churn#prod#1",
                "churn@v1.0.0",
                "nested/dir=model@v0.0.1",
            ]
            assert repo.read_worktree_file("sub/f.txt") == b"linked\n"


def test_open_a_repo_with_core_worktree(tmp_path: Path) -> None:
    """core.worktree moves the work tree away from the repository: dulwich reads the config."""
    built = build_registry(tmp_path / "repo.git", [("commit", "c1", {"a.txt": "a"})], bare=True)
    config = built.get_config()
    config.set((b"core",), b"bare", False)
    config.set((b"core",), b"worktree", b"../wt")
    config.write_to_path()
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / "a.txt").write_text("checked out\n")
    with GitRepo.open(tmp_path / "repo.git") as repo:
        assert repo.workdir is not None
        assert repo.workdir.resolve() == tmp_path / "wt"
        assert repo.head() == built.commits["c1"]
        assert repo.read_worktree_file("a.txt") == b"checked out\n"


def test_reading_a_plain_repo_imports_no_dulwich(fixture_repo: Callable[[str], Path]) -> None:
    """Importing dulwich costs more than a small command: ordinary reads do without it."""
    code = (
        "import sys\n"
        "from gto.git.repo import GitRepo\n"
        "with GitRepo.open(sys.argv[1]) as repo:\n"
        "    assert repo.read_tags(repo.tag_names())\n"
        "    head = repo.head()\n"
        "    assert head and repo.reachable_commits([head])\n"
        "    assert repo.blob_id_at(head, 'artifacts.yaml')\n"
        "print(sorted(m for m in sys.modules if m.startswith('dulwich')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(gto.__file__).resolve().parent.parent)}
    result = subprocess.run(
        [sys.executable, "-c", code, str(fixture_repo("demo"))],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    assert result.stdout == "[]\n"


def test_dulwich_repo_is_opened_once_and_closed(simple: BuiltRepo) -> None:
    pack_everything(simple)
    repo = open_repo(simple)
    dulwich_repo = repo.dulwich.get()  # gto.git's own handle: opened on first use
    assert repo.dulwich.get() is dulwich_repo
    assert dulwich_repo.path == simple.path
    assert len(list(dulwich_repo.object_store.packs)) == 1  # open a pack through dulwich
    del repo, dulwich_repo
    gc.collect()  # filterwarnings=error turns a ResourceWarning into a failure


def test_fixture_repo_is_a_private_copy(fixture_repo: Callable[[str], Path]) -> None:
    first, second = fixture_repo("demo"), fixture_repo("demo")
    assert first != second
    assert first.parent == second.parent
    with GitRepo.open(first) as repo:
        assert repo.workdir is None
        names = repo.tag_names()
        assert len(names) == len(repo.read_tags(names)) + len(repo.problem_tags(names))


# Empty repository


def test_empty_repo(tmp_repo: Repo) -> None:
    with open_repo(tmp_repo) as repo:
        assert repo.head() is None
        assert repo.tag_names() == []
        assert repo.read_tags([]) == []
        assert repo.branch_heads() == []
        assert repo.reachable_commits([]) == []
        with pytest.raises(RefNotFound) as error:
            repo.resolve("HEAD")
        assert str(error.value) == "Ref 'HEAD' was not found in the repository history"


# Tags


def test_tag_names_sorted_with_lightweight_and_nested(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        assert repo.tag_names() == [
            "churn#prod#1",
            "churn@v1.0.0",
            "churn@v9.9.9",
            "nested/dir=model@v0.0.1",
        ]


def test_read_annotated_tags(simple: BuiltRepo) -> None:
    c1, c2 = simple.commits["c1"], simple.commits["c2"]
    with open_repo(simple) as repo:
        tags = repo.read_tags(repo.tag_names())
    assert tags == [
        TagRecord("churn#prod#1", c2, *TAGGER, at(20), "Promote to prod"),
        TagRecord("churn@v1.0.0", c1, *TAGGER, at(10), "Tag churn@v1.0.0"),
        TagRecord("nested/dir=model@v0.0.1", c2, *TAGGER, at(30), "Tag nested/dir=model@v0.0.1"),
    ]


def test_read_tags_keeps_the_order_of_names(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        names = ["nested/dir=model@v0.0.1", "churn@v1.0.0", "churn#prod#1"]
        assert [t.name for t in repo.read_tags(names)] == names


def test_lightweight_and_unknown_tags_are_skipped_and_reported(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        assert repo.read_tags(["churn@v9.9.9", "no-such-tag"]) == []
        assert repo.problem_tags([*repo.tag_names(), "no-such-tag"]) == {
            "churn@v9.9.9": "lightweight",
            "no-such-tag": "no such tag",
        }


def test_tag_message_keeps_inner_newlines(tmp_repo: Repo) -> None:
    commit = make_commit(tmp_repo)
    make_tag(tmp_repo, "m@v1.0.0", commit, message="line 1\n\nline 3\n\n\n")
    with open_repo(tmp_repo) as repo:
        assert repo.read_tags(["m@v1.0.0"])[0].message == "line 1\n\nline 3"


def test_tag_of_a_tag_is_peeled_with_the_outer_tagger(tmp_repo: Repo) -> None:
    commit = make_commit(tmp_repo)
    inner = make_tag(tmp_repo, "inner", commit, message="inner", time=EPOCH + 1)
    middle = make_tag(tmp_repo, "middle", inner, message="middle", time=EPOCH + 2)
    outer_tagger = ("Outer Person", "outer@example.com")
    make_tag(tmp_repo, "m@v1.0.0", middle, message="outer", time=EPOCH + 3, tagger=outer_tagger)
    with open_repo(tmp_repo) as repo:
        assert repo.read_tags(["m@v1.0.0"]) == [
            TagRecord("m@v1.0.0", commit, *outer_tagger, at(3), "outer")
        ]
        assert repo.resolve("m@v1.0.0") == commit


def test_tags_of_trees_and_blobs_are_skipped_and_reported(tmp_repo: Repo) -> None:
    make_commit(tmp_repo, {"a.txt": "a"})
    blob = Blob.from_string(b"loose blob")
    tree = Tree()
    tree.add(b"a.txt", 0o100644, blob.id)
    tmp_repo.object_store.add_objects([(blob, None), (tree, None)])
    make_tag(tmp_repo, "blob-tag", blob.id.decode())
    tree_tag = make_tag(tmp_repo, "tree-tag", tree.id.decode())
    make_tag(tmp_repo, "tag-of-tree-tag", tree_tag)
    with open_repo(tmp_repo) as repo:
        names = repo.tag_names()
        assert repo.read_tags(names) == []
        assert repo.problem_tags(names) == {
            "blob-tag": "not a commit: blob",
            "tag-of-tree-tag": "not a commit: tree",
            "tree-tag": "not a commit: tree",
        }
        with pytest.raises(RefNotFound):
            repo.resolve("tree-tag")


def test_missing_objects_are_skipped_and_reported(tmp_repo: Repo) -> None:
    kept = make_commit(tmp_repo, message="kept")
    make_tag(tmp_repo, "good", kept)
    lost = make_commit(tmp_repo, message="lost")
    make_tag(tmp_repo, "commit-gone", lost)
    make_lightweight_tag(tmp_repo, "object-gone", "0123456789" * 4)
    os.remove(Path(tmp_repo.controldir(), "objects", lost[:2], lost[2:]))
    with open_repo(tmp_repo) as repo:
        names = repo.tag_names()
        assert [t.name for t in repo.read_tags(names)] == ["good"]
        assert repo.problem_tags(names) == {
            "commit-gone": "missing object",
            "object-gone": "missing object",
        }


def test_unicode_tagger_and_message(tmp_repo: Repo) -> None:
    commit = make_commit(tmp_repo)
    tagger = ("Zoë Ångström 山田", "zoë@example.com")
    make_tag(tmp_repo, "m@v1.0.0", commit, message="Déployé 🚀\n", tagger=tagger)
    with open_repo(tmp_repo) as repo:
        (tag,) = repo.read_tags(["m@v1.0.0"])
    assert (tag.tagger, tag.tagger_email, tag.message) == (*tagger, "Déployé 🚀")


def test_invalid_utf8_is_replaced(tmp_repo: Repo) -> None:
    commit = make_commit(tmp_repo)
    make_tag(tmp_repo, "m@v1.0.0", commit, message=b"caf\xe9")  # latin-1, not utf-8
    with open_repo(tmp_repo) as repo:
        assert repo.read_tags(["m@v1.0.0"])[0].message == "caf\ufffd"


@pytest.mark.parametrize(
    ("tz", "offset"),
    [
        pytest.param(5 * 3600 + 45 * 60, timedelta(hours=5, minutes=45), id="+05:45"),
        pytest.param(-(3 * 3600 + 30 * 60), -timedelta(hours=3, minutes=30), id="-03:30"),
        pytest.param(0, timedelta(0), id="utc"),
    ],
)
def test_tag_time_keeps_its_offset(tmp_repo: Repo, tz: int, offset: timedelta) -> None:
    commit = make_commit(tmp_repo)
    make_tag(tmp_repo, "m@v1.0.0", commit, time=EPOCH + 7, tz=tz)
    with open_repo(tmp_repo) as repo:
        created_at = repo.read_tags(["m@v1.0.0"])[0].created_at
    assert created_at.utcoffset() == offset
    assert created_at.timestamp() == EPOCH + 7


def test_str_of_an_offset_time(tmp_repo: Repo) -> None:
    commit = make_commit(tmp_repo)
    make_tag(tmp_repo, "m@v1.0.0", commit, time=1661489863, tz=5 * 3600 + 45 * 60)
    with open_repo(tmp_repo) as repo:
        assert str(repo.read_tags(["m@v1.0.0"])[0].created_at) == "2022-08-26 10:42:43+05:45"


@pytest.mark.parametrize("deltify", [False, True], ids=["packed", "deltified"])
def test_packed_refs_and_packed_objects(simple: BuiltRepo, deltify: bool) -> None:
    with open_repo(simple) as repo:
        loose = (repo.tag_names(), repo.read_tags(repo.tag_names()))
    pack_everything(simple, deltify=deltify)
    assert not [p for p in Path(simple.controldir(), "refs").rglob("*") if p.is_file()]
    objects = Path(simple.controldir(), "objects")
    assert [p.name for p in objects.rglob("*") if p.is_file() and p.parent.name != "pack"] == []
    assert len(list((objects / "pack").glob("*.pack"))) == 1
    with open_repo(simple) as repo:
        assert (repo.tag_names(), repo.read_tags(repo.tag_names())) == loose
        assert repo.problem_tags(repo.tag_names()) == {"churn@v9.9.9": "lightweight"}
        assert repo.head() == simple.commits["c2"]
        assert repo.branch_heads() == [simple.commits["c2"]]
        assert repo.resolve("churn@v1.0.0") == simple.commits["c1"]
        blob = repo.blob_id_at(simple.commits["c1"], "models/churn.pkl")
        assert blob is not None
        assert repo.read_blob(blob) == b"\x00pickle"


def test_many_similar_tags_in_a_deltified_pack(tmp_repo: Repo) -> None:
    """Deltas go through dulwich; everything else is read from the pack directly."""
    commit = make_commit(tmp_repo)
    names = [f"model@v1.0.{i}" for i in range(30)]
    for i, name in enumerate(names):
        make_tag(tmp_repo, name, commit, message="same long message " * 10, time=EPOCH + i)
    pack_everything(tmp_repo, deltify=True)
    with open_repo(tmp_repo) as repo:
        tags = repo.read_tags(repo.tag_names())
    assert sorted(t.name for t in tags) == sorted(names)
    assert {t.created_at for t in tags} == {at(i) for i in range(30)}


def test_loose_ref_wins_over_packed_ref(simple: BuiltRepo) -> None:
    pack_everything(simple)
    make_tag(simple, "churn@v1.0.0", simple.commits["c2"], message="moved")
    with open_repo(simple) as repo:
        assert repo.read_tags(["churn@v1.0.0"])[0].commit == simple.commits["c2"]


def test_lock_files_are_not_tags(simple: BuiltRepo) -> None:
    Path(simple.controldir(), "refs", "tags", "x.lock").write_text("0" * 40 + "\n")
    with open_repo(simple) as repo:
        assert "x.lock" not in repo.tag_names()


@pytest.mark.parametrize(
    "ref",
    [
        b"refs/tags/churn@v1.0.0",
        b"refs/tags/nested/dir=model@v0.0.1",
        b"refs/tags/churn#prod!#3",
        b"refs/tags/caf\xc3\xa9",
        b"refs/tags/a.lockb",
        b"refs/tags/a@b",
        b"refs/tags/@",
        b"refs/tags/x.lock",
        b"refs/tags/x.lock/y",
        b"refs/tags/.hidden",
        b"refs/tags/a/.b",
        b"refs/tags/a..b",
        b"refs/tags/a.",
        b"refs/tags/a/",
        b"refs/tags//a",
        b"/refs/tags/a",
        b"refs/tags/a@{1}",
        *(b"refs/tags/a" + bytes([c]) + b"b" for c in b" ~^:?*[\\\x7f\x00\x01\n\t"),
        b"HEAD",
        b"@",
        b"",
    ],
)
def test_ref_names_follow_git_check_ref_format(ref: bytes) -> None:
    assert is_ref_name(ref) == check_ref_format(Ref(ref))


def test_symbolic_and_broken_tag_refs(simple: BuiltRepo) -> None:
    tags = Path(simple.controldir(), "refs", "tags")
    (tags / "alias").write_text("ref: refs/tags/churn@v1.0.0\n")
    (tags / "dangling").write_text("ref: refs/tags/nothing\n")
    (tags / "garbage").write_text("not an object id\n")
    with open_repo(simple) as repo:
        names = ["alias", "dangling", "garbage", "churn@v1.0.0"]
        assert repo.read_tags(names) == [
            TagRecord("churn@v1.0.0", simple.commits["c1"], *TAGGER, at(10), "Tag churn@v1.0.0")
        ]
        # The alias reaches a tag object named churn@v1.0.0: not an event of its own.
        assert repo.problem_tags(names) == {
            "alias": "the tag object names 'churn@v1.0.0', not the ref 'alias'",
            "dangling": "broken ref",
            "garbage": "broken ref",
        }


def test_detached_head(simple: BuiltRepo) -> None:
    Path(simple.controldir(), "HEAD").write_text(simple.commits["c1"] + "\n")
    with open_repo(simple) as repo:
        assert repo.head() == simple.commits["c1"]
        assert repo.resolve("HEAD") == simple.commits["c1"]
        assert repo.branch_heads() == [simple.commits["c2"]]


def test_tags_created_after_tag_names_are_still_read(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        repo.tag_names()
        make_tag(simple, "late@v1.0.0", simple.commits["c1"])
        assert [t.name for t in repo.read_tags(["late@v1.0.0"])] == ["late@v1.0.0"]


def test_each_tag_object_is_read_once(simple: BuiltRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_repo(simple) as repo:
        reads: list[str] = []
        raw = repo.store.raw

        def counting_raw(oid: str) -> tuple[int, bytes] | None:
            reads.append(oid)
            return raw(oid)

        monkeypatch.setattr(repo.store, "raw", counting_raw)
        names = repo.tag_names()
        first = repo.read_tags(names)
        assert len(reads) == len(set(reads)) == 4  # three annotated tags, one commit
        assert repo.read_tags(names) == first
        assert repo.problem_tags(names) == {"churn@v9.9.9": "lightweight"}
        assert len(reads) == 4


# Commits


def test_read_commit(tmp_repo: Repo) -> None:
    first = make_commit(tmp_repo, message="first")
    second = make_commit(
        tmp_repo, message="Second\n\nwith a body\n", time=EPOCH + 60, tz=5 * 3600 + 45 * 60
    )
    with open_repo(tmp_repo) as repo:
        assert repo.read_commit(first) == CommitRecord(first, *AUTHOR, *COMMITTER, at(0), "first\n")
        record = repo.read_commit(second)
        assert record == CommitRecord(
            second, *AUTHOR, *COMMITTER, at(60, PLUS_0545), "Second\n\nwith a body\n"
        )
        assert record.created_at.utcoffset() == timedelta(hours=5, minutes=45)
        assert repo.read_commit(second) is record


def test_read_commit_errors(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        with pytest.raises(RepoError) as error:
            repo.read_commit("f" * 40)
        assert str(error.value) == f"Commit {'f' * 40} is missing from the repository"
        tree = repo.blob_id_at(simple.commits["c1"], "artifacts.yaml")
        with pytest.raises(RepoError, match="is a blob, not a commit"):
            repo.read_commit(tree or "")


def test_head_branches_and_reachable_commits(tmp_path: Path) -> None:
    built = build_registry(
        tmp_path / "repo",
        [
            ("commit", "c1"),
            ("commit", "c2"),
            Commit("f1", branch="feature", parents=("c1",)),
            Commit("f2", branch="feature"),
            Commit("m", parents=("c2", "f2")),  # a merge on main
            Commit("z", branch="zz-same-as-main", parents=("c2", "f2")),
        ],
    )
    c = built.commits
    with GitRepo.open(built.path) as repo:
        assert repo.head() == c["m"]
        assert repo.branch_heads() == [c["f2"], c["m"], c["z"]]
        assert repo.reachable_commits([c["m"]]) == [c["m"], c["c2"], c["c1"], c["f2"], c["f1"]]
        assert set(repo.reachable_commits(repo.branch_heads())) == set(c.values())
        assert repo.reachable_commits([c["f2"], c["f1"]]) == [c["f2"], c["f1"], c["c1"]]


def test_branch_heads_are_deduplicated(tmp_path: Path) -> None:
    built = build_registry(tmp_path / "repo", [("commit", "c1")])
    built.refs[Ref(b"refs/heads/copy")] = built.refs[Ref(b"refs/heads/main")]
    with GitRepo.open(built.path) as repo:
        assert repo.branch_heads() == [built.commits["c1"]]


# Files in commits


def test_blob_id_at_and_path_exists_at(tmp_repo: Repo) -> None:
    c1 = make_commit(tmp_repo, {"artifacts.yaml": ARTIFACTS, "a/b/c.txt": "deep"})
    c2 = make_commit(tmp_repo, {"artifacts.yaml": None, "a/b/d.txt": "more"})
    with open_repo(tmp_repo) as repo:
        blob = repo.blob_id_at(c1, "artifacts.yaml")
        assert blob == Blob.from_string(ARTIFACTS.encode()).id.decode()
        assert repo.read_blob(blob) == ARTIFACTS.encode()
        assert repo.read_blob(repo.blob_id_at(c2, "a/b/c.txt") or "") == b"deep"
        assert repo.blob_id_at(c2, "artifacts.yaml") is None
        assert repo.blob_id_at(c1, "a/b") is None  # a folder is not a blob
        assert repo.blob_id_at(c1, "a/b/c.txt/x") is None
        assert repo.blob_id_at(c1, "missing/c.txt") is None
        assert repo.path_exists_at(c1, "a/b")
        assert repo.path_exists_at(c1, "a/b/c.txt")
        assert not repo.path_exists_at(c1, "a/b/d.txt")
        assert repo.path_exists_at(c2, "a/b/d.txt")
        assert not repo.path_exists_at(c2, "artifacts.yaml")


def test_read_blob_errors(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        with pytest.raises(RepoError) as error:
            repo.read_blob("e" * 40)
        assert str(error.value) == f"Blob {'e' * 40} is missing from the repository"


def test_read_worktree_file(simple: BuiltRepo) -> None:
    with open_repo(simple) as repo:
        assert repo.read_worktree_file("artifacts.yaml") == ARTIFACTS.encode()
        assert repo.read_worktree_file("models/churn.pkl") == b"\x00pickle2"
        assert repo.read_worktree_file("models") is None
        assert repo.read_worktree_file("nope.yaml") is None


def test_builder_leaves_a_clean_checkout(simple: BuiltRepo) -> None:
    """make_commit keeps the index and work tree in step with the branch."""
    from dulwich import porcelain

    status = porcelain.status(simple)
    assert status.staged == {"add": [], "delete": [], "modify": []}
    assert status.unstaged == []
    assert status.untracked == []


# Revisions


@pytest.fixture
def history(tmp_path: Path) -> Iterator[BuiltRepo]:
    """main: c1 - c2 - c3 (a merge of feature: c1 - f1), with tags on c1 and c2."""
    with build_registry(
        tmp_path / "repo",
        [
            ("commit", "c1"),
            ("commit", "c2"),
            Commit("f1", branch="feature", parents=("c1",)),
            Commit("c3", parents=("c2", "f1")),
            ("tag", "v1", "c2"),
            ("lightweight", "light", "c1"),
            Tag("feature", "c1"),  # a tag named like a branch: tags win, as in git
        ],
    ) as built:
        yield built


@pytest.mark.parametrize(
    ("revision", "label"),
    [
        ("HEAD", "c3"),
        ("main", "c3"),
        ("refs/heads/main", "c3"),
        ("heads/main", "c3"),
        ("v1", "c2"),
        ("refs/tags/v1", "c2"),
        ("tags/v1", "c2"),
        ("light", "c1"),
        ("feature", "c1"),
        ("refs/heads/feature", "f1"),
        ("HEAD~1", "c2"),
        ("HEAD^", "c2"),
        ("HEAD^1", "c2"),
        ("HEAD^2", "f1"),
        ("HEAD~2", "c1"),
        ("HEAD^^", "c1"),
        ("main~1^", "c1"),
        ("HEAD^2~1", "c1"),
        ("HEAD~0", "c3"),
        ("HEAD^0", "c3"),
        ("v1~1", "c1"),
    ],
)
def test_resolve(history: BuiltRepo, revision: str, label: str) -> None:
    with GitRepo.open(history.path) as repo:
        assert repo.resolve(revision) == history.commits[label]


def test_resolve_hex_ids(history: BuiltRepo) -> None:
    c2 = history.commits["c2"]
    with GitRepo.open(history.path) as repo:
        assert repo.resolve(c2) == c2
        assert repo.resolve(c2[:7]) == c2
        assert repo.resolve(c2[:7].upper()) == c2
        assert repo.resolve(c2[:4]) == c2
        assert repo.resolve(c2[:4] + "~1") == history.commits["c1"]


@pytest.mark.parametrize(
    "revision",
    ["nope", "HEAD~9", "HEAD^3", "v1^2", "", "~1", "0" * 40, "deadbeef", "main^{tree}", "a..b"],
)
def test_resolve_unknown(history: BuiltRepo, revision: str) -> None:
    with GitRepo.open(history.path) as repo, pytest.raises(RefNotFound) as error:
        repo.resolve(revision)
    assert str(error.value) == f"Ref '{revision}' was not found in the repository history"


# Hygiene


def test_unclosed_repo_gives_no_resource_warning(simple: BuiltRepo) -> None:
    pack_everything(simple)

    repo = open_repo(simple)
    assert repo.read_tags(repo.tag_names())
    del repo
    gc.collect()  # filterwarnings=error turns a ResourceWarning into a failure


def test_gitrepo_never_runs_git() -> None:
    """Only dulwich reads the repository: no subprocess anywhere in the adapter."""
    import gto.git

    imported: set[str] = set()
    for module in Path(gto.git.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert "subprocess" not in imported
    assert imported >= {"dulwich"}


def test_init_repo_ignores_user_config(tmp_path: Path) -> None:
    config = Path(os.environ["HOME"]) / ".gitconfig"
    config.write_text("[init]\n\tdefaultBranch = trunk\n")
    with init_repo(tmp_path / "repo") as repo:
        assert repo.refs.read_ref(Ref(b"HEAD")) == b"ref: refs/heads/main"


def test_files_named(tmp_path: Path) -> None:
    """Every regular file of that name, in any folder, by path; folders and links are not files."""
    repo = build_registry(
        tmp_path / "repo",
        [
            Commit(
                "c1",
                {
                    "dvc.yaml": "root",
                    "a/dvc.yaml": "a",
                    "a/b/c/dvc.yaml": "c",
                    "b/dvc.yaml/inner.txt": "not a dvc.yaml",
                    "b/x.yaml": "x",
                },
            ),
            Commit("c2", {"a/dvc.yaml": None}),
        ],
    )
    with repo, GitRepo.open(repo.path) as git:
        found = git.files_named(repo.commits["c1"], "dvc.yaml")
        assert [path for path, _ in found] == ["a/b/c/dvc.yaml", "a/dvc.yaml", "dvc.yaml"]
        assert [git.read_blob(blob) for _, blob in found] == [b"c", b"a", b"root"]
        assert [path for path, _ in git.files_named(repo.commits["c2"], "dvc.yaml")] == [
            "a/b/c/dvc.yaml",
            "dvc.yaml",
        ]


def test_files_named_in_a_very_deep_tree(tmp_path: Path) -> None:
    """Folders nested deeper than Python's recursion limit are walked all the same."""
    with init_repo(tmp_path / "repo") as repo:
        blob = Blob.from_string(b"deep")
        repo.object_store.add_object(blob)
        tree = Tree()
        tree.add(b"dvc.yaml", 0o100644, blob.id)
        repo.object_store.add_object(tree)
        for _ in range(sys.getrecursionlimit() + 100):
            parent = Tree()
            parent.add(b"d", 0o040000, tree.id)
            repo.object_store.add_object(parent)
            tree = parent
        commit = make_commit(repo, {}, parents=[])
        commit_obj = repo[commit.encode()]
        commit_obj.tree = tree.id  # type: ignore[attr-defined]
        repo.object_store.add_object(commit_obj)
        with GitRepo.open(repo.path) as git:
            [(path, found)] = git.files_named(commit_obj.id.decode(), "dvc.yaml")
    assert (path.count("d/"), path.endswith("/dvc.yaml"), found) == (
        sys.getrecursionlimit() + 100,
        True,
        blob.id.decode(),
    )
