"""The shapes of what each command shows: typed dicts of upstream's JSON, and table rows.

gto.core.views builds them from the replayed state; gto.api returns them, so a caller's
type checker sees `registry["churn"]["version"]`, not `Any`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from typing_extensions import NotRequired  # typing's own from Python 3.11

__all__ = [
    "HistoryEntry",
    "HistoryRow",
    "RegistryEntry",
    "RegistryRow",
    "VStageDict",
    "VersionDict",
    "VersionEvents",
    "VersionRow",
]


class RegistryEntry(TypedDict):
    """One artifact in `show`'s registry (`--json`): the stage values list versions."""

    version: str | None
    stage: dict[str, str | None]
    registered: bool
    active: bool
    # `--verify`: the signatures of the tags behind `version` and each stage's holders.
    signature: NotRequired[dict[str, Any]]


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
    signature: NotRequired[Mapping[str, Any] | None]  # `--verify`: the signature of `ref`'s tag


class VersionEvents(TypedDict):
    """A version and the events that made it: what `show --json` and `print-state` share."""

    artifact: str
    commit_hexsha: str
    version: str
    enrichments: list[dict[str, Any]]
    registrations: list[dict[str, Any]]
    deregistrations: list[dict[str, Any]]


class VersionDict(VersionEvents):
    """One version in `show NAME --json`."""

    stages: list[VStageDict]
    is_active: bool
    activated_at: datetime
    created_at: datetime
    author: str
    author_email: str
    message: str
    ref: str
    discovered: bool
    signature: NotRequired[Mapping[str, Any] | None]  # `--verify`: the signature of `ref`'s tag


class VersionRow(TypedDict):
    """A row of `show NAME`'s table."""

    artifact: str
    version: str | None
    stage: str
    created_at: datetime
    ref: str | None
    signature: NotRequired[str | None]  # `--verify`


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
    signature: NotRequired[
        Mapping[str, Any] | None
    ]  # `--verify`: the signature of `ref`'s tag (None: a commit)


class HistoryRow(TypedDict):
    """A row of `history`'s table."""

    timestamp: datetime
    artifact: str
    event: str
    version: str | None
    stage: str | None
    commit: str | None
    ref: str | None
    signature: NotRequired[str | None]  # `--verify`


# `show`'s registry table: name, latest, then one `#stage` column per stage.
RegistryRow = dict[str, str | None]
