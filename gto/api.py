"""The public Python API: upstream GTO 1.10.1's `gto.api`, typed. It returns data and never prints.

Every function upstream's `gto.api` has is here with the same parameters in the
same order, so positional calls mean what they mean upstream; gto's own
additions come after them, keyword-only. `repo` is a path (the work tree, any
folder inside it, or a bare repository), a URL (read through gto's cache), or a
scmrepo `Git`/dulwich `Repo` (their folder is used). Each call opens the
repository once and closes it before returning, reads each tag object at most
once, and reads `.gto` and each distinct annotation file once.

`stdout=` is accepted where upstream has it. Upstream prints only inside its own
CLI, so from Python `stdout=True` prints nothing there, and nothing here: use the
returned event.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, TypeVar, overload

from gto import views as _views
from gto import writes as _writes
from gto.annotations import Annotation
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
from gto.events import (
    Assignment,
    Deprecation,
    Deregistration,
    Registration,
    TagEvent,
    Unassignment,
)
from gto.exceptions import ArtifactNotFound as _ArtifactNotFound
from gto.exceptions import GTOException as _GTOException
from gto.exceptions import MissingArg as _MissingArg
from gto.exceptions import NoRepo, NotImplementedInGTO, RefNotFound, WrongArgs
from gto.exceptions import RepoError as _RepoError
from gto.exceptions import ValidationError as _ValidationError
from gto.replay import replay as _replay
from gto.session import RepoLike as Repo
from gto.session import Session as _Session
from gto.session import opened as _opened
from gto.state import Artifact as _Artifact
from gto.state import Registry as _Registry
from gto.state import Version, VersionSort, VStage
from gto.state import check_limits as _check_limits
from gto.tag import TagFields
from gto.tag import parse_name as _parse_name
from gto.tags import Action as _Action
from gto.tags import Shortcut as _Shortcut
from gto.tags import check_name as _check_name
from gto.tags import parse_shortcut as _parse_shortcut
from gto.tags import shortcut_mistake as _shortcut_mistake
from gto.tags import try_parse_tag as _try_parse_tag
from gto.views import (
    HistoryEntry,
    HistoryRow,
    RegistryEntry,
    RegistryRow,
    VersionDict,
    VersionRow,
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
    "Version",
    "VersionDict",
    "VersionRow",
    "VersionSort",
    "WrongArgs",
    "annotate",
    "assign",
    "check_ref",
    "deprecate",
    "deregister",
    "describe",
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

_ONE_OF = "One and only one of (version, ref) must be specified."
_E = TypeVar("_E", bound=TagEvent)


def _artifact_of(registry: _Registry, name: str) -> _Artifact:
    artifact = registry.find_artifact(name)
    if artifact is None:
        raise _ArtifactNotFound(name)
    return artifact


def _sort(sort: VersionSort | str) -> VersionSort:
    try:
        return VersionSort(sort)
    except ValueError:
        raise WrongArgs(f"Only one of ['timestamp', 'semver'] is allowed, got '{sort}'") from None


def _get_state(repo: Repo) -> _Registry:
    """The replayed registry (upstream's private `_get_state`)."""
    with _opened(repo) as session:
        return session.registry()


def _is_gto_repo(repo: Repo) -> bool:
    """`.gto` or an index file in the work tree, or any artifact in the registry."""
    with _opened(repo) as session:
        workdir = session.git.workdir
        if workdir is not None and (
            (workdir / ".gto").exists() or (workdir / session.config.index).exists()
        ):
            return True
        return bool(session.registry().artifacts)


def parse_tag(name: str) -> TagFields:
    """The fields of a GTO tag name, with `action` as an _Action.

    >>> parse_tag("dir/sub=clf@v1.0.0")
    {'name': 'dir/sub:clf', 'version': 'v1.0.0', 'action': <_Action.REGISTER: 'register'>}
    """
    return _parse_name(name)


def parse_tag_name(name: str, raise_on_fail: bool = True) -> TagFields:
    """`parse_tag`, or `{}` for a name that is not a GTO tag unless `raise_on_fail`."""
    return _parse_name(name, raise_on_fail)


# --- reading ------------------------------------------------------------------------


@overload
def show(
    repo: Repo,
    name: None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: Literal[False] = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> dict[str, RegistryEntry]: ...
@overload
def show(
    repo: Repo,
    name: str,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: Literal[False] = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> list[VersionDict]: ...
@overload
def show(
    repo: Repo,
    name: None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    *,
    table: Literal[True],
    all_branches: bool = False,
    all_commits: bool = False,
) -> tuple[list[RegistryRow], str]: ...
@overload
def show(
    repo: Repo,
    name: str,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    *,
    table: Literal[True],
    all_branches: bool = False,
    all_commits: bool = False,
) -> tuple[list[VersionRow], str]: ...
def show(
    repo: Repo,
    name: str | None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> (
    dict[str, RegistryEntry]
    | list[VersionDict]
    | tuple[list[RegistryRow], str]
    | tuple[list[VersionRow], str]
):
    """The registry (no `name`) or one artifact's versions (`name` or a shortcut).

    Returns the registry dict or a list of version dicts; with `table=True`,
    `(rows, "keys")` ready for a table. `all_branches`/`all_commits` also list the
    artifacts annotated at the heads of all branches / in every commit.
    """
    _check_limits(assignments_per_version, versions_per_stage)
    order = _sort(sort)
    with _opened(repo) as session:
        if name is None:
            registry = session.registry(all_branches=all_branches, all_commits=all_commits)
            view = _views.registry_view(
                registry,
                _views.registry_stage_names(registry, session.config.stages),
                deprecated=deprecated,
                registered_only=registered_only,
                assignments_per_version=assignments_per_version,
                versions_per_stage=versions_per_stage,
                sort=order,
            )
            return (_views.registry_rows(view, truncate=truncate_hexsha), "keys") if table else view
        shortcut = _parse_shortcut(name)
        if shortcut.stage is not None:
            _check_name(shortcut.stage)
        registry = session.registry(
            shortcut.artifact, all_branches=all_branches, all_commits=all_commits
        )
        artifact = registry.find_artifact(shortcut.artifact)
        if artifact is None:
            raise _not_found(session, name)
        listed = _select(
            _views.artifact_versions(
                artifact,
                deprecated=deprecated,
                registered_only=registered_only,
                assignments_per_version=assignments_per_version,
                versions_per_stage=versions_per_stage,
                sort=order,
            ),
            shortcut,
        )
    if table:
        return _views.version_rows(artifact, listed, truncate=truncate_hexsha), "keys"
    return [_views.version_dict(version, vstages) for version, vstages in listed]


def _not_found(session: _Session, name: str) -> _GTOException:
    """`churn@v9` when `churn` exists says what is wrong with the shortcut, not "no artifact"."""
    mistake = _shortcut_mistake(name)
    if mistake is not None and session.registry(mistake[0]).find_artifact(mistake[0]):
        return _ValidationError(mistake[1])
    return _ArtifactNotFound(name)


def _select(
    listed: list[tuple[Version, list[VStage]]], shortcut: _Shortcut
) -> list[tuple[Version, list[VStage]]]:
    if shortcut.latest:
        return listed[:1]
    if shortcut.version is not None:
        return [item for item in listed if item[0].version == shortcut.version]
    if shortcut.stage is not None:
        # The versions holding the stage, each shown as `show NAME` shows it: all its stages.
        return [item for item in listed if any(s.stage == shortcut.stage for s in item[1])]
    return listed


@overload
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    table: Literal[False] = False,
    truncate_hexsha: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> list[HistoryEntry]: ...
@overload
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    *,
    table: Literal[True],
    truncate_hexsha: bool = False,
    all_branches: bool = False,
    all_commits: bool = False,
) -> tuple[list[HistoryRow], str]: ...
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    table: bool = False,
    truncate_hexsha: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> list[HistoryEntry] | tuple[list[HistoryRow], str]:
    """Every event (tags and version commits), newest first unless `ascending`."""
    with _opened(repo) as session:
        registry = session.registry(artifact, all_branches=all_branches, all_commits=all_commits)
    view = _views.history_view(registry, artifact, ascending=ascending)
    if table:
        return _views.history_rows(view, truncate=truncate_hexsha), "keys"
    return view


def check_ref(repo: Repo, ref: str) -> list[TagEvent]:
    """The events a tag created; empty for refs that are not annotated GTO tags.

    Only the tags needed are read: the tag itself, plus the artifact's version
    tags when an assignment has to be resolved to a version.
    """
    name = ref.removeprefix("refs/tags/")
    parsed = _try_parse_tag(name)
    if parsed is None or parsed.action is _Action.CREATE:
        return []
    with _opened(repo) as session:
        return _check_ref(session, name, parsed.artifact, parsed.action)


def _check_ref(session: _Session, name: str, artifact: str, action: _Action) -> list[TagEvent]:
    if name not in session.git.tag_names():
        return []
    # A GTO tag that exists but cannot be read is damage, not "not ours": a CI job
    # must not skip its deployment silently. Lightweight tags and tags of trees or
    # blobs are simply not GTO events (behaviour reference, Q24).
    problem = session.git.problem_tags([name]).get(name)
    if problem is not None and problem != "lightweight" and not problem.startswith("not a"):
        raise _RepoError(f"Tag '{name}' cannot be read: {problem}")
    if action not in (_Action.ASSIGN, _Action.UNASSIGN):
        return list(session.tag_events(lambda tag: tag == name))

    def keep(tag: str) -> bool:
        other = _try_parse_tag(tag)
        return tag == name or (
            other is not None
            and other.artifact == artifact
            and other.action in (_Action.REGISTER, _Action.DEREGISTER)
        )

    events = session.tag_events(keep)
    if not any(e.tag == name for e in events):
        return []
    registry = _replay(
        events,
        {sha: session.git.read_commit(sha) for sha in {e.commit_hexsha for e in events}},
        {},
    )
    return [
        e
        for version in _artifact_of(registry, artifact).versions
        for vstage in version.stages.values()
        for e in (*vstage.assignments, *vstage.unassignments)
        if e.tag == name
    ]


@overload
def find_latest_version(
    repo: Repo, name: str, all: Literal[False] = False, registered: bool = True
) -> Version | None: ...
@overload
def find_latest_version(
    repo: Repo, name: str, all: Literal[True], registered: bool = True
) -> list[Version]: ...
def find_latest_version(
    repo: Repo, name: str, all: bool = False, registered: bool = True
) -> Version | list[Version] | None:
    """The greatest (SemVer) active version, or all of them, greatest first.

    `registered=False` also counts versions that only a stage tag or an annotation made.
    """
    with _opened(repo) as session:
        artifact = _artifact_of(session.registry(name), name)
    versions: list[Version] = artifact.get_versions(
        include_non_explicit=not registered, include_discovered=not registered
    )
    if all:
        return versions
    return versions[0] if versions else None


def find_versions_in_stage(
    repo: Repo,
    name: str,
    stage: str,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    registered_only: bool = False,
) -> list[VStage] | None:
    """Versions holding `stage`, by SemVer (behaviour reference, quirk Q22)."""
    with _opened(repo) as session:
        artifact = _artifact_of(session.registry(name), name)
    holders: dict[str, list[VStage]] = artifact.stages(
        registered_only=registered_only,
        assignments_per_version=assignments_per_version,
        versions_per_stage=versions_per_stage,
        sort=VersionSort.SEMVER,
    )
    return holders.get(stage)


def get_stages(repo: Repo, allowed: bool = False, used: bool = False) -> list[str] | None:
    """Allowed stages (from config), stages in use, or the first when configured."""
    if allowed and used:
        raise WrongArgs('Either "allowed" or "used" can be set')
    with _opened(repo) as session:
        configured = session.config.stages
        if allowed:
            return None if configured is None else list(configured)
        if not used and configured is not None:
            return list(configured)
        return session.registry().used_stages()


def describe(repo: Repo, name: str, rev: str | None = None) -> Annotation | None:
    """An artifact's annotation, from artifacts.yaml or a dvc.yaml; None when it has none.

    artifacts.yaml's entry wins over a dvc.yaml's. A shortcut (`name@latest`,
    `name#prod`) reads the files at that version's commit; `rev` reads them at a
    commit; otherwise the work tree is read.
    """
    shortcut = _parse_shortcut(name)
    with _opened(repo) as session:
        if not shortcut.is_plain:
            if rev is not None:
                raise WrongArgs("Either specify revision or use naming shortcut.")
            versions = show(session, name)
            if not versions:
                return None
            if len(versions) > 1:
                raise WrongArgs("Ambiguous naming shortcut: multiple variants found.")
            commit = versions[0]["commit_hexsha"]
            return session.annotations_at(commit).get(shortcut.artifact)
        if rev is not None:
            return session.annotations_at(session.resolve(rev)).get(name)
        return session.worktree_annotations().get(name)


# --- writing: wrappers over gto.writes that return the event created ---------------


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
) -> Registration:
    """Register the commit `ref` as a version (the next one unless `version` or `bump_*`)."""
    outcome = _writes.register(
        repo,
        name,
        ref,
        version=version,
        message=message,
        simple=simple,
        force=force,
        bump_major=bump_major,
        bump_minor=bump_minor,
        bump_patch=bump_patch,
        push=push,
        author=author,
        author_email=author_email,
    )
    return _created(outcome, Registration)


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
) -> Assignment:
    """Assign `stage` to `version`, or to the version at `ref` (registered first if need be)."""
    if (version is None) == (ref is None):
        raise WrongArgs(_ONE_OF)
    outcome = _writes.assign(
        repo,
        name,
        stage,
        version=version,
        ref=ref,
        name_version=name_version,
        message=message,
        simple=simple,
        force=force,
        push=push,
        skip_registration=skip_registration,
        author=author,
        author_email=author_email,
    )
    return _created(outcome, Assignment)


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
) -> Unassignment | None:
    """Take `stage` from a version (by `version` or `ref`); None with `delete=True`."""
    if stage is None:
        raise _MissingArg("stage")
    outcome = _writes.unassign(
        repo,
        name,
        version,
        stage,
        ref=ref,
        message=message,
        simple=simple,
        force=force,
        delete=delete,
        push=push,
        author=author,
        author_email=author_email,
    )
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
) -> Deregistration | None:
    """Deregister a version (by `version` or `ref`); None with `delete=True`."""
    outcome = _writes.deregister(
        repo,
        name,
        version,
        ref=ref,
        message=message,
        simple=simple,
        force=force,
        delete=delete,
        push=push,
        author=author,
        author_email=author_email,
    )
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
) -> Deprecation | None:
    """Deprecate an artifact (its tag on `ref`, else on its latest event's commit)."""
    outcome = _writes.deprecate(
        repo,
        name,
        ref=ref,
        message=message,
        simple=simple,
        force=force,
        delete=delete,
        push=push,
        author=author,
        author_email=author_email,
    )
    return None if delete else _created(outcome, Deprecation)


def _created(outcome: _writes.Outcome, kind: type[_E]) -> _E:
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
    from gto import annotating

    change = annotating.annotate(
        repo,
        name,
        type=type,
        path=path,
        must_exist=must_exist,
        allow_same_path=allow_same_path,
        labels=labels,
        description=description,
        custom=custom,
        commit=commit,
        push=push,
        author=author,
        author_email=author_email,
    )
    assert change.annotation is not None
    return change.annotation


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
    from gto import annotating

    annotating.remove(
        repo, name, commit=commit, push=push, author=author, author_email=author_email
    )
