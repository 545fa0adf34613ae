"""`annotate` and `remove`: artifacts.yaml in the work tree, --commit and --push.

A commit made by gto changes artifacts.yaml only and leaves the work tree, the index
and the branch consistent: checked with dulwich, and with the real `git status` when
GTO_TEST_REAL_GIT names it (the test runs git; gto never does).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from builders import EPOCH, Symlink, build_registry, make_commit, tree_files
from dulwich import porcelain
from dulwich.config import ConfigFile
from dulwich.index import Index, IndexEntry
from dulwich.object_store import tree_lookup_path
from dulwich.objects import Commit
from dulwich.refs import Ref
from dulwich.repo import Repo
from servers import REAL_GIT, become_origin, dulwich_http_server

from gto.api.commands import AnnotationChange, WriteOptions, annotate
from gto.cli import main
from gto.core.annotations import Annotation

MAIN = Ref(b"refs/heads/main")
Run = Callable[..., tuple[int, str, str]]
UPDATED = "Updated `artifacts.yaml`\n"
INDEX = "a-model:\n  type: model\nz-data:\n  path: data/z.csv\n  type: dataset\n"


@pytest.fixture
def path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean work tree: c1 has artifacts.yaml (two entries), models/m.pkl and notes.txt."""
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 1000} +0200")
    repo = build_registry(
        tmp_path / "repo",
        [
            (
                "commit",
                "c1",
                {"artifacts.yaml": INDEX, "models/m.pkl": "m", "notes.txt": "n"},
            ),
        ],
    )
    repo.close()
    return tmp_path / "repo"


def head(path: Path) -> str:
    with Repo(str(path)) as repo:
        return repo.refs[MAIN].decode()


def commit_of(path: Path, sha: str) -> Commit:
    with Repo(str(path)) as repo:
        commit = repo[sha.encode()]
    assert isinstance(commit, Commit)
    return commit


def index_sha(path: Path, file: str) -> str:
    entry = Index(str(path / ".git" / "index"))[file.encode()]
    assert isinstance(entry, IndexEntry)
    return entry.sha.decode()


def committed_sha(path: Path, sha: str, file: str) -> str:
    with Repo(str(path)) as repo:
        _, oid = tree_lookup_path(repo.__getitem__, commit_of(path, sha).tree, file.encode())
    return oid.decode()


def git_status(path: Path) -> str | None:
    """`git status --porcelain` from the real git, or None when it is not available."""
    if not REAL_GIT:
        return None
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_OPTIONAL_LOCKS": "0"}
    return subprocess.run(
        [REAL_GIT, "status", "--porcelain", "--untracked-files=all"],
        cwd=path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def assert_consistent(path: Path, dirty: str = "") -> None:
    """Work tree file, index entry and the branch's commit agree on artifacts.yaml."""
    top = head(path)
    blob = committed_sha(path, top, "artifacts.yaml")
    assert index_sha(path, "artifacts.yaml") == blob
    assert (path / "artifacts.yaml").read_bytes() == tree_files(path, top)["artifacts.yaml"]
    status = git_status(path)
    if status is not None:
        assert status == dirty


# The work tree file


def test_annotate_new_entry(run: Run, path: Path) -> None:
    before = head(path)
    assert run(
        "annotate",
        "m",
        "--type",
        "model",
        "--path",
        "models/m.pkl",
        "--must-exist",
        "--label",
        "ml",
        "--label",
        "cool",
        "--label",
        "ml",
        "-d",
        "This model is very cool",
        "-c",
        "42",
    ) == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == (
        "a-model:\n"
        "  type: model\n"
        "m:\n"
        "  custom: '42'\n"
        "  description: This model is very cool\n"
        "  labels:\n"
        "  - ml\n"
        "  - cool\n"
        "  - ml\n"
        "  path: models/m.pkl\n"
        "  type: model\n"
        "  virtual: false\n"
        "z-data:\n"
        "  path: data/z.csv\n"
        "  type: dataset\n"
    )
    assert head(path) == before  # not committed


def test_annotate_merges_into_an_existing_entry(run: Run, path: Path) -> None:
    run("annotate", "a-model", "--label", "z", "--label", "b")
    run("annotate", "a-model", "--label", "a", "--label", "z", "--path", "models/a.pkl")
    assert (path / "artifacts.yaml").read_text() == (
        "a-model:\n"
        "  labels:\n"
        "  - a\n"
        "  - b\n"
        "  - z\n"
        "  path: models/a.pkl\n"
        "  type: model\n"
        "z-data:\n"
        "  path: data/z.csv\n"
        "  type: dataset\n"
    )
    change = AnnotationChange(description="d")
    made = annotate(str(path), "a-model", change, commit=False, options=WriteOptions())
    assert made.annotation == Annotation(
        type="model", path="models/a.pkl", labels=("a", "b", "z"), description="d"
    )


def test_remove_keeps_the_other_entries_and_their_order(run: Run, path: Path) -> None:
    run("annotate", "b-new")
    assert (path / "artifacts.yaml").read_text() == (
        "a-model:\n  type: model\nb-new: {}\nz-data:\n  path: data/z.csv\n  type: dataset\n"
    )
    assert run("remove", "b-new") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == INDEX
    assert run("remove", "a-model") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == "z-data:\n  path: data/z.csv\n  type: dataset\n"
    run("remove", "z-data")
    assert (path / "artifacts.yaml").read_text() == "{}\n"


def test_annotate_without_a_file(run: Run, path: Path) -> None:
    (path / "artifacts.yaml").unlink()
    assert run("annotate", "m", "--type", "model") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == "m:\n  type: model\n"


def test_must_exist_looks_at_the_committed_tree(run: Run, path: Path) -> None:
    (path / "models" / "new.pkl").write_text("not committed")
    assert run("annotate", "m", "--path", "models/new.pkl", "-e") == (
        1,
        "",
        "❌ Nothing found in 'models/new.pkl' for checked out commit\n",
    )
    assert run("annotate", "m", "--path", "models", "--must-exist")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("annotate", "m", "-e"), "`path` is required when `must_exist` is set to True"),
        (
            ("annotate", "m", "--path", "data/z.csv/part"),
            "Provided path conflicts with 'data/z.csv' ('dataset' 'z-data')",
        ),
        (
            ("annotate", "m", "--type", "bad type"),
            "Invalid value 'bad type'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (
            ("annotate", "m", "--label=-x"),
            "Invalid value '-x'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (
            ("annotate", "m!"),
            "Invalid value 'm!'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (("remove", "nobody"), "Cannot find artifact 'nobody'"),
        (("remove", "nobody", "--commit"), "Cannot find artifact 'nobody'"),
    ],
)
def test_refusals_leave_the_file_alone(
    run: Run, path: Path, args: tuple[str, ...], message: str
) -> None:
    before = head(path)
    assert run(*args) == (1, "", f"❌ {message}\n")
    assert (path / "artifacts.yaml").read_text() == INDEX
    assert head(path) == before


def test_allow_same_path(run: Run, path: Path) -> None:
    assert run("annotate", "m", "--path", "data", "--allow-same-path")[0] == 0


def test_allowed_types(run: Run, path: Path) -> None:
    (path / ".gto").write_text("types: [model, dataset]\n")
    assert run("annotate", "m", "--type", "report") == (
        1,
        "",
        "❌ Allowed types are: '['model', 'dataset']'\n",
    )
    assert run("annotate", "m", "--type", "dataset")[0] == 0


# --commit


def test_annotate_commit(run: Run, path: Path) -> None:
    parent = head(path)
    (path / "notes.txt").write_text("dirty")  # an unrelated change stays uncommitted
    (path / "untracked.txt").write_text("u")
    assert run("annotate", "m", "--type", "model", "--path", "models/m.pkl", "--commit") == (
        0,
        UPDATED + "Running `git commit`\n",
        "",
    )
    top = head(path)
    commit = commit_of(path, top)
    assert commit.parents == [parent.encode()]
    assert commit.message == b"Annotate artifact `m` of type `model` with path `models/m.pkl`\n"
    assert commit.author == commit.committer == b"Tess Tagger <tess@example.com>"
    assert (commit.commit_time, commit.commit_timezone) == (EPOCH + 1000, 7200)
    before, after = tree_files(path, parent), tree_files(path, top)
    assert {f for f in after if after[f] != before.get(f)} == {"artifacts.yaml"}
    assert set(after) == set(before)
    assert after["artifacts.yaml"] == (
        b"a-model:\n  type: model\nm:\n  path: models/m.pkl\n  type: model\n"
        b"z-data:\n  path: data/z.csv\n  type: dataset\n"
    )
    with Repo(str(path)) as repo:
        assert repo.refs.read_ref(Ref(b"HEAD")) == b"ref: refs/heads/main"
    assert (path / "notes.txt").read_text() == "dirty"
    assert_consistent(path, dirty=" M notes.txt\n?? untracked.txt\n")


def test_remove_commit(run: Run, path: Path) -> None:
    assert run("remove", "z-data", "--commit") == (0, UPDATED + "Running `git commit`\n", "")
    commit = commit_of(path, head(path))
    assert commit.message == b"Remove annotation for artifact `z-data`\n"
    assert tree_files(path, head(path))["artifacts.yaml"] == b"a-model:\n  type: model\n"
    assert_consistent(path)


def test_commit_creates_the_file(run: Run, path: Path) -> None:
    with Repo(str(path)) as repo:
        make_commit(repo, {"artifacts.yaml": None}, message="drop index", time=EPOCH + 1)
    assert run("annotate", "m", "--commit")[0] == 0
    assert tree_files(path, head(path))["artifacts.yaml"] == b"m: {}\n"
    assert_consistent(path)


def test_commit_refuses_an_uncommitted_index_file(run: Run, path: Path) -> None:
    (path / "artifacts.yaml").write_text(INDEX + "b: {}\n")
    before = head(path)
    assert run("annotate", "m", "--commit") == (
        1,
        "",
        "❌ The command would have changed files that were not committed (artifacts.yaml), "
        "automated committing is not possible. "
        "Suggested action: Commit the changes and re-run this command.\n",
    )
    assert head(path) == before
    assert (path / "artifacts.yaml").read_text() == INDEX + "b: {}\n"


def test_committed_annotation_is_read_back(run: Run, path: Path) -> None:
    run("annotate", "m", "--type", "model", "--commit")
    code, out, _ = run("show", "--plain")
    assert (code, out) == (
        0,
        "name      latest\n*a-model  -\n*m        -\n*z-data   -\n",
    )
    assert run("describe", "m") == (0, '{\n    "type": "model"\n}\n', "")


def test_bare_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str], path: Path) -> None:
    bare = tmp_path / "bare.git"
    build_registry(bare, [("commit", "c1", {"artifacts.yaml": INDEX})], bare=True).close()
    assert main(["annotate", "m", "-r", str(bare)]) == 1
    assert capsys.readouterr().err == (
        "❌ A bare repository has no work tree to write artifacts.yaml to: use --commit\n"
    )
    assert main(["annotate", "m", "--type", "model", "-r", str(bare), "--commit"]) == 0
    assert tree_files(bare, head(bare))["artifacts.yaml"] == (
        INDEX.replace("z-data", "m:\n  type: model\nz-data", 1).encode()
    )


# --push


@pytest.fixture
def origin(path: Path, tmp_path: Path) -> Iterator[Path]:
    """A bare repository served by dulwich's HTTP server as origin, with main pushed."""
    bare = tmp_path / "remote.git"
    Repo.init_bare(str(bare), mkdir=True).close()
    with dulwich_http_server(bare) as url:
        become_origin(path, url)
        yield bare


@pytest.mark.server
def test_annotate_push(run: Run, path: Path, origin: Path) -> None:
    assert run("annotate", "m", "--type", "model", "--push") == (
        0,
        UPDATED + "Running `git commit` and `git push`\n"
        "Successfully pushed a new commit to remote.\n",
        "",
    )
    assert head(origin) == head(path)
    assert (
        tree_files(origin, head(origin))["artifacts.yaml"]
        == tree_files(path, head(path))["artifacts.yaml"]
    )
    assert commit_of(origin, head(origin)).message == b"Annotate artifact `m` of type `model`\n"
    assert_consistent(path)
    assert run("remove", "m", "--push")[0] == 0
    assert head(origin) == head(path)
    assert b"m:" not in tree_files(origin, head(origin))["artifacts.yaml"]


@pytest.mark.server
def test_failed_push_takes_the_commit_back(run: Run, path: Path, origin: Path) -> None:
    with Repo(str(origin)) as repo:
        theirs = make_commit(repo, {"theirs.txt": "t"}, message="theirs", time=EPOCH + 5)
    before = head(path)
    code, out, err = run("annotate", "m", "--type", "model", "--push")
    assert (code, out) == (1, "")
    assert err.startswith("❌ Push to http://127.0.0.1:")
    assert err.endswith(
        "/remote.git was refused: refs/heads/main has commits there that are not here "
        "(fetch and merge first)\n"
    )
    assert head(path) == before
    assert head(origin) == theirs
    assert (path / "artifacts.yaml").read_text() == INDEX
    assert_consistent(path)


def test_push_on_a_detached_head_commits_nothing(run: Run, path: Path) -> None:
    before = head(path)
    (path / ".git" / "HEAD").write_text(before + "\n")  # detached at main
    assert run("annotate", "m", "--push") == (
        1,
        "",
        "❌ Cannot push a commit made on a detached HEAD; check out a branch\n",
    )
    assert head(path) == before
    assert (path / ".git" / "HEAD").read_text().strip() == before
    assert (path / "artifacts.yaml").read_text() == INDEX


def test_push_without_origin_takes_the_commit_back(run: Run, path: Path) -> None:
    before = head(path)
    assert run("annotate", "m", "--push") == (
        1,
        "",
        "❌ No remote 'origin' configured: add it with `git remote add origin URL` "
        "(or set remote.origin.url in .git/config)\n",
    )
    assert head(path) == before
    assert (path / "artifacts.yaml").read_text() == INDEX
    assert_consistent(path)


# A non-bare origin: its checked-out branch is never moved (git's receive.denyCurrentBranch)


@pytest.fixture
def worktree_origin(path: Path, tmp_path: Path) -> Path:
    """A non-bare clone of `path` with `main` checked out, set as origin of `path`."""
    other = tmp_path / "origin"
    porcelain.clone(str(path), str(other), errstream=io.BytesIO()).close()
    become_origin(path, str(other), "refs/heads/other")
    return other


def refused(origin: Path | str) -> str:
    return (
        f"❌ Push to {origin} was refused: refs/heads/main is checked out in its work tree "
        "(git's receive.denyCurrentBranch); push to a bare repository, or check out another "
        "branch there\n"
    )


@pytest.mark.parametrize(
    "command",
    [["annotate", "m", "--type", "model", "--push"], ["remove", "a-model", "--push"]],
    ids=["annotate", "remove"],
)
def test_push_never_moves_the_checked_out_branch_of_a_work_tree(
    run: Run, path: Path, worktree_origin: Path, command: list[str]
) -> None:
    before, theirs = head(path), head(worktree_origin)
    status = git_status(worktree_origin)
    assert run(*command) == (1, "", refused(worktree_origin))
    assert head(path) == before  # the local commit is taken back
    assert (path / "artifacts.yaml").read_text() == INDEX
    assert_consistent(path)
    assert head(worktree_origin) == theirs
    assert (worktree_origin / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"
    assert git_status(worktree_origin) == status


def test_push_into_a_work_tree_is_allowed_for_tags_and_other_branches(
    run: Run, path: Path, worktree_origin: Path
) -> None:
    assert run("register", "m", "--push")[0] == 0
    with Repo(str(worktree_origin)) as repo:
        assert Ref(b"refs/tags/m@v0.0.1") in repo.refs
    (worktree_origin / ".git" / "HEAD").write_text("ref: refs/heads/other\n")
    assert run("annotate", "m", "--type", "model", "--push")[0] == 0
    assert head(worktree_origin) == head(path)


def test_receive_deny_current_branch_ignore_allows_the_push(
    run: Run, path: Path, worktree_origin: Path
) -> None:
    config_path = worktree_origin / ".git" / "config"
    config = ConfigFile.from_path(str(config_path))
    config.set((b"receive",), b"denyCurrentBranch", b"ignore")
    config.write_to_path(str(config_path))
    assert run("annotate", "m", "--type", "model", "--push")[0] == 0
    assert head(worktree_origin) == head(path)


def test_a_file_url_to_a_work_tree_refuses_commits_and_takes_tags(
    tmp_path: Path, worktree_origin: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"file://{worktree_origin}"
    theirs = head(worktree_origin)
    assert main(["annotate", "m", "--type", "model", "-r", url]) == 1
    assert capsys.readouterr() == ("", refused(url))
    assert head(worktree_origin) == theirs
    assert main(["register", "m", "-r", url]) == 0
    with Repo(str(worktree_origin)) as repo:
        assert Ref(b"refs/tags/m@v0.0.1") in repo.refs
    assert main(["show", "-r", url]) == 0
    assert "m" in capsys.readouterr().out


# Only the entry that changes is rewritten

HAND_WRITTEN = """\
# Registry of the team

z-data:   # the data
  type: dataset
  path: data/z.csv

# models
a-model:
  type: model
  owner: ml-team   # not a field of gto's: kept
"""


def test_annotate_rewrites_only_the_entry_it_changes(run: Run, path: Path) -> None:
    (path / "artifacts.yaml").write_text(HAND_WRITTEN)
    assert run("annotate", "a-model", "--path", "models/a.pkl") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == HAND_WRITTEN.replace(
        "  owner: ml-team   # not a field of gto's: kept\n",
        "  owner: ml-team\n  path: models/a.pkl\n",
    )
    # The entries are not in name order: a new one goes at the end.
    assert run("annotate", "b-new", "--type", "model") == (0, UPDATED, "")
    assert (
        (path / "artifacts.yaml")
        .read_text()
        .endswith("  path: models/a.pkl\nb-new:\n  type: model\n")
    )
    assert run("remove", "z-data") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == (
        "# Registry of the team\n\n\n# models\na-model:\n  type: model\n  owner: ml-team\n"
        "  path: models/a.pkl\nb-new:\n  type: model\n"
    )


def test_a_new_entry_goes_where_it_sorts_in_a_sorted_file(run: Run, path: Path) -> None:
    (path / "artifacts.yaml").write_text("# ours\na: {}\n\n# theirs\nz: {type: model}\n")
    assert run("annotate", "m", "-d", "in the middle") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == (
        "# ours\na: {}\nm:\n  description: in the middle\n\n# theirs\nz: {type: model}\n"
    )


def test_a_file_that_is_not_a_block_mapping_is_written_anew(run: Run, path: Path) -> None:
    (path / "artifacts.yaml").write_text("{z: {type: model}, a: {}}\n")
    assert run("annotate", "m") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").read_text() == "a: {}\nm: {}\nz:\n  type: model\n"


# Files stay inside the repository


def test_an_artifacts_yaml_leading_outside_is_neither_read_nor_written(
    run: Run, path: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("secret: {description: do not show}\n")
    (path / "artifacts.yaml").unlink()
    (path / "artifacts.yaml").symlink_to(outside)
    refusal = (
        f"❌ 'artifacts.yaml' leads to '{outside}', outside the repository's work tree: gto "
        "neither reads nor writes through it\n"
    )
    for command in (["describe", "secret"], ["annotate", "m"], ["remove", "secret"]):
        assert run(*command) == (1, "", refusal)
    assert outside.read_text() == "secret: {description: do not show}\n"
    assert (path / "artifacts.yaml").is_symlink()


def test_an_artifacts_yaml_leading_inside_is_written_through(run: Run, path: Path) -> None:
    (path / "registry").mkdir()
    (path / "artifacts.yaml").rename(path / "registry" / "index.yaml")
    (path / "artifacts.yaml").symlink_to("registry/index.yaml")
    assert run("annotate", "m") == (0, UPDATED, "")
    assert (path / "artifacts.yaml").is_symlink()
    assert (path / "registry" / "index.yaml").read_text() == INDEX.replace(
        "z-data:", "m: {}\nz-data:"
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [("gto", "../outside.yaml"), ("env", "/etc/outside.yaml"), ("env", ".git/config")],
)
def test_the_index_file_cannot_be_outside_the_repository(
    setting: str, value: str, run: Run, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if setting == "gto":
        (path / ".gto").write_text(f"index: {value}\n")
        expected = (
            f"❌ Wrong config file '{path.resolve() / '.gto'}': index: expected a relative path "
            f"inside the repository, without '..' or '.git' parts, got '{value}'\n"
        )
    else:
        monkeypatch.setenv("GTO_INDEX", value)
        expected = (
            "❌ Invalid value in environment variable GTO_INDEX: expected a relative path "
            f"inside the repository, without '..' or '.git' parts, got '{value}'\n"
        )
    before = (path / ".git" / "config").read_bytes()
    assert run("annotate", "m") == (1, "", expected)
    assert not (path.parent / "outside.yaml").exists()
    assert (path / ".git" / "config").read_bytes() == before


def test_annotate_commit_finishes_what_a_killed_one_left(run: Run, path: Path) -> None:
    # A killed `annotate --commit` may leave the new text in the work tree (and index),
    # the branch not moved yet: the same command commits it.
    assert run("annotate", "m", "--type", "model") == (0, UPDATED, "")
    assert run("annotate", "m", "--type", "model", "--commit") == (
        0,
        UPDATED + "Running `git commit`\n",
        "",
    )
    assert_consistent(path)
    # A different edit is still refused, as before.
    (path / "artifacts.yaml").write_text(INDEX + "x: {}\n")
    assert run("annotate", "m", "--type", "dataset", "--commit")[0] == 1


def test_a_change_already_made_writes_and_commits_nothing(run: Run, path: Path) -> None:
    """Upstream 0.2.8 made no commit either; gto also leaves the entry (and its comments)."""
    with Repo(str(path)) as repo:
        make_commit(repo, {"artifacts.yaml": "zeta:  # z\n  type: model\n"}, time=EPOCH + 1)
    before, text = head(path), (path / "artifacts.yaml").read_text()
    nothing = (0, "Nothing to change in `artifacts.yaml`\n", "")
    assert run("annotate", "zeta", "--type", "model", "--commit") == nothing
    assert run("annotate", "zeta", "--type", "model") == nothing
    assert run("annotate", "zeta", "--type", "model", "--push") == nothing  # no origin needed
    assert (head(path), (path / "artifacts.yaml").read_text()) == (before, text)
    assert_consistent(path)
    # Validation still runs first.
    assert run("annotate", "zeta", "--path", "nope", "--must-exist") == (
        1,
        "",
        "❌ Nothing found in 'nope' for checked out commit\n",
    )


def test_a_committed_artifacts_yaml_link_is_followed_inside_the_tree(run: Run, path: Path) -> None:
    """As a checkout makes it lead: `show` and `register` read the file it names, and
    `annotate --commit` changes that file, leaving the link a link."""
    with Repo(str(path)) as repo:
        make_commit(
            repo,
            {"d/real.yaml": "m: {type: model}\n", "artifacts.yaml": Symlink("d/real.yaml")},
            time=EPOCH + 1,
        )
    code, out, _ = run("show", "--json")
    assert (code, json.loads(out)) == (
        0,
        {"m": {"version": None, "stage": {}, "registered": False, "active": True}},
    )
    assert run("register", "m")[0] == 0
    assert run("annotate", "m", "--type", "dataset", "--commit") == (
        0,
        UPDATED + "Running `git commit`\n",
        "",
    )
    files = tree_files(path, head(path))
    assert (files["artifacts.yaml"], files["d/real.yaml"]) == (
        b"d/real.yaml",
        b"m:\n  type: dataset\n",
    )
    assert (path / "artifacts.yaml").is_symlink()
    assert run("describe", "m", "--type", "--rev", "HEAD") == (0, "dataset\n", "")


@pytest.mark.parametrize(
    ("target", "shown"),
    [("../outside.yaml", "../outside.yaml"), ("/etc/passwd", "/etc/passwd")],
)
def test_a_committed_link_leading_outside_is_one_line(
    run: Run, path: Path, target: str, shown: str
) -> None:
    with Repo(str(path)) as repo:
        sha = make_commit(repo, {"artifacts.yaml": Symlink(target)}, time=EPOCH + 1)
    assert run("show") == (
        1,
        "",
        f"❌ 'artifacts.yaml' in commit {sha[:7]} is a symbolic link to '{shown}', outside the "
        "repository: gto follows committed links only inside it\n",
    )
