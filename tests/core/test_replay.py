"""Replay rules on hand-written events: no git at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from gto.core.annotations import Annotation
from gto.core.events import TagEvent, event_from_tag
from gto.core.replay import replay
from gto.core.state import Registry, VersionSort
from gto.core.tags import CommitRecord, TagRecord
from gto.exceptions import VersionExistsForCommit

T0 = datetime(2022, 8, 20, tzinfo=timezone.utc)
A, B, C = "a" * 40, "b" * 40, "c" * 40


def tag(name: str, commit: str, second: int) -> TagEvent:
    event = event_from_tag(
        TagRecord(
            name, commit, "Tagger", "t@example.com", T0 + timedelta(seconds=second), f"msg {name}"
        )
    )
    assert event is not None
    return event


def commit(sha: str) -> CommitRecord:
    return CommitRecord(
        sha, "Author", "a@example.com", "Committer", "c@example.com", T0, "commit\n"
    )


def build(
    *events: TagEvent,
    annotations: dict[str, dict[str, Annotation]] | None = None,
    discovery: tuple[str, ...] = (),
) -> Registry:
    commits = {sha: commit(sha) for sha in (A, B, C)}
    return replay(events, commits, annotations or {}, discovery)


CHURN = (
    tag("churn@v3.0.0", A, 10),
    tag("churn@v3.1.0", B, 20),
    tag("churn#dev#1", A, 30),
    tag("churn#staging#2", B, 40),
    tag("churn#prod#3", A, 50),
    tag("churn#dev#4", B, 60),
)


def holders(registry: Registry, **options: object) -> dict[str, list[str]]:
    stages = registry.artifacts["churn"].stages(**options)  # type: ignore[arg-type]
    return {stage: [s.version for s in vstages] for stage, vstages in stages.items()}


def test_latest_assignment_wins_by_default() -> None:
    assert holders(build(*CHURN)) == {"dev": ["v3.1.0"], "prod": ["v3.0.0"], "staging": ["v3.1.0"]}


def test_versions_per_stage_all() -> None:
    assert holders(build(*CHURN), versions_per_stage=-1) == {
        "dev": ["v3.1.0", "v3.0.0"],
        "prod": ["v3.0.0"],
        "staging": ["v3.1.0"],
    }


def test_kanban_keeps_the_oldest_assignment_per_version() -> None:
    # Behaviour reference 3.4 and quirk Q3: --av keeps the oldest active assignments.
    assert holders(build(*CHURN), assignments_per_version=1, versions_per_stage=-1) == {
        "dev": ["v3.0.0"],
        "staging": ["v3.1.0"],
    }


def test_semver_sort_gives_stage_to_greatest_version() -> None:
    registry = build(
        tag("m@v2.0.0", A, 1), tag("m@v1.0.0", B, 2), tag("m#prod#1", A, 3), tag("m#prod#2", B, 4)
    )
    stages = registry.artifacts["m"].stages(sort=VersionSort.SEMVER)
    assert [s.version for s in stages["prod"]] == ["v2.0.0"]
    stages = registry.artifacts["m"].stages(sort=VersionSort.TIMESTAMP)
    assert [s.version for s in stages["prod"]] == ["v1.0.0"]


def test_unassign_reveals_previous_version() -> None:
    registry = build(*CHURN, tag("churn#dev!#5", B, 70))
    assert holders(registry)["dev"] == ["v3.0.0"]


def test_listing_order_does_not_matter() -> None:
    forward = build(*CHURN)
    backward = build(*reversed(CHURN))
    assert holders(forward) == holders(backward)
    assert list(forward.artifacts["churn"].versions) == list(backward.artifacts["churn"].versions)


def test_same_second_deregistration_wins() -> None:
    registry = build(tag("m@v1.0.0", A, 5), tag("m@v1.0.0!", A, 5))
    assert not registry.artifacts["m"].versions[0].is_active


def test_same_second_unassignment_wins() -> None:
    registry = build(tag("m@v1.0.0", A, 1), tag("m#prod#1", A, 5), tag("m#prod!#2", A, 5))
    assert not registry.artifacts["m"].versions[0].stages["prod"].is_active


def test_same_second_version_event_beats_deprecation() -> None:
    registry = build(tag("m@v1.0.0", A, 5), tag("m@deprecated", A, 5))
    assert registry.artifacts["m"].is_active


def test_same_second_counters_compare_as_numbers() -> None:
    registry = build(
        tag("m@v1.0.0", A, 1), tag("m@v2.0.0", B, 2), tag("m#prod#10", A, 5), tag("m#prod#9", B, 5)
    )
    assert holders_of(registry, "prod") == ["v1.0.0"]
    assert holders_of(registry, "prod", versions_per_stage=-1) == ["v1.0.0", "v2.0.0"]


def test_same_second_counters_order_unassignment_and_assignment() -> None:
    events = (tag("m@v1.0.0", A, 1), tag("m#prod#1", A, 5), tag("m#prod!#2", A, 5))
    assert build(*events).artifacts["m"].versions[0].stages["prod"].is_active is False
    registry = build(*events, tag("m#prod#3", A, 5))
    assert registry.artifacts["m"].versions[0].stages["prod"].is_active
    registry = build(tag("m@v1.0.0#1", A, 5), tag("m@v1.0.0!#2", A, 5), tag("m@v1.0.0#3", A, 5))
    assert registry.artifacts["m"].versions[0].is_active


@pytest.mark.parametrize(
    ("events", "active"),
    [
        pytest.param(("m@v1.0.0#1", "m@v1.0.0!"), False, id="simple-deregistration-wins"),
        pytest.param(("m@v1.0.0!#2", "m@v1.0.0"), False, id="registration-loses-to-counted"),
        pytest.param(("m@v1.0.0", "m@v1.0.0!", "m@v1.0.0#3"), False, id="simple-still-last"),
    ],
)
def test_same_second_simple_tags_keep_the_reference_rule(
    events: tuple[str, ...], active: bool
) -> None:
    registry = build(*(tag(name, A, 5) for name in events))
    assert registry.artifacts["m"].versions[0].is_active is active


def test_same_second_counted_deprecation_loses_to_a_version_event() -> None:
    registry = build(tag("m@v1.0.0", A, 1), tag("m#prod#1", A, 5), tag("m@deprecated#2", A, 5))
    assert registry.artifacts["m"].is_active


def holders_of(registry: Registry, stage: str, **options: object) -> list[str]:
    stages = registry.artifacts["m"].stages(**options)  # type: ignore[arg-type]
    return [s.version for s in stages[stage]]


def test_deprecation_then_assignment_revives() -> None:
    registry = build(tag("m@v1.0.0", A, 1), tag("m@deprecated", A, 2))
    assert not registry.artifacts["m"].is_active
    registry = build(tag("m@v1.0.0", A, 1), tag("m@deprecated", A, 2), tag("m#dev#1", A, 3))
    assert registry.artifacts["m"].is_active


def test_unregistered_version_is_named_by_commit() -> None:
    registry = build(tag("m#prod#1", C, 1))
    (version,) = registry.artifacts["m"].versions
    assert version.version == C
    assert not version.is_registered
    assert version.discovered
    assert version.is_active
    assert version.authoring.ref == "m#prod#1"
    assert registry.artifacts["m"].is_registered


def test_later_registration_takes_over_assignments_on_its_commit() -> None:
    registry = build(tag("m#prod#1", C, 1), tag("m#dev#2", C, 2), tag("m@v0.0.1", C, 3))
    (version,) = registry.artifacts["m"].versions
    assert version.version == "v0.0.1"
    assert list(version.stages) == ["prod", "dev"]


def test_assignment_to_deregistered_version_belongs_to_it() -> None:
    registry = build(tag("m@v1.0.0", A, 1), tag("m@v1.0.0!", A, 2), tag("m#prod#1", A, 3))
    (version,) = registry.artifacts["m"].versions
    assert version.stages["prod"].assignments[0].version == "v1.0.0"
    assert not version.is_active


def test_two_versions_on_one_commit_refuse_assignment() -> None:
    with pytest.raises(VersionExistsForCommit) as err:
        build(tag("m@v1.0.0", A, 1), tag("m@v2.0.0", A, 2), tag("m#prod#1", A, 3))
    assert str(err.value) == (
        "Multiple versions are not allowed on the same Git commit. "
        "Violation detected for artifact 'm', versions '['v1.0.0', 'v2.0.0']'."
    )


def test_of_two_refused_assignments_the_earlier_one_is_reported() -> None:
    """Replayed artifact by artifact, the error is still the first one in time: b's, though
    replay meets a first."""
    events = (
        tag("a@v1.0.0", A, 1),
        tag("a@v2.0.0", A, 2),
        tag("a#prod#1", A, 50),
        tag("b@v1.0.0", B, 5),
        tag("b@v2.0.0", B, 6),
        tag("b#prod#1", B, 20),
    )
    for given in (events, events[::-1]):
        with pytest.raises(VersionExistsForCommit) as err:
            build(*given)
        assert str(err.value) == (
            "Multiple versions are not allowed on the same Git commit. "
            "Violation detected for artifact 'b', versions '['v1.0.0', 'v2.0.0']'."
        )


def test_created_tags_are_ignored() -> None:
    assert event_from_tag(TagRecord("x@created", A, "t", "e", T0, "")) is None


def test_discovery_adds_annotated_artifacts() -> None:
    annotations = {C: {"annotated": Annotation(type="model"), "m": Annotation()}}
    registry = build(tag("m@v1.0.0", C, 1), annotations=annotations, discovery=(C,))
    annotated = registry.artifacts["annotated"]
    assert not annotated.is_registered
    assert annotated.is_active
    assert [v.version for v in annotated.versions] == [C]
    # m already has a version at C: discovery adds no second one.
    assert [v.version for v in registry.artifacts["m"].versions] == ["v1.0.0"]
    assert registry.artifacts["m"].versions[0].enrichments[0].enrichments == (Annotation(),)


def test_artifacts_are_listed_in_the_order_replay_first_meets_them() -> None:
    """The JSON key order: each artifact's first event in replay order (deprecations, then
    version tags, then stage tags, each by time), then those only artifacts.yaml lists."""
    events = (
        tag("n@v1.0.0", A, 5),
        tag("m#dev#1", B, 1),
        tag("q@v1.0.0", A, 2),
        tag("o@v1.0.0", A, 9),
        tag("o@deprecated", A, 30),
    )
    annotations = {C: {"p": Annotation(), "m": Annotation(), "r": Annotation()}}
    for given in (events, events[::-1]):
        registry = build(*given, annotations=annotations, discovery=(C,))
        assert list(registry.artifacts) == ["o", "q", "n", "m", "p", "r"]
        # m has tags: discovery adds its version at C to them, not a second artifact.
        assert [v.version for v in registry.artifacts["m"].versions] == [B, C]


def test_every_version_gets_one_commit_event() -> None:
    registry = build(*CHURN)
    for version in registry.artifacts["churn"].versions:
        (event,) = version.enrichments
        assert event.commit_hexsha == version.commit_hexsha
        assert event.version == version.version
        assert event.enrichments == ()


def test_latest_column_is_semver_greatest_registered() -> None:
    registry = build(
        tag("m@v2.0.0", A, 1), tag("m@v10.0.0", B, 2), tag("m@v10.0.0!", B, 3), tag("m#dev#1", C, 4)
    )
    latest = registry.artifacts["m"].latest_version()
    assert latest is not None and latest.version == "v2.0.0"


def test_only_registration_or_assignment_revives_a_deprecated_artifact() -> None:
    base = (tag("m@v1.0.0", A, 1), tag("m#dev#1", A, 2), tag("m@deprecated", A, 3))
    assert not build(*base).artifacts["m"].is_active
    # Quirk Q7: upstream revives on any later event; the seed README says register or assign.
    assert not build(*base, tag("m#dev!#2", A, 4)).artifacts["m"].is_active
    assert not build(*base, tag("m@v1.0.0!", A, 4)).artifacts["m"].is_active
    assert build(*base, tag("m@v2.0.0", B, 4)).artifacts["m"].is_active
    assert build(*base, tag("m#prod#3", A, 4)).artifacts["m"].is_active


def test_a_later_commit_listing_the_artifact_does_not_revive_it() -> None:
    late = CommitRecord(
        C,
        "Author",
        "a@example.com",
        "Committer",
        "c@example.com",
        T0 + timedelta(days=30),
        "later\n",
    )
    commits = {A: commit(A), C: late}
    registry = replay(
        (tag("m@v1.0.0", A, 1), tag("m@deprecated", A, 2)), commits, {C: {"m": Annotation()}}, (C,)
    )
    assert not registry.artifacts["m"].is_active


def test_sorted_by_order_is_the_full_key_sort() -> None:
    """Sorting by time, then runs of one second by the whole key, orders events exactly as
    the key does: ties in one second across kinds, counters, simple tags, other zones."""
    import random
    from dataclasses import replace

    from gto.core.events import sorted_by_order
    from gto.core.replay import _group, replay_order

    names = [
        *(f"m@v1.{n}.0" for n in range(4)),
        *(f"m#prod#{n}" for n in (1, 2, 10, 11)),
        "m#dev",
        "m#dev!",
        "m#prod!#12",
        "m@v1.0.0!",
        "m@deprecated",
        "n@v2.0.0",
        "n#prod#3",
    ]
    shifted = timezone(timedelta(hours=5, minutes=45))
    events = []
    for n, name in enumerate(names):
        for sha in (A, B):
            event = tag(name, sha, n % 3)
            if n % 4 == 0:  # the same instant written in another zone
                event = replace(event, created_at=event.created_at.astimezone(shifted))
            events.append(event)
    shuffled = random.Random(4).sample(events, len(events))
    for given in (events, shuffled, shuffled[::-1]):
        by_key = sorted(given, key=lambda e: e.order_key)
        assert [id(e) for e in sorted_by_order(given)] == [id(e) for e in by_key]
        by_replay = sorted(given, key=replay_order)
        assert [id(e) for e in sorted_by_order(given, _group)] == [id(e) for e in by_replay]
