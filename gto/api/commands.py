"""gto's own operations, typed: for its command line, and callers who want more than upstream's.

Upstream's functions (gto.api) return one event or a dict; these return everything a
command did or found, as frozen values: every tag a write created and deleted and
whether it was pushed, what `annotate` committed, `doctor`'s findings, a CI job's
view of a tag. Each opens the repository once and closes it before returning.
"""

from __future__ import annotations

from gto.api._annotate import AnnotationChange, IndexChange, annotate, remove
from gto.api._writes import write
from gto.core.requests import (
    Assign,
    Deprecate,
    Deregister,
    Outcome,
    Register,
    Request,
    Unassign,
    WriteOptions,
    bumps,
)
from gto.session import RepoSpec

__all__ = [
    "AnnotationChange",
    "Assign",
    "Deprecate",
    "Deregister",
    "IndexChange",
    "Outcome",
    "Register",
    "RepoSpec",
    "Request",
    "Unassign",
    "WriteOptions",
    "annotate",
    "bumps",
    "remove",
    "write",
]
