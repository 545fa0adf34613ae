"""The registry as it was at a moment: replay of the tags made up to then.

Tags carry their own time, so "as of WHEN" is the subset of events with tagger time <= WHEN;
all events of one second stand or fall together, so replay's tie rules for that second are
unchanged. Annotations (artifacts.yaml) come from the commit HEAD's branch pointed at then,
found along first-parent history. What no longer exists cannot be replayed: a tag deleted
since WHEN is missing from the as-of registry too (git keeps no record of deleted tags).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TypeVar

from gto.core.events import Event, TagEvent
from gto.core.replay import Annotations, replay
from gto.core.state import Registry
from gto.core.tags import CommitRecord

E = TypeVar("E", bound=Event)
# A branch's first-parent history, newest first: (commit id, committer time) per commit;
# an iterator is read only as far as needed (gto.git.repo.GitRepo.first_parents).
Chain = Iterable[tuple[str, datetime]]


def events_until(events: Iterable[E], when: datetime) -> tuple[E, ...]:
    """The events made at or before `when` (tagger time for tags), in their given order.

    >>> from datetime import timezone
    >>> from gto.core.events import event_from_tag
    >>> from gto.core.tags import TagRecord
    >>> t = lambda s: datetime.fromtimestamp(s, timezone.utc)
    >>> tags = [TagRecord(n, "c" * 40, "T", "t@x", t(s), "") for n, s in [("m@v1.0.0", 10),
    ...         ("m#prod#1", 20)]]
    >>> [e.tag for e in events_until([event_from_tag(r) for r in tags], t(19))]
    ['m@v1.0.0']
    """
    return tuple(event for event in events if event.created_at <= when)


def branch_commit_at(chain: Chain, when: datetime) -> str | None:
    """The commit a branch pointed at `when`: the newest along `chain` committed at or before it.

    Clock skew: committer times are taken as written, and a commit is taken as made no later
    than any of its descendants. So the walk from the tip stops at the first commit dated at
    or before `when`, even if an older-looking ancestor claims a later time; this is what
    `git rev-list -1 --first-parent --until=WHEN BRANCH` answers. None when the branch had no
    commit yet.

    >>> from datetime import timezone
    >>> t = lambda s: datetime.fromtimestamp(s, timezone.utc)
    >>> branch_commit_at([("c3", t(30)), ("c2", t(20)), ("c1", t(10))], t(25))
    'c2'
    """
    return next((commit for commit, committed_at in chain if committed_at <= when), None)


def discovery_at(chains: Iterable[Chain], when: datetime) -> tuple[str, ...]:
    """The commits whose artifacts.yaml counted at `when`: each branch's commit then, once."""
    found = (branch_commit_at(chain, when) for chain in chains)
    return tuple(dict.fromkeys(commit for commit in found if commit is not None))


def replay_as_of(
    events: Iterable[TagEvent],
    commits: Mapping[str, CommitRecord],
    annotations: Annotations,
    when: datetime,
    chains: Iterable[Chain] = (),
) -> Registry:
    """The registry at `when`: replay of the events up to then, discovering the branches then.

    `chains` are the first-parent histories whose tips count for discovery (HEAD's branch
    by default); `commits` and `annotations` as for `replay`.
    """
    return replay(events_until(events, when), commits, annotations, discovery_at(chains, when))
