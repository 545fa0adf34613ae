"""The public Python API: the functions behind every command. It returns data and never prints.

`repo` is a path (the work tree, any folder inside it, or a bare repository).
Each call opens the repository once, reads each tag object at most once, and
reads `.gto` and each distinct `artifacts.yaml` blob once.
"""

from __future__ import annotations

from typing import Any

from gto.annotations import Annotation
from gto.events import Assignment, Event, Registration, TagEvent
from gto.exceptions import ArtifactNotFound, GTOException, RepoError, ValidationError, WrongArgs
from gto.replay import replay
from gto.session import RepoLike, Session
from gto.state import Artifact, Registry, Version, VersionSort, VStage, check_limits
from gto.tags import (
    Action,
    Shortcut,
    check_name,
    parse_shortcut,
    shortcut_mistake,
    try_parse_tag,
)
from gto.tags import parse_tag as _parse_tag
from gto.views import (
    artifact_versions,
    history_rows,
    history_view,
    registry_rows,
    registry_stage_names,
    registry_view,
    version_dict,
    version_rows,
)

__all__ = [
    "VersionSort",
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
    "parse_tag",
    "register",
    "remove",
    "show",
    "unassign",
]


def _artifact(registry: Registry, name: str) -> Artifact:
    artifact = registry.find_artifact(name)
    if artifact is None:
        raise ArtifactNotFound(name)
    return artifact


def _sort(sort: VersionSort | str) -> VersionSort:
    try:
        return VersionSort(sort)
    except ValueError:
        raise WrongArgs(f"Only one of ['timestamp', 'semver'] is allowed, got '{sort}'") from None


def _get_state(
    repo: RepoLike, *, all_branches: bool = False, all_commits: bool = False
) -> Registry:
    return Session.open(repo).registry(all_branches=all_branches, all_commits=all_commits)


def _is_gto_repo(repo: RepoLike) -> bool:
    session = Session.open(repo)
    if session.git.workdir is not None and (
        (session.git.workdir / ".gto").exists()
        or (session.git.workdir / session.config.index).exists()
    ):
        return True
    return bool(session.registry().artifacts)


def parse_tag(name: str) -> dict[str, Any]:
    """The parsed fields of a GTO tag name, with `action` as an Action."""
    parsed = _parse_tag(name)
    result = parsed.to_dict()
    if "action" in result:
        result["action"] = Action(result["action"])
    return result


def show(
    repo: RepoLike,
    name: str | None = None,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.TIMESTAMP,
    table: bool = False,
) -> Any:
    """The registry (no `name`) or one artifact's versions (`name` or a shortcut).

    Returns the registry dict or a list of version dicts; with `table=True`,
    `(rows, "keys")` ready for a table.
    """
    check_limits(assignments_per_version, versions_per_stage)
    session = Session.open(repo)
    options = {
        "registered_only": registered_only,
        "assignments_per_version": assignments_per_version,
        "versions_per_stage": versions_per_stage,
        "sort": _sort(sort),
    }
    if name is None:
        registry = session.registry(all_branches=all_branches, all_commits=all_commits)
        stage_names = registry_stage_names(registry, session.config.stages)
        view = registry_view(registry, stage_names, deprecated=deprecated, **options)  # type: ignore[arg-type]
        if table:
            return registry_rows(view, truncate=truncate_hexsha), "keys"
        return view
    shortcut = parse_shortcut(name)
    if shortcut.stage is not None:
        check_name(shortcut.stage)
    registry = session.registry(
        shortcut.artifact, all_branches=all_branches, all_commits=all_commits
    )
    artifact = registry.find_artifact(shortcut.artifact)
    if artifact is None:
        raise _not_found(session, name)
    listed = _select(
        artifact_versions(artifact, deprecated=deprecated, **options),  # type: ignore[arg-type]
        shortcut,
    )
    if table:
        return version_rows(artifact, listed, truncate=truncate_hexsha), "keys"
    return [version_dict(version, vstages) for version, vstages in listed]


def _not_found(session: Session, name: str) -> GTOException:
    """`churn@v9` when `churn` exists says what is wrong with the shortcut, not "no artifact"."""
    mistake = shortcut_mistake(name)
    if mistake is not None and session.registry(mistake[0]).find_artifact(mistake[0]):
        return ValidationError(mistake[1])
    return ArtifactNotFound(name)


def _select(
    listed: list[tuple[Version, list[VStage]]], shortcut: Shortcut
) -> list[tuple[Version, list[VStage]]]:
    if shortcut.latest:
        return listed[:1]
    if shortcut.version is not None:
        return [item for item in listed if item[0].version == shortcut.version]
    if shortcut.stage is not None:
        # The versions holding the stage, each shown as `show NAME` shows it: all its stages.
        return [item for item in listed if any(s.stage == shortcut.stage for s in item[1])]
    return listed


def history(
    repo: RepoLike,
    artifact: str | None = None,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    ascending: bool = False,
    table: bool = False,
    truncate_hexsha: bool = False,
) -> Any:
    """Every event (tags and version commits), newest first unless `ascending`."""
    registry = Session.open(repo).registry(
        artifact, all_branches=all_branches, all_commits=all_commits
    )
    view = history_view(registry, artifact, ascending=ascending)
    if table:
        return history_rows(view, truncate=truncate_hexsha), "keys"
    return view


def check_ref(repo: RepoLike, ref: str) -> list[Event]:
    """The events a tag created; empty for refs that are not annotated GTO tags.

    Only the tags needed are read: the tag itself, plus the artifact's version
    tags when an assignment has to be resolved to a version.
    """
    name = ref.removeprefix("refs/tags/")
    parsed = try_parse_tag(name)
    if parsed is None or parsed.action is Action.CREATE:
        return []
    session = Session.open(repo)
    if name not in session.git.tag_names():
        return []
    # A GTO tag that exists but cannot be read is damage, not "not ours": a CI job
    # must not skip its deployment silently. Lightweight tags and tags of trees or
    # blobs are simply not GTO events (behaviour reference, Q24).
    problem = session.git.problem_tags([name]).get(name)
    if problem is not None and problem != "lightweight" and not problem.startswith("not a"):
        raise RepoError(f"Tag '{name}' cannot be read: {problem}")
    if parsed.action in (Action.ASSIGN, Action.UNASSIGN):

        def keep(tag: str) -> bool:
            other = try_parse_tag(tag)
            return tag == name or (
                other is not None
                and other.artifact == parsed.artifact
                and other.action in (Action.REGISTER, Action.DEREGISTER)
            )

        events = session.tag_events(keep)
        if not any(e.tag == name for e in events):
            return []
        registry = replay(
            events,
            {sha: session.git.read_commit(sha) for sha in {e.commit_hexsha for e in events}},
            {},
        )
        artifact = _artifact(registry, parsed.artifact)
        return [
            e
            for version in artifact.versions
            for vstage in version.stages.values()
            for e in (*vstage.assignments, *vstage.unassignments)
            if e.tag == name
        ]
    return list(session.tag_events(lambda tag: tag == name))


def find_latest_version(
    repo: RepoLike, name: str, all: bool = False, registered: bool = True
) -> Version | list[Version] | None:
    artifact = _artifact(Session.open(repo).registry(name), name)
    versions = artifact.get_versions(
        include_non_explicit=not registered, include_discovered=not registered
    )
    if all:
        return versions
    return versions[0] if versions else None


def find_versions_in_stage(
    repo: RepoLike,
    name: str,
    stage: str,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    registered_only: bool = False,
) -> list[VStage] | None:
    """Versions holding `stage`, by SemVer (behaviour reference, quirk Q22)."""
    artifact = _artifact(Session.open(repo).registry(name), name)
    holders = artifact.stages(
        registered_only=registered_only,
        assignments_per_version=assignments_per_version,
        versions_per_stage=versions_per_stage,
        sort=VersionSort.SEMVER,
    )
    return holders.get(stage)


def get_stages(repo: RepoLike, allowed: bool = False, used: bool = False) -> list[str] | None:
    """Allowed stages (from config), stages in use, or the first when configured."""
    if allowed and used:
        raise WrongArgs('Either "allowed" or "used" can be set')
    session = Session.open(repo)
    if allowed:
        return None if session.config.stages is None else list(session.config.stages)
    if not used and session.config.stages is not None:
        return list(session.config.stages)
    return session.registry().used_stages()


def describe(repo: RepoLike, name: str, rev: str | None = None) -> Annotation | None:
    """An artifact's annotation from artifacts.yaml, or None when it has none.

    A shortcut (`name@latest`, `name#prod`) reads the file at that version's
    commit; `rev` reads it at a commit; otherwise the work tree is read.
    """
    session = Session.open(repo)
    shortcut = parse_shortcut(name)
    if not shortcut.is_plain:
        if rev is not None:
            raise WrongArgs("Either specify revision or use naming shortcut.")
        versions = show(session, name)
        if not versions:
            return None
        if len(versions) > 1:
            raise WrongArgs("Ambiguous naming shortcut: multiple variants found.")
        return session.index_at(versions[0]["commit_hexsha"]).get(shortcut.artifact)
    if rev is not None:
        return session.index_at(session.resolve(rev)).get(name)
    return session.worktree_index().get(name)


# --- writing: thin wrappers over gto.writes / gto.annotating that return the event --------


def _last(outcome: Any) -> TagEvent | None:
    """The main event a command created (the last tag), or None for `delete=True`."""
    return outcome.created[-1] if outcome.created else None


def register(repo: RepoLike, name: str, ref: str = "HEAD", **options: Any) -> Registration:
    """Register a version; options as `gto.writes.register` (version, bump_*, simple, push,
    author, author_email, ...)."""
    from gto import writes

    event = _last(writes.register(repo, name, ref, **options))
    assert isinstance(event, Registration)
    return event


def assign(repo: RepoLike, name: str, stage: str, **options: Any) -> Assignment:
    """Assign a stage by `version=` or `ref=`; options as `gto.writes.assign`."""
    from gto import writes

    event = _last(writes.assign(repo, name, stage, **options))
    assert isinstance(event, Assignment)
    return event


def unassign(
    repo: RepoLike, name: str, version: str, stage: str, **options: Any
) -> TagEvent | None:
    """Unassign a stage (None with `delete=True`); options as `gto.writes.unassign`."""
    from gto import writes

    return _last(writes.unassign(repo, name, version, stage, **options))


def deregister(repo: RepoLike, name: str, version: str, **options: Any) -> TagEvent | None:
    """Deregister a version (None with `delete=True`); options as `gto.writes.deregister`."""
    from gto import writes

    return _last(writes.deregister(repo, name, version, **options))


def deprecate(repo: RepoLike, name: str, **options: Any) -> TagEvent | None:
    """Deprecate an artifact (None with `delete=True`); options as `gto.writes.deprecate`."""
    from gto import writes

    return _last(writes.deprecate(repo, name, **options))


def annotate(repo: RepoLike, name: str, **options: Any) -> Annotation | None:
    """Create or update an artifact's annotation; options as `gto.annotating.annotate`."""
    from gto import annotating

    return annotating.annotate(repo, name, **options).annotation


def remove(repo: RepoLike, name: str, **options: Any) -> None:
    """Remove an artifact's annotation; options as `gto.annotating.remove`."""
    from gto import annotating

    annotating.remove(repo, name, **options)
