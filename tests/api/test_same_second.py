"""Events made within one second: counters `#N` say the order they were made in.

Tags carry the tagger time in whole seconds. Scripts (and `GIT_COMMITTER_DATE`, which
pins the time) make several tags in one second; the counter of one artifact's tags is
the order they were made in, so it decides, compared as a number (`#10` after `#9`).
Simple tags keep the reference's tie rules (behaviour reference, section 2.3).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from builders import build_registry

from gto.git.repo import GitRepo
from gto.tag import find

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def path(tmp_path: Path, clock: Callable[[int], None]) -> Path:
    repo = build_registry(
        tmp_path / "repo",
        [("commit", "c1", {}, 0), ("commit", "c2", {}, 10)],
    )
    repo.close()
    return tmp_path / "repo"


def registered(run: Run, clock: Callable[[int], None]) -> None:
    clock(100)
    assert run("register", "m", "HEAD~1", "--version", "v1.0.0")[0] == 0
    clock(200)
    assert run("register", "m", "HEAD", "--version", "v1.1.0")[0] == 0
    clock(300)  # every later tag is made in this one second


def test_the_stage_goes_to_the_version_assigned_last(
    run: Run, clock: Callable[[int], None]
) -> None:
    registered(run, clock)
    run("assign", "m", "--version", "v1.1.0", "--stage", "qa")
    run("assign", "m", "--version", "v1.0.0", "--stage", "qa")
    assert run("show", "m#qa", "--version") == (0, "v1.0.0\n", "")
    assert run("show", "--json")[1].count('"qa": "v1.0.0"') == 1


def test_history_lists_counters_as_numbers(run: Run, clock: Callable[[int], None]) -> None:
    registered(run, clock)
    for _ in range(5):
        for version in ("v1.1.0", "v1.0.0"):
            code, _, err = run("assign", "m", "--version", version, "--stage", "prod", "--force")
            assert (code, err) == (0, "")
    code, out, _ = run("history", "m", "--plain")
    refs = [line.split()[-1] for line in out.splitlines()[1:]]
    assert refs[:10] == [f"m#prod#{n}" for n in range(10, 0, -1)]
    assert run("show", "m#prod", "--version") == (0, "v1.0.0\n", "")
    code, out, _ = run("history", "m", "--plain", "--asc")
    refs = [line.split()[-1] for line in out.splitlines()[1:]]
    assert [r for r in refs if r.startswith("m#")] == [f"m#prod#{n}" for n in range(1, 11)]


def test_an_assignment_after_an_unassignment_in_the_same_second_stands(
    run: Run, clock: Callable[[int], None]
) -> None:
    registered(run, clock)
    run("assign", "m", "--version", "v1.0.0", "--stage", "prod")
    assert run("deprecate", "m", "v1.0.0", "prod")[0] == 0
    assert run("show", "m#prod", "--version") == (0, "", "")
    assert run("assign", "m", "--version", "v1.0.0", "--stage", "prod")[0] == 0
    assert run("show", "m#prod", "--version") == (0, "v1.0.0\n", "")
    assert run("stages", "--used") == (0, "prod\n", "")


def test_gto_tag_find_ends_with_the_tag_show_takes(
    run: Run, clock: Callable[[int], None], path: Path
) -> None:
    """DVC takes `find(...)[-1]` as a stage's holder: within one second, find orders tags
    as replay does (counters as numbers), so DVC and `gto show` agree."""
    registered(run, clock)
    for _ in range(5):
        for version in ("v1.1.0", "v1.0.0"):
            assert run("assign", "m", "--version", version, "--stage", "prod", "--force")[0] == 0
    assert run("show", "m#prod", "--version") == (0, "v1.0.0\n", "")
    found = find(name="m", stage="prod", scm=path)
    assert [t.name for t in found] == [f"m#prod#{n}" for n in range(1, 11)]
    with GitRepo.open(path) as git:
        v100 = git.read_git_tags(["m@v1.0.0"])[0].target
    assert found[-1].target == v100
    # The same order when the tags are handed in, as DVC's callers may.
    assert [t.name for t in find(scm=path, tags=found[::-1])] == [t.name for t in found]
    assert [t.name for t in find(scm=path)][-11:] == ["m@v1.1.0", *(t.name for t in found)]
