"""The commands that change a registry: register, assign, unassign, deregister, deprecate.

Each command decides everything from the replayed state first (so bad input is
refused before anything is written), then writes tags through gto.git.write inside a
transaction: if a later step fails (another tag, a push), every ref it changed
is put back, so a failing command leaves the repository as it was.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Literal

from gto.core.config import check_stage
from gto.core.events import (
    Assignment,
    Deprecation,
    Deregistration,
    Registration,
    TagEvent,
    Unassignment,
)
from gto.core.state import Artifact, Version
from gto.core.tags import (
    Action,
    check_artifact_name,
    check_name,
    format_tag,
    next_counter,
    try_parse_tag,
)
from gto.core.versions import FIRST_VERSION, Bump, bump, check_version, is_version
from gto.exceptions import (
    ArtifactNotFound,
    GTOException,
    InvalidVersion,
    ManyVersions,
    TagExists,
    VersionAlreadyRegistered,
    VersionExistsForCommit,
    VersionIsOld,
    VersionNotFound,
    VersionRequired,
    WrongArgs,
)
from gto.git import identity as git_identity
from gto.git import write
from gto.git.errors import RefBusy
from gto.git.refs import check_tag_name
from gto.session import RepoLike, Session, opened

Simple = bool | Literal["auto", "true", "false"] | None

# Retries when concurrent writers take the counter we picked (each try re-reads the tags).
_COUNTER_TRIES = 64


@dataclass
class Outcome:
    """What a command did, in order: for the CLI's messages and the API's return value."""

    created: list[TagEvent] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    pushed: bool = False


def _simple(value: Simple, default: bool) -> bool:
    """`auto` (or None) means the action's default (behaviour reference, 1.5)."""
    if value is None or value == "auto":
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise WrongArgs(
        "Invalid value for '--simple': Only one of ['auto', 'true', 'false'] is allowed"
    )


class _Writer:
    """Creates and deletes tags for one command, and undoes them all if the command fails."""

    def __init__(
        self,
        session: Session,
        *,
        author: str | None,
        author_email: str | None,
        push: bool,
    ) -> None:
        self.session = session
        self.git = session.git
        self.environ: Mapping[str, str] = session.environ
        self.push = push
        self._author = author
        self._author_email = author_email
        self._identity: git_identity.Identity | None = None
        self.outcome = Outcome()
        self._created: list[str] = []
        self._deleted: list[tuple[str, str]] = []
        # The artifact's tags when the command decided what to write (see _check_not_repeated).
        self.seen: frozenset[str] = frozenset()

    @property
    def identity(self) -> git_identity.Identity:
        if self._identity is None:
            if self._author and self._author_email:
                self._identity = git_identity.Identity(self._author, self._author_email)
            else:
                found = git_identity.find_identity(self.git, self.environ)
                self._identity = git_identity.Identity(
                    self._author or found.name, self._author_email or found.email
                )
        return self._identity

    def create(
        self,
        name: str | Callable[[int], str],
        *,
        artifact: str,
        commit: str,
        message: str,
        event: Callable[..., TagEvent],
    ) -> TagEvent:
        """Create a tag; a counted name moves on to the next counter on a collision."""
        identity = self.identity
        if callable(name):
            tag, when = self._create_counted(name, artifact, commit, message, identity)
        else:
            tag, when = name, git_identity.now(self.environ)
            write.create_tag(self.git, tag, commit, message, identity, when)
        self._created.append(tag)
        parsed = try_parse_tag(tag)
        created = event(
            artifact=artifact,
            created_at=datetime.fromtimestamp(when[0], timezone(timedelta(seconds=when[1]))),
            author=identity.name,
            author_email=identity.email,
            message=message,
            commit_hexsha=commit,
            tag=tag,
            counter=None if parsed is None else parsed.counter,
        )
        self.outcome.created.append(created)
        return created

    def _create_counted(
        self,
        name: Callable[[int], str],
        artifact: str,
        commit: str,
        message: str,
        identity: git_identity.Identity,
    ) -> tuple[str, tuple[int, int]]:
        """Create `name(N)`, N one above every counter of the artifact (reference, 1.4).

        The ref lock only stops two writers of one name; two writers can still pick
        the same N for different names (`m#dev#3`, `m#prod#3`). So each writer looks
        again after creating its tag, and backs off if another tag of the artifact
        has N too: of two such tags the later one always sees the earlier one. A name
        whose lock file exists (a writer at work, or one killed at work) is taken
        too. Each try takes the time anew, so a higher counter is never dated before
        a lower one that another writer made meanwhile.
        """
        counter = next_counter(self.git.tag_names(), artifact)
        for attempt in range(_COUNTER_TRIES):
            tag = name(counter)
            when = git_identity.now(self.environ)
            try:
                write.create_tag(self.git, tag, commit, message, identity, when, wait=False)
            except (TagExists, RefBusy):
                counter = max(counter + 1, next_counter(self.git.tag_names(), artifact))
                continue
            names = self.git.tag_names()
            if not _counter_taken(names, artifact, counter, tag):
                return tag, when
            write.delete_tag(self.git, tag)
            # Writers that backed off together would pick the same N again: spread them.
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
            counter = max(counter + 1, next_counter(self.git.tag_names(), artifact))
        raise TagExists(name(counter))

    def delete(self, tag: str) -> None:
        self._deleted.append((tag, write.delete_tag(self.git, tag)))

    def finish(self) -> None:
        if not self.push:
            return
        refspecs: list[tuple[str | None, str]] = [
            (f"refs/tags/{t}", f"refs/tags/{t}") for t in self._created
        ]
        refspecs += [(None, f"refs/tags/{t}") for t, _ in self._deleted]
        self.session.push(refspecs)
        self.outcome.pushed = True

    def rollback(self) -> None:
        for tag in reversed(self._created):
            with contextlib.suppress(GTOException):  # someone removed it already
                write.delete_tag(self.git, tag)
        for tag, object_id in reversed(self._deleted):
            write.restore_tag(self.git, tag, object_id)


def _counter_taken(names: list[str], artifact: str, counter: int, mine: str) -> bool:
    """Whether a tag other than `mine` carries the artifact's `counter`."""
    for other in names:
        parsed = try_parse_tag(other)
        if (
            other != mine
            and parsed is not None
            and parsed.artifact == artifact
            and parsed.counter == counter
        ):
            return True
    return False


@contextmanager
def _writing(
    repo: RepoLike, *, author: str | None, author_email: str | None, push: bool
) -> Iterator[_Writer]:
    # A remote's cache stays locked until the push, and remote writes always push
    # (behaviour reference, 6).
    with opened(repo, for_writing=True) as session:
        writer = _Writer(
            session, author=author, author_email=author_email, push=push or session.always_pushes
        )
        try:
            yield writer
            writer.finish()
        except BaseException:
            writer.rollback()
            raise


def _artifact(writer: _Writer, name: str) -> Artifact | None:
    found = writer.session.registry(name).find_artifact(name)
    events = found.events() if found is not None else []
    writer.seen = frozenset(e.tag for e in events if isinstance(e, TagEvent))
    return found


def _check_not_repeated(writer: _Writer, created: TagEvent, stage: str, error: str) -> None:
    """Fail (so the tag is taken back) if another writer made the same stage change first.

    Two `deprecate NAME V STAGE` at once would both find the stage active and both write
    an unassignment; run one after the other, the second is refused. So after writing,
    a stage tag looks for a tag of the same kind, stage and commit that was not there when
    the command decided, with a lower counter (made first): the later writer backs off.
    """
    mine = try_parse_tag(created.tag)
    if mine is None or mine.counter is None:
        return  # a simple tag: two writers of one name already exclude each other
    rivals = []
    for name in writer.git.tag_names():
        other = try_parse_tag(name)
        if (
            name not in writer.seen
            and name != created.tag
            and other is not None
            and (other.artifact, other.action, other.stage) == (mine.artifact, mine.action, stage)
            and other.counter is not None
            and other.counter < mine.counter
        ):
            rivals.append(name)
    if any(r.commit == created.commit_hexsha for r in writer.git.read_tags(rivals)):
        raise VersionIsOld(error)


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


def _register(
    writer: _Writer,
    artifact: Artifact | None,
    name: str,
    commit: str,
    *,
    version: str | None,
    part: Bump | None,
    message: str | None,
    simple: bool,
    force: bool,
    attempts: int = _COUNTER_TRIES,
) -> Registration:
    """Register `commit`, safe against other gto processes registering at the same time.

    A bumped version name that another writer takes meanwhile is bumped again; a
    registration that finds another version appeared on its commit meanwhile takes
    itself back, so no commit ends up with two versions.
    """
    requested = version
    existing = _one_version_at(artifact, commit)
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
    assert version is not None
    final = version
    try:
        event = writer.create(
            format_tag(name, Action.REGISTER, version=final)
            if simple
            else (lambda n: format_tag(name, Action.REGISTER, version=final, counter=n)),
            artifact=name,
            commit=commit,
            message=message or f"Registering artifact {name} version {final}",
            event=lambda **kw: Registration(version=final, **kw),
        )
    except TagExists:
        if requested is not None or existing is not None or attempts <= 1:
            raise
        fresh = writer.session.registry(name).find_artifact(name)
        return _register(
            writer,
            fresh,
            name,
            commit,
            version=None,
            part=part,
            message=message,
            simple=simple,
            force=force,
            attempts=attempts - 1,
        )
    assert isinstance(event, Registration)
    if existing is None:
        _check_alone(writer, name, commit, final)
    return event


def _check_alone(writer: _Writer, name: str, commit: str, version: str) -> None:
    """Fail (and so roll back) if another version was registered on `commit` meanwhile."""
    artifact = writer.session.registry(name).find_artifact(name)
    others = [v.version for v in _versions_at(artifact, commit) if v.version != version]
    if others:
        raise VersionExistsForCommit(name, others[0])


def _check_input(
    name: str, action: Action, *, stage: str | None = None, version: str | None = None
) -> None:
    """Refuse bad names and versions before the repository is opened, so nothing is written.

    The grammar lets a `dirname:` prefix hold '..' or '.lock' and a name be any length,
    which git cannot store in a tag name: a tag of the kind the command writes shows it.
    """
    check_artifact_name(name)
    if stage is not None:
        check_name(stage)
    if version is not None and not is_version(version):
        if action is Action.REGISTER:
            raise InvalidVersion(f"Supplied version '{version}' cannot be parsed")
        check_version(version)
    counter = 1 if action in (Action.ASSIGN, Action.UNASSIGN) else None
    sample = (version or FIRST_VERSION) if action in (Action.REGISTER, Action.DEREGISTER) else None
    check_tag_name(format_tag(name, action, stage=stage, version=sample, counter=counter))


def _bump_part(bump_major: bool, bump_minor: bool, bump_patch: bool) -> Bump | None:
    if bump_major:
        return "major"
    if bump_minor:
        return "minor"
    return "patch" if bump_patch else None


def register(
    repo: RepoLike,
    name: str,
    ref: str = "HEAD",
    version: str | None = None,
    message: str | None = None,
    simple: Simple = None,
    force: bool = False,
    bump_major: bool = False,
    bump_minor: bool = False,
    bump_patch: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
) -> Outcome:
    """Tag a commit as a new version of an artifact (behaviour reference, 4.1)."""
    _check_input(name, Action.REGISTER, version=version)
    if sum(bool(x) for x in (version, bump_major, bump_minor, bump_patch)) > 1:
        raise WrongArgs("Need to specify either version or single bump argument")
    with _writing(repo, author=author, author_email=author_email, push=push) as writer:
        commit = writer.session.resolve(ref)
        _register(
            writer,
            _artifact(writer, name),
            name,
            commit,
            version=version,
            part=_bump_part(bump_major, bump_minor, bump_patch),
            message=message,
            simple=_simple(simple, True),
            force=force,
        )
    return writer.outcome


def assign(
    repo: RepoLike,
    name: str,
    stage: str,
    version: str | None = None,
    ref: str | None = None,
    name_version: str | None = None,
    message: str | None = None,
    simple: Simple = None,
    force: bool = False,
    push: bool = False,
    skip_registration: bool = False,
    author: str | None = None,
    author_email: str | None = None,
) -> Outcome:
    """Assign a stage to a version given by name, or to the version at a ref (4.2).

    With a ref that has no version yet, the ref is registered first (as
    `name_version`, or the next bumped version) unless `skip_registration`.
    """
    _check_input(name, Action.ASSIGN, stage=stage, version=version)
    if name_version is not None:
        _check_input(name, Action.REGISTER, version=name_version)
    if version is not None and ref is not None:
        raise WrongArgs("One and only one of (version, ref) must be specified.")
    if (name_version or version) and skip_registration:
        raise WrongArgs("You either need to supply version name or skip registration")
    with _writing(repo, author=author, author_email=author_email, push=push) as writer:
        check_stage(writer.session.config, stage)
        artifact = _artifact(writer, name)
        target: Version | None
        if version is not None:
            check_version(version)
            target = artifact.find_version(version) if artifact else None
            if target is None or target.discovered:
                raise VersionIsOld(f"Version '{version}' is not registered")
            commit, version_name = target.commit_hexsha, target.version
        else:
            commit = writer.session.resolve(ref or "HEAD")
            target = _one_version_at(artifact, commit)
            if target is not None:
                if name_version is not None and name_version != target.version:
                    raise WrongArgs(
                        f"Can't register '{name_version}', since '{target.version}' "
                        "is registered already at this ref"
                    )
                version_name = target.version
            elif skip_registration:
                version_name = commit
                unregistered = artifact.versions_at(commit) if artifact else []
                target = unregistered[0] if unregistered else None
            else:
                version_name = _register(
                    writer,
                    artifact,
                    name,
                    commit,
                    version=name_version,
                    part=None,
                    message=None,
                    simple=True,
                    force=False,
                ).version
        if not force and target is not None:
            vstage = target.stages.get(stage)
            if vstage is not None and vstage.is_active:
                raise VersionIsOld(_already_in_stage(version_name, stage))
        created = writer.create(
            format_tag(name, Action.ASSIGN, stage=stage)
            if _simple(simple, False)
            else (lambda n: format_tag(name, Action.ASSIGN, stage=stage, counter=n)),
            artifact=name,
            commit=commit,
            message=message or f"Assigning stage {stage} to artifact {name} version {version_name}",
            event=lambda **kw: Assignment(version=version_name, stage=stage, **kw),
        )
        if not force:
            _check_not_repeated(writer, created, stage, _already_in_stage(version_name, stage))
    return writer.outcome


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


def _find_version(writer: _Writer, name: str, version: str | None, ref: str | None) -> Version:
    """The version named `version`, or the one registered at the commit `ref` names."""
    if (version is None) == (ref is None):
        raise WrongArgs("One and only one of (version, ref) must be specified.")
    artifact = _artifact(writer, name)
    if artifact is None:
        raise ArtifactNotFound(name)
    if ref is not None:
        found = _one_version_at(artifact, writer.session.resolve(ref))
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
    """Stage tags go first and registrations last (see _delete_all)."""
    if isinstance(event, Registration):
        return 3
    if isinstance(event, Deregistration):
        return 2
    return 1 if isinstance(event, Deprecation) else 0


def _delete_all(writer: _Writer, events: list[TagEvent]) -> None:
    """Delete the tags of `events`, the version (registration) tags last.

    A kill part-way then leaves the version registered with some of its tags, and the
    same command run again deletes the rest; deleting the registration first (upstream
    deletes oldest first) would leave stage tags that no version owns. The tags are
    reported oldest first, as upstream does.
    """
    order = sorted(events, key=lambda e: (_deletion_rank(e), -e.created_at.timestamp()))
    for event in order:
        writer.delete(event.tag)
    writer.outcome.deleted.extend(e.tag for e in sorted(events, key=lambda e: e.created_at))


def unassign(
    repo: RepoLike,
    name: str,
    version: str | None,
    stage: str,
    message: str | None = None,
    simple: Simple = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    ref: str | None = None,
) -> Outcome:
    """Take a stage away from a version (by name or `ref`): a `#stage!` tag, or delete its tags."""
    _check_input(name, Action.UNASSIGN, stage=stage, version=version)
    with _writing(repo, author=author, author_email=author_email, push=push) as writer:
        check_stage(writer.session.config, stage)
        found = _find_version(writer, name, version, ref)
        version_name = found.version
        vstage = found.stages.get(stage)
        if vstage is None:
            raise VersionIsOld(f"Stage '{stage}' is not assigned to a version '{version_name}'")
        if not vstage.is_active and not force and not delete:
            raise VersionIsOld(_unassigned_already(version_name, stage))
        if delete:
            _delete_all(writer, [*vstage.assignments, *vstage.unassignments])
        else:
            created = writer.create(
                format_tag(name, Action.UNASSIGN, stage=stage)
                if _simple(simple, False)
                else (lambda n: format_tag(name, Action.UNASSIGN, stage=stage, counter=n)),
                artifact=name,
                commit=found.commit_hexsha,
                message=message
                or f"Unassigning stage '{stage}' to artifact '{name}' version '{version_name}'",
                event=lambda **kw: Unassignment(version=version_name, stage=stage, **kw),
            )
            if not force:
                error = _unassigned_already(version_name, stage)
                _check_not_repeated(writer, created, stage, error)
    return writer.outcome


def deregister(
    repo: RepoLike,
    name: str,
    version: str | None,
    message: str | None = None,
    simple: Simple = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
    *,
    ref: str | None = None,
) -> Outcome:
    """Withdraw a version (by name or `ref`): a `@v!` tag, or delete every tag of the version."""
    _check_input(name, Action.DEREGISTER, version=version)
    with _writing(repo, author=author, author_email=author_email, push=push) as writer:
        found = _find_version(writer, name, version, ref)
        version_name = found.version
        if not force:
            if not found.is_registered:
                raise VersionIsOld(f"The version at ref '{found.commit_hexsha}' is not registered")
            if not found.is_active:
                raise VersionIsOld(
                    f"The version at ref '{found.commit_hexsha}' was deregistered already"
                )
        if delete:
            _delete_all(writer, [*found.registrations, *found.deregistrations, *found.stage_events])
        else:
            writer.create(
                format_tag(name, Action.DEREGISTER, version=version_name)
                if _simple(simple, True)
                else (
                    lambda n: format_tag(name, Action.DEREGISTER, version=version_name, counter=n)
                ),
                artifact=name,
                commit=found.commit_hexsha,
                message=message or f"Deregistering artifact {name} version {version_name}",
                event=lambda **kw: Deregistration(version=version_name, **kw),
            )
    return writer.outcome


def deprecate(
    repo: RepoLike,
    name: str,
    ref: str | None = None,
    message: str | None = None,
    simple: Simple = None,
    force: bool = False,
    delete: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
) -> Outcome:
    """Deprecate an artifact: an `@deprecated` tag, or delete every tag of the artifact."""
    _check_input(name, Action.DEPRECATE)
    if force and simple in (True, "true"):
        raise WrongArgs("Can't use 'force' with 'simple=True'")
    with _writing(repo, author=author, author_email=author_email, push=push) as writer:
        artifact = _artifact(writer, name)
        if not force:
            if artifact is None:
                raise ArtifactNotFound(name)
            if not artifact.is_active:
                raise VersionIsOld("Artifact was deprecated already")
        if delete:
            if artifact is None:
                raise ArtifactNotFound(name)
            _delete_all(writer, [e for e in artifact.events() if isinstance(e, TagEvent)])
        else:
            if ref is not None:
                commit = writer.session.resolve(ref)
            elif artifact is not None:
                latest = max(artifact.events(), key=lambda e: e.created_at)
                commit = latest.commit_hexsha
            else:
                commit = writer.session.resolve("HEAD")
            incremental = force or not _simple(simple, True)
            writer.create(
                (lambda n: format_tag(name, Action.DEPRECATE, counter=n))
                if incremental
                else format_tag(name, Action.DEPRECATE),
                artifact=name,
                commit=commit,
                message=message or f"Deprecating artifact '{name}'",
                event=Deprecation,
            )
    return writer.outcome
