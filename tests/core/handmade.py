"""Hand-written events and registries for the core tests: tag names, commit letters, seconds.

    events = tags("churn@v1.0.0 a 10", "churn#prod#1 a 20")   # name, commit letter, second
    registry(events, discovery="c")                          # replay, HEAD at commit c

`event_specs` draws random event lists for property tests; `make_events` turns one into events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from hypothesis import strategies as st

from gto.core.annotations import Annotation
from gto.core.events import TagEvent, event_from_tag
from gto.core.replay import replay
from gto.core.state import Registry
from gto.core.tags import CommitRecord, TagRecord

T0 = datetime(2024, 3, 1, tzinfo=timezone.utc)
LETTERS = "abcdefgh"
SHA = {letter: letter * 40 for letter in LETTERS}
COMMITS = {
    sha: CommitRecord(sha, "Author", "a@example.com", "Committer", "c@example.com", T0, "c\n")
    for sha in SHA.values()
}


def at(second: float) -> datetime:
    return T0 + timedelta(seconds=second)


def event(spec: str, message: str = "") -> TagEvent:
    """`"NAME LETTER SECOND"`: the tag NAME on commit LETTER, made at T0 + SECOND."""
    name, letter, second = spec.split()
    record = TagRecord(name, SHA[letter], "Tagger", "t@example.com", at(int(second)), message)
    made = event_from_tag(record)
    assert made is not None, spec
    return made


def tags(*specs: str) -> tuple[TagEvent, ...]:
    return tuple(event(spec) for spec in specs)


def registry(
    events: Iterable[TagEvent],
    discovery: str = "",
    annotations: Mapping[str, Mapping[str, Annotation]] | None = None,
) -> Registry:
    """Replay `events`; `discovery` letters are the commits whose artifacts.yaml counts."""
    return replay(events, COMMITS, annotations or {}, [SHA[letter] for letter in discovery])


Spec = tuple[str, str, str, str, int]  # tag form, artifact, version number, stage, second
ACTIONS = ["{a}@{v}", "{a}@{v}!", "{a}#{s}", "{a}#{s}!", "{a}@deprecated"]
event_specs = st.lists(
    st.tuples(
        st.sampled_from(ACTIONS),
        st.sampled_from(["m", "n"]),
        st.sampled_from(["1", "2", "3"]),
        st.sampled_from(["dev", "prod"]),
        st.integers(0, 12),
    ),
    max_size=14,
)


def make_events(specs: list[Spec]) -> tuple[TagEvent, ...]:
    """Each version on its own commit (v0.0.N on the Nth letter); counters keep names unique."""
    return tags(
        *(
            f"{form.format(a=a, v=f'v0.0.{n}', s=s)}#{i} {'abc'[int(n) - 1]} {second}"
            for i, (form, a, n, s, second) in enumerate(specs)
        )
    )
