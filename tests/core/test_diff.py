"""diff(before, after) on hand-written events, against hand-written expectations."""

from __future__ import annotations

import json
from functools import partial

import pytest
from handmade import SHA, Spec, at, event_specs, make_events, registry, tags
from hypothesis import given
from hypothesis import strategies as st

from gto.core.annotations import Annotation
from gto.core.diff import ArtifactDiff, RegistryDiff, StageMove, VersionChange, diff
from gto.core.state import Registry

A, B, C = SHA["a"], SHA["b"], SHA["c"]
V1 = "churn@v1.0.0 a 10"
V2 = "churn@v1.1.0 b 20"
PROD1 = "churn#prod#1 a 30"


churn = partial(ArtifactDiff, "churn")


def registered(version: str, commit: str = A) -> VersionChange:
    return VersionChange(version, commit, "registered")


CASES = [
    pytest.param(
        [], [V1], [churn(presence="appeared", versions=(registered("v1.0.0"),))],
        id="first-registration",
    ),
    pytest.param(
        [V1], [V1, PROD1], [churn(stages=(StageMove("prod", (), ("v1.0.0",)),))],
        id="stage-newly-assigned",
    ),
    pytest.param(
        [V1, PROD1],
        [V1, PROD1, V2, "churn#prod#2 b 40"],
        [churn(versions=(registered("v1.1.0", B),),
               stages=(StageMove("prod", ("v1.0.0",), ("v1.1.0",)),))],
        id="stage-moves-to-a-new-version",
    ),
    pytest.param(
        [V1, PROD1], [V1, PROD1, "churn#prod!#2 a 40"],
        [churn(stages=(StageMove("prod", ("v1.0.0",), ()),))],
        id="stage-unassigned",
    ),
    pytest.param(
        [V1, V2, PROD1, "churn#prod#2 b 40"],
        [V1, V2, PROD1, "churn#prod#2 b 40", "churn#prod!#3 b 50"],
        [churn(stages=(StageMove("prod", ("v1.1.0",), ("v1.0.0",)),))],
        id="unassignment-reveals-the-previous-holder",
    ),
    pytest.param(
        [V1, PROD1], [V1, PROD1, "churn@v1.0.0! a 40"],
        [churn(versions=(VersionChange("v1.0.0", A, "deregistered"),),
               stages=(StageMove("prod", ("v1.0.0",), ()),))],
        id="deregistration-also-empties-its-stages",
    ),
    pytest.param(
        [V1, "churn@v1.0.0! a 20"], [V1, "churn@v1.0.0! a 20", "churn@v1.0.0#3 a 30"],
        [churn(versions=(VersionChange("v1.0.0", A, "re-registered"),))],
        id="re-registered",
    ),
    pytest.param(
        [V1], [V1, "churn@v1.0.0!#2 a 20", "churn@v1.0.0#3 a 30"],
        [churn(versions=(VersionChange("v1.0.0", A, "re-registered"),))],
        id="deregistered-and-registered-again-in-between",
    ),
    pytest.param(
        [], [V1, "churn@v1.0.0! a 20"],
        [churn(presence="appeared", versions=(VersionChange("v1.0.0", A, "deregistered"),))],
        id="registered-and-deregistered-in-between",
    ),
    pytest.param(
        [V1], [V1, "churn@deprecated a 20"], [churn(deprecation="deprecated")], id="deprecated",
    ),
    pytest.param(
        [V1, "churn@deprecated a 20"], [V1, "churn@deprecated a 20", "churn@v1.1.0 b 30"],
        [churn(deprecation="undeprecated", versions=(registered("v1.1.0", B),))],
        id="undeprecated-by-a-registration",
    ),
    pytest.param([V1, PROD1], [V1, PROD1, "churn#prod#2 a 40"], [], id="repeat-is-no-change"),
    pytest.param(
        [V1, PROD1], [],
        [churn(presence="disappeared", versions=(VersionChange("v1.0.0", A, "removed"),),
               stages=(StageMove("prod", ("v1.0.0",), ()),))],
        id="tags-deleted",
    ),
    pytest.param(
        ["churn#dev#1 c 10"], ["churn#dev#1 c 10", "churn#dev!#2 c 20"],
        [churn(stages=(StageMove("dev", (C,), ()),))],
        id="unregistered-version-named-by-its-commit",
    ),
    pytest.param(
        ["zeta@v1.0.0 a 10", "beta@v0.0.2 b 10"],
        ["zeta@v1.0.0 a 10", "beta@v0.0.2 b 10", "beta@v0.0.10 c 20", "beta#dev#1 c 20",
         "beta#dev#2 c 21", "zeta@v1.0.0! a 30"],
        [ArtifactDiff("beta", versions=(VersionChange("v0.0.10", C, "registered"),),
                      stages=(StageMove("dev", (), ("v0.0.10",)),)),
         ArtifactDiff("zeta", versions=(VersionChange("v1.0.0", A, "deregistered"),))],
        id="artifacts-by-name",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("before", "after", "expected"), CASES)
def test_diff(before: list[str], after: list[str], expected: list[ArtifactDiff]) -> None:
    assert diff(registry(tags(*before)), registry(tags(*after))) == RegistryDiff(tuple(expected))


def test_several_versions_per_stage() -> None:
    before = tags(V1, V2, "churn#dev#1 a 30")
    after = tags(V1, V2, "churn#dev#1 a 30", "churn#dev#2 b 40")
    assert diff(registry(before), registry(after), versions_per_stage=-1).artifacts == (
        churn(stages=(StageMove("dev", ("v1.0.0",), ("v1.1.0", "v1.0.0")),)),
    )
    # With one version per stage the newer assignment takes it over.
    assert diff(registry(before), registry(after)).artifacts == (
        churn(stages=(StageMove("dev", ("v1.0.0",), ("v1.1.0",)),)),
    )


def test_versions_in_semver_order_then_commits() -> None:
    after = tags("m@v1.10.0 a 1", "m@v1.9.0 b 1", "m@v1.10.0-rc.1 c 1", "m#dev#1 d 2")
    changes = diff(registry([]), registry(after)).artifacts[0]
    assert [v.version for v in changes.versions] == ["v1.9.0", "v1.10.0-rc.1", "v1.10.0"]
    assert changes.stages == (StageMove("dev", (), (SHA["d"],)),)


def test_an_artifact_found_only_in_artifacts_yaml_appears() -> None:
    annotations = {C: {"fresh": Annotation(type="model")}}
    changes = diff(registry([]), registry([], discovery="c", annotations=annotations))
    assert changes == RegistryDiff((ArtifactDiff("fresh", presence="appeared"),))


SAMPLE = (
    registry(tags(V1, PROD1, "other@v0.1.0 b 5")),
    registry(
        tags(V1, PROD1, "other@v0.1.0 b 5", V2, "churn#prod#2 b 40", "churn#dev#3 c 50")
        + tags("other@deprecated b 60")
    ),
)


def test_json_form() -> None:
    assert json.loads(json.dumps(diff(*SAMPLE).to_dict())) == {
        "churn": {
            "presence": None,
            "deprecation": None,
            "versions": [{"version": "v1.1.0", "commit": B, "change": "registered"}],
            "stages": [
                {"stage": "dev", "before": [], "after": [C]},
                {"stage": "prod", "before": ["v1.0.0"], "after": ["v1.1.0"]},
            ],
        },
        "other": {"presence": None, "deprecation": "deprecated", "versions": [], "stages": []},
    }


def test_rows() -> None:
    assert diff(*SAMPLE).rows() == [
        {"artifact": "churn", "change": "registered", "detail": "v1.1.0"},
        {"artifact": "churn", "change": "stage", "detail": "dev: (none) -> ccccccc"},
        {"artifact": "churn", "change": "stage", "detail": "prod: v1.0.0 -> v1.1.0"},
        {"artifact": "other", "change": "deprecated", "detail": ""},
    ]
    assert diff(*SAMPLE).rows(truncate=False)[1]["detail"] == f"dev: (none) -> {C}"
    assert diff(SAMPLE[0], Registry({})).rows()[:2] == [
        {"artifact": "churn", "change": "disappeared", "detail": ""},
        {"artifact": "churn", "change": "removed", "detail": "v1.0.0"},
    ]


# --- algebra ------------------------------------------------------------------------------------


def holders(reg: Registry) -> dict[tuple[str, str], tuple[str, ...]]:
    return {
        (name, stage): tuple(v.version for v in held)
        for name, artifact in reg.artifacts.items()
        for stage, held in artifact.stages().items()
    }


@pytest.mark.property
@given(event_specs)
def test_nothing_changes_between_a_registry_and_itself(specs: list[Spec]) -> None:
    reg = registry(make_events(specs))
    assert diff(reg, reg).is_empty
    assert diff(reg, registry(make_events(specs))).is_empty


@pytest.mark.property
@given(event_specs, st.integers(-1, 13))
def test_the_diff_explains_the_later_stage_holders(specs: list[Spec], second: int) -> None:
    events = make_events(specs)
    before = registry([e for e in events if e.created_at <= at(second)])
    after = registry(events)
    changes = diff(before, after)
    explained = dict(holders(before))
    for artifact in changes.artifacts:
        for move in artifact.stages:
            assert explained.get((artifact.artifact, move.stage), ()) == move.before
            explained[(artifact.artifact, move.stage)] = move.after
    assert {k: v for k, v in explained.items() if v} == holders(after)


@pytest.mark.property
@given(event_specs, event_specs)
def test_the_reverse_diff_swaps_before_and_after(first: list[Spec], second: list[Spec]) -> None:
    a, b = registry(make_events(first)), registry(make_events(second))
    # Version changes are not symmetric ("re-registered" needs a deregistration in `after`).
    forward = {x.artifact: x for x in diff(a, b).artifacts}
    backward = {x.artifact: x for x in diff(b, a).artifacts}
    swap = {"appeared": "disappeared", "disappeared": "appeared", None: None}
    undo = {"deprecated": "undeprecated", "undeprecated": "deprecated", None: None}
    for name in forward.keys() | backward.keys():
        there = forward.get(name, ArtifactDiff(name))
        back = backward.get(name, ArtifactDiff(name))
        assert back.presence == swap[there.presence]
        assert back.deprecation == undo[there.deprecation]
        assert back.stages == tuple(StageMove(s.stage, s.after, s.before) for s in there.stages)
