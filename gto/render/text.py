"""Rows and values -> text: tables, JSON and plain lines. The only importer of tabulate.

Tables of simple cells (printable ASCII on one line, no surrounding spaces: every
cell of `history` and `show` on an ordinary registry) are written directly, line by
line, in exactly the text tabulate gives them: tabulate measures and types each of
half a million cells of a 70,000-row history, four times slower. Any other table is
tabulate's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from gto.core.controls import terminal_safe

__all__ = [
    "NOTHING_FOUND",
    "column_lines",
    "render_json",
    "render_lines",
    "render_table",
    "table_lines",
    "terminal_safe",
]

NOTHING_FOUND = "Nothing found in the current workspace"
# tabulate pads each header by this much when it sizes a column (its MIN_PADDING).
_HEADER_PADDING = 2
_MISSING = "-"


def render_table(rows: Sequence[Mapping[str, Any]], *, plain: bool = False) -> str:
    """A table with the row keys as headers; `None` cells show as `-`."""
    return "\n".join(table_lines(rows, plain=plain))


def table_lines(rows: Sequence[Mapping[str, Any]], *, plain: bool = False) -> Iterator[str]:
    """`render_table`'s text, one line at a time (a long history is never one string)."""
    if not rows:
        return iter([NOTHING_FOUND])
    return column_lines({key: [row.get(key) for row in rows] for key in rows[0]}, plain=plain)


def column_lines(columns: Mapping[str, Sequence[Any]], *, plain: bool = False) -> Iterator[str]:
    """A table given by columns (header -> cells, all of one length), one line at a time.

    The same text as `render_table` of the rows the columns hold; a table without
    rows is `NOTHING_FOUND`. The lines are safe for a terminal (`terminal_safe`): a
    table of simple cells has no control character to escape, and tabulate's text is
    escaped here.
    """
    headers = list(columns)
    if not headers or not columns[headers[0]]:
        yield NOTHING_FOUND
        return
    cells = [_datetimes_as_text(columns[key]) for key in headers]
    simple = _simple_columns(headers, cells)
    if simple is None:
        yield from terminal_safe(_tabulate(headers, cells, plain)).split("\n")
        return
    pairs = zip(headers, simple, strict=True)
    widths = [max(len(h) + _HEADER_PADDING, *map(len, c)) for h, c in pairs]
    if plain:
        # Columns two spaces apart; tabulate strips the end of each line.
        fmt = "  ".join(f"%-{w}s" for w in widths)
        yield (fmt % tuple(headers)).rstrip()
        for line in zip(*simple, strict=True):
            yield (fmt % line).rstrip()
        return
    fmt = "│ " + " │ ".join(f"%-{w}s" for w in widths) + " │"
    yield "╒" + "╤".join("═" * (w + 2) for w in widths) + "╕"
    yield fmt % tuple(headers)
    yield "╞" + "╪".join("═" * (w + 2) for w in widths) + "╡"
    for line in zip(*simple, strict=True):
        yield fmt % line
    yield "╘" + "╧".join("═" * (w + 2) for w in widths) + "╛"


def _datetimes_as_text(column: Sequence[Any]) -> Sequence[Any]:
    """The column with its datetimes as `str`; the column itself when it holds none (a
    70,000-row column is copied only if it must be)."""
    if not any(issubclass(kind, datetime) for kind in set(map(type, column))):
        return column
    return [str(v) if isinstance(v, datetime) else v for v in column]


_SIMPLE_KINDS = {str, type(None)}


def _simple_columns(
    headers: Sequence[str], cells: Sequence[Sequence[Any]]
) -> list[Sequence[str]] | None:
    """The columns as text (None as `-`) when every header and cell is simple, else None.

    Simple: a `str` (or None) of printable ASCII (one line, no escape codes, no wide
    characters) without spaces at either end, which tabulate would strip.
    """
    columns = []
    for header, column in zip(headers, cells, strict=True):
        if not set(map(type, column)) <= _SIMPLE_KINDS:
            return None
        text = [_MISSING if cell is None else cell for cell in column] if None in column else column
        if not (_simple_text([header]) and _simple_text(text)):
            return None
        columns.append(text)
    return columns


def _simple_text(cells: Sequence[str]) -> bool:
    """Whether every cell is printable ASCII without spaces at either end (checked on the
    cells joined by NULs, at once; a NUL of a cell's own makes it not simple)."""
    joined = "\0".join(cells)
    if not (joined.isascii() and joined.replace("\0", "").isprintable()):
        return False
    if joined.count("\0") != len(cells) - 1:
        return False
    return not (" \0" in joined or "\0 " in joined or joined[:1] == " " or joined[-1:] == " ")


def _tabulate(headers: list[str], cells: Sequence[Sequence[Any]], plain: bool) -> str:
    from tabulate import tabulate

    return tabulate(
        [list(row) for row in zip(*cells, strict=True)],
        headers=headers,
        tablefmt="plain" if plain else "fancy_outline",
        missingval=_MISSING,
        disable_numparse=True,
    )


def _json_default(value: Any) -> Any:
    """What YAML in `artifacts.yaml` can hold beyond JSON (a `custom: {day: 2024-01-02}`),
    written as text a reader can parse back, rather than a failure (upstream's)."""
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, bytes):  # !!binary, as YAML wrote it
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, (set, frozenset)):  # !!set
        return sorted(value, key=str)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def render_json(data: Any) -> str:
    """JSON as GTO prints it: indented by 4, ASCII-escaped, ISO-8601 datetimes."""
    return json.dumps(data, indent=4, default=_json_default)


def render_lines(values: Sequence[Any]) -> str:
    """One value per line; line breaks inside a value are stripped at its end."""
    return "\n".join("" if v is None else str(v).rstrip("\r\n") for v in values)
