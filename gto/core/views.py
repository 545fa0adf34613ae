"""State -> rows: which fields each command shows, in which order, and how they are sorted.

JSON-shaped dicts (gto.core.rows) are built here once; tables and plain lines are cut
from them. With `--verify`, `signatures` maps each tag name to its signature's JSON fields
(gto.api._trust.signature_json); each view then shows the signature of the tag behind
each value, and says nothing of signatures otherwise (upstream's shapes stay as they are).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from gto.core.annotations import Annotation, annotation_fields
from gto.core.events import Event
from gto.core.rows import (
    RegistryEntry,
    RegistryRow,
    VersionDict,
    VersionEvents,
    VersionRow,
    VStageDict,
)
from gto.core.signature_view import Signatures, signature_cell, signature_of, signed_cell
from gto.core.state import Artifact, Registry, Version, VersionSort, VStage

# Full object ids: SHA-1's 40 hex characters, SHA-256's 64.
HEXSHA_LENS = (40, 64)


_HEX_DIGITS = "0123456789abcdef"


def is_hexsha(value: str | None) -> bool:
    """A full commit id (SHA-1 or SHA-256), lowercase, as gto names versions of unregistered
    commits.

    >>> is_hexsha("a" * 40), is_hexsha("b" * 64), is_hexsha("v1.0.0")
    (True, True, False)
    """
    return value is not None and len(value) in HEXSHA_LENS and not value.strip(_HEX_DIGITS)


def short(value: str | None) -> str | None:
    """Hexshas (SHA-1 or SHA-256) show as 7 characters; versions and tags are never cut.

    >>> short("4aaced4" + "0" * 57), short("v1.0.0")
    ('4aaced4', 'v1.0.0')
    """
    return value[:7] if value is not None and is_hexsha(value) else value


def enrichment_dict(annotation: Annotation) -> dict[str, Any]:
    return {"source": "gto", "artifact": annotation_fields(annotation)}


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


@dataclass(frozen=True)
class RegistryLine:
    """One artifact of `gto show`: its latest version and each stage's holders, as values."""

    name: str
    latest: str | None
    stages: dict[str, tuple[str, ...]]  # stage -> versions holding it (none: not held)
    registered: bool
    active: bool
    latest_tag: str | None = None  # the tags that made them, for `--verify`
    stage_tags: dict[str, tuple[str | None, ...]] | None = None


def registry_lines(
    registry: Registry,
    stage_names: Sequence[str],
    *,
    deprecated: bool = False,
    registered_only: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort = VersionSort.TIMESTAMP,
) -> list[RegistryLine]:
    """The artifacts `gto show` lists, by name order of the registry."""
    lines = []
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
        held = {stage: tuple(h.version for h in holders.get(stage, ())) for stage in stage_names}
        tags = {
            stage: tuple(h.authoring.ref if h.authoring else None for h in holders.get(stage, ()))
            for stage in stage_names
        }
        lines.append(
            RegistryLine(
                name,
                latest.version if latest else None,
                held,
                artifact.is_registered,
                artifact.is_active,
                latest.authoring.ref if latest else None,
                tags,
            )
        )
    return lines


def registry_view(
    lines: Sequence[RegistryLine], signatures: Signatures = None
) -> dict[str, RegistryEntry]:
    """`{name: {version, stage: {stage: "v1, v2" | None}, registered, active}}`, upstream's JSON;
    with `signatures`, also `signature: {version, stage: {stage: [one per holder]}}`."""
    view: dict[str, RegistryEntry] = {}
    for line in lines:
        entry: RegistryEntry = {
            "version": line.latest,
            "stage": {stage: ", ".join(held) or None for stage, held in line.stages.items()},
            "registered": line.registered,
            "active": line.active,
        }
        if signatures is not None:
            entry["signature"] = {
                "version": signature_of(signatures, line.latest_tag),
                "stage": {
                    stage: [signature_of(signatures, tag) for tag in tags]
                    for stage, tags in (line.stage_tags or {}).items()
                },
            }
        view[line.name] = entry
    return view


def registry_rows(
    lines: Sequence[RegistryLine], *, truncate: bool = True, signatures: Signatures = None
) -> list[RegistryRow]:
    """Table rows sorted by name; annotation-only artifacts are marked `*`."""
    rows = []
    for line in sorted(lines, key=lambda line: line.name):
        row: RegistryRow = {
            "name": line.name if line.registered else f"*{line.name}",
            "latest": signed_cell(_cut(line.latest, truncate), line.latest_tag, signatures),
        }
        for stage, held in line.stages.items():
            tags = (line.stage_tags or {}).get(stage, ())
            cells = [
                signed_cell(_cut(v, truncate), tag, signatures) or ""
                for v, tag in zip(held, tags or (None,) * len(held), strict=True)
            ]
            row[f"#{stage}"] = ", ".join(cells) or None
        rows.append(row)
    return rows


def _cut(value: str | None, truncate: bool) -> str | None:
    return short(value) if truncate else value


# --- artifact view (`gto show NAME`) ----------------------------------------------


def _version_events(version: Version) -> VersionEvents:
    return {
        "artifact": version.artifact,
        "commit_hexsha": version.commit_hexsha,
        "version": version.version,
        "enrichments": [event_dict(e) for e in version.enrichments],
        "registrations": [event_dict(e) for e in version.registrations],
        "deregistrations": [event_dict(e) for e in version.deregistrations],
    }


def version_dict(
    version: Version, vstages: Sequence[VStage], signatures: Signatures = None
) -> VersionDict:
    authoring = version.authoring
    events = _version_events(version)
    found = VersionDict(
        artifact=events["artifact"],
        commit_hexsha=events["commit_hexsha"],
        version=events["version"],
        enrichments=events["enrichments"],
        registrations=events["registrations"],
        deregistrations=events["deregistrations"],
        stages=[vstage_dict(s, signatures) for s in vstages],
        is_active=version.is_active,
        activated_at=version.activated_at,
        created_at=authoring.created_at,
        author=authoring.author,
        author_email=authoring.author_email,
        message=authoring.message,
        ref=authoring.ref,
        discovered=version.discovered,
    )
    if signatures is not None:
        found["signature"] = signature_of(signatures, authoring.ref)
    return found


def vstage_dict(vstage: VStage, signatures: Signatures = None) -> VStageDict:
    authoring = vstage.authoring
    found: VStageDict = {
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
    if signatures is not None:
        found["signature"] = signature_of(signatures, found["ref"])
    return found


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
    artifact: Artifact,
    listed: Sequence[tuple[Version, Sequence[VStage]]],
    *,
    truncate: bool = True,
    signatures: Signatures = None,
) -> list[VersionRow]:
    name = artifact.name if artifact.is_registered else f"*{artifact.name}"
    cut = short if truncate else (lambda v: v)
    rows: list[VersionRow] = []
    for version, vstages in listed:
        row: VersionRow = {
            "artifact": name,
            "version": cut(version.version),
            "stage": ", ".join(s.stage for s in vstages),
            "created_at": version.created_at,
            "ref": cut(version.authoring.ref),
        }
        if signatures is not None:
            row["signature"] = signature_cell(signature_of(signatures, version.authoring.ref))
        rows.append(row)
    return rows


# --- print-state -------------------------------------------------------------------


def state_dict(registry: Registry) -> dict[str, Any]:
    """A raw dump of the replayed state, with no computed properties."""
    return {
        "artifacts": {
            name: {
                "artifact": name,
                "versions": [
                    {
                        **_version_events(v),
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
