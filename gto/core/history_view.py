"""Registry -> `gto history`: every event, newest first, as JSON entries, rows or columns.

A history can hold every tag of a big registry (70,000 rows at 50,000 tags): the table
the command line prints is made column by column (`history_columns`), without a dict per
row, and each distinct commit id is shortened once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from gto.core.events import Event, sorted_by_order
from gto.core.rows import HistoryEntry
from gto.core.signature_view import Signatures, signature_cell, signature_of
from gto.core.state import Registry
from gto.core.views import HEXSHA_LENS, short

__all__ = ["history_columns", "history_events", "history_view"]


def history_events(
    registry: Registry, artifact: str | None = None, *, ascending: bool = False
) -> list[Event]:
    """Every event, newest first; within one second as `Event.order_key` says."""
    events = sorted_by_order(
        e
        for name, art in registry.artifacts.items()
        if artifact is None or name == artifact
        for e in art.events()
    )
    if not ascending:
        events.reverse()
    return events


def history_view(
    registry: Registry,
    artifact: str | None = None,
    *,
    ascending: bool = False,
    signatures: Signatures = None,
) -> list[HistoryEntry]:
    """`history --json`: every event as a dict, newest first (with `signatures`, each
    tag's signature)."""
    view: list[HistoryEntry] = []
    for e in history_events(registry, artifact, ascending=ascending):
        entry: HistoryEntry = {
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
        if signatures is not None:
            entry["signature"] = signature_of(signatures, e.ref)
        view.append(entry)
    return view


def history_columns(
    events: Sequence[Event], *, truncate: bool = True, signatures: Signatures = None
) -> dict[str, list[Any]]:
    """`history`'s table as columns (header -> cells): what the command line prints, without
    a dict per row (a 70,000-row history); `gto.api.history(table=True)` zips them into rows."""
    cut = _shortener() if truncate else (lambda v: v)
    columns: dict[str, list[Any]] = {
        "timestamp": [e.created_at for e in events],
        "artifact": [e.artifact for e in events],
        "event": [e.kind for e in events],
        "version": [cut(e.version_name) for e in events],
        "stage": [e.stage_name for e in events],
        "commit": [cut(e.commit_hexsha) for e in events],
        "ref": [cut(e.ref) for e in events],
    }
    if signatures is not None:
        columns["signature"] = [signature_cell(signature_of(signatures, e.ref)) for e in events]
    return columns


def _shortener() -> Callable[[str | None], str | None]:
    """`short`, remembering each answer for a value that may be an id: one string per
    distinct commit id. Other values (versions, tag names: most of a history's cells) are
    never cut, so they are given back as they are and not remembered."""
    known: dict[str, str | None] = {}

    def cut(value: str | None) -> str | None:
        if value is None or len(value) not in HEXSHA_LENS:
            return value
        found = known.get(value)
        if found is None:
            found = known[value] = short(value)
        return found

    return cut
