"""Rows and values -> text: tables, JSON and plain lines. The only importer of tabulate."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from gto.core.controls import terminal_safe

__all__ = ["NOTHING_FOUND", "render_json", "render_lines", "render_table", "terminal_safe"]

NOTHING_FOUND = "Nothing found in the current workspace"


def render_table(rows: Sequence[Mapping[str, Any]], *, plain: bool = False) -> str:
    """A table with the row keys as headers; `None` cells show as `-`."""
    if not rows:
        return NOTHING_FOUND
    from tabulate import tabulate

    headers = list(rows[0])
    body = [[_cell(row.get(key)) for key in headers] for row in rows]
    return tabulate(
        body,
        headers=headers,
        tablefmt="plain" if plain else "fancy_outline",
        missingval="-",
        disable_numparse=True,
    )


def _cell(value: Any) -> Any:
    return str(value) if isinstance(value, datetime) else value


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_json(data: Any) -> str:
    """JSON as GTO prints it: indented by 4, ASCII-escaped, ISO-8601 datetimes."""
    return json.dumps(data, indent=4, default=_json_default)


def render_lines(values: Sequence[Any]) -> str:
    """One value per line; line breaks inside a value are stripped at its end."""
    return "\n".join("" if v is None else str(v).rstrip("\r\n") for v in values)
