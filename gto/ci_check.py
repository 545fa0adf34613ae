"""`check-ref --format github|gitlab|json`: read the ref, render for the CI, deliver.

GitHub reads step outputs and the job summary from the files named by
`$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`; when one is not set (a local run), its
text is returned for the CLI to print instead. GitLab and JSON are printed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from typing import Literal

from gto.core.ci_view import ref_document, ref_fields, ref_headline
from gto.exceptions import CIOutputError
from gto.ref_report import ref_report
from gto.render import render_json
from gto.render_ci import render_github_outputs, render_github_summary, render_gitlab_dotenv
from gto.session import RepoLike

CIFormat = Literal["github", "gitlab", "json"]


def _delimiter() -> str:
    return f"GTO_EOF_{secrets.token_hex(16)}"


def check_ref_for_ci(
    repo: RepoLike, ref: str, fmt: CIFormat, environ: Mapping[str, str]
) -> str | None:
    """Write or return `ref`'s fields in `fmt`; the text to print, if any.

    Raises:
        CIOutputError: a GitHub file cannot be written, or the outputs do not fit.
    """
    report = ref_report(repo, ref)
    fields = ref_fields(report.event, report.previous_version)
    if fmt == "json":
        return render_json(ref_document(fields))
    if fmt == "gitlab":
        return render_gitlab_dotenv(fields).removesuffix("\n")
    outputs = render_github_outputs(fields, _delimiter)
    summary = render_github_summary(fields, ref_headline(report.event, report.previous_version))
    shown = [
        text
        for variable, text in (("GITHUB_OUTPUT", outputs), ("GITHUB_STEP_SUMMARY", summary))
        if text is not None and not _append(environ.get(variable), variable, text)
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
