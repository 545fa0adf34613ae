"""The registry as of a moment: the replay of the events up to it, HEAD's branch as it was then."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from handmade import COMMITS, SHA, Spec, at, event_specs, make_events, registry, tags
from hypothesis import given
from hypothesis import strategies as st

from gto.core.annotations import Annotation
from gto.core.asof import branch_commit_at, discovery_at, events_until, replay_as_of
from gto.core.events import TagEvent
from gto.core.replay import replay
from gto.core.state import Registry

FOREVER = datetime.max.replace(tzinfo=timezone.utc)

# v1.1.0 is registered and staged in one second, then unassigned from prod and deregistered
# in another; `other` is deprecated at the end.
SCENARIO = tags(
    "churn@v1.0.0 a 10",
    "churn#staging#1 a 20",
    "churn#prod#2 a 30",
    "churn@v1.1.0 b 40",
    "churn#staging#3 b 40",
    "churn#prod#4 b 50",
    "other@v0.1.0 c 55",
    "churn#prod!#5 b 60",
    "churn@v1.1.0! b 60",
    "other@deprecated c 70",
)
CHAIN = [(SHA["c"], at(65)), (SHA["b"], at(35)), (SHA["a"], at(5))]
V100 = ["churn@v1.0.0", "churn#staging#1", "churn#prod#2"]
V110 = [*V100, "churn@v1.1.0", "churn#staging#3", "churn#prod#4", "other@v0.1.0"]

# What a person reading the tag list by hand keeps at each moment, where HEAD was, and prod.
BY_HAND = [
    pytest.param(4, [], "", [], id="before-everything"),
    pytest.param(9, [], "a", [], id="first-commit-only"),
    pytest.param(10, V100[:1], "a", [], id="at-the-registration-second"),
    pytest.param(39, V100, "b", ["v1.0.0"], id="v1.0.0-in-prod"),
    pytest.param(40, V110[:5], "b", ["v1.0.0"], id="same-second-registration-and-stage"),
    pytest.param(59, V110, "b", ["v1.1.0"], id="v1.1.0-in-prod"),
    pytest.param(60, [*V110, "churn#prod!#5", "churn@v1.1.0!"], "b", ["v1.0.0"], id="same-second"),
    pytest.param(69, [*V110, "churn#prod!#5", "churn@v1.1.0!"], "c", ["v1.0.0"], id="head-moved"),
]


def prod(reg: Registry) -> list[str]:
    churn = reg.find_artifact("churn")
    return [] if churn is None else [s.version for s in churn.stages().get("prod", [])]


@pytest.mark.parametrize(("second", "names", "head", "in_prod"), BY_HAND)
def test_as_of_is_the_replay_of_the_events_made_by_then(
    second: int, names: list[str], head: str, in_prod: list[str]
) -> None:
    by_hand = [e for e in SCENARIO if isinstance(e, TagEvent) and e.tag in names]
    as_of = replay_as_of(SCENARIO, COMMITS, {}, at(second), [CHAIN])
    assert as_of == registry(by_hand, discovery=head)
    assert prod(as_of) == in_prod


def test_a_fraction_of_a_second_changes_nothing() -> None:
    assert replay_as_of(SCENARIO, COMMITS, {}, at(39.999), [CHAIN]) == registry(
        [e for e in SCENARIO if isinstance(e, TagEvent) and e.tag in V100], discovery="b"
    )


def test_as_of_forever_is_the_full_replay() -> None:
    assert replay_as_of(SCENARIO, COMMITS, {}, FOREVER, [CHAIN]) == registry(SCENARIO, "c")


def test_a_tag_deleted_since_cannot_be_seen() -> None:
    # At second 55 v1.1.0 was in prod; once churn#prod#4 is deleted (gto deprecate --delete,
    # or git push --delete), nothing says it ever was: the as-of registry shows v1.0.0.
    current = [e for e in SCENARIO if isinstance(e, TagEvent) and e.tag != "churn#prod#4"]
    assert prod(replay_as_of(SCENARIO, COMMITS, {}, at(55), [CHAIN])) == ["v1.1.0"]
    assert prod(replay_as_of(current, COMMITS, {}, at(55), [CHAIN])) == ["v1.0.0"]


def test_annotations_come_from_the_commit_the_branch_pointed_at() -> None:
    annotations = {SHA["a"]: {"churn": Annotation()}, SHA["c"]: {"fresh": Annotation()}}
    early = replay_as_of(SCENARIO, COMMITS, annotations, at(64), [CHAIN])
    late = replay_as_of(SCENARIO, COMMITS, annotations, at(65), [CHAIN])
    assert (early.find_artifact("fresh"), late.find_artifact("fresh") is not None) == (None, True)


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(4, None, id="before-the-first-commit"),
        pytest.param(5, "a", id="at-a-commit-second"),
        pytest.param(34, "a", id="between"),
        pytest.param(10**6, "c", id="long-after"),
    ],
)
def test_branch_commit_at(second: int, expected: str | None) -> None:
    assert branch_commit_at(CHAIN, at(second)) == (None if expected is None else SHA[expected])


# A commit dated before its parent (a skewed clock, a rebase): d at 15 on top of b at 35.
SKEWED = [(SHA["e"], at(50)), (SHA["d"], at(15)), (SHA["b"], at(35)), (SHA["a"], at(5))]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(14, "a", id="before-the-skewed-commit"),
        pytest.param(15, "d", id="the-skewed-commit-vouches-for-its-parent"),
        pytest.param(40, "d", id="the-parent-time-is-not-looked-at-once-a-child-is-older"),
        pytest.param(50, "e", id="after"),
    ],
)
def test_clock_skew_trusts_the_descendant(second: int, expected: str) -> None:
    assert branch_commit_at(SKEWED, at(second)) == SHA[expected]


def test_discovery_at_takes_each_branch_once() -> None:
    other = [(SHA["b"], at(36)), (SHA["a"], at(5))]
    assert discovery_at([CHAIN, other, []], at(40)) == (SHA["b"],)
    assert discovery_at([CHAIN, other], at(4)) == ()


# --- algebra ------------------------------------------------------------------------------------


@pytest.mark.property
@given(event_specs, st.integers(-1, 13))
def test_as_of_equals_the_replay_of_the_filtered_events(specs: list[Spec], second: int) -> None:
    events = make_events(specs)
    kept = [e for e in events if e.created_at <= at(second)]
    head = branch_commit_at(CHAIN, at(second))
    expected = replay(kept, COMMITS, {}, [head] if head else [])
    assert replay_as_of(events, COMMITS, {}, at(second), [CHAIN]) == expected
    assert replay_as_of(events, COMMITS, {}, FOREVER, [CHAIN]) == registry(events, "c")


@pytest.mark.property
@given(event_specs, st.integers(-1, 13), st.integers(-1, 13))
def test_later_moments_keep_every_earlier_event(specs: list[Spec], first: int, second: int) -> None:
    events = make_events(specs)
    early, late = sorted((first, second))
    assert set(events_until(events, at(early))) <= set(events_until(events, at(late)))
