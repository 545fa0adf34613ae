"""Rows and values -> text: tables, JSON and plain lines. The only importer of tabulate."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

NOTHING_FOUND = "Nothing found in the current workspace"
# What a terminal obeys rather than shows: C0 controls but the line break, DEL, C1
# controls, line and paragraph separators, and the bidirectional overrides that make
# text read differently from how it is stored ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    r"""`text` with control characters escaped, so repository content cannot drive a terminal.

    Tag names, annotations and messages come from whoever can push: an escape sequence in
    one could rewrite the screen, or a title, when printed. Line breaks stay.

    >>> terminal_safe("churn\x1b[2J\u202eprod\n")
    'churn\\x1b[2J\\u202eprod\n'
    """
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)


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
