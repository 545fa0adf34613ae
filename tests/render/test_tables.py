"""gto's own table writer gives tabulate's text, byte for byte, or hands the table to it."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from tabulate import tabulate

from gto.render.text import column_lines, render_table, table_lines, terminal_safe

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))


def tabulated(rows: list[dict[str, Any]], plain: bool) -> str:
    """What gto printed before it wrote simple tables itself (escaped for the terminal)."""
    headers = list(rows[0])
    body = [
        [str(v) if isinstance(v, datetime) else v for v in (row.get(h) for h in headers)]
        for row in rows
    ]
    return terminal_safe(
        tabulate(
            body,
            headers=headers,
            tablefmt="plain" if plain else "fancy_outline",
            missingval="-",
            disable_numparse=True,
        )
    )


TABLES = [
    pytest.param([{"name": "churn", "latest": "v3.1.0", "#prod": None}], id="simple"),
    pytest.param([{"a": None, "b": None}, {"a": None, "b": None}], id="all-missing"),
    pytest.param([{"when": WHEN, "ref": "m@v1.0.0"}], id="datetime"),
    pytest.param([{"x": "", "y": "-"}], id="empty-cell"),
    pytest.param([{"x": " padded ", "y": "a"}], id="spaces-stripped-by-tabulate"),
    pytest.param([{"x": "line\nbreak", "y": "a"}], id="multi-line"),
    pytest.param([{"x": "wide 模型", "y": "é"}], id="non-ascii"),
    pytest.param([{"x": "\x1b[31mred\x1b[0m", "y": "a"}], id="escape-codes"),
    pytest.param([{"x": 12, "y": 1.5}], id="numbers"),
    pytest.param([{"x": "True", "y": "False"}], id="bool-words"),
    pytest.param([{"a b": "c", "long header": "v"}], id="header-spaces"),
    pytest.param([{"k": "1"}, {"k": "22", "extra": "ignored"}], id="keys-of-first-row"),
]


@pytest.mark.parametrize("plain", [False, True], ids=["fancy", "plain"])
@pytest.mark.parametrize("rows", TABLES)
def test_same_text_as_tabulate(rows: list[dict[str, Any]], plain: bool) -> None:
    assert render_table(rows, plain=plain) == tabulated(rows, plain)


@pytest.mark.parametrize("seed", range(20))
def test_random_tables(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = ["a", "Z", "0", "-", "@", "#", " ", "é", "\t", "|", "模", "!"]
    headers = [f"h{i}" + " " * rng.randint(0, 1) * (i % 2) for i in range(rng.randint(1, 5))]

    def cell() -> Any:
        if rng.random() < 0.2:
            return None
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

    rows = [{h: cell() for h in headers} for _ in range(rng.randint(1, 12))]
    for plain in (False, True):
        assert render_table(rows, plain=plain) == tabulated(rows, plain)


def test_lines_are_the_text() -> None:
    rows: list[dict[str, Any]] = [{"a": "x", "b": None}, {"a": "yy", "b": "z"}]
    assert "\n".join(table_lines(rows)) == render_table(rows)
    assert list(table_lines([])) == ["Nothing found in the current workspace"]


def test_a_nul_inside_a_cell_is_escaped() -> None:
    """The cells are checked joined by NULs: one NUL of a cell's own must not pass as simple."""
    lines = list(column_lines({"a": ["x\0y", "z"]}))
    assert not any("\0" in line for line in lines)
    assert "│ x\\x00y │" in lines
