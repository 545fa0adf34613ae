"""gto's own operations, typed: for its command line, and callers who want more than upstream's.

Upstream's functions (gto.api) return one event or a dict; these return everything a
command did or found, as frozen values: every tag a write created and deleted and
whether it was pushed, what `annotate` committed, `doctor`'s findings, a CI job's
view of a tag, a tag's signature and rules (`verify_ref`), what changed between two
moments (`registry_diff`). Each opens the repository once and closes it before returning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gto.api._audit import AsOf, RegistryChanges, registry_diff
from gto.api._lazy import lazy_names
from gto.api._options import Verify
from gto.api._show import history_columns
from gto.core.annotations import Annotation
from gto.core.annotations import annotation_json as _annotation_json
from gto.core.events import Event
from gto.core.state import VersionSort
from gto.core.tags import ParsedTag
from gto.core.tags import parse_tag as _parse_tag
from gto.core.views import event_dict, state_dict
from gto.session import RepoLike, RepoSpec, opened
from gto.settings import Settings, current

if TYPE_CHECKING:
    from gto.api._annotate import AnnotationChange, IndexChange, annotate, remove
    from gto.api._ci import RefReport, ref_report
    from gto.api._doctor import DoctorReport, Problem, diagnose, doctor, failing
    from gto.api._query import ref_events
    from gto.api._verify import RefVerification
    from gto.api._words import registry_words
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

# Imported when first used: a command that reads the registry never loads the writing
# side, nor doctor's checks (`gto show` starts a fifth faster).
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "gto.api._annotate": "AnnotationChange IndexChange annotate remove",
        "gto.api._ci": "RefReport ref_report",
        "gto.api._doctor": "DoctorReport Problem diagnose doctor failing",
        "gto.api._query": "ref_events",
        "gto.api._words": "registry_words",
        "gto.api._writes": "write",
        "gto.core.requests": "Assign Deprecate Deregister Outcome Register Request Unassign "
        "WriteOptions bumps",
    },
)


__all__ = [
    "Annotation",
    "AnnotationChange",
    "AsOf",
    "Assign",
    "Deprecate",
    "Deregister",
    "DoctorReport",
    "IndexChange",
    "Outcome",
    "Problem",
    "RefReport",
    "Register",
    "RegistryChanges",
    "RepoLike",
    "RepoSpec",
    "Request",
    "Settings",
    "Unassign",
    "Verify",
    "VersionSort",
    "WriteOptions",
    "annotate",
    "annotation_json",
    "bumps",
    "diagnose",
    "doctor",
    "event_json",
    "failing",
    "history_columns",
    "parse_tag",
    "ref_events",
    "ref_report",
    "registry_diff",
    "registry_words",
    "remove",
    "settings",
    "state",
    "verify_ref",
    "write",
]


def parse_tag(name: str) -> ParsedTag:
    """A GTO tag name's parts (`gto parse-tag`); `to_dict()` gives the JSON shape.

    Raises:
        InvalidTagName: not a GTO tag.
    """
    return _parse_tag(name)


def event_json(event: Event) -> dict[str, object]:
    """An event as `check-ref --json` shows it: its fields, then its kind."""
    return event_dict(event, meta=False, kind=True)


def annotation_json(annotation: Annotation) -> dict[str, object]:
    """An annotation as `describe` shows it: the fields that differ from the defaults."""
    return _annotation_json(annotation)


def state(repo: RepoLike) -> dict[str, object]:
    """The replayed registry as one JSON document (`gto print-state`, for debugging)."""
    with opened(repo) as session:
        return state_dict(session.registry())


def settings() -> Settings:
    """What the environment says now (gto.settings): where CI files go, for instance."""
    return current()


def verify_ref(
    repo: RepoLike, ref: str, *, verify: Verify | None = None, as_of: AsOf | None = None
) -> RefVerification:
    """`check-ref --verify`: the tag's event, its signature checked, the rules it breaks;
    `failure` is the one line to fail with (gto.api._verify.RefVerification)."""
    from gto.api._verify import verify_ref as _verify_ref  # loaded only to verify

    return _verify_ref(repo, ref, verify=verify, as_of=as_of)
