"""A registry with known times, for the tests of `--as-of` and `gto diff`.

second  10  c1: artifacts.yaml annotates churn and segment
        20  churn@v1.0.0, 30 churn#staging#1, 40 churn#prod#2, 50 segment@v0.4.0
       100  c2: churn gets a path, fraud is annotated, segment is not any more
       110  churn@v1.1.0, 120 churn#staging#3, 200 churn#prod#4
       210  fraud@v0.1.0 and fraud#dev#1 (one second)
       250  segment@deprecated
       300  c3: churn's path changes
       310  churn#prod!#5 (v1.1.0 leaves prod), 320 churn@v1.1.0! (deregistered)
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from builders import EPOCH, Commit, Tag, build_registry

__all__ = ["MOMENTS", "STEPS", "made_by", "scenario_repos", "when"]

STEPS: list[Commit | Tag] = [
    Commit("c1", {"artifacts.yaml": "churn: {type: model}\nsegment: {}\n"}, at=10),
    Tag("churn@v1.0.0", "c1", at=20),
    Tag("churn#staging#1", "c1", at=30),
    Tag("churn#prod#2", "c1", at=40),
    Tag("segment@v0.4.0", "c1", at=50),
    Commit("c2", {"artifacts.yaml": "churn: {type: model, path: a.pkl}\nfraud: {}\n"}, at=100),
    Tag("churn@v1.1.0", "c2", at=110),
    Tag("churn#staging#3", "c2", at=120),
    Tag("churn#prod#4", "c2", at=200),
    Tag("fraud@v0.1.0", "c2", at=210),
    Tag("fraud#dev#1", "c2", at=210),
    Tag("segment@deprecated", "c1", at=250),
    Commit("c3", {"artifacts.yaml": "churn: {type: model, path: b.pkl}\nfraud: {}\n"}, at=300),
    Tag("churn#prod!#5", "c2", at=310),
    Tag("churn@v1.1.0!", "c2", at=320),
]
MOMENTS = [5, 10, 20, 45, 100, 150, 205, 210, 260, 305, 315, 400]


def made_by(second: int) -> list[Commit | Tag]:
    return [step for step in STEPS if step.at <= second]


def when(second: int) -> str:
    return f"@{EPOCH + second}"


def scenario_repos(folder: Path) -> Callable[[int | None], Path]:
    """The repository (None), or the repository as it was at EPOCH + second, built once each."""
    built: dict[int | None, Path] = {None: folder / "now"}
    build_registry(built[None], STEPS)

    def repo(second: int | None) -> Path:
        if second not in built:
            assert second is not None
            built[second] = folder / f"at-{second}"
            build_registry(built[second], made_by(second))
        return built[second]

    return repo
