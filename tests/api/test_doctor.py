"""`gto doctor` finds registry problems and names the tags involved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import build_registry, init_repo, make_commit

from gto.api.commands import diagnose
from gto.cli import main

CLEAN = [
    ("commit", "c1", {"artifacts.yaml": "m: {type: model}\n"}),
    ("commit", "c2"),
    ("tag", "m@v1.0.0", "c1", 10),
    ("tag", "m#prod#1", "c1", 20),
]


def problems(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    return [(p.check, p.tags) for p in diagnose(path)]


def test_clean_registry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_registry(tmp_path / "r", CLEAN).close()
    assert problems(tmp_path / "r") == []
    assert main(["doctor", "-r", str(tmp_path / "r")]) == 0
    assert capsys.readouterr().out.endswith(
        "---------------------------------\n✅  No issues found\n"
    )


def test_two_versions_on_one_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_registry(tmp_path / "r", [*CLEAN, ("tag", "m@v2.0.0", "c1", 30)]).close()
    assert problems(tmp_path / "r") == [
        ("versions-on-one-commit", ("m@v1.0.0", "m@v2.0.0")),
    ]
    # show refuses with a clear message instead of hanging
    assert main(["show", "-r", str(tmp_path / "r")]) == 1
    assert capsys.readouterr().err == (
        "❌ Multiple versions are not allowed on the same Git commit. "
        "Violation detected for artifact 'm', versions '['v1.0.0', 'v2.0.0']'.\n"
    )


def test_lightweight_unparsable_and_created_tags(tmp_path: Path) -> None:
    build_registry(
        tmp_path / "r",
        [
            *CLEAN,
            ("lightweight", "m@v9.0.0", "c2"),
            ("tag", "m@v1", "c2", 30),
            ("tag", "m#", "c2", 31),
            ("tag", "x@created", "c2", 32),
            ("tag", "release-1.0", "c2", 33),
        ],
    ).close()
    assert problems(tmp_path / "r") == [
        ("unparsable-tag", ("m#",)),
        ("unparsable-tag", ("m@v1",)),
        ("lightweight-tag", ("m@v9.0.0",)),
        ("created-tag", ("x@created",)),
    ]


def test_tag_of_a_tree(tmp_path: Path) -> None:
    from dulwich.objects import Commit, Tag
    from dulwich.refs import Ref

    repo = build_registry(tmp_path / "r", CLEAN)
    head = repo[repo.head()]
    assert isinstance(head, Commit)
    tree = head.tree
    tag = Tag()
    tag.name, tag.object = b"m@v3.0.0", (repo[tree].__class__, tree)
    tag.tagger, tag.tag_time, tag.tag_timezone, tag.message = b"T <t@x>", 0, 0, b"tree"
    repo.object_store.add_object(tag)
    repo.refs[Ref(b"refs/tags/m@v3.0.0")] = tag.id
    repo.close()
    assert problems(tmp_path / "r") == [("bad-target", ("m@v3.0.0",))]


def test_assignment_after_deregistration(tmp_path: Path) -> None:
    build_registry(
        tmp_path / "r",
        [*CLEAN, ("tag", "m@v1.0.0!", "c1", 30), ("tag", "m#dev#2", "c1", 40)],
    ).close()
    assert problems(tmp_path / "r") == [("assignment-to-deregistered", ("m#dev#2",))]


def test_counter_going_backwards(tmp_path: Path) -> None:
    build_registry(
        tmp_path / "r",
        [*CLEAN, ("tag", "m#dev#3", "c1", 50), ("tag", "m#dev#4", "c1", 40)],
    ).close()
    assert problems(tmp_path / "r") == [("counter-backwards", ("m#dev#3", "m#dev#4"))]


def test_broken_artifacts_yaml_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = init_repo(tmp_path / "r")
    make_commit(repo, {"artifacts.yaml": "- not\n- a mapping\n"})
    repo.close()
    assert problems(tmp_path / "r") == [("annotations", ())]
    assert main(["doctor", "--json", "-r", str(tmp_path / "r")]) == 1
    issues = json.loads(capsys.readouterr().out)["issues"]
    assert issues[0]["check"] == "annotations"
    assert issues[0]["message"].startswith("artifacts.yaml file doesn't conform to GTO format")
    (tmp_path / "r" / ".gto").write_text("stages: [bad name]\n")
    assert problems(tmp_path / "r") == [("config", ())]


def test_orphaned_tags_of_a_version_whose_registration_is_gone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What deleting the oldest tag first (upstream's order) leaves when it is killed:
    # the stage tags and the deregistration of v1.0.0, but not its registration.
    build_registry(
        tmp_path / "r",
        [
            ("commit", "c1", {"artifacts.yaml": "m: {type: model}\n"}),
            ("commit", "c2"),
            ("commit", "c3"),
            ("tag", "m@v2.0.0", "c2", 5),
            ("tag", "m#prod#2", "c1", 20, "Assigning stage prod to artifact m version v1.0.0"),
            (
                "tag",
                "m#prod!#3",
                "c1",
                30,
                "Unassigning stage 'prod' to artifact 'm' version 'v1.0.0'",
            ),
            ("tag", "m@v1.0.0!", "c1", 40, "Deregistering artifact m version v1.0.0"),
            # assign --sr: a stage on an unregistered commit, by design; not an orphan
            ("tag", "m#dev#4", "c3", 50, "Assigning stage dev to artifact m version 3c0ffee"),
        ],
    ).close()
    assert problems(tmp_path / "r") == [
        ("orphaned-tags", ("m#prod!#3", "m#prod#2", "m@v1.0.0!")),
    ]
    assert main(["doctor", "-r", str(tmp_path / "r")]) == 1
    assert capsys.readouterr().out.endswith(
        "❌ Version 'v1.0.0' of 'm' has no registration tag, but tags of it are left (by an "
        "interrupted `deprecate --delete`?): register the version again, or delete them with "
        "`git tag -d 'm#prod!#3' 'm#prod#2' 'm@v1.0.0!'` [m#prod!#3, m#prod#2, m@v1.0.0!]\n"
    )


def test_stale_lock_files_are_reported_with_how_to_remove_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import os
    import time

    build_registry(tmp_path / "r", CLEAN).close()
    git = tmp_path / "r" / ".git"
    stale = [git / "refs" / "tags" / "m#prod#2.lock", git / "packed-refs.lock", git / "index.lock"]
    for lock in stale:
        lock.write_text("")
        os.utime(lock, (time.time() - 3600, time.time() - 3600))
    (git / "refs" / "tags" / "m#dev#3.lock").write_text("")  # at work, or killed just now
    assert problems(tmp_path / "r") == [("stale-lock", ())] * 4
    assert main(["doctor", "-r", str(tmp_path / "r")]) == 1
    out = capsys.readouterr().out
    assert (
        "❌ Lock file '.git/index.lock' was left 3600 s ago by a git or gto process that did "
        "not finish; if none is running, remove it: rm .git/index.lock\n"
    ) in out
    assert "rm '.git/refs/tags/m#prod#2.lock'\n" in out
    assert (
        "❌ Lock file '.git/refs/tags/m#dev#3.lock' was made 0 s ago by a git or gto process "
        "that is at work or was killed; if none is running, remove it: "
        "rm '.git/refs/tags/m#dev#3.lock'\n"
    ) in out
