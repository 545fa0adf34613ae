"""The registry state that replay produces, and the read-only questions asked of it.

"Latest" always means the event with the greatest `Event.order_key`: time, and
within one second the counters `#N` of one artifact's tags, which say the order
they were made in; without counters the tie rules of the behaviour reference
(section 2.3) decide: a deregistration beats a registration, an unassignment
beats an assignment, and any version event beats a deprecation.

Replay hands every event tuple over in that order, so the latest of one kind is
its last element.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Generic, TypeVar

from gto.core.annotations import Annotation
from gto.core.events import (
    Assignment,
    CommitEvent,
    Deprecation,
    Deregistration,
    Event,
    OrderKey,
    Registration,
    Unassignment,
    commit_event,
)
from gto.core.tags import CommitRecord
from gto.core.versions import is_version, semver_key
from gto.exceptions import WrongArgs


class VersionSort(str, Enum):
    SEMVER = "semver"
    TIMESTAMP = "timestamp"
    # Upstream's spellings, aliases of the same members: `VersionSort.SemVer is VersionSort.SEMVER`.
    SemVer = "semver"
    Timestamp = "timestamp"


_T = TypeVar("_T")


_UNSET: Any = object()


class _cached(Generic[_T]):
    """A property computed once per instance and kept in the slot `_<name>`.

    Frozen state is read in hot loops (every version of every artifact), so values
    are not recomputed; and one value per version of a big registry is made, so it
    keeps its fields in slots rather than an instance dict (a field
    `_<name>: Any = field(default=_UNSET, ...)` holds the value).
    """

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.slot = f"_{func.__name__}"

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        value: _T = getattr(instance, self.slot)
        if value is _UNSET:
            value = self.func(instance)
            object.__setattr__(instance, self.slot, value)
        return value


def _memo() -> Any:
    """The field that holds a `_cached` property's value: not an argument, never compared."""
    return field(default=_UNSET, init=False, repr=False, compare=False)


class _memoized(Generic[_T]):
    """A property computed once per instance, kept in its `__dict__` (values made rarely)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


def _last_of(first: Sequence[Event], second: Sequence[Event]) -> Event | None:
    """The later of two ordered tuples' last events."""
    if not second:
        return first[-1] if first else None
    if first and first[-1].order_key > second[-1].order_key:
        return first[-1]
    return second[-1]


def _latest(events: Sequence[Event]) -> Event:
    return max(events, key=lambda e: e.order_key)


def check_limits(assignments_per_version: int, versions_per_stage: int) -> None:
    """`--av` and `--vs` take -1 (all) or a count.

    >>> check_limits(-1, 0)
    """
    if assignments_per_version < -1:
        raise WrongArgs(
            f"'assignments_per_version' must be >= -1 (-1 means all), got {assignments_per_version}"
        )
    if versions_per_stage < -1:
        raise WrongArgs(
            f"'versions_per_stage' must be >= -1 (-1 means all), got {versions_per_stage}"
        )


@dataclass(frozen=True, slots=True)
class VStage:
    """One version in one stage, with every tag that assigned or unassigned it."""

    artifact: str
    version: str
    stage: str
    commit_hexsha: str
    assignments: tuple[Assignment, ...]
    unassignments: tuple[Unassignment, ...]

    @property
    def latest_event(self) -> Event | None:
        return _last_of(self.assignments, self.unassignments)

    @property
    def is_active(self) -> bool:
        return isinstance(self.latest_event, Assignment)

    @property
    def activated_at(self) -> datetime | None:
        return self.latest_event.created_at if self.is_active and self.latest_event else None

    @property
    def authoring(self) -> Assignment | None:
        """The latest assignment supplies created_at, author, message and ref."""
        return self.assignments[-1] if self.assignments else None


@dataclass(frozen=True, slots=True)
class Version:
    """A version of an artifact, keyed by its name and commit (reference, section 2.4)."""

    artifact: str
    version: str
    commit_hexsha: str
    registrations: tuple[Registration, ...]
    deregistrations: tuple[Deregistration, ...]
    stages: Mapping[str, VStage]
    # The version's commit and the artifact's annotation there: its commit event, made
    # when first asked for (`show` asks for few of a big registry's).
    _commit: CommitRecord = field(repr=False, compare=False)
    _annotation: Annotation | None = field(repr=False, compare=False)
    _enrichments: Any = _memo()  # noqa: RUF009 - a field() made by a helper
    _stage_events: Any = _memo()  # noqa: RUF009 - a field() made by a helper
    _is_active: Any = _memo()  # noqa: RUF009 - a field() made by a helper
    _authoring: Any = _memo()  # noqa: RUF009 - a field() made by a helper
    _activated_at: Any = _memo()  # noqa: RUF009 - a field() made by a helper

    @_cached
    def enrichments(self) -> tuple[CommitEvent, ...]:
        """The version's commit as an event, with the annotation found there."""
        return (commit_event(self.artifact, self.version, self._commit, self._annotation),)

    @property
    def is_registered(self) -> bool:
        return bool(self.registrations)

    @property
    def discovered(self) -> bool:
        return not self.registrations and not self.deregistrations

    @_cached
    def stage_events(self) -> tuple[Assignment | Unassignment, ...]:
        events: list[Assignment | Unassignment] = []
        for vstage in self.stages.values():
            events.extend(vstage.assignments)
            events.extend(vstage.unassignments)
        return tuple(events)

    @_cached
    def is_active(self) -> bool:
        direct = _last_of(self.registrations, self.deregistrations)
        if direct is not None:
            return isinstance(direct, Registration)
        return bool(self.stage_events or self.enrichments)

    @_cached
    def authoring(self) -> Event:
        """The registration, else the latest stage event, else the latest commit event."""
        for events in (self.registrations, self.stage_events, self.enrichments):
            if events:
                return _latest(events)
        raise ValueError(f"version {self.version} of {self.artifact} has no events")

    @property
    def created_at(self) -> datetime:
        return self.authoring.created_at

    @_cached
    def activated_at(self) -> datetime:
        if self.registrations:
            return min(e.created_at for e in self.registrations)
        return min(e.created_at for e in self.events())

    def events(self) -> Iterator[Event]:
        """Every event of the version, in the order history lists it before sorting."""
        yield from self.enrichments
        yield from self.registrations
        yield from self.deregistrations
        yield from self.stage_events


@dataclass(frozen=True)
class Artifact:
    name: str
    versions: tuple[Version, ...]
    deprecations: tuple[Deprecation, ...]

    def events(self) -> Iterator[Event]:
        yield from self.deprecations
        for version in self.versions:
            yield from version.events()

    @_memoized
    def is_active(self) -> bool:
        """Deprecated until a later registration or assignment, as the seed README says.

        Upstream lets any later event revive an artifact, a new commit that still lists
        it in artifacts.yaml included (behaviour reference, quirk Q7); a deprecation
        that an unrelated commit undoes is not what anyone deprecating wants.
        """
        if not self.deprecations:
            return any(True for _ in self.events())
        # A version event in the same second beats the deprecation (reference, 2.3).
        deprecated_at = self.deprecations[-1].order_key
        return any(
            e.order_key > deprecated_at
            for version in self.versions
            for e in (*version.registrations, *version.stage_events)
            if isinstance(e, (Registration, Assignment))
        )

    @_memoized
    def is_registered(self) -> bool:
        """Artifacts known only from artifacts.yaml are shown as `*name`."""
        return any(not isinstance(e, CommitEvent) for e in self.events())

    def versions_at(self, commit: str) -> list[Version]:
        return [v for v in self.versions if v.commit_hexsha == commit]

    def find_version(self, name: str) -> Version | None:
        return next((v for v in self.versions if v.version == name), None)

    def get_versions(
        self,
        *,
        active_only: bool = True,
        include_non_explicit: bool = False,
        include_discovered: bool = False,
        sort: VersionSort = VersionSort.SEMVER,
        ascending: bool = False,
    ) -> list[Version]:
        """Versions filtered as in the behaviour reference, section 3.3."""
        kept = self._kept(active_only, include_non_explicit, include_discovered)
        return sort_versions(kept, sort, ascending=ascending)

    def _kept(
        self, active_only: bool, include_non_explicit: bool, include_discovered: bool
    ) -> list[Version]:
        return [
            v
            for v in self.versions
            if not active_only
            or (
                v.is_active
                and (
                    v.is_registered
                    or (include_discovered and v.discovered)
                    or (include_non_explicit and not v.is_registered)
                )
            )
        ]

    def latest_version(self) -> Version | None:
        """The SemVer-greatest active registered version (the registry's `latest`):
        `get_versions()[0]`, without sorting them all."""
        versions = self._kept(True, False, False)
        semver = [v for v in versions if is_version(v.version)]
        if semver:
            return max(semver, key=lambda v: semver_key(v.version))
        return max(versions, key=lambda v: v.version) if versions else None

    def stages(
        self,
        *,
        registered_only: bool = False,
        assignments_per_version: int = -1,
        versions_per_stage: int = 1,
        sort: VersionSort = VersionSort.TIMESTAMP,
    ) -> dict[str, list[VStage]]:
        """Which versions hold which stage (behaviour reference, section 3.4)."""
        check_limits(assignments_per_version, versions_per_stage)
        if sort is VersionSort.TIMESTAMP and assignments_per_version < 0:
            # Every active stage, latest first: no event is the latest of two stages, so
            # the order the versions come in does not matter, and they are not sorted.
            kept = self._kept(True, not registered_only, not registered_only)
            collected = [s for v in kept for s in v.stages.values() if s.is_active]
        else:
            versions = self.get_versions(
                include_non_explicit=not registered_only,
                include_discovered=not registered_only,
                sort=sort,
            )
            collected = []
            for version in versions:
                active = [s for s in version.stages.values() if s.is_active]
                if len(active) > 1:
                    active.sort(key=_vstage_order)
                if assignments_per_version >= 0:
                    active = active[:assignments_per_version]
                collected.extend(active)
        if sort is VersionSort.TIMESTAMP:
            collected.sort(key=_vstage_order, reverse=True)
        result: dict[str, list[VStage]] = {}
        for vstage in collected:
            holders = result.setdefault(vstage.stage, [])
            if 0 <= versions_per_stage <= len(holders):
                continue
            if any(h.version == vstage.version for h in holders):
                continue
            holders.append(vstage)
        return result


def _vstage_order(vstage: VStage) -> OrderKey:
    """An active stage's latest assignment: its activation, and the stage's authoring event."""
    assert vstage.authoring is not None  # active stages have an assignment
    return vstage.authoring.order_key


def sort_versions(
    versions: Sequence[Version], sort: VersionSort, *, ascending: bool = False
) -> list[Version]:
    """SemVer: versions by precedence, then hexsha-named ones by name, each block in the
    requested direction, hexshas always last. Timestamp: by the version's created_at."""
    if sort is VersionSort.TIMESTAMP:
        return sorted(versions, key=lambda v: v.authoring.order_key, reverse=not ascending)
    semver = [v for v in versions if is_version(v.version)]
    other = [v for v in versions if not is_version(v.version)]
    semver.sort(key=lambda v: semver_key(v.version), reverse=not ascending)
    other.sort(key=lambda v: v.version, reverse=not ascending)
    return semver + other


@dataclass(frozen=True)
class Registry:
    """Every artifact, in the order replay first met it (the JSON key order)."""

    artifacts: Mapping[str, Artifact]

    def find_artifact(self, name: str) -> Artifact | None:
        return self.artifacts.get(name)

    def used_stages(self) -> list[str]:
        """Stages with an active assignment on an active version, deprecated artifacts included."""
        return sorted(
            {
                stage
                for artifact in self.artifacts.values()
                for version in artifact.versions
                if version.stages and version.is_active
                for stage, vstage in version.stages.items()
                if vstage.is_active
            }
        )
