"""`--as-of` and `gto diff` on the command line, on a registry with known times.

`--as-of` output must be the output of the same command on the repository as it was
(tests/audit_scenario.py builds it); `gto diff` is checked against hand-written expectations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_scenario import scenario_repos, when
from builders import EPOCH, Commit, Tag, build_registry
from dulwich.refs import Ref
from dulwich.repo import Repo

from gto.cli import main
from gto.git.repo import GitRepo

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int | None], Path]:
    return scenario_repos(tmp_path_factory.mktemp("audit"))


@pytest.fixture
def gto(capsys: pytest.CaptureFixture[str]) -> Run:
    def call(*args: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return call


@pytest.mark.parametrize("second", [5, 45, 210, 260, 315])
@pytest.mark.parametrize(
    "command",
    [
        ["show"],
        ["show", "--json"],
        ["show", "churn", "--vs", "-1"],
        ["show", "churn#prod", "--version"],
        ["show", "-d", "--format", "markdown"],
        ["history"],
        ["history", "churn", "--json", "--asc"],
        ["check-ref", "churn#prod#4", "--json"],
        ["check-ref", "churn#prod#4", "--format", "json"],
        ["describe", "churn"],
        ["describe", "churn#prod", "--path"],
    ],
    ids=" ".join,
)
def test_as_of_prints_what_the_repository_then_printed(
    gto: Run, repos: Callable[[int | None], Path], second: int, command: list[str]
) -> None:
    then = gto(*command, "-r", repos(second))
    assert gto(*command, "-r", repos(None), "--as-of", when(second)) == then


def test_a_tag_made_later_is_no_gto_tag_then(gto: Run, repos: Callable[[int | None], Path]) -> None:
    assert gto("check-ref", "fraud#dev#1", "-r", repos(None), "--as-of", when(209)) == (0, "", "")
    code, out, _ = gto("check-ref", "fraud#dev#1", "-r", repos(None), "--as-of", when(210))
    assert (code, out) == (
        0,
        '✅  Stage "dev" was assigned to version "v0.1.0" of artifact "fraud"\n',
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["show", "--as-of", "2 weeks agox"],
            "Cannot read '2 weeks agox' as a date or a ref; use a date such as 2024-03-03, "
            "2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'",
            id="garbage",
        ),
        pytest.param(
            ["history", "--as-of", "2024-02-30"],
            "Cannot read '2024-02-30' as a date: day is out of range for month",
            id="no-such-day",
        ),
        pytest.param(
            ["show", "-A", "--as-of", "now"],
            "--as-of cannot be combined with -A/--all-commits: choose -a or neither",
            id="all-commits",
        ),
        pytest.param(["diff", "tea"], "Cannot read 'tea' as a date or a ref; use a date such as "
                     "2024-03-03, 2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'",
                     id="diff-garbage"),
    ],
)  # fmt: skip
def test_bad_moments_are_one_line(
    gto: Run, repos: Callable[[int | None], Path], args: list[str], message: str
) -> None:
    assert gto(*args, "-r", repos(None)) == (1, "", f"❌ {message}\n")


# --- gto diff -----------------------------------------------------------------------------

WEEK = """\
╒════════════╤════════════╤═══════════════════════════╕
│ artifact   │ change     │ detail                    │
╞════════════╪════════════╪═══════════════════════════╡
│ churn      │ registered │ v1.1.0                    │
│ churn      │ stage      │ prod: v1.0.0 -> v1.1.0    │
│ churn      │ stage      │ staging: v1.0.0 -> v1.1.0 │
│ fraud      │ appeared   │                           │
│ fraud      │ registered │ v0.1.0                    │
│ fraud      │ stage      │ dev: (none) -> v0.1.0     │
│ segment    │ registered │ v0.4.0                    │
│ segment    │ deprecated │                           │
╘════════════╧════════════╧═══════════════════════════╛
"""
# After 260: v1.1.0 leaves prod and is deregistered, so its stages no longer count.
SINCE_260 = """\
╒════════════╤══════════════╤═══════════════════════════╕
│ artifact   │ change       │ detail                    │
╞════════════╪══════════════╪═══════════════════════════╡
│ churn      │ deregistered │ v1.1.0                    │
│ churn      │ stage        │ prod: v1.1.0 -> v1.0.0    │
│ churn      │ stage        │ staging: v1.1.0 -> v1.0.0 │
╘════════════╧══════════════╧═══════════════════════════╛
"""


def test_diff_between_two_moments(gto: Run, repos: Callable[[int | None], Path]) -> None:
    assert gto("diff", when(45), when(260), "-r", repos(None)) == (0, WEEK, "")


def test_diff_to_now_by_default(gto: Run, repos: Callable[[int | None], Path]) -> None:
    assert gto("diff", when(260), "-r", repos(None)) == (0, SINCE_260, "")
    assert gto("diff", when(260), "now", "-r", repos(None)) == (0, SINCE_260, "")


def test_diff_as_json(gto: Run, repos: Callable[[int | None], Path]) -> None:
    with GitRepo.open(repos(None)) as git:
        c1, c2 = git.resolve("HEAD~2"), git.resolve("HEAD~1")
    code, out, err = gto("diff", when(45), "HEAD~1", "--json", "-r", repos(None))
    assert (code, err) == (0, "")
    # HEAD~1 is c2, made at 100: segment's registration (50) is in, churn@v1.1.0 (110) not.
    assert json.loads(out) == {
        "from": {"when": when(45), "at": "2022-08-08T23:07:25+00:00", "commit": None},
        "to": {"when": "HEAD~1", "at": "2022-08-08T23:08:20+00:00", "commit": c2},
        "artifacts": {
            "fraud": {"presence": "appeared", "deprecation": None, "versions": [], "stages": []},
            "segment": {
                "presence": None,
                "deprecation": None,
                "versions": [{"version": "v0.4.0", "commit": c1, "change": "registered"}],
                "stages": [],
            },
        },
    }


def test_diff_as_markdown_and_plain(gto: Run, repos: Callable[[int | None], Path]) -> None:
    code, out, _ = gto("diff", when(260), "--format", "markdown", "-r", repos(None))
    assert (code, out) == (
        0,
        "| artifact | change | detail |\n"
        "| --- | --- | --- |\n"
        "| churn | deregistered | v1.1.0 |\n"
        "| churn | stage | prod: v1.1.0 -\\> v1.0.0 |\n"  # `>` escaped: markup stays text
        "| churn | stage | staging: v1.1.0 -\\> v1.0.0 |\n",
    )
    code, out, _ = gto("diff", when(260), "--plain", "-r", repos(None))
    assert out.splitlines()[1].split() == ["churn", "deregistered", "v1.1.0"]


def test_no_changes_still_exits_0(gto: Run, repos: Callable[[int | None], Path]) -> None:
    assert gto("diff", when(215), when(245), "-r", repos(None)) == (0, "No changes\n", "")
    code, out, _ = gto("diff", when(215), when(245), "--json", "-r", repos(None))
    assert (code, json.loads(out)["artifacts"]) == (0, {})


def test_diff_counts_stage_holders_as_show_does(
    gto: Run, repos: Callable[[int | None], Path]
) -> None:
    """With --vs -1 every version holding a stage is listed, as `show --vs -1` lists them."""
    out = gto("diff", when(45), when(260), "--vs", "-1", "--plain", "-r", repos(None))[1]
    assert "prod: v1.0.0 -> v1.1.0, v1.0.0" in out


@pytest.fixture
def two_commits(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """c1 (artifacts.yaml lists m; m@v1.0.0 and m#prod#1 on it) <- c2 = HEAD, 100 s later."""
    path = tmp_path / "repo"
    built = build_registry(
        path,
        [
            Commit("c1", {"artifacts.yaml": "m: {type: model}\n"}, at=0),
            Tag("m@v1.0.0", "c1", at=20),
            Tag("m#prod#1", "c1", at=30),
            Commit("c2", {"b.txt": "b"}, at=100),
        ],
    )
    built.close()
    return path, built.commits


def _lose(path: Path, oid: str) -> None:
    (path / ".git" / "objects" / oid[:2] / oid[2:]).unlink()


def test_as_of_fails_where_the_history_cannot_be_read(
    gto: Run, two_commits: tuple[Path, dict[str, str]]
) -> None:
    """HEAD's commit or one of its first parents missing: one line, as plain `show` gives,
    never "Nothing found" (exit 0) for a walk that could not be made."""
    path, commits = two_commits
    _lose(path, commits["c1"])
    missing = (1, "", f"❌ Commit {commits['c1']} is missing from the repository\n")
    assert gto("describe", "m", "--as-of", f"@{EPOCH + 50}", "-r", path) == missing
    assert gto("show", "--as-of", f"@{EPOCH + 50}", "-r", path) == missing
    _lose(path, commits["c2"])
    missing = (1, "", f"❌ Commit {commits['c2']} is missing from the repository\n")
    assert gto("show", "-r", path) == missing
    for command in (["show"], ["history"], ["describe", "m"]):
        assert gto(*command, "--as-of", "now", "-r", path) == missing
    assert gto("diff", f"@{EPOCH + 50}", "-r", path) == missing


def test_as_of_before_a_shallow_clone_boundary_says_so(
    gto: Run, two_commits: tuple[Path, dict[str, str]]
) -> None:
    """A depth-1 clone (as actions/checkout makes): c1 and its tags are not there."""
    path, commits = two_commits
    _lose(path, commits["c1"])
    for tag in ("m@v1.0.0", "m#prod#1"):
        with Repo(str(path)) as repo:
            _lose(path, repo.refs[Ref(f"refs/tags/{tag}".encode())].decode())
            del repo.refs[Ref(f"refs/tags/{tag}".encode())]
    (path / ".git" / "shallow").write_text(commits["c2"] + "\n")
    cut = (
        1,
        "",
        f"❌ The history is cut at the shallow clone's boundary (commit {commits['c2'][:7]}, "
        "2022-08-08T23:08:20+00:00): what came before is not in this clone; fetch it with "
        "`git fetch --unshallow`\n",
    )
    before = f"@{EPOCH + 50}"
    for command in (["show"], ["history"], ["describe", "m"]):
        assert gto(*command, "--as-of", before, "-r", path) == cut
    assert gto("diff", before, "-r", path) == cut
    # From the boundary on, the clone knows the answer (c2 still lists m, without tags).
    code, out, _ = gto("show", "--as-of", f"@{EPOCH + 100}", "-r", path)
    assert (code, out.splitlines()[3]) == (0, "│ *m     │ -        │")
