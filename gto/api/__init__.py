"""The public Python API: upstream GTO 1.10.1's `gto.api`, typed. It returns data and never prints.

Every function upstream's `gto.api` has is here with the same parameters in the
same order, so positional calls mean what they mean upstream; gto's own
additions come after them, keyword-only. `repo` is a path (the work tree, any
folder inside it, or a bare repository), a URL (read through gto's cache), or a
scmrepo `Git`/dulwich `Repo` (their folder is used). Each call opens the
repository once and closes it before returning, reads each tag object at most
once, and reads `.gto` and each distinct annotation file once.

gto's own operations, with everything a command did or found as typed values,
are in `gto.api.commands`: the command line uses them. gto's own functions here:
`annotate`, `remove` (upstream 0.2.8's) and `diff` (what changed between two moments);
`show`, `history`, `check_ref` and `describe` take `as_of=` (a date as git reads one, a
ref, or an aware datetime), `show` and `history` take `verify=`, and the writers `sign=`
and `signing_key=`.

`stdout=` is accepted where upstream has it. Upstream prints only inside its own
CLI, so from Python `stdout=True` prints nothing there, and nothing here: use the
returned event.
"""

from __future__ import annotations

import typing as _typing

from gto.api import commands as commands  # gto's own operations, typed
from gto.api._audit import diff_json as diff
from gto.api._lazy import lazy_names as _lazy_names
from gto.api._options import Verify
from gto.api._show import history, show
from gto.core.annotations import Annotation
from gto.core.events import (
    Assignment,
    Deprecation,
    Deregistration,
    Registration,
    TagEvent,
    Unassignment,
)
from gto.core.rows import (
    HistoryEntry,
    HistoryRow,
    RegistryEntry,
    RegistryRow,
    VersionDict,
    VersionRow,
)
from gto.core.state import Version, VersionSort, VStage
from gto.exceptions import NoRepo, NotImplementedInGTO, RefNotFound, WrongArgs
from gto.session import RepoLike as Repo

if _typing.TYPE_CHECKING:
    from gto.api._query import _get_state as _get_state  # upstream's private helpers
    from gto.api._query import _is_gto_repo as _is_gto_repo
    from gto.api._query import (
        check_ref,
        describe,
        find_latest_version,
        find_versions_in_stage,
        get_stages,
        parse_tag,
        parse_tag_name,
    )
    from gto.api._write import annotate, assign, deprecate, deregister, register, remove, unassign
    from gto.constants import (
        ARTIFACT,
        ASSIGNMENTS_PER_VERSION,
        COMMIT,
        STAGE,
        VERSION,
        VERSIONS_PER_STAGE,
        Shortcut,
        is_hexsha,
        mark_artifact_unregistered,
        parse_shortcut,
    )
    from gto.tag import TagFields

# Imported when first used: the writers, the other queries, upstream's constants (their
# patterns compile at import).
__getattr__, __dir__ = _lazy_names(
    __name__,
    {
        "gto.api._write": "annotate assign deprecate deregister register remove unassign",
        "gto.api._query": "_get_state _is_gto_repo check_ref describe find_latest_version "
        "find_versions_in_stage get_stages parse_tag parse_tag_name",
        "gto.constants": "ARTIFACT ASSIGNMENTS_PER_VERSION COMMIT STAGE VERSION "
        "VERSIONS_PER_STAGE Shortcut is_hexsha mark_artifact_unregistered parse_shortcut",
        "gto.tag": "TagFields",
    },
)


__all__ = [
    "ARTIFACT",
    "ASSIGNMENTS_PER_VERSION",
    "COMMIT",
    "STAGE",
    "VERSION",
    "VERSIONS_PER_STAGE",
    "Annotation",
    "Assignment",
    "Deprecation",
    "Deregistration",
    "HistoryEntry",
    "HistoryRow",
    "NoRepo",
    "NotImplementedInGTO",
    "RefNotFound",
    "Registration",
    "RegistryEntry",
    "RegistryRow",
    "Repo",
    "Shortcut",
    "TagEvent",
    "TagFields",
    "Unassignment",
    "VStage",
    "Verify",
    "Version",
    "VersionDict",
    "VersionRow",
    "VersionSort",
    "WrongArgs",
    "annotate",
    "assign",
    "check_ref",
    "commands",
    "deprecate",
    "deregister",
    "describe",
    "diff",
    "find_latest_version",
    "find_versions_in_stage",
    "get_stages",
    "history",
    "is_hexsha",
    "mark_artifact_unregistered",
    "parse_shortcut",
    "parse_tag",
    "parse_tag_name",
    "register",
    "remove",
    "show",
    "unassign",
]
