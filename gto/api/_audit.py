"""The registry at a moment, and what changed between two: `--as-of WHEN` and `gto diff`.

WHEN is read here, where the clock and the local zone are read (gto.settings): a date as git
reads one, else a ref, meaning its commit's time (gto.core.when). The registry then is the
replay of the tags made up to that moment, with artifacts.yaml read at the commit HEAD's
branch pointed at then, along its first-parent history (gto.core.asof).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gto.core.asof import branch_commit_at, discovery_at, events_until
from gto.core.events import TagEvent
from gto.core.state import Registry, VersionSort, check_limits
from gto.exceptions import RefNotFound, WrongArgs
from gto.session import RepoLike, Session, opened
from gto.settings import LocalZone, now

if TYPE_CHECKING:  # loaded when a moment is read or a diff made, not by every command
    from gto.core.diff import RegistryDiff
    from gto.core.when import When

__all__ = ["AsOf", "RegistryChanges", "branch_commit", "moment", "registry_at", "registry_diff"]

# A moment as the API takes it: WHEN's text, or an aware datetime.
AsOf = str | datetime


def moment(session: Session, as_of: AsOf) -> When:
    """The moment `as_of` names: a date (git's forms), else a ref's commit time.

    Raises:
        WrongDate: text that is neither (one line, with examples), or an invalid date.
        WrongArgs: a datetime without a time zone, or neither a string nor a datetime.
    """
    from gto.core.when import When, resolve_when

    if not isinstance(as_of, (str, datetime)):  # the typed API's callers may not run mypy
        raise WrongArgs(
            f"as_of must be a string or an aware datetime, not {type(as_of).__name__} "
            f"({as_of!r:.40})"
        )

    if isinstance(as_of, datetime):
        if as_of.utcoffset() is None:
            raise WrongArgs("as_of needs a time zone: pass an aware datetime")
        return When(as_of.replace(microsecond=0), as_of.isoformat())

    def commit_time(text: str) -> tuple[str, datetime] | None:
        try:
            commit = session.resolve(text)
        except RefNotFound:  # NoCommits too: then WHEN is no ref either
            return None
        return commit, session.git.read_commit(commit).created_at

    return resolve_when(as_of, now=now(), local=LocalZone(), commit_time=commit_time)


def _heads(session: Session, all_branches: bool) -> list[str]:
    if all_branches:
        return session.git.branch_heads()
    head = session.git.head()
    return [] if head is None else [head]


def branch_commit(session: Session, when: datetime) -> str | None:
    """The commit HEAD's branch pointed at `when` (first-parent history); None before it began."""
    heads = _heads(session, all_branches=False)
    return branch_commit_at(session.git.first_parents(heads[0]), when) if heads else None


def registry_at(
    session: Session,
    when: datetime,
    artifact: str | None = None,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    events: Sequence[TagEvent] | None = None,
) -> Registry:
    """The registry as it was at `when`: the events up to then, annotations from the branch
    commits of then (HEAD's, or every branch's with `all_branches`).

    Raises:
        WrongArgs: with `all_commits`, which names no moment.
    """
    if all_commits:
        raise WrongArgs("--as-of cannot be combined with -A/--all-commits: choose -a or neither")
    if events is None:
        events = session.registry_events(artifact)
    chains = (session.git.first_parents(head) for head in _heads(session, all_branches))
    return session.registry(
        artifact, events=events_until(events, when), discovery=discovery_at(chains, when)
    )


def registry_then(
    session: Session,
    as_of: AsOf | None,
    artifact: str | None = None,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
) -> Registry:
    """The registry now (`as_of` None) or at the moment `as_of` names."""
    if as_of is None:
        return session.registry(artifact, all_branches=all_branches, all_commits=all_commits)
    when = moment(session, as_of).at
    return registry_at(session, when, artifact, all_branches=all_branches, all_commits=all_commits)


def _moment_json(when: When | None) -> dict[str, Any] | None:
    if when is None:
        return None
    return {"when": when.text, "at": when.at.isoformat(), "commit": when.commit}


@dataclass(frozen=True)
class RegistryChanges:
    """What `gto diff` found: the two moments (`until` None: the registry now) and the changes."""

    since: When
    until: When | None
    changes: RegistryDiff

    def to_dict(self) -> dict[str, Any]:
        """The `--json` shape: `{"from": ..., "to": ... | null, "artifacts": ...}`."""
        return {
            "from": _moment_json(self.since),
            "to": _moment_json(self.until),
            "artifacts": self.changes.to_dict(),
        }


def registry_diff(
    repo: RepoLike,
    since: AsOf,
    until: AsOf | None = None,
    *,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort = VersionSort.TIMESTAMP,
) -> RegistryChanges:
    """What changed from `since` to `until` (default: the registry now, every tag counted,
    as `show` sees it); stage holders counted as `show` counts them. Each tag is read once."""
    from gto.core.diff import diff

    check_limits(assignments_per_version, versions_per_stage)
    with opened(repo) as session:
        start = moment(session, since)
        end = None if until is None else moment(session, until)
        events = session.registry_events()
        before = registry_at(session, start.at, events=events)
        if end is None:
            after = session.registry(events=events)
        else:
            after = registry_at(session, end.at, events=events)
    changes = diff(
        before,
        after,
        assignments_per_version=assignments_per_version,
        versions_per_stage=versions_per_stage,
        sort=sort,
    )
    return RegistryChanges(start, end, changes)


def diff_json(
    repo: RepoLike,
    since: AsOf,
    until: AsOf | None = None,
    *,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.TIMESTAMP,
) -> dict[str, Any]:
    """`gto diff --json`: what changed between two moments (`registry_diff`), as a dict."""
    try:
        order = VersionSort(sort)
    except ValueError:
        raise WrongArgs(f"Only one of ['timestamp', 'semver'] is allowed, got '{sort}'") from None
    return registry_diff(
        repo,
        since,
        until,
        assignments_per_version=assignments_per_version,
        versions_per_stage=versions_per_stage,
        sort=order,
    ).to_dict()
