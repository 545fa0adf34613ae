"""Replay: fold tag events (and commits) into a Registry. Every replay rule lives here.

Pure: the caller reads git and hands in tag events, the commits they point to
and the annotations found at those commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter

from gto.core.annotations import Annotation
from gto.core.events import (
    Assignment,
    Deprecation,
    Deregistration,
    OrderKey,
    Registration,
    TagEvent,
    Unassignment,
    sorted_by_order,
)
from gto.core.state import Artifact, Registry, Version, VStage
from gto.core.tags import CommitRecord
from gto.exceptions import ManyVersions

# Deprecations first, then version events, then stage events (the `group` of each kind):
# every registration is known before an assignment is resolved to a version (behaviour
# reference, 2.3).
_group = attrgetter("group")

Annotations = Mapping[str, Mapping[str, Annotation]]


def replay_order(event: TagEvent) -> tuple[int, OrderKey]:
    """The order replay applies tag events in; `check-ref` uses it to tell what came before.

    Within a group, `Event.order_key`: time, then within one second the counters.
    """
    return (event.group, event.order_key)


@dataclass(slots=True)
class _StageDraft:
    assignments: list[Assignment] = field(default_factory=list)
    unassignments: list[Unassignment] = field(default_factory=list)


@dataclass(slots=True)
class _VersionDraft:
    name: str
    commit: str
    registrations: list[Registration] = field(default_factory=list)
    deregistrations: list[Deregistration] = field(default_factory=list)
    stages: dict[str, _StageDraft] = field(default_factory=dict)


@dataclass
class _ArtifactDraft:
    name: str
    versions: dict[tuple[str, str], _VersionDraft] = field(default_factory=dict)
    by_commit: dict[str, list[_VersionDraft]] = field(default_factory=dict)
    direct_by_commit: dict[str, list[_VersionDraft]] = field(default_factory=dict)
    deprecations: list[Deprecation] = field(default_factory=list)

    def version(self, name: str, commit: str) -> _VersionDraft:
        key = (name, commit)
        draft = self.versions.get(key)
        if draft is None:
            draft = self.versions[key] = _VersionDraft(name, commit)
            self.by_commit.setdefault(commit, []).append(draft)
        return draft

    def direct_version(self, name: str, commit: str) -> _VersionDraft:
        """A version that a registration or deregistration names."""
        draft = self.version(name, commit)
        direct = self.direct_by_commit.setdefault(commit, [])
        if draft not in direct:
            direct.append(draft)
        return draft

    def version_at(self, commit: str) -> _VersionDraft:
        """The version a stage tag on `commit` belongs to (behaviour reference, 2.4).

        Unregistered versions are named by the full commit hexsha, one per commit.
        """
        direct = self.direct_by_commit.get(commit, ())
        if len(direct) > 1:
            raise ManyVersions(self.name, [v.name for v in direct])
        return direct[0] if direct else self.version(commit, commit)

    def apply(self, event: TagEvent) -> None:
        match event:
            case Deprecation():
                self.deprecations.append(event)
            case Registration():
                self.direct_version(event.version, event.commit_hexsha).registrations.append(event)
            case Deregistration():
                draft = self.direct_version(event.version, event.commit_hexsha)
                draft.deregistrations.append(event)
            case Assignment():
                draft = self.version_at(event.commit_hexsha)
                stage = draft.stages.setdefault(event.stage, _StageDraft())
                stage.assignments.append(event.with_version(draft.name))
            case Unassignment():
                draft = self.version_at(event.commit_hexsha)
                stage = draft.stages.setdefault(event.stage, _StageDraft())
                stage.unassignments.append(event.with_version(draft.name))


def replay(
    events: Iterable[TagEvent],
    commits: Mapping[str, CommitRecord],
    annotations: Annotations,
    discovery: Sequence[str] = (),
) -> Registry:
    """Build the registry.

    Args:
        events: tag events in any order; they are sorted here.
        commits: every commit a version can be on (tag targets and `discovery`).
        annotations: artifacts.yaml content per commit; a missing commit means no file.
        discovery: commits whose artifacts.yaml entries become versions too (HEAD by
            default, branch heads or all commits with `-a`/`-A`).
    """
    # Artifacts never share state: each one's events are sorted and replayed in turn, so
    # that its drafts are small and at hand rather than spread over the whole registry's
    # (at 200,000 tags, a fifth of the time of one replay of every event in order).
    by_artifact: dict[str, list[TagEvent]] = {}
    for event in events:
        by_artifact.setdefault(event.artifact, []).append(event)
    ordered = {name: sorted_by_order(found, _group) for name, found in by_artifact.items()}
    del by_artifact
    # Artifacts listed in artifacts.yaml get a version at each discovery commit (2.5).
    discovered: dict[str, list[str]] = {}
    for commit in discovery:
        for name in annotations.get(commit, {}):
            discovered.setdefault(name, []).append(commit)
    # The order one replay of every event would first meet each artifact in (the JSON key
    # order): by its first event, then those only artifacts.yaml lists.
    first_met = sorted(ordered, key=lambda name: replay_order(ordered[name][0]))
    first_met += [name for name in discovered if name not in ordered]
    drafts = {}
    stopped: list[tuple[tuple[int, OrderKey], ManyVersions]] = []
    for name in first_met:
        draft = drafts[name] = _ArtifactDraft(name)
        for event in ordered.pop(name, ()):
            try:
                draft.apply(event)
            except ManyVersions as error:
                stopped.append((replay_order(event), error))
                break
        for commit in discovered.get(name, ()):
            if not draft.by_commit.get(commit):
                draft.version(commit, commit)
    if stopped:  # the error one replay of every event in order would have stopped at
        raise min(stopped, key=itemgetter(0))[1]
    # Each artifact's drafts go once it is frozen: both are never held whole at once.
    return Registry(
        {name: _freeze(drafts.pop(name), commits, annotations) for name in list(drafts)}
    )


def _freeze(
    draft: _ArtifactDraft, commits: Mapping[str, CommitRecord], annotations: Annotations
) -> Artifact:
    name = draft.name
    versions = []
    for v in draft.versions.values():
        # Looked up now: a broken artifacts.yaml at any version's commit stops the command.
        annotation = annotations.get(v.commit, {}).get(name)
        stages = {
            stage: VStage(
                name, v.name, stage, v.commit, tuple(s.assignments), tuple(s.unassignments)
            )
            for stage, s in v.stages.items()
        }
        versions.append(
            Version(
                name,
                v.name,
                v.commit,
                tuple(v.registrations),
                tuple(v.deregistrations),
                stages,
                commits[v.commit],
                annotation,
            )
        )
    return Artifact(name, tuple(versions), tuple(draft.deprecations))
