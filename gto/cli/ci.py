"""`check-ref --format github|gitlab|json`: the ref's report, rendered for the CI, delivered.

GitHub reads step outputs and the job summary from the files named by
`$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`; when one is not set (a local run), its
text is returned for the CLI to print instead. GitLab and JSON are printed.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass
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
    files: list[tuple[str, str, str]] = []
    shown: list[str] = []
    for variable, text in (("GITHUB_OUTPUT", outputs), ("GITHUB_STEP_SUMMARY", summary)):
        if text is None:
            continue
        path = settings.github_file(variable)
        if path:
            files.append((variable, path, text))
        else:
            shown.append(text.removesuffix("\n"))
    _append_all(files)
    return "\n\n".join(shown) or None


@dataclass(frozen=True)
class _Target:
    """A GitHub file opened for appending, and how to take the append back."""

    variable: str
    path: str
    fd: int
    size: int
    created: bool


def _append_all(files: list[tuple[str, str, str]]) -> None:
    """Append each text to its file (variable, path, text), all or none.

    Every file is opened before any is written, so an unwritable summary leaves the
    outputs as they were; a failed write truncates what was appended (and removes
    a file this call created).
    """
    targets: list[_Target] = []
    try:
        for variable, path, _ in files:
            targets.append(_open(variable, path))
        for target, (_, _, text) in zip(targets, files, strict=True):
            data = text.encode("utf-8")
            try:
                written = os.write(target.fd, data)
            except OSError as err:
                raise _error(target, err.strerror) from None
            if written != len(data):
                raise _error(target, "the disk is full")
    except CIOutputError:
        for target in targets:
            with contextlib.suppress(OSError):
                if target.created:
                    os.unlink(target.path)
                else:
                    os.ftruncate(target.fd, target.size)
        raise
    finally:
        for target in targets:
            os.close(target.fd)


def _open(variable: str, path: str) -> _Target:
    try:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
            created = False
        except FileNotFoundError:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
            created = True
        try:
            return _Target(variable, path, fd, os.fstat(fd).st_size, created)
        except OSError:
            os.close(fd)
            raise
    except OSError as err:
        raise CIOutputError(f"Cannot write to {variable} ({path}): {err.strerror}") from None


def _error(target: _Target, reason: str | None) -> CIOutputError:
    return CIOutputError(f"Cannot write to {target.variable} ({target.path}): {reason}")
