"""Rows -> Markdown (GitHub Flavored): tables for job summaries and pull-request comments.

Cell text comes from tags and tag messages, which anyone who can push a tag writes, so
every character that could start markup is escaped: a message cannot add emphasis, a
link or image in brackets, HTML, or another table row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

# Characters that can open inline markup or end a table cell. The others (`#`, `-`, `+`,
# `.`, `(`, `!`) only mean something at the start of a line, or next to one of these.
_SPECIAL = frozenset("\\`*_[]<>|~&")


def escape_markdown(text: str) -> str:
    """Text that renders as itself on one line: markup escaped, line breaks as `<br>`.

    >>> print(escape_markdown("a|b *c*\\n[x](y)"))
    a\\|b \\*c\\*<br>\\[x\\](y)
    """
    out = []
    for line in text.splitlines() or [""]:
        out.append(
            "".join(f"\\{c}" if c in _SPECIAL else (c if c.isprintable() else " ") for c in line)
        )
    return "<br>".join(out)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return escape_markdown(str(value) if isinstance(value, datetime) else f"{value}")


def render_markdown_table(rows: Sequence[Mapping[str, Any]]) -> str:
    """A GFM table with the row keys as headers; `None` cells show as `-`."""
    headers = list(rows[0])
    lines = [
        "| " + " | ".join(escape_markdown(h) for h in headers) + " |",
        "|" + "|".join(" --- " for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(_cell(row.get(h)) for h in headers) + " |" for row in rows]
    return "\n".join(lines)
