"""`check-ref --format github|gitlab|json`: the ref's report, rendered for the CI, delivered.

GitHub reads step outputs and the job summary from the files named by
`$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`; when one is not set (a local run), its
text is returned for the CLI to print instead. GitLab and JSON are printed.
"""

from __future__ import annotations

import os
import secrets
from typing import TYPE_CHECKING, Literal

from gto.exceptions import CIOutputError
from gto.render.ci import render_github_outputs, render_github_summary, render_gitlab_dotenv
from gto.render.text import render_json

if TYPE_CHECKING:
    from gto.api.commands import RepoLike

__all__ = ["CIFormat", "check_ref_for_ci"]

CIFormat = Literal["github", "gitlab", "json"]


def _delimiter() -> str:
    return f"GTO_EOF_{secrets.token_hex(16)}"


def check_ref_for_ci(
    repo: RepoLike, ref: str, fmt: CIFormat, *, as_of: str | None = None
) -> str | None:
    """Write or return `ref`'s fields in `fmt`; the text to print, if any.

    Raises:
        CIOutputError: a GitHub file cannot be written, or the outputs do not fit.
    """
    from gto.api import commands

    report = commands.ref_report(repo, ref, as_of=as_of)
    if fmt == "json":
        return render_json(report.document)
    if fmt == "gitlab":
        return render_gitlab_dotenv(report.fields).removesuffix("\n")
    outputs = render_github_outputs(report.fields, _delimiter)
    summary = render_github_summary(report.fields, report.headline)
    settings = commands.settings()
    shown = [
        text
        for variable, text in (("GITHUB_OUTPUT", outputs), ("GITHUB_STEP_SUMMARY", summary))
        if text is not None and not _append(settings.github_file(variable), variable, text)
    ]
    return "\n\n".join(text.removesuffix("\n") for text in shown) or None


def _append(path: str | None, variable: str, text: str) -> bool:
    """Append `text` to the file in one write; False when `variable` names no file."""
    if not path:
        return False
    data = text.encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, data)
        finally:
            os.close(fd)
    except OSError as err:
        raise CIOutputError(f"Cannot write to {variable} ({path}): {err.strerror}") from None
    if written != len(data):
        raise CIOutputError(f"Cannot write to {variable} ({path}): the disk is full")
    return True
