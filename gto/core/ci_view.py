"""A tag's event -> the fields CI reads (`check-ref --format github|gitlab|json`).

One flat record, named as release tools name their step outputs, so a workflow reads
`steps.gto.outputs.version` instead of parsing text. `SCHEMA_VERSION` goes up when a
field changes meaning or disappears; new fields may be added without a change.
"""

from __future__ import annotations

from typing import Any

from gto.core.events import TagEvent

SCHEMA_VERSION = 1

FIELDS = (
    "is_gto",
    "event",
    "name",
    "version",
    "stage",
    "tag",
    "commit",
    "tagger",
    "tagger_email",
    "created_at",
    "message",
    "previous_version",
)


def ref_fields(event: TagEvent | None, previous_version: str | None = None) -> dict[str, Any]:
    """The fields in `FIELDS` order; all but `is_gto` are None for a ref that is not GTO's.

    `previous_version` is, for a stage event, the version that held the stage just
    before it: what to roll back to.

    >>> ref_fields(None)["is_gto"], ref_fields(None)["version"]
    (False, None)
    """
    if event is None:
        return {name: False if name == "is_gto" else None for name in FIELDS}
    return {
        "is_gto": True,
        "event": event.kind,
        "name": event.artifact,
        "version": event.version_name,
        "stage": event.stage_name,
        "tag": event.tag,
        "commit": event.commit_hexsha,
        "tagger": event.author,
        "tagger_email": event.author_email,
        "created_at": event.created_at.isoformat(),
        "message": event.message,
        "previous_version": previous_version,
    }


def ref_document(fields: dict[str, Any]) -> dict[str, Any]:
    """The `json` output: every field, after the schema version."""
    return {"schema_version": SCHEMA_VERSION, **fields}


def ref_headline(event: TagEvent | None, previous_version: str | None = None) -> str | None:
    """One sentence for a job summary; None for a ref that is not GTO's."""
    if event is None:
        return None
    if previous_version is None or event.stage_name is None:
        return event.describe()
    return f'{event.describe()}; before it, the stage was at version "{previous_version}"'
