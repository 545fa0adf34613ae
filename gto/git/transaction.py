"""Applying a write plan to a repository: every tag of it, or none.

A `Transaction` creates the plan's tags (a ref only if absent, under its lock file;
a counted name moves on to the next `#N` when another writer took it), deletes tags
(in one table with reftable; else one by one, the plan ordering version tags last),
makes `annotate`'s commit, and remembers each step, so `rollback` puts every ref back
when a later step fails (another tag, a check, a push). `refspecs` says what a push must send.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone

from gto.core.events import TagEvent
from gto.core.requests import NewTag, counter_taken
from gto.core.tags import next_counter
from gto.exceptions import GTOException, TagExists
from gto.git import identity as git_identity
from gto.git import write
from gto.git.errors import RefBusy
from gto.git.repo import GitRepo
from gto.git.repoformat import UnsupportedRepo

__all__ = ["COUNTER_TRIES", "Transaction"]

# Retries when concurrent writers take the counter we picked (each try re-reads the tags).
COUNTER_TRIES = 64
# How long a writer waits for a lower counter's lock (another writer at work) to go.
SETTLE_SECONDS = 2.0


class Transaction:
    """The writes of one command to one repository, undone together on failure.

    The tagger is looked up on the first write (`author`/`author_email` win over git's
    own identity); times come from GIT_COMMITTER_DATE or the clock (gto.git.identity).
    `sign`, when given, signs each tag object (the caller loaded its key beforehand).

    Raises:
        UnsupportedRepo: the repository's format allows reading it but not writing to it
            (gto.git.repoformat), said before anything is written.
    """

    def __init__(
        self,
        git: GitRepo,
        environ: Mapping[str, str],
        *,
        author: str | None = None,
        author_email: str | None = None,
        sign: Callable[[bytes], bytes] | None = None,
    ) -> None:
        reason = git.layout.format.read_only
        if reason is not None:
            raise UnsupportedRepo(str(git.root), reason, writing=True)
        self.git = git
        self._sign = sign
        self._environ = environ
        self._author = author
        self._author_email = author_email
        self._identity: git_identity.Identity | None = None
        self._created: list[str] = []
        self._deleted: list[tuple[str, str]] = []
        self._commits: list[tuple[str, list[str]]] = []
        self._branch: str | None = None

    @property
    def identity(self) -> git_identity.Identity:
        if self._identity is None:
            self._identity = git_identity.writer(
                self.git, self._environ, self._author, self._author_email
            )
        return self._identity

    def _now(self) -> tuple[int, int]:
        return git_identity.now(self._environ)

    # Tags

    def create(self, tag: NewTag) -> TagEvent:
        """Create the tag; a counted name moves on to the next counter on a collision."""
        who = self.identity
        if tag.counted:
            name, when = self._create_counted(tag, who)
        else:
            name, when = tag.tag_name(), self._now()
            write.create_tag(self.git, name, tag.commit, tag.message, who, when, sign=self._sign)
        self._created.append(name)
        created_at = datetime.fromtimestamp(when[0], timezone(timedelta(seconds=when[1])))
        return tag.event(name, created_at, who.name, who.email)

    def _create_counted(
        self, tag: NewTag, who: git_identity.Identity
    ) -> tuple[str, tuple[int, int]]:
        """Create `tag` with N one above every counter of the artifact (reference, 1.4).

        The ref lock only stops two writers of one name; two writers can still pick
        the same N for different names (`m#dev#3`, `m#prod#3`). So each writer looks
        again after creating its tag, and backs off if another tag of the artifact
        has N too: of two such tags the later one always sees the earlier one. A name
        whose lock file exists (a writer at work, or one killed at work) is taken
        too. Each try takes the time anew, so a higher counter is never dated before
        a lower one that another writer made meanwhile.
        """
        git, artifact = self.git, tag.artifact
        counter = next_counter(git.tag_names(), artifact)
        busy: list[str] = []  # lower counters another writer was creating
        for attempt in range(COUNTER_TRIES):
            name = tag.tag_name(counter)
            when = self._now()
            try:
                write.create_tag(
                    git, name, tag.commit, tag.message, who, when, wait=False, sign=self._sign
                )
            except (TagExists, RefBusy) as e:
                if isinstance(e, RefBusy):
                    if e.shared:
                        raise  # the whole ref store stayed locked: no other counter would do
                    busy.append(name)
                counter = max(counter + 1, next_counter(git.tag_names(), artifact))
                continue
            # Their tags count for the checks that follow (rivals), so wait to see them.
            write.wait_unlocked(git, busy, SETTLE_SECONDS)
            if not counter_taken(git.tag_names(), artifact, counter, name):
                return name, when
            write.delete_tag(git, name)
            # Writers that backed off together would pick the same N again: spread them.
            time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
            counter = max(counter + 1, next_counter(git.tag_names(), artifact))
        raise TagExists(tag.tag_name(counter))

    def delete(self, names: Sequence[str]) -> None:
        """Delete tags in the order given, or all at once where the ref store can (reftable)."""
        together = write.delete_tags_at_once(self.git, names)
        if together is not None:
            self._deleted += together
            return
        for name in names:
            self._deleted.append((name, write.delete_tag(self.git, name)))

    # A commit (annotate, remove)

    def commit(self, changes: Mapping[str, bytes | None], message: str, *, push: bool) -> str:
        """Commit `changes` on top of HEAD (gto.git.write.commit_files); with `push`, its
        branch is what `refspecs` sends, so HEAD must be on a branch.

        Raises:
            WrongArgs: `push` on a detached HEAD (checked before anything is written).
        """
        from gto.exceptions import WrongArgs

        branch = self.git.current_branch() if push else None
        if push and branch is None:
            raise WrongArgs("Cannot push a commit made on a detached HEAD; check out a branch")
        sha = write.commit_files(self.git, changes, message, self.identity, self._now())
        self._commits.append((sha, list(changes)))
        self._branch = branch
        return sha

    # Finishing

    def refspecs(self) -> list[tuple[str | None, str]]:
        """What a push sends: the created tags, the deletions, the committed branch."""
        specs: list[tuple[str | None, str]] = [
            (f"refs/tags/{name}", f"refs/tags/{name}") for name in self._created
        ]
        specs += [(None, f"refs/tags/{name}") for name, _ in self._deleted]
        if self._branch is not None:
            specs.append((self._branch, self._branch))
        return specs

    def rollback(self) -> None:
        """Put every ref this transaction changed back, newest change first."""
        for sha, paths in reversed(self._commits):
            write.undo_commit(self.git, sha, paths)
        for name in reversed(self._created):
            with contextlib.suppress(GTOException):  # someone removed it already
                write.delete_tag(self.git, name)
        for name, object_id in reversed(self._deleted):
            write.restore_tag(self.git, name, object_id)

    def names(self) -> Iterable[str]:
        """The tags created so far."""
        return tuple(self._created)
