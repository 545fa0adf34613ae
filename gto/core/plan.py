"""Writes decided: (the replayed artifact, a request) -> tags to create and delete, or the error.

Nothing here reads git or the clock: a request carries the revision the user named
and, once the caller resolved it, its commit (or the error resolving it gave, raised
where the decision needs it, so errors come in the order upstream gives them). The
plan says which tags to make, in which order, with which message, and what to check
once they exist (gto.core.requests). gto.git.transaction applies a plan; gto.api's
writes replay, plan and apply, and plan again when a concurrent writer took the
version name they chose.
"""

from __future__ import annotations

from collections.abc import Sequence

from gto.core.events import Deprecation, Deregistration, Registration, TagEvent
from gto.core.requests import (
    ONE_OF,
    Assign,
    Deprecate,
    Deregister,
    NewTag,
    Plan,
    Register,
    Request,
    Resolved,
    Unassign,
    WriteOptions,
    wants_simple,
)
from gto.core.state import Artifact, Version
from gto.core.tags import Action
from gto.core.versions import FIRST_VERSION, Bump, bump, check_version, is_version
from gto.exceptions import (
    ArtifactNotFound,
    GTOException,
    InvalidVersion,
    ManyVersions,
    VersionAlreadyRegistered,
    VersionExistsForCommit,
    VersionIsOld,
    VersionNotFound,
    VersionRequired,
    WrongArgs,
)

__all__ = ["other_versions_at", "plan"]


def _commit(resolved: Resolved | None) -> str:
    """The resolved commit; the error resolving it gave is raised now, where it is needed."""
    assert resolved is not None, "resolve revision(request) before planning"
    if isinstance(resolved, GTOException):
        raise resolved
    return resolved


def _versions_at(artifact: Artifact | None, commit: str) -> list[Version]:
    """Versions with a registration or deregistration on `commit`."""
    if artifact is None:
        return []
    return [v for v in artifact.versions_at(commit) if not v.discovered]


def _one_version_at(artifact: Artifact | None, commit: str) -> Version | None:
    found = _versions_at(artifact, commit)
    if len(found) > 1:
        raise ManyVersions(found[0].artifact, [v.version for v in found])
    return found[0] if found else None


def other_versions_at(artifact: Artifact | None, commit: str, version: str) -> list[str]:
    """Versions other than `version` registered on `commit` (one appeared meanwhile)."""
    return [v.version for v in _versions_at(artifact, commit) if v.version != version]


def _next_version(artifact: Artifact | None, part: Bump | None) -> str:
    """Bump the greatest active registered version, skipping names already taken.

    Upstream fails with "tag already exists" when the bump lands on a deregistered
    version (quirk Q9); moving on to the next free name is what a user wants.
    """
    latest = artifact.latest_version() if artifact else None
    if latest is None:
        if part is not None:
            raise WrongArgs("Can't apply bump, because this is the first version being registered")
        candidate = FIRST_VERSION
    else:
        candidate = bump(latest.version, part or "patch")
    taken = {v.version for v in artifact.versions} if artifact else set()
    while candidate in taken:
        candidate = bump(candidate, part or "patch")
    return candidate


def _registration(
    artifact: Artifact | None,
    name: str,
    commit: str,
    *,
    version: str | None,
    part: Bump | None,
    message: str | None,
    simple: bool,
    force: bool,
) -> NewTag:
    """The registration of `commit` (its version named, kept, or bumped)."""
    existing = _one_version_at(artifact, commit)
    requested = version
    if existing is not None:
        if existing.is_registered and existing.is_active and not force:
            raise VersionExistsForCommit(name, existing.version)
        if version is None:
            version = existing.version
        elif version != existing.version:
            raise WrongArgs(f"For this REF you can only register {existing.version}")
    if version is not None:
        if not is_version(version):
            raise InvalidVersion(f"Supplied version '{version}' cannot be parsed")
        other = artifact.find_version(version) if artifact else None
        if other is not None and other.commit_hexsha != commit:
            raise VersionAlreadyRegistered(version)
    else:
        version = _next_version(artifact, part)
    return NewTag(
        name,
        Action.REGISTER,
        commit,
        message or f"Registering artifact {name} version {version}",
        version=version,
        counted=not simple,
        check="alone" if existing is None else None,
        rebump=requested is None and existing is None,
    )


def _already_in_stage(version: str, stage: str) -> str:
    return (
        f"Version '{version}' is already in stage '{stage}'. "
        "Use the '--force' flag to create a new Git tag nevertheless."
    )


def _unassigned_already(version: str, stage: str) -> str:
    # Upstream only checks "ever assigned", so repeating an unassign writes extra tags
    # (quirk Q6); we ask for --force for that.
    return (
        f"Stage '{stage}' of version '{version}' is unassigned already. "
        "Use the '--force' flag to create a new Git tag nevertheless."
    )


def _plan_register(artifact: Artifact | None, request: Register, options: WriteOptions) -> Plan:
    tag = _registration(
        artifact,
        request.name,
        _commit(request.commit),
        version=request.version,
        part=request.bump[0] if request.bump else None,
        message=options.message,
        simple=wants_simple(options.simple, True),
        force=options.force,
    )
    return Plan(create=(tag,))


def _plan_assign(artifact: Artifact | None, request: Assign, options: WriteOptions) -> Plan:
    name, stage = request.name, request.stage
    target: Version | None
    first: tuple[NewTag, ...] = ()
    if request.version is not None:
        check_version(request.version)
        target = artifact.find_version(request.version) if artifact else None
        if target is None or target.discovered:
            raise VersionIsOld(f"Version '{request.version}' is not registered")
        commit, version_name = target.commit_hexsha, target.version
    else:
        commit = _commit(request.commit)
        target = _one_version_at(artifact, commit)
        if target is not None:
            if request.name_version is not None and request.name_version != target.version:
                raise WrongArgs(
                    f"Can't register '{request.name_version}', since '{target.version}' "
                    "is registered already at this ref"
                )
            version_name = target.version
        elif request.skip_registration:
            version_name = commit
            unregistered = artifact.versions_at(commit) if artifact else []
            target = unregistered[0] if unregistered else None
        else:
            registration = _registration(
                artifact,
                name,
                commit,
                version=request.name_version,
                part=None,
                message=None,
                simple=True,
                force=False,
            )
            first, version_name = (registration,), registration.version or ""
    if not options.force and target is not None:
        vstage = target.stages.get(stage)
        if vstage is not None and vstage.is_active:
            raise VersionIsOld(_already_in_stage(version_name, stage))
    assignment = NewTag(
        name,
        Action.ASSIGN,
        commit,
        options.message or f"Assigning stage {stage} to artifact {name} version {version_name}",
        version=version_name,
        stage=stage,
        counted=not wants_simple(options.simple, False),
        check=None if options.force else "not-repeated",
        repeat=_already_in_stage(version_name, stage),
    )
    return Plan(create=(*first, assignment))


def _find_version(artifact: Artifact | None, request: Unassign | Deregister) -> Version:
    """The version named `version`, or the one registered at the commit of `ref`."""
    name, version = request.name, request.version
    if (version is None) == (request.ref is None):
        raise WrongArgs(ONE_OF)
    if artifact is None:
        raise ArtifactNotFound(name)
    if request.ref is not None:
        found = _one_version_at(artifact, _commit(request.commit))
        if found is None:
            raise VersionRequired(name)
        return found
    assert version is not None
    check_version(version)
    named = artifact.find_version(version)
    if named is None:
        raise VersionNotFound(name, version)
    return named


def _deletion_rank(event: TagEvent) -> int:
    """Stage tags go first and registrations last (see `_deletion`)."""
    if isinstance(event, Registration):
        return 3
    if isinstance(event, Deregistration):
        return 2
    return 1 if isinstance(event, Deprecation) else 0


def _deletion(events: Sequence[TagEvent]) -> Plan:
    """Delete the tags of `events`, the version (registration) tags last.

    A kill part-way then leaves the version registered with some of its tags, and the
    same command run again deletes the rest; deleting the registration first (upstream
    deletes oldest first) would leave stage tags that no version owns.
    """
    order = sorted(events, key=lambda e: (_deletion_rank(e), -e.created_at.timestamp()))
    reported = sorted(events, key=lambda e: e.created_at)
    return Plan(delete=tuple(e.tag for e in order), deleted=tuple(e.tag for e in reported))


def _plan_unassign(artifact: Artifact | None, request: Unassign, options: WriteOptions) -> Plan:
    name, stage = request.name, request.stage
    found = _find_version(artifact, request)
    version_name = found.version
    vstage = found.stages.get(stage)
    if vstage is None:
        raise VersionIsOld(f"Stage '{stage}' is not assigned to a version '{version_name}'")
    if not vstage.is_active and not options.force and not request.delete:
        raise VersionIsOld(_unassigned_already(version_name, stage))
    if request.delete:
        return _deletion([*vstage.assignments, *vstage.unassignments])
    tag = NewTag(
        name,
        Action.UNASSIGN,
        found.commit_hexsha,
        options.message
        or f"Unassigning stage '{stage}' to artifact '{name}' version '{version_name}'",
        version=version_name,
        stage=stage,
        counted=not wants_simple(options.simple, False),
        check=None if options.force else "not-repeated",
        repeat=_unassigned_already(version_name, stage),
    )
    return Plan(create=(tag,))


def _plan_deregister(artifact: Artifact | None, request: Deregister, options: WriteOptions) -> Plan:
    name = request.name
    found = _find_version(artifact, request)
    if not options.force:
        if not found.is_registered:
            raise VersionIsOld(f"The version at ref '{found.commit_hexsha}' is not registered")
        if not found.is_active:
            raise VersionIsOld(
                f"The version at ref '{found.commit_hexsha}' was deregistered already"
            )
    if request.delete:
        return _deletion([*found.registrations, *found.deregistrations, *found.stage_events])
    tag = NewTag(
        name,
        Action.DEREGISTER,
        found.commit_hexsha,
        options.message or f"Deregistering artifact {name} version {found.version}",
        version=found.version,
        counted=not wants_simple(options.simple, True),
    )
    return Plan(create=(tag,))


def _plan_deprecate(artifact: Artifact | None, request: Deprecate, options: WriteOptions) -> Plan:
    name = request.name
    if not options.force:
        if artifact is None:
            raise ArtifactNotFound(name)
        if not artifact.is_active:
            raise VersionIsOld("Artifact was deprecated already")
    if request.delete:
        if artifact is None:
            raise ArtifactNotFound(name)
        return _deletion([e for e in artifact.events() if isinstance(e, TagEvent)])
    if request.ref is not None or artifact is None:
        commit = _commit(request.commit)
    else:
        commit = max(artifact.events(), key=lambda e: e.created_at).commit_hexsha
    tag = NewTag(
        name,
        Action.DEPRECATE,
        commit,
        options.message or f"Deprecating artifact '{name}'",
        counted=options.force or not wants_simple(options.simple, True),
    )
    return Plan(create=(tag,))


def plan(artifact: Artifact | None, request: Request, options: WriteOptions) -> Plan:
    """The tags `request` creates and deletes, given the artifact as replayed now.

    >>> plan(None, Register("churn", commit="c" * 40), WriteOptions()).create[0].tag_name(1)
    'churn@v0.0.1'

    Raises:
        GTOException: the request cannot be made (with upstream's class and words).
    """
    if isinstance(request, Register):
        return _plan_register(artifact, request, options)
    if isinstance(request, Assign):
        return _plan_assign(artifact, request, options)
    if isinstance(request, Unassign):
        return _plan_unassign(artifact, request, options)
    if isinstance(request, Deregister):
        return _plan_deregister(artifact, request, options)
    return _plan_deprecate(artifact, request, options)
