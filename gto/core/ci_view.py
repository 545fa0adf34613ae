"""A tag's event -> the fields CI reads (`check-ref --format github|gitlab|json`).

One flat record, named as release tools name their step outputs, so a workflow reads
`steps.gto.outputs.version` instead of parsing text. `SCHEMA_VERSION` goes up when a
field changes meaning or disappears; new fields may be added without a change.
"""

from __future__ import annotations

from typing import TypedDict

from gto.core.events import TagEvent

__all__ = ["FIELDS", "SCHEMA_VERSION", "RefFields", "ref_document", "ref_fields", "ref_headline"]

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


class RefFields(TypedDict):
    """A tag's CI fields; all but `is_gto` are None for a ref that is not GTO's."""

    is_gto: bool
    event: str | None
    name: str | None
    version: str | None
    stage: str | None
    tag: str | None
    commit: str | None
    tagger: str | None
    tagger_email: str | None
    created_at: str | None  # ISO 8601, in the tag's own offset
    message: str | None
    previous_version: str | None


def ref_fields(event: TagEvent | None, previous_version: str | None = None) -> RefFields:
    """The fields in `FIELDS` order; all but `is_gto` are None for a ref that is not GTO's.

    `previous_version` is, for a stage event, the version that held the stage just
    before it: what to roll back to.

    >>> ref_fields(None)["is_gto"], ref_fields(None)["version"]
    (False, None)
    """
    if event is None:
        return RefFields(
            is_gto=False,
            event=None,
            name=None,
            version=None,
            stage=None,
            tag=None,
            commit=None,
            tagger=None,
            tagger_email=None,
            created_at=None,
            message=None,
            previous_version=None,
        )
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


def ref_document(fields: RefFields) -> dict[str, object]:
    """The `json` output: every field, after the schema version."""
    return {"schema_version": SCHEMA_VERSION, **fields}


def ref_headline(event: TagEvent | None, previous_version: str | None = None) -> str | None:
    """One sentence for a job summary; None for a ref that is not GTO's."""
    if event is None:
        return None
    if previous_version is None or event.stage_name is None:
        return event.describe()
    return f'{event.describe()}; before it, the stage was at version "{previous_version}"'
