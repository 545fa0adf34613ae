"""The writing functions as upstream has them: each builds a request and returns what it made.

gto's additions come last, keyword-only: `sign` (True/False; None: as GTO_SIGN or `.gto`'s
`sign` say) and `signing_key` (a private key file; None: GTO_SIGNING_KEY, else git's
user.signingkey).

gto.api._writes and gto.api._annotate do the work (gto.api.commands offers them typed).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from gto.api import _annotate, _writes
from gto.core.annotations import Annotation
from gto.core.events import (
    Assignment,
    Deprecation,
    Deregistration,
    Registration,
    TagEvent,
    Unassignment,
)
from gto.core.requests import (
    Assign,
    Deprecate,
    Deregister,
    Outcome,
    Register,
    Unassign,
    WriteOptions,
    bumps,
)
from gto.exceptions import MissingArg, WrongArgs
from gto.session import RepoLike as Repo

_ONE_OF = "One and only one of (version, ref) must be specified."
_E = TypeVar("_E", bound=TagEvent)


def register(
    repo: Repo,
    name: str,
    ref: str,
    version: str | None = None,
    message: str | None = None,
    simple: bool | None = None,
    force: bool = False,
    bump_major: bool = False,
    bump_minor: bool = False,
    bump_patch: bool = False,
    push: bool = False,
    stdout: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    sign: bool | None = None,
    signing_key: str | None = None,
) -> Registration:
    """Register the commit `ref` as a version (the next one unless `version` or `bump_*`)."""
    request = Register(name, ref, version, bumps(bump_major, bump_minor, bump_patch))
    options = WriteOptions(message, simple, force, push, author, author_email, sign, signing_key)
    return _created(_writes.write(repo, request, options), Registration)


def assign(
    repo: Repo,
    name: str,
    stage: str,
    version: str | None = None,
    ref: str | None = None,
    name_version: str | None = None,
    message: str | None = None,
    simple: bool | None = False,
    force: bool = False,
    push: bool = False,
    skip_registration: bool = False,
    stdout: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    sign: bool | None = None,
    signing_key: str | None = None,
) -> Assignment:
    """Assign `stage` to `version`, or to the version at `ref` (registered first if need be)."""
    if (version is None) == (ref is None):
        raise WrongArgs(_ONE_OF)
    request = Assign(name, stage, version, ref, name_version, skip_registration)
    options = WriteOptions(message, simple, force, push, author, author_email, sign, signing_key)
    return _created(_writes.write(repo, request, options), Assignment)


def unassign(
    repo: Repo,
    name: str,
    ref: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    message: str | None = None,
    stdout: bool = False,
    simple: bool | None = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    sign: bool | None = None,
    signing_key: str | None = None,
) -> Unassignment | None:
    """Take `stage` from a version (by `version` or `ref`); None with `delete=True`."""
    if stage is None:
        raise MissingArg("stage")
    options = WriteOptions(message, simple, force, push, author, author_email, sign, signing_key)
    outcome = _writes.write(repo, Unassign(name, stage, version, ref, delete), options)
    return None if delete else _created(outcome, Unassignment)


def deregister(
    repo: Repo,
    name: str,
    ref: str | None = None,
    version: str | None = None,
    message: str | None = None,
    stdout: bool = False,
    simple: bool | None = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    sign: bool | None = None,
    signing_key: str | None = None,
) -> Deregistration | None:
    """Deregister a version (by `version` or `ref`); None with `delete=True`."""
    options = WriteOptions(message, simple, force, push, author, author_email, sign, signing_key)
    outcome = _writes.write(repo, Deregister(name, version, ref, delete), options)
    return None if delete else _created(outcome, Deregistration)


def deprecate(
    repo: Repo,
    name: str,
    ref: str | None = None,
    message: str | None = None,
    stdout: bool = False,
    simple: bool | None = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    sign: bool | None = None,
    signing_key: str | None = None,
) -> Deprecation | None:
    """Deprecate an artifact (its tag on `ref`, else on its latest event's commit)."""
    options = WriteOptions(message, simple, force, push, author, author_email, sign, signing_key)
    outcome = _writes.write(repo, Deprecate(name, ref, delete), options)
    return None if delete else _created(outcome, Deprecation)


def _created(outcome: Outcome, kind: type[_E]) -> _E:
    """The main event a command created: its last tag."""
    event = outcome.created[-1]
    assert isinstance(event, kind)
    return event


# --- gto's additions: annotations in artifacts.yaml -------------------------------


def annotate(
    repo: Repo,
    name: str,
    type: str | None = None,
    path: str | None = None,
    must_exist: bool = False,
    allow_same_path: bool = False,
    labels: Iterable[str] | None = None,
    description: str = "",
    custom: object = None,
    commit: bool = False,
    push: bool = False,
    *,
    author: str | None = None,
    author_email: str | None = None,
) -> Annotation:
    """Create or update an artifact's entry in artifacts.yaml (upstream 0.2.8's order)."""
    change = _annotate.AnnotationChange(
        type, path, must_exist, allow_same_path, tuple(labels or ()), description, custom
    )
    options = WriteOptions(push=push, author=author, author_email=author_email)
    made = _annotate.annotate(repo, name, change, commit=commit, options=options)
    assert made.annotation is not None
    return made.annotation


def remove(
    repo: Repo,
    name: str,
    commit: bool = False,
    push: bool = False,
    *,
    author: str | None = None,
    author_email: str | None = None,
) -> None:
    """Remove an artifact's entry from artifacts.yaml; its tags are left alone."""
    options = WriteOptions(push=push, author=author, author_email=author_email)
    _annotate.remove(repo, name, commit=commit, options=options)
