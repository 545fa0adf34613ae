"""Reads racing `git pack-refs`, `git repack` and `git gc`: never a missed tag, never a failure.

git's own maintenance moves refs from loose files into packed-refs (writing packed-refs
first, then deleting the loose files) and objects from old packs into a new one
(writing the new pack first, then deleting the old ones). A reader that looks in the
wrong order, or keeps a list of packs that is gone, misses tags that were there all
along. The first tests run git exactly between two steps of a read (at the moment gto
lists a folder), the last one runs git in a loop while gto reads, for a bounded time.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from builders import EPOCH, Commit, Tag, build_registry, make_tag, pack_everything
from servers import REAL_GIT

from gto.git.repo import GitRepo

STRESS_SECONDS = 4.0
STRESS_READS = 300


@pytest.fixture
def git() -> Callable[..., None]:
    """Run the real git in a repository (these tests are about git's own maintenance)."""
    if not REAL_GIT:
        pytest.skip("needs GTO_TEST_REAL_GIT: git itself packs refs and objects here")

    def run(path: Path, *args: str, stdin: bytes | None = None) -> None:
        subprocess.run(
            [REAL_GIT, *args],
            cwd=path,
            input=stdin,
            check=True,
            capture_output=True,
            env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1"},
        )

    return run


def registry(path: Path, loose: int = 30) -> list[str]:
    """10 packed tags (in a pack) and `loose` loose tags (loose objects) on one commit."""
    names = [f"m#dev#{i}" for i in range(1, 11 + loose)]
    repo = build_registry(
        path,
        [
            Commit("c1", {"artifacts.yaml": "m: {}\n"}),
            *(Tag(n, "c1", at=i) for i, n in enumerate(names[:10])),
        ],
    )
    pack_everything(repo)
    for i, name in enumerate(names[10:]):
        make_tag(repo, name, repo.commits["c1"], time=EPOCH + 100 + i)
    repo.close()
    return sorted(names)


def read_all(path: Path) -> tuple[list[str], int]:
    with GitRepo.open(path) as repo:
        names = repo.tag_names()
        return names, len(repo.read_tags(names))


def once_on(
    monkeypatch: pytest.MonkeyPatch, name: str, folder: str, action: Callable[[], None]
) -> list[bool]:
    """Run `action` the first time gto calls os.<name> on a path ending in `folder`."""
    real = getattr(os, name)
    fired: list[bool] = []

    def hooked(path: Any, *args: Any) -> Any:
        if not fired and os.fspath(path).rstrip(os.sep).endswith(folder):
            fired.append(True)
            if name == "listdir":  # the listing first, then git changes the folder
                listed = real(path, *args)
                action()
                return listed
            action()
        return real(path, *args)

    monkeypatch.setattr(os, name, hooked)
    return fired


def test_tags_packed_while_they_are_listed_are_all_seen(
    tmp_path: Path, git: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    # pack-refs runs as gto starts listing the loose tags: each tag is then either
    # still loose or already in packed-refs, and reading packed-refs last sees it.
    expected = registry(tmp_path / "r")
    fired = once_on(
        monkeypatch,
        "scandir",
        os.path.join("refs", "tags"),
        lambda: git(tmp_path / "r", "pack-refs", "--all", "--prune"),
    )
    names, read = read_all(tmp_path / "r")
    monkeypatch.undo()
    assert fired
    assert (names, read) == (expected, len(expected))


def test_a_pack_removed_by_a_repack_while_reading_is_found_again(
    tmp_path: Path, git: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = registry(tmp_path / "r")
    path = tmp_path / "r"

    def repack() -> None:
        git(path, "hash-object", "-w", "--stdin", stdin=os.urandom(64))  # a new pack name
        git(path, "repack", "-a", "-d")
        git(path, "prune-packed")

    fired = once_on(monkeypatch, "listdir", os.path.join("objects", "pack"), repack)
    names, read = read_all(path)
    monkeypatch.undo()
    assert fired
    assert (names, read) == (expected, len(expected))


def test_reads_racing_git_maintenance_never_miss_a_tag(
    tmp_path: Path, git: Callable[..., None]
) -> None:
    path = tmp_path / "r"
    expected = registry(path)
    with GitRepo.open(path) as repo:
        loose = {n: repo.refs.get(f"refs/tags/{n}".encode()) for n in expected}
    stop = threading.Event()
    rounds = [0]

    def maintain() -> None:
        while not stop.is_set():
            git(path, "pack-refs", "--all", "--prune")
            for name, oid in loose.items():  # loose again, as new tags would be
                ref = path / ".git" / "refs" / "tags" / name
                temporary = ref.with_name(f".{name}.new")
                temporary.write_text(f"{oid}\n")
                temporary.replace(ref)
            git(path, "hash-object", "-w", "--stdin", stdin=os.urandom(64))
            git(path, "repack", "-a", "-d", "-q")
            git(path, "prune-packed")
            rounds[0] += 1

    worker = threading.Thread(target=maintain)
    worker.start()
    reads = 0
    try:
        deadline = time.monotonic() + STRESS_SECONDS
        while reads < STRESS_READS and time.monotonic() < deadline:
            assert read_all(path) == (expected, len(expected))
            reads += 1
    finally:
        stop.set()
        worker.join(60)
    assert reads > 0 and rounds[0] > 0
