"""Property tests: the grammar round-trips, and replay depends neither on listing order nor
on other artifacts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from gto.core.events import TagEvent, event_from_tag
from gto.core.replay import replay
from gto.core.tags import Action, TagRecord, format_tag, parse_tag
from gto.core.versions import semver_key
from gto.core.views import registry_lines, registry_view

ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
INNER = ALNUM + "-_/"

names = st.builds(
    lambda first, middle, last: first + middle + last,
    st.sampled_from(ALNUM),
    st.text(INNER, max_size=12),
    st.sampled_from(ALNUM),
).filter(lambda n: "//" not in n) | st.sampled_from(ALNUM)
dirnames = st.text(ALNUM + "-_./", min_size=1, max_size=8)
artifacts = st.one_of(names, st.builds(lambda d, n: f"{d}:{n}", dirnames, names))
numbers = st.integers(0, 10_000).map(str)
identifiers = st.one_of(
    numbers, st.text(ALNUM + "-", min_size=1, max_size=6).filter(lambda s: not s.isdigit())
)
versions = st.builds(
    lambda major, minor, patch, pre, build: (
        f"v{major}.{minor}.{patch}"
        + (f"-{'.'.join(pre)}" if pre else "")
        + (f"+{'.'.join(build)}" if build else "")
    ),
    numbers,
    numbers,
    numbers,
    st.lists(identifiers, max_size=3),
    st.lists(st.text(ALNUM + "-", min_size=1, max_size=5), max_size=2),
)
counters = st.none() | st.integers(0, 10**6)


@st.composite
def parsed_tags(draw: st.DrawFn) -> tuple[str, Action, str | None, str | None, int | None]:
    action = draw(st.sampled_from([a for a in Action if a is not Action.CREATE]))
    version = draw(versions) if action in (Action.REGISTER, Action.DEREGISTER) else None
    stage = draw(names) if action in (Action.ASSIGN, Action.UNASSIGN) else None
    return draw(artifacts), action, version, stage, draw(counters)


@settings(max_examples=300)
@given(parsed_tags())
def test_format_then_parse_round_trips(
    spec: tuple[str, Action, str | None, str | None, int | None],
) -> None:
    artifact, action, version, stage, counter = spec
    name = format_tag(artifact, action, version=version, stage=stage, counter=counter)
    parsed = parse_tag(name)
    assert (parsed.artifact, parsed.action, parsed.version, parsed.stage, parsed.counter) == spec
    assert (
        format_tag(
            parsed.artifact,
            parsed.action,
            version=parsed.version,
            stage=parsed.stage,
            counter=parsed.counter,
        )
        == name
    )


@given(st.lists(versions, min_size=2, max_size=6))
def test_version_order_is_total_and_ignores_build(items: list[str]) -> None:
    ordered = sorted(items, key=semver_key)
    for a, b in pairwise(ordered):
        assert semver_key(a) <= semver_key(b)
        assert (semver_key(a) == semver_key(b)) == (a.split("+")[0] == b.split("+")[0])


T0 = datetime(2022, 1, 1, tzinfo=timezone.utc)
COMMITS = ["a" * 40, "b" * 40, "c" * 40]


@st.composite
def registries(draw: st.DrawFn) -> list[TagEvent]:
    """A small random history for one or two artifacts, each tag at a distinct second."""
    events: list[TagEvent] = []
    seconds = draw(st.permutations(range(40)))
    for i, second in enumerate(seconds[: draw(st.integers(1, 25))]):
        artifact = draw(st.sampled_from(["m", "n"]))
        commit = draw(st.sampled_from(COMMITS))
        kind = draw(st.sampled_from(["reg", "dereg", "assign", "unassign", "deprecate"]))
        if kind in ("reg", "dereg"):
            # one version name per commit, so assignments always resolve
            version = f"v1.0.{COMMITS.index(commit)}"
            name = format_tag(
                artifact,
                Action.REGISTER if kind == "reg" else Action.DEREGISTER,
                version=version,
                counter=i,
            )
        elif kind in ("assign", "unassign"):
            stage = draw(st.sampled_from(["dev", "prod"]))
            name = format_tag(
                artifact,
                Action.ASSIGN if kind == "assign" else Action.UNASSIGN,
                stage=stage,
                counter=i,
            )
        else:
            name = format_tag(artifact, Action.DEPRECATE, counter=i)
        record = TagRecord(name, commit, "t", "t@x", T0 + timedelta(seconds=second), "")
        event = event_from_tag(record)
        assert event is not None
        events.append(event)
    return events


@given(registries(), st.randoms())
def test_replay_does_not_depend_on_listing_order(events: list[TagEvent], rnd: object) -> None:
    from gto.core.tags import CommitRecord

    commits = {c: CommitRecord(c, "a", "a@x", "c", "c@x", T0, "m\n") for c in COMMITS}
    shuffled = events[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    one, two = replay(events, commits, {}), replay(shuffled, commits, {})
    view = registry_view(registry_lines(one, ["dev", "prod"], deprecated=True))
    assert view == registry_view(registry_lines(two, ["dev", "prod"], deprecated=True))
    assert {n: a.versions for n, a in one.artifacts.items()} == {
        n: a.versions for n, a in two.artifacts.items()
    }


@given(registries())
def test_artifacts_replay_apart(events: list[TagEvent]) -> None:
    """Each artifact's state is what its own tags alone replay to, and the artifacts come in
    the order one replay of every event in replay order first meets them."""
    from gto.core.replay import replay_order
    from gto.core.tags import CommitRecord

    commits = {c: CommitRecord(c, "a", "a@x", "c", "c@x", T0, "m\n") for c in COMMITS}
    whole = replay(events, commits, {})
    met = dict.fromkeys(e.artifact for e in sorted(events, key=replay_order))
    assert list(whole.artifacts) == list(met)
    for name, artifact in whole.artifacts.items():
        alone = replay([e for e in events if e.artifact == name], commits, {})
        assert alone.artifacts == {name: artifact}
