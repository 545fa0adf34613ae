"""State -> rows: which fields each command shows, in which order, and how they are sorted.

JSON-shaped dicts are built here once; tables and plain lines are cut from them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, TypedDict

from gto.core.annotations import Annotation
from gto.core.events import Event
from gto.core.state import Artifact, Registry, Version, VersionSort, VStage

HEXSHA_LEN = 40


class RegistryEntry(TypedDict):
    """One artifact in `show`'s registry (`--json`): the stage values list versions."""

    version: str | None
    stage: dict[str, str | None]
    registered: bool
    active: bool


class VStageDict(TypedDict):
    """A version's stage in `show NAME --json`; the event fields are its latest assignment's."""

    artifact: str
    commit_hexsha: str
    version: str
    stage: str
    assignments: list[dict[str, Any]]
    unassignments: list[dict[str, Any]]
    is_active: bool
    activated_at: datetime | None
    created_at: datetime | None
    author: str | None
    author_email: str | None
    message: str | None
    ref: str | None


class VersionDict(TypedDict):
    """One version in `show NAME --json`."""

    artifact: str
    commit_hexsha: str
    version: str
    enrichments: list[dict[str, Any]]
    registrations: list[dict[str, Any]]
    deregistrations: list[dict[str, Any]]
    stages: list[VStageDict]
    is_active: bool
    activated_at: datetime
    created_at: datetime
    author: str
    author_email: str
    message: str
    ref: str
    discovered: bool


class VersionRow(TypedDict):
    """A row of `show NAME`'s table."""

    artifact: str
    version: str | None
    stage: str
    created_at: datetime
    ref: str | None


class HistoryEntry(TypedDict):
    """One event in `history --json`."""

    timestamp: datetime
    artifact: str
    event: str
    priority: int
    version: str | None
    stage: str | None
    commit: str
    author: str
    author_email: str
    message: str
    ref: str


class HistoryRow(TypedDict):
    """A row of `history`'s table."""

    timestamp: datetime
    artifact: str
    event: str
    version: str | None
    stage: str | None
    commit: str | None
    ref: str | None


# `show`'s registry table: name, latest, then one `#stage` column per stage.
RegistryRow = dict[str, str | None]


def is_hexsha(value: str | None) -> bool:
    return (
        value is not None
        and len(value) == HEXSHA_LEN
        and all(c in "0123456789abcdef" for c in value)
    )


def short(value: str | None) -> str | None:
    """Hexshas show as 7 characters; versions and tags are never cut."""
    return value[:7] if value is not None and is_hexsha(value) else value


def enrichment_dict(annotation: Annotation) -> dict[str, Any]:
    return {
        "source": "gto",
        "artifact": {
            "type": annotation.type,
            "path": annotation.path,
            "virtual": annotation.virtual,
            "labels": list(annotation.labels),
            "description": annotation.description,
            "custom": annotation.custom,
        },
    }


def event_dict(event: Event, *, meta: bool = True, kind: bool = False) -> dict[str, Any]:
    """An event's fields in declaration order.

    `meta` adds priority/addition first (state dumps); `kind` adds the `event` name
    last (stage events in `show --json`, and `check-ref --json`).
    """
    result: dict[str, Any] = {}
    if meta:
        result["priority"] = event.priority
        result["addition"] = event.addition
    for f in fields(event):
        if not f.metadata.get("shown", True):
            continue
        value = getattr(event, f.name)
        if f.name == "enrichments":
            value = [enrichment_dict(a) for a in value]
        result[f.name] = value
    if kind:
        result["event"] = event.kind
    return result


# --- registry view (`gto show`) ---------------------------------------------------


def registry_stage_names(registry: Registry, allowed: Sequence[str] | None) -> list[str]:
    """Columns: the configured stages in config order, else the stages in use, sorted."""
    return list(allowed) if allowed is not None else registry.used_stages()


def registry_view(
    registry: Registry,
    stage_names: Sequence[str],
    *,
    deprecated: bool = False,
    registered_only: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort = VersionSort.TIMESTAMP,
) -> dict[str, RegistryEntry]:
    """`{name: {version, stage: {stage: "v1, v2" | None}, registered, active}}`."""
    result: dict[str, RegistryEntry] = {}
    for name, artifact in registry.artifacts.items():
        if not deprecated and not artifact.is_active:
            continue
        latest = artifact.latest_version()
        holders = artifact.stages(
            registered_only=registered_only,
            assignments_per_version=assignments_per_version,
            versions_per_stage=versions_per_stage,
            sort=sort,
        )
        result[name] = {
            "version": latest.version if latest else None,
            "stage": {
                stage: ", ".join(h.version for h in holders[stage]) if holders.get(stage) else None
                for stage in stage_names
            },
            "registered": artifact.is_registered,
            "active": artifact.is_active,
        }
    return result


def registry_rows(view: dict[str, RegistryEntry], *, truncate: bool = True) -> list[RegistryRow]:
    """Table rows sorted by name; annotation-only artifacts are marked `*`."""
    rows = []
    for name in sorted(view):
        entry = view[name]
        row: RegistryRow = {
            "name": name if entry["registered"] else f"*{name}",
            "latest": _cut(entry["version"], truncate),
        }
        for stage, value in entry["stage"].items():
            row[f"#{stage}"] = _cut(value, truncate)
        rows.append(row)
    return rows


def _cut(value: str | None, truncate: bool) -> str | None:
    if not truncate or value is None:
        return value
    return ", ".join(short(v) or "" for v in value.split(", "))


# --- artifact view (`gto show NAME`) ----------------------------------------------


def version_dict(version: Version, vstages: Sequence[VStage]) -> VersionDict:
    authoring = version.authoring
    return {
        "artifact": version.artifact,
        "commit_hexsha": version.commit_hexsha,
        "version": version.version,
        "enrichments": [event_dict(e) for e in version.enrichments],
        "registrations": [event_dict(e) for e in version.registrations],
        "deregistrations": [event_dict(e) for e in version.deregistrations],
        "stages": [vstage_dict(s) for s in vstages],
        "is_active": version.is_active,
        "activated_at": version.activated_at,
        "created_at": authoring.created_at,
        "author": authoring.author,
        "author_email": authoring.author_email,
        "message": authoring.message,
        "ref": authoring.ref,
        "discovered": version.discovered,
    }


def vstage_dict(vstage: VStage) -> VStageDict:
    authoring = vstage.authoring
    return {
        "artifact": vstage.artifact,
        "commit_hexsha": vstage.commit_hexsha,
        "version": vstage.version,
        "stage": vstage.stage,
        "assignments": [event_dict(e, kind=True) for e in vstage.assignments],
        "unassignments": [event_dict(e, kind=True) for e in vstage.unassignments],
        "is_active": vstage.is_active,
        "activated_at": vstage.activated_at,
        "created_at": authoring.created_at if authoring else None,
        "author": authoring.author if authoring else None,
        "author_email": authoring.author_email if authoring else None,
        "message": authoring.message if authoring else None,
        "ref": authoring.ref if authoring else None,
    }


def artifact_versions(
    artifact: Artifact,
    *,
    deprecated: bool = False,
    registered_only: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort = VersionSort.TIMESTAMP,
) -> list[tuple[Version, list[VStage]]]:
    """Versions to list (SemVer-descending), each with the stages it holds."""
    if not deprecated and not artifact.is_active:
        return []
    holders = artifact.stages(
        registered_only=registered_only,
        assignments_per_version=assignments_per_version,
        versions_per_stage=versions_per_stage,
        sort=sort,
    )
    versions = artifact.get_versions(
        active_only=not deprecated, include_non_explicit=True, include_discovered=True
    )
    return [
        (v, [s for stage in holders.values() for s in stage if s.version == v.version])
        for v in versions
    ]


def version_rows(
    artifact: Artifact, listed: Sequence[tuple[Version, Sequence[VStage]]], *, truncate: bool = True
) -> list[VersionRow]:
    name = artifact.name if artifact.is_registered else f"*{artifact.name}"
    cut = short if truncate else (lambda v: v)
    return [
        {
            "artifact": name,
            "version": cut(version.version),
            "stage": ", ".join(s.stage for s in vstages),
            "created_at": version.created_at,
            "ref": cut(version.authoring.ref),
        }
        for version, vstages in listed
    ]


# --- history ----------------------------------------------------------------------


def history_view(
    registry: Registry, artifact: str | None = None, *, ascending: bool = False
) -> list[HistoryEntry]:
    """Every event, newest first; within one second as `Event.order_key` says."""
    events = [
        e
        for name, art in registry.artifacts.items()
        if artifact is None or name == artifact
        for e in art.events()
    ]
    events.sort(key=lambda e: e.order_key)
    if not ascending:
        events.reverse()
    return [
        {
            "timestamp": e.created_at,
            "artifact": e.artifact,
            "event": e.kind,
            "priority": e.priority,
            "version": e.version_name,
            "stage": e.stage_name,
            "commit": e.commit_hexsha,
            "author": e.author,
            "author_email": e.author_email,
            "message": e.message,
            "ref": e.ref,
        }
        for e in events
    ]


def history_rows(view: Sequence[HistoryEntry], *, truncate: bool = True) -> list[HistoryRow]:
    cut = short if truncate else (lambda v: v)
    return [
        {
            "timestamp": item["timestamp"],
            "artifact": item["artifact"],
            "event": item["event"],
            "version": cut(item["version"]),
            "stage": item["stage"],
            "commit": cut(item["commit"]),
            "ref": cut(item["ref"]),
        }
        for item in view
    ]


# --- print-state -------------------------------------------------------------------


def state_dict(registry: Registry) -> dict[str, Any]:
    """A raw dump of the replayed state, with no computed properties."""
    return {
        "artifacts": {
            name: {
                "artifact": name,
                "versions": [
                    {
                        "artifact": v.artifact,
                        "commit_hexsha": v.commit_hexsha,
                        "version": v.version,
                        "enrichments": [event_dict(e) for e in v.enrichments],
                        "registrations": [event_dict(e) for e in v.registrations],
                        "deregistrations": [event_dict(e) for e in v.deregistrations],
                        "stages": {
                            stage: {
                                "artifact": s.artifact,
                                "version": s.version,
                                "stage": s.stage,
                                "assignments": [event_dict(e) for e in s.assignments],
                                "unassignments": [event_dict(e) for e in s.unassignments],
                            }
                            for stage, s in v.stages.items()
                        },
                    }
                    for v in artifact.versions
                ],
                "creations": [],
                "deprecations": [event_dict(e) for e in artifact.deprecations],
            }
            for name, artifact in registry.artifacts.items()
        }
    }
