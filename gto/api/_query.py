"""The other reading functions: check_ref, versions in a stage, stages, describe, tag names."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, overload

from gto.api._audit import AsOf, branch_commit, moment
from gto.api._show import show
from gto.core.annotations import Annotation
from gto.core.asof import events_until
from gto.core.events import (
    TagEvent,
)
from gto.core.replay import replay
from gto.core.skips import is_no_event, is_renamed
from gto.core.state import Artifact, Registry, Version, VersionSort, VStage
from gto.core.tags import Action, parse_shortcut, tag_prefixes, try_parse_tag
from gto.exceptions import ArtifactNotFound, RepoError, WrongArgs
from gto.session import RepoLike as Repo
from gto.session import Session, is_local, opened
from gto.tag import TagFields, parse_name


def _artifact_of(registry: Registry, name: str) -> Artifact:
    artifact = registry.find_artifact(name)
    if artifact is None:
        raise ArtifactNotFound(name)
    return artifact


def _get_state(repo: Repo) -> Registry:
    """The replayed registry (upstream's private `_get_state`)."""
    with opened(repo) as session:
        return session.registry()


def _is_gto_repo(repo: Repo) -> bool:
    """`.gto` or an index file in the work tree, or any artifact in the registry."""
    with opened(repo) as session:
        workdir = session.git.workdir
        if workdir is not None and (
            (workdir / ".gto").exists() or (workdir / session.config.index).exists()
        ):
            return True
        return bool(session.registry().artifacts)


def parse_tag(name: str) -> TagFields:
    """The fields of a GTO tag name, with `action` as an Action.

    >>> parse_tag("dir/sub=clf@v1.0.0")
    {'name': 'dir/sub:clf', 'version': 'v1.0.0', 'action': <Action.REGISTER: 'register'>}
    """
    return parse_name(name)


def parse_tag_name(name: str, raise_on_fail: bool = True) -> TagFields:
    """`parse_tag`, or `{}` for a name that is not a GTO tag unless `raise_on_fail`."""
    return parse_name(name, raise_on_fail)


def check_ref(repo: Repo, ref: str, *, as_of: AsOf | None = None) -> list[TagEvent]:
    """The events a tag created; empty for refs that are not annotated GTO tags, as
    upstream gives: a lightweight tag, a tag of a tree, a ref re-pointed at another
    tag's object (`gto.api.commands.ref_events` says why such a ref is skipped).

    Only the tags needed are read: the tag itself, plus the artifact's version
    tags when an assignment has to be resolved to a version. With `as_of`, what the
    tag meant then: nothing for a tag made later.

    Raises:
        RepoError: `ref` is a GTO tag whose object cannot be read (missing, malformed):
            damage, which a CI job must not take for "not ours".
    """
    return ref_events(repo, ref, as_of=as_of, skipped_ok=True)


def ref_events(
    repo: Repo, ref: str, *, as_of: AsOf | None = None, skipped_ok: bool = False
) -> list[TagEvent]:
    """`check_ref`, but a ref gto skips because its tag object names another tag is an
    error saying so (what `gto check-ref` prints), unless `skipped_ok`.

    Raises:
        RepoError: `ref` is a GTO tag that cannot be read, or (without `skipped_ok`) a
            ref re-pointed at another tag's object.
    """
    name = ref.removeprefix("refs/tags/")
    parsed = try_parse_tag(name)
    if parsed is None or parsed.action is Action.CREATE:
        if is_local(repo):  # a repository gto cannot read is refused, whatever the ref
            with opened(repo):
                pass
        return []
    with opened(repo, tags=tag_prefixes(parsed.artifact)) as session:
        when = None if as_of is None else moment(session, as_of).at
        return _check_ref(session, name, parsed.artifact, parsed.action, when, skipped_ok)


def ref_event(session: Session, ref: str, *, as_of: AsOf | None = None) -> TagEvent | None:
    """The event of the tag `ref` (`ref_events`' first), or None when it is not GTO's."""
    events = ref_events(session, ref, as_of=as_of)
    return events[0] if events else None


def _check_ref(
    session: Session,
    name: str,
    artifact: str,
    action: Action,
    when: datetime | None,
    skipped_ok: bool,
) -> list[TagEvent]:
    if name not in session.git.tag_names([name]):
        return []
    # A GTO tag that exists but cannot be read is damage, not "not ours": a CI job
    # must not skip its deployment silently. Lightweight tags and tags of trees or
    # blobs are simply not GTO events (behaviour reference, Q24).
    problem = session.git.problem_tags([name]).get(name)
    if problem is not None and is_renamed(problem):
        if skipped_ok:
            return []
        raise RepoError(f"Tag '{name}' is ignored: {problem}")
    if problem is not None and not is_no_event(problem):
        raise RepoError(f"Tag '{name}' cannot be read: {problem}")
    if action not in (Action.ASSIGN, Action.UNASSIGN):
        found = session.tag_events([name])
        return list(found if when is None else events_until(found, when))

    def keep(tag: str) -> bool:
        other = try_parse_tag(tag)
        return tag == name or (
            other is not None
            and other.artifact == artifact
            and other.action in (Action.REGISTER, Action.DEREGISTER)
        )

    names = sorted({name, *session.git.tag_names(tag_prefixes(artifact))})
    events = session.tag_events([tag for tag in names if keep(tag)])
    if when is not None:
        events = list(events_until(events, when))
    if not any(e.tag == name for e in events):
        return []
    registry = replay(
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
    with opened(repo, tags=tag_prefixes(name)) as session:
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
    with opened(repo, tags=tag_prefixes(name)) as session:
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
    with opened(repo) as session:
        configured = session.config.stages
        if allowed:
            return None if configured is None else list(configured)
        if not used and configured is not None:
            return list(configured)
        return session.registry().used_stages()


def describe(
    repo: Repo, name: str, rev: str | None = None, *, as_of: AsOf | None = None
) -> Annotation | None:
    """An artifact's annotation, from artifacts.yaml or a dvc.yaml; None when it has none.

    artifacts.yaml's entry wins over a dvc.yaml's. A shortcut (`name@latest`,
    `name#prod`) reads the files at that version's commit; `rev` reads them at a
    commit; otherwise the work tree is read. `as_of` reads them as they were then: at
    the commit HEAD's branch pointed at, or for a shortcut at the version's commit then.
    """
    shortcut = parse_shortcut(name)
    if rev is not None and as_of is not None:
        raise WrongArgs("Either specify a revision or --as-of, not both")
    with opened(repo) as session:
        if not shortcut.is_plain:
            if rev is not None:
                raise WrongArgs("Either specify revision or use naming shortcut.")
            versions = show(session, name, as_of=as_of)
            if not versions:
                return None
            if len(versions) > 1:
                raise WrongArgs("Ambiguous naming shortcut: multiple variants found.")
            commit = versions[0]["commit_hexsha"]
            return session.annotations_at(commit).get(shortcut.artifact)
        if rev is not None:
            return session.annotations_at(session.resolve(rev)).get(name)
        if as_of is not None:
            then = branch_commit(session, moment(session, as_of).at)
            if then is None:
                return None  # the branch had no commit yet
            session.prefetch([then])
            return session.annotations_at(then).get(name)
        return session.worktree_annotations().get(name)
