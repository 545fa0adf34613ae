"""What changed between two registries: `gto diff WHEN [WHEN2]` for a review or an incident.

The diff compares states, not tag lists, so it works for any two registries (two moments,
two clones) and says what a reader of `show` would see change: versions registered or
deregistered, who holds each stage, deprecation, artifacts appearing or disappearing.
A version registered and deregistered again in between shows as its net change plus the
deregistration it saw ("re-registered" when it ends registered again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from gto.core.events import Deregistration, Registration
from gto.core.state import Artifact, Registry, Version, VersionSort
from gto.core.versions import is_version, semver_key
from gto.core.views import short

VersionChangeKind = Literal["registered", "deregistered", "re-registered", "removed"]
Presence = Literal["appeared", "disappeared"]
Deprecation = Literal["deprecated", "undeprecated"]
_Status = Literal["registered", "deregistered"] | None


@dataclass(frozen=True)
class VersionChange:
    """A version whose registration changed; `removed` means its tags are gone (deleted)."""

    version: str
    commit: str
    change: VersionChangeKind


@dataclass(frozen=True)
class StageMove:
    """Who holds a stage, before and after; several versions when versions_per_stage allows."""

    stage: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    def describe(self, *, truncate: bool = False) -> str:
        """`prod: v1.0.0 -> v1.1.0`; nobody shows as `(none)`.

        >>> StageMove("prod", (), ("v1.0.0",)).describe()
        'prod: (none) -> v1.0.0'
        """

        def holders(versions: tuple[str, ...]) -> str:
            names = [(short(v) or v) if truncate else v for v in versions]
            return ", ".join(names) or "(none)"

        return f"{self.stage}: {holders(self.before)} -> {holders(self.after)}"


@dataclass(frozen=True)
class ArtifactDiff:
    """Every change to one artifact; only artifacts with a change are listed."""

    artifact: str
    presence: Presence | None = None
    deprecation: Deprecation | None = None
    versions: tuple[VersionChange, ...] = ()
    stages: tuple[StageMove, ...] = ()


class DiffRow(TypedDict):
    """One line of `gto diff`'s table."""

    artifact: str
    change: str
    detail: str


@dataclass(frozen=True)
class RegistryDiff:
    """The changes per artifact, artifacts by name; empty when nothing changed."""

    artifacts: tuple[ArtifactDiff, ...]

    @property
    def is_empty(self) -> bool:
        return not self.artifacts

    def to_dict(self) -> dict[str, Any]:
        """The `--json` shape: artifact -> presence, deprecation, versions, stages."""
        return {
            a.artifact: {
                "presence": a.presence,
                "deprecation": a.deprecation,
                "versions": [
                    {"version": v.version, "commit": v.commit, "change": v.change}
                    for v in a.versions
                ],
                "stages": [
                    {"stage": s.stage, "before": list(s.before), "after": list(s.after)}
                    for s in a.stages
                ],
            }
            for a in self.artifacts
        }

    def rows(self, *, truncate: bool = True) -> list[DiffRow]:
        """Table rows in a fixed order per artifact: presence, versions, stages, deprecation."""
        rows: list[DiffRow] = []
        for a in self.artifacts:
            if a.presence:
                rows.append({"artifact": a.artifact, "change": a.presence, "detail": ""})
            for v in a.versions:
                name = (short(v.version) or v.version) if truncate else v.version
                rows.append({"artifact": a.artifact, "change": v.change, "detail": name})
            for s in a.stages:
                detail = s.describe(truncate=truncate)
                rows.append({"artifact": a.artifact, "change": "stage", "detail": detail})
            if a.deprecation:
                rows.append({"artifact": a.artifact, "change": a.deprecation, "detail": ""})
        return rows


def _status(version: Version | None) -> _Status:
    """The latest registration or deregistration decides (replay orders them)."""
    if version is None:
        return None
    direct = [*version.registrations, *version.deregistrations]
    if not direct:
        return None
    latest = max(direct, key=lambda e: e.order_key)
    return "registered" if isinstance(latest, Registration) else "deregistered"


def _version_change(before: Version | None, after: Version | None) -> VersionChangeKind | None:
    was, now = _status(before), _status(after)
    seen = {e.tag for e in before.deregistrations} if before else set()
    fresh = after is not None and any(
        isinstance(e, Deregistration) and e.tag not in seen for e in after.deregistrations
    )
    if now == "registered":
        if was == "registered" and not fresh:
            return None
        return "re-registered" if was == "deregistered" or fresh else "registered"
    if now == "deregistered":
        return None if was == "deregistered" and not fresh else "deregistered"
    return "removed" if was is not None else None


def _version_order(key: tuple[str, str]) -> tuple[object, ...]:
    name, commit = key
    return (0, semver_key(name), commit) if is_version(name) else (1, name, commit)


def _versions(before: Artifact | None, after: Artifact | None) -> tuple[VersionChange, ...]:
    old = {(v.version, v.commit_hexsha): v for v in before.versions} if before else {}
    new = {(v.version, v.commit_hexsha): v for v in after.versions} if after else {}
    changes = []
    for key in sorted(old.keys() | new.keys(), key=_version_order):
        change = _version_change(old.get(key), new.get(key))
        if change is not None:
            changes.append(VersionChange(key[0], key[1], change))
    return tuple(changes)


@dataclass(frozen=True)
class _StageOptions:
    assignments_per_version: int
    versions_per_stage: int
    sort: VersionSort

    def holders(self, artifact: Artifact | None) -> dict[str, tuple[str, ...]]:
        if artifact is None:
            return {}
        stages = artifact.stages(
            assignments_per_version=self.assignments_per_version,
            versions_per_stage=self.versions_per_stage,
            sort=self.sort,
        )
        return {stage: tuple(v.version for v in held) for stage, held in stages.items()}


def _deprecated(artifact: Artifact | None) -> bool:
    return artifact is not None and bool(artifact.deprecations) and not artifact.is_active


def _artifact_diff(
    name: str, before: Artifact | None, after: Artifact | None, options: _StageOptions
) -> ArtifactDiff:
    old, new = options.holders(before), options.holders(after)
    stages = tuple(
        StageMove(stage, old.get(stage, ()), new.get(stage, ()))
        for stage in sorted(old.keys() | new.keys())
        if old.get(stage, ()) != new.get(stage, ())
    )
    presence: Presence | None = None
    if (before is None) != (after is None):
        presence = "appeared" if before is None else "disappeared"
    deprecation: Deprecation | None = None
    if _deprecated(before) != _deprecated(after):
        deprecation = "deprecated" if _deprecated(after) else "undeprecated"
    return ArtifactDiff(name, presence, deprecation, _versions(before, after), stages)


def diff(
    before: Registry,
    after: Registry,
    *,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort = VersionSort.TIMESTAMP,
) -> RegistryDiff:
    """What changed from `before` to `after`; stage holders as `show` counts them.

    >>> from gto.core.state import Registry
    >>> diff(Registry({}), Registry({})).is_empty
    True
    """
    options = _StageOptions(assignments_per_version, versions_per_stage, sort)
    found: list[ArtifactDiff] = []
    for name in sorted(before.artifacts.keys() | after.artifacts.keys()):
        change = _artifact_diff(
            name, before.find_artifact(name), after.find_artifact(name), options
        )
        if change != ArtifactDiff(name):
            found.append(change)
    return RegistryDiff(tuple(found))
