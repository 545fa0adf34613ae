"""check-ref's fields -> the files CI systems read: GitHub step outputs and job summary,
and GitLab's dotenv report.

A tag message is written by whoever pushed the tag, so no value may break out of its
own entry: GitHub values with a line break use the `key<<DELIMITER` form with a fresh
random delimiter that the value does not contain, and GitLab values are folded onto
one line. Both fit their system's size limit, by shortening the message if needed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from gto.core.ci_view import SCHEMA_VERSION
from gto.exceptions import CIOutputError
from gto.render.markdown import escape_markdown

# GitHub: at most 1 MB per output (and per job); GitLab: a dotenv report of 5,120 bytes.
GITHUB_OUTPUTS_LIMIT = 1_000_000
GITLAB_DOTENV_LIMIT = 5_120
SUMMARY_MESSAGE_CHARS = 500
CUT = "…"

Fields = Mapping[str, Any]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _compact_json(fields: Fields) -> str:
    """ASCII-only JSON on one line: control characters and line separators are escaped."""
    document = {"schema_version": SCHEMA_VERSION, **fields}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True)


def _with_message(fields: Fields, message: str) -> dict[str, Any]:
    return {**fields, "message": message}


def _fit(render: Callable[[Fields], str], fields: Fields, limit: int, what: str) -> str:
    """`render(fields)`, with the message cut (ending in `…`) as much as needed to fit `limit`
    bytes; the longest message that fits is kept.

    Raises:
        CIOutputError: the other fields alone are over the limit.
    """
    text = render(fields)
    message = fields.get("message")
    if len(text.encode()) <= limit:
        return text
    if not message or len(render(_with_message(fields, CUT)).encode()) > limit:
        raise CIOutputError(f"The {what} would be over its limit of {limit:,} bytes")
    low, high = 0, len(message) - 1  # the longest kept prefix is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if len(render(_with_message(fields, message[:middle] + CUT)).encode()) <= limit:
            low = middle
        else:
            high = middle - 1
    return render(_with_message(fields, message[:low] + CUT))


def _github_entry(key: str, value: str, delimiter: Callable[[], str]) -> str:
    if "\n" not in value and "\r" not in value:
        return f"{key}={value}\n"
    marker = delimiter()
    while marker in value:
        marker = delimiter()
    return f"{key}<<{marker}\n{value}\n{marker}\n"


def render_github_outputs(fields: Fields, delimiter: Callable[[], str]) -> str:
    """Lines for `$GITHUB_OUTPUT`: every field, then `json` with all of them.

    `delimiter()` returns a new unguessable marker each call (the caller's randomness
    keeps this module pure).
    """

    def render(fields: Fields) -> str:
        entries = {key: _text(value) for key, value in fields.items()}
        entries["json"] = _compact_json(fields)
        return "".join(_github_entry(k, v, delimiter) for k, v in entries.items())

    return _fit(render, fields, GITHUB_OUTPUTS_LIMIT, "GitHub step outputs")


def render_github_summary(fields: Fields, headline: str | None) -> str | None:
    """A short Markdown job summary; None for a ref that is not GTO's."""
    if headline is None:
        return None
    message = _text(fields.get("message"))
    if len(message) > SUMMARY_MESSAGE_CHARS:
        message = message[:SUMMARY_MESSAGE_CHARS] + CUT
    shown = {**fields, "message": message}
    rows = [
        f"| {key} | {escape_markdown(_text(value))} |"
        for key, value in shown.items()
        if key != "is_gto" and value is not None and value != ""
    ]
    return "\n".join(
        [
            f"### GTO: {escape_markdown(_text(fields['tag']))}",
            "",
            escape_markdown(headline),
            "",
            "| field | value |",
            "| --- | --- |",
            *rows,
            "",
        ]
    )


def _one_line(value: str) -> str:
    """Line breaks and other control characters become spaces; GitLab strips the ends."""
    return "".join(c if c.isprintable() else " " for c in value).strip()


def render_gitlab_dotenv(fields: Fields) -> str:
    """A dotenv report: `GTO_<FIELD>=value` lines and `GTO_JSON`, within 5,120 bytes.

    GitLab takes values literally up to the end of the line (no quotes, no escapes),
    so a multi-line message is folded onto one line; `GTO_JSON` keeps it whole, escaped.
    """

    def render(fields: Fields) -> str:
        lines = [f"GTO_{key.upper()}={_one_line(_text(value))}" for key, value in fields.items()]
        lines.append(f"GTO_JSON={_compact_json(fields)}")
        return "".join(line + "\n" for line in lines)

    return _fit(render, fields, GITLAB_DOTENV_LIMIT, "GitLab dotenv report")
