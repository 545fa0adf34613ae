"""Events: what each GTO tag (or commit) says happened to an artifact.

Events are immutable facts; `replay` folds them into state. An assignment does
not name its version in the tag, so the version is filled in during replay
(behaviour reference, section 2.4).

The kinds that add no field to their base (Registration, Assignment...) are plain
subclasses with empty slots: they inherit its dataclass methods, which decorating them
again would only generate anew at every start of the program.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import compress, count, islice
from operator import attrgetter, eq
from typing import Any, ClassVar, TypeVar

from gto.core.annotations import Annotation
from gto.core.tags import Action, CommitRecord, ParsedTag, TagRecord, parse_tag, tag_parts

# Where an event falls among the events of its second (the tie rule, README "Same second").
# Kinds: commits, then deprecations, then version events, then stage events, so a version
# event beats a deprecation (behaviour reference, 2.3) and history lists an assignment above
# the registration it triggered.
OrderKey = tuple[datetime, int, int, int, str]
_SIMPLE_ADDITION, _COUNTED, _SIMPLE_REMOVAL = 0, 1, 2
_E = TypeVar("_E", bound="Event")


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    kind: ClassVar[str]
    priority: ClassVar[int]
    addition: ClassVar[bool]
    group: ClassVar[int]

    artifact: str
    created_at: datetime
    author: str
    author_email: str
    message: str
    commit_hexsha: str

    @property
    def event(self) -> str:
        """The kind of event by upstream's name (`registration`, `assignment`...)."""
        return self.kind

    def __str__(self) -> str:
        """Upstream's sentence: `Version "v1.0.0" of artifact "churn" was registered`."""
        return self.describe()

    @property
    def ref(self) -> str:
        """The tag that made the event, or the commit for commit events."""
        return self.commit_hexsha

    @property
    def version_name(self) -> str | None:
        return None

    @property
    def stage_name(self) -> str | None:
        return None

    @property
    def order_key(self) -> OrderKey:
        """Sorts events in the order they happened, ties within one second included."""
        return (self.created_at, self.group, _SIMPLE_ADDITION, 0, "")

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, kw_only=True, slots=True)
class TagEvent(Event):
    tag: str
    # The tag's `#N`, kept from parsing its name; not an upstream field, so never shown.
    counter: int | None = field(default=None, compare=False, repr=False, metadata={"shown": False})

    @property
    def ref(self) -> str:
        return self.tag

    @property
    def order_key(self) -> OrderKey:
        """Time, kind, then within one second and one kind the counters as numbers.

        Without a counter the reference's rule holds: a simple registration or assignment
        comes before, a simple deregistration, unassignment or deprecation after, every
        counted tag of its second (behaviour reference, 2.3).
        """
        counter = self.counter  # _tie, inlined: a registry's sorts ask every event for this
        if counter is not None:
            return (self.created_at, self.group, _COUNTED, counter, self.tag)
        tie = _SIMPLE_ADDITION if self.addition else _SIMPLE_REMOVAL
        return (self.created_at, self.group, tie, 0, self.tag)


class Creation(TagEvent):
    __slots__ = ()
    kind = "creation"
    priority = 1
    addition = True
    group = 1

    def describe(self) -> str:
        return f'Artifact "{self.artifact}" was created'


class Deprecation(TagEvent):
    __slots__ = ()
    kind = "deprecation"
    priority = 2
    addition = False
    group = 1

    def describe(self) -> str:
        return f'Artifact "{self.artifact}" was deprecated'


@dataclass(frozen=True, kw_only=True, slots=True)
class VersionEvent(TagEvent):
    """A version tag's event: the version is in the tag's name."""

    verb: ClassVar[str]  # in `describe`
    group = 2
    version: str

    @property
    def version_name(self) -> str | None:
        return self.version

    def describe(self) -> str:
        return f'Version "{self.version}" of artifact "{self.artifact}" was {self.verb}'


class Registration(VersionEvent):
    __slots__ = ()
    kind = "registration"
    priority = 3
    addition = True
    verb = "registered"


class Deregistration(VersionEvent):
    __slots__ = ()
    kind = "deregistration"
    priority = 4
    addition = False
    verb = "deregistered"


@dataclass(frozen=True, kw_only=True, slots=True)
class StageEvent(TagEvent):
    """A stage tag's event; its version is not in the tag's name: replay fills it in."""

    verb: ClassVar[str]  # in `describe`
    group = 3
    version: str | None = None
    stage: str

    @property
    def version_name(self) -> str | None:
        return self.version

    @property
    def stage_name(self) -> str | None:
        return self.stage

    def with_version(self, version: str) -> Any:
        """A copy naming the version replay resolved (dataclasses.replace, without its
        look at every field: one copy per stage tag)."""
        return type(self)(
            artifact=self.artifact,
            created_at=self.created_at,
            author=self.author,
            author_email=self.author_email,
            message=self.message,
            commit_hexsha=self.commit_hexsha,
            tag=self.tag,
            counter=self.counter,
            version=version,
            stage=self.stage,
        )

    def describe(self) -> str:
        return (
            f'Stage "{self.stage}" was {self.verb} version "{self.version}"'
            f' of artifact "{self.artifact}"'
        )


class Assignment(StageEvent):
    __slots__ = ()
    kind = "assignment"
    priority = 5
    addition = True
    verb = "assigned to"


class Unassignment(StageEvent):
    __slots__ = ()
    kind = "unassignment"
    priority = 6
    addition = False
    verb = "unassigned from"


@dataclass(frozen=True, kw_only=True, slots=True)
class CommitEvent(Event):
    """A version's commit, carrying the artifact's annotation at that commit, if any."""

    kind = "commit"
    priority = 0
    addition = True
    group = 0
    version: str
    enrichments: tuple[Annotation, ...]
    committer: str
    committer_email: str

    @property
    def version_name(self) -> str | None:
        return self.version

    def describe(self) -> str:
        return f'Artifact "{self.artifact}" is annotated'


EVENT_OF_ACTION: dict[Action, type[TagEvent]] = {
    Action.REGISTER: Registration,
    Action.DEREGISTER: Deregistration,
    Action.ASSIGN: Assignment,
    Action.UNASSIGN: Unassignment,
    Action.DEPRECATE: Deprecation,
}


def _tie(group: int, addition: bool, counter: int | None, tag: str) -> tuple[int, int, int, str]:
    """Where a tag falls among the events of its second (README "Events in the same second")."""
    if counter is not None:
        return (group, _COUNTED, counter, tag)
    return (group, _SIMPLE_ADDITION if addition else _SIMPLE_REMOVAL, 0, tag)


def tag_tie_order(tag: str, parsed: ParsedTag | None = None) -> tuple[int, int, int, str]:
    """Where GTO tag `tag` (`parsed` already, or parsed here) falls among the tags of its
    second in replay order, for callers that hold tag names rather than events (gto.tag.find).

    >>> sorted(["m#prod#10", "m#prod#9", "m@v1.0.0"], key=tag_tie_order)
    ['m@v1.0.0', 'm#prod#9', 'm#prod#10']
    """
    if parsed is None:
        parsed = parse_tag(tag)
    kind = Creation if parsed.action is Action.CREATE else EVENT_OF_ACTION[parsed.action]
    return _tie(kind.group, kind.addition, parsed.counter, tag)


def sorted_by_order(events: Iterable[_E], group: Callable[[_E], int] | None = None) -> list[_E]:
    """`sorted(events, key=order_key)`, or by `(group(e), e.order_key)` with `group`, without a
    key tuple per event held at once (at 70,000 events those are 6 MB of a command's peak).

    Each group's events are sorted by time, which puts them in order but for those of one
    second: only such runs are sorted by `order_key` (time is equal within a run). Also
    faster: the runs are found by comparing neighbours' times in C, and most are one long.
    """
    if group is None:
        groups = [sorted(events, key=_CREATED_AT)]
    else:
        by_group: dict[int, list[_E]] = {}
        for event in events:
            by_group.setdefault(group(event), []).append(event)
        groups = [sorted(by_group[g], key=_CREATED_AT) for g in sorted(by_group)]
    result: list[_E] = []
    for ordered in groups:
        for start, stop in _same_second_runs(list(map(_CREATED_AT, ordered))):
            ordered[start:stop] = sorted(ordered[start:stop], key=_ORDER_KEY)
        result.extend(ordered)
    return result


def _same_second_runs(times: list[datetime]) -> Iterator[tuple[int, int]]:
    """(start, stop) of each run of two or more equal neighbours in sorted `times`.

    >>> list(_same_second_runs([1, 2, 2, 2, 3, 4, 4]))
    [(1, 4), (5, 7)]
    """
    start = stop = -1
    # Each i whose time is the next one's, found in C: a run is consecutive such i's.
    for i in compress(count(), map(eq, times, islice(times, 1, None))):
        if i >= stop:
            if stop > 0:
                yield start, stop
            start = i
        stop = i + 2
    if stop > 0:
        yield start, stop


_CREATED_AT = attrgetter("created_at")
_ORDER_KEY = attrgetter("order_key")


def event_from_tag(record: TagRecord) -> TagEvent | None:
    """The event a tag stands for; None for tags that are not GTO events.

    `name@created` tags parse but are skipped: upstream crashes on them
    (behaviour reference, quirk Q12).
    """
    parts = tag_parts(record.name)
    if parts is None or parts[1] is Action.CREATE:
        return None
    artifact, action, version, stage, counter = parts
    # The version of a stage tag is resolved by replay.
    named = {"version": version} if stage is None else {"stage": stage}
    return EVENT_OF_ACTION[action](
        artifact=artifact,
        created_at=record.created_at,
        author=record.tagger,
        author_email=record.tagger_email,
        message=record.message,
        commit_hexsha=record.commit,
        tag=record.name,
        counter=counter,
        **({} if action is Action.DEPRECATE else named),
    )


def commit_event(
    artifact: str, version: str, commit: CommitRecord, annotation: Annotation | None
) -> CommitEvent:
    return CommitEvent(
        artifact=artifact,
        created_at=commit.created_at,
        author=commit.author,
        author_email=commit.author_email,
        message=commit.message,
        commit_hexsha=commit.hexsha,
        version=version,
        enrichments=() if annotation is None else (annotation,),
        committer=commit.committer,
        committer_email=commit.committer_email,
    )
