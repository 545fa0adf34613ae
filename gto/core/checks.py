"""Registry health checks for `gto doctor`: pure functions over tags, events and state.

Each check returns Problems naming the tags involved, so a team can find and fix
(or delete) exactly those tags.
"""

from __future__ import annotations

import re
import shlex
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise

from gto.core.events import Assignment, Deregistration, Registration, TagEvent, Unassignment
from gto.core.skips import LIGHTWEIGHT, is_renamed
from gto.core.state import Registry
from gto.core.tags import Action, check_artifact_name, tag_artifact, try_parse_tag
from gto.exceptions import ValidationError


@dataclass(frozen=True)
class Problem:
    check: str
    message: str
    tags: tuple[str, ...] = ()


def versions_on_one_commit(events: Iterable[TagEvent]) -> list[Problem]:
    """Two versions of one artifact on one commit: assignments there cannot be resolved."""
    found: dict[tuple[str, str], dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        if isinstance(event, (Registration, Deregistration)):
            found[(event.artifact, event.commit_hexsha)][event.version].append(event.tag)
    return [
        Problem(
            "versions-on-one-commit",
            f"Artifact '{artifact}' has versions {', '.join(sorted(versions))} on one commit "
            f"{commit[:7]}; keep one and delete the other's tags",
            tuple(sorted(t for tags in versions.values() for t in tags)),
        )
        for (artifact, commit), versions in sorted(found.items())
        if len(versions) > 1
    ]


def _looks_like_gto(name: str) -> bool:
    artifact = tag_artifact(name)
    if artifact is None:
        return False
    try:
        check_artifact_name(artifact)
    except ValidationError:
        return False
    return True


def unreadable_tags(names: Sequence[str], skipped: Mapping[str, str]) -> list[Problem]:
    """GTO-looking tags that do not parse, are lightweight, point at no commit, or whose
    tag object bears another name."""
    problems = []
    for name in names:
        parsed = try_parse_tag(name)
        reason = skipped.get(name)
        if parsed is None:
            if _looks_like_gto(name):
                problems.append(
                    Problem(
                        "unparsable-tag",
                        f"Tag '{name}' looks like a GTO tag but does not parse",
                        (name,),
                    )
                )
            continue
        if parsed.action is Action.CREATE:
            problems.append(
                Problem("created-tag", f"Tag '{name}' (@created) is never used by GTO", (name,))
            )
        elif reason == LIGHTWEIGHT:
            problems.append(
                Problem(
                    "lightweight-tag",
                    f"Tag '{name}' is a lightweight tag: GTO ignores it (but it still takes "
                    "its name and counter); recreate it as an annotated tag",
                    (name,),
                )
            )
        elif reason is not None and is_renamed(reason):
            problems.append(
                Problem(
                    "renamed-tag",
                    f"Tag '{name}' is ignored: {reason} (a signature covers the object's "
                    "name, not the ref's); delete the ref",
                    (name,),
                )
            )
        elif reason is not None:
            problems.append(
                Problem("bad-target", f"Tag '{name}' cannot be read: {reason}", (name,))
            )
    return problems


def assignments_to_deregistered(registry: Registry) -> list[Problem]:
    """Stages assigned after the version was deregistered (and not registered again)."""
    problems = []
    for artifact in registry.artifacts.values():
        for version in artifact.versions:
            if not version.deregistrations or version.is_active:
                continue
            since = version.deregistrations[-1].created_at
            late = [
                e.tag
                for e in version.stage_events
                if isinstance(e, Assignment) and e.created_at > since
            ]
            if late:
                problems.append(
                    Problem(
                        "assignment-to-deregistered",
                        f"Version '{version.version}' of '{artifact.name}' was deregistered "
                        "before it was assigned a stage",
                        tuple(sorted(late)),
                    )
                )
    return problems


def counters_going_backwards(events: Iterable[TagEvent]) -> list[Problem]:
    """A higher `#N` made earlier than a lower one: clocks or hand-made tags are off."""
    counted: dict[str, list[tuple[int, TagEvent]]] = defaultdict(list)
    for event in events:
        parsed = try_parse_tag(event.tag)
        if parsed is not None and parsed.counter is not None:
            counted[event.artifact].append((parsed.counter, event))
    problems = []
    for artifact, items in sorted(counted.items()):
        items.sort(key=lambda item: item[0])
        for (_, earlier), (_, later) in pairwise(items):
            if later.created_at < earlier.created_at:
                problems.append(
                    Problem(
                        "counter-backwards",
                        f"Tag '{later.tag}' is dated before '{earlier.tag}' of '{artifact}'",
                        (earlier.tag, later.tag),
                    )
                )
    return problems


# The version a stage tag's default message names (gto's and upstream's messages:
# "Assigning stage S to artifact A version V", "Unassigning stage 'S' ... version 'V'").
_MESSAGE_VERSION = re.compile(r"\bversion '?(v\d+\.\d+\.\d+[-+.0-9A-Za-z]*?)'?\s*$")


def orphaned_tags(events: Iterable[TagEvent]) -> list[Problem]:
    """Tags of a version whose registration tag is gone (an interrupted delete, or a hand).

    gto deletes a version's registration last, so a killed `deprecate --delete` leaves the
    version, which the same command then finishes; older tools deleted it first. A stage
    tag on a commit without a registration is also what `assign --sr` makes, so only
    stage tags whose message names a version (the default messages do) count, and
    deregistrations of a version that has no registration.
    """
    events = list(events)
    registrations = [e for e in events if isinstance(e, Registration)]
    registered_commits = {(e.artifact, e.commit_hexsha) for e in registrations}
    registered_versions = {(e.artifact, e.version) for e in registrations}
    orphans: dict[tuple[str, str], list[str]] = defaultdict(list)
    for event in events:
        if isinstance(event, Deregistration):
            if (event.artifact, event.version) not in registered_versions:
                orphans[(event.artifact, event.version)].append(event.tag)
        elif isinstance(event, (Assignment, Unassignment)):
            named = _MESSAGE_VERSION.search(event.message)
            if named and (event.artifact, event.commit_hexsha) not in registered_commits:
                orphans[(event.artifact, named[1])].append(event.tag)
    return [
        Problem(
            "orphaned-tags",
            f"Version '{version}' of '{artifact}' has no registration tag, but tags of it are "
            "left (by an interrupted `deprecate --delete`?): register the version again, or "
            f"delete them with `git tag -d {' '.join(shlex.quote(t) for t in sorted(tags))}`",
            tuple(sorted(tags)),
        )
        for (artifact, version), tags in sorted(orphans.items())
    ]


# A lock file older than this is no writer at work: gto's writers hold theirs for
# milliseconds, git's gc for seconds.
STALE_LOCK_SECONDS = 60


def stale_locks(locks: Iterable[tuple[str, float]]) -> list[Problem]:
    """Every lock file (path relative to the repository, age in seconds), whatever its age.

    Until it is removed, a lock stops writes of its ref (a counter moves on to the next
    one), or all ref deletions (packed-refs.lock). A kill leaves one behind that a
    re-run of the command cannot take, and gto cannot tell a killed writer from one at
    work, so a fresh lock is reported too, only worded as possibly in use.
    """
    return [
        Problem(
            "stale-lock",
            (
                f"Lock file '{path}' was left {age:.0f} s ago by a git or gto process that did "
                "not finish"
                if age >= STALE_LOCK_SECONDS
                else f"Lock file '{path}' was made {age:.0f} s ago by a git or gto process "
                "that is at work or was killed"
            )
            + f"; if none is running, remove it: rm {shlex.quote(path)}",
        )
        for path, age in sorted(locks)
    ]
