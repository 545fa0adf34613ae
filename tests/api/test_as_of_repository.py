"""`as_of=` on real repositories: the registry then is the replay of the tags made by then.

The oracle is the repository as it was: built again from the same steps, keeping only the
commits and tags made by that moment (the builders are deterministic, so the commits are the
very same objects). Every read of the registry as of the moment must equal the same read of
that repository now.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from audit_scenario import MOMENTS, STEPS, scenario_repos, when
from builders import EPOCH, Commit, Tag, build_registry
from servers import need_real_git

from gto import api
from gto.api import commands
from gto.api._audit import registry_at
from gto.core.asof import branch_commit_at
from gto.core.replay import replay
from gto.exceptions import WrongArgs, WrongDate
from gto.git.repo import GitRepo
from gto.session import opened


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int | None], Path]:
    """The repository (None), or the repository as it was at EPOCH + second."""
    return scenario_repos(tmp_path_factory.mktemp("asof"))


def outcome(call: Callable[..., object], *args: object, **kwargs: object) -> object:
    """What a call returns, or the class and text of the error it raises."""
    try:
        return call(*args, **kwargs)
    except Exception as e:
        return (type(e), str(e))


@pytest.mark.parametrize("second", MOMENTS)
def test_show_as_of_is_show_of_the_repository_then(
    repos: Callable[[int | None], Path], second: int
) -> None:
    now, then, at = repos(None), repos(second), when(second)
    assert api.show(now, as_of=at) == api.show(then)
    assert api.show(now, table=True, as_of=at) == api.show(then, table=True)
    assert api.show(now, deprecated=True, as_of=at) == api.show(then, deprecated=True)
    for name in ("churn", "fraud", "segment", "churn#prod", "churn@latest"):
        assert outcome(api.show, now, name, versions_per_stage=-1, as_of=at) == outcome(
            api.show, then, name, versions_per_stage=-1
        )


@pytest.mark.parametrize("second", MOMENTS)
def test_history_check_ref_describe_as_of(repos: Callable[[int | None], Path], second: int) -> None:
    now, then, at = repos(None), repos(second), when(second)
    assert api.history(now, as_of=at) == api.history(then)
    assert api.history(now, "churn", ascending=True, as_of=at) == api.history(
        then, "churn", ascending=True
    )
    for name in [step.name for step in STEPS if isinstance(step, Tag)]:
        assert api.check_ref(now, name, as_of=at) == api.check_ref(then, name)
    has_commits = second >= 10
    for name in ("churn", "fraud", "segment"):
        expected = api.describe(then, name, rev="HEAD") if has_commits else None
        assert api.describe(now, name, as_of=at) == expected
    for name in ("churn#prod", "churn@latest", "fraud#dev"):
        assert outcome(api.describe, now, name, as_of=at) == outcome(api.describe, then, name)


def test_the_moment_itself_counts_and_the_second_before_does_not(
    repos: Callable[[int | None], Path],
) -> None:
    now = repos(None)
    assert api.show(now, "fraud", as_of=when(210))[0]["stages"][0]["stage"] == "dev"
    assert api.check_ref(now, "fraud#dev#1", as_of=when(209)) == []
    at = datetime.fromtimestamp(EPOCH + 210, timezone(timedelta(hours=5)))
    assert api.show(now, as_of=at) == api.show(now, as_of=when(210))


def test_a_ref_is_its_commits_time(repos: Callable[[int | None], Path]) -> None:
    now = repos(None)
    assert api.show(now, as_of="HEAD~1") == api.show(now, as_of=when(100))
    assert api.show(now, as_of="HEAD") == api.show(now, as_of=when(300))


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        pytest.param(
            lambda repo: api.show(repo, as_of=datetime(2024, 1, 1)),
            WrongArgs,
            "as_of needs a time zone: pass an aware datetime",
            id="naive-datetime",
        ),
        pytest.param(
            lambda repo: api.show(repo, as_of=12345),  # type: ignore[call-overload]
            WrongArgs,
            "as_of must be a string or an aware datetime, not int (12345)",
            id="wrong-type",
        ),
        pytest.param(
            lambda repo: commands.registry_diff(repo, b"2024-03-03"),  # type: ignore[arg-type]
            WrongArgs,
            "as_of must be a string or an aware datetime, not bytes (b'2024-03-03')",
            id="wrong-type-diff",
        ),
        pytest.param(
            lambda repo: api.show(repo, as_of="now", all_commits=True),
            WrongArgs,
            "--as-of cannot be combined with -A/--all-commits: choose -a or neither",
            id="all-commits",
        ),
        pytest.param(
            lambda repo: api.describe(repo, "churn", rev="HEAD", as_of="now"),
            WrongArgs,
            "Either specify a revision or --as-of, not both",
            id="rev-and-as-of",
        ),
        pytest.param(
            lambda repo: api.history(repo, as_of="tea"),
            WrongDate,
            "Cannot read 'tea' as a date or a ref; use a date such as 2024-03-03, "
            "2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'",
            id="neither-date-nor-ref",
        ),
    ],
)
def test_refusals(
    repos: Callable[[int | None], Path],
    call: Callable[[Path], object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as caught:
        call(repos(None))
    assert str(caught.value) == message


def test_all_branches_as_of(tmp_path: Path) -> None:
    """`-a`: every branch as it was; a branch's commits after the moment do not count."""
    path = tmp_path / "repo"
    build_registry(
        path,
        [
            Commit("c1", {"artifacts.yaml": "churn: {}\n"}, at=10),
            Commit("f1", {"artifacts.yaml": "churn: {}\nlate: {}\n"}, at=50, branch="feature"),
            Commit("f0", {"artifacts.yaml": "churn: {}\nearly: {}\n"}, at=20, branch="other"),
        ],
    )
    names = set(api.show(path, all_branches=True, as_of=when(30)))
    assert names == {"churn", "early"}
    assert set(api.show(path, all_branches=True)) == {"churn", "early", "late"}


# --- the first-parent walk, against git -----------------------------------------------------

SKEWED: list[Commit | Tag] = [
    Commit("c1", {"artifacts.yaml": "churn: {type: model}\n"}, at=10),
    Commit("c2", {"artifacts.yaml": "churn: {type: model}\nother: {}\n"}, at=20),
    Commit("c3", {"artifacts.yaml": "churn: {type: model}\nother: {}\nthird: {}\n"}, at=15),
    Commit("f1", {"feature.txt": "f"}, at=25, branch="feature", parents=("c3",)),
    Commit("c4", {"x.txt": "x"}, at=40),
    Commit("m5", {"feature.txt": "f"}, at=50, parents=("c4", "f1")),
    Tag("churn@v1.0.0", "c1", at=30),
    Tag("churn#prod#1", "c1", at=35),
    Tag("churn@v1.1.0", "c4", at=45),
    Tag("churn#prod#2", "c4", at=45),
    Tag("other@v0.1.0", "c2", at=55),
    Tag("churn@v1.1.0!", "c4", at=60),
]


@pytest.fixture(scope="module")
def skewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = tmp_path_factory.mktemp("skewed") / "repo"
    return path, build_registry(path, SKEWED).commits


@pytest.mark.parametrize(
    ("second", "tag_names", "head"),
    [
        pytest.param(12, [], "c1", id="c1"),
        pytest.param(17, [], "c3", id="skewed-c3-vouches-for-c2"),
        pytest.param(30, ["churn@v1.0.0"], "c3", id="feature-commit-not-first-parent"),
        pytest.param(45, ["churn@v1.0.0", "churn#prod#1", "churn@v1.1.0", "churn#prod#2"], "c4",
                     id="c4"),
        pytest.param(99, [s.name for s in SKEWED if isinstance(s, Tag)], "m5", id="all"),
    ],
)  # fmt: skip
def test_as_of_on_a_skewed_history(
    skewed: tuple[Path, dict[str, str]], second: int, tag_names: list[str], head: str
) -> None:
    path, commits = skewed
    with opened(str(path)) as session:
        events = session.tag_events()
        needed = {e.commit_hexsha for e in events} | set(commits.values())
        records = {sha: session.git.read_commit(sha) for sha in needed}
        annotations = {sha: session.annotations_at(sha) for sha in needed}
        by_hand = [e for e in events if e.tag in tag_names]
        expected = replay(by_hand, records, annotations, [commits[head]])
        at = datetime.fromtimestamp(EPOCH + second, timezone.utc)
        assert registry_at(session, at) == expected


@pytest.mark.parametrize("second", [9, 10, 12, 15, 17, 20, 25, 30, 39, 40, 49, 50, 99])
def test_git_picks_the_same_commit(skewed: tuple[Path, dict[str, str]], second: int) -> None:
    git = need_real_git()
    path, _ = skewed
    answer = subprocess.run(
        [git, "rev-list", "-1", "--first-parent", f"--until=@{EPOCH + second}", "main"],
        cwd=path,
        env={"PATH": os.defpath, "HOME": str(path), "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    at = datetime.fromtimestamp(EPOCH + second, timezone.utc)
    with GitRepo.open(path) as repo:
        head = repo.head()
        assert head is not None
        assert branch_commit_at(repo.first_parents(head), at) == (answer or None)


def test_first_parents_reads_no_further_than_needed(skewed: tuple[Path, dict[str, str]]) -> None:
    path, commits = skewed
    with GitRepo.open(path) as repo:
        walk = repo.first_parents(commits["m5"])
        assert [next(walk)[0], next(walk)[0]] == [commits["m5"], commits["c4"]]
        assert [sha for sha, _ in repo.first_parents(commits["c3"])] == [
            commits["c3"],
            commits["c2"],
            commits["c1"],
        ]
