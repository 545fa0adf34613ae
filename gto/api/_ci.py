"""What a ref means for a CI job: its event, the version its stage held before it, its fields.

`check-ref --format` needs one thing `gto.api.check_ref` does not give: for a stage
event, the stage's holder just before the tag (the rollback target). It is found by
replaying the artifact's version tags and that stage's tags that came before, as
`show NAME#STAGE` would have answered the moment before the tag was made. The fields
are gto.core.ci_view's; the command line renders and delivers them.
"""

from __future__ import annotations

from dataclasses import dataclass

from gto.api._audit import AsOf
from gto.api._query import ref_event
from gto.core.ci_view import RefFields, ref_document, ref_fields, ref_headline
from gto.core.events import Assignment, TagEvent, Unassignment
from gto.core.replay import replay, replay_order
from gto.core.tags import Action, tag_prefixes, try_parse_tag
from gto.session import RepoLike, Session, opened

__all__ = ["RefReport", "ref_report"]


@dataclass(frozen=True)
class RefReport:
    """`event` is None for a ref that is not an annotated GTO tag."""

    event: TagEvent | None
    previous_version: str | None = None

    @property
    def fields(self) -> RefFields:
        """Every field a CI job reads, in the schema's order."""
        return ref_fields(self.event, self.previous_version)

    @property
    def document(self) -> dict[str, object]:
        """The `json` output: the fields after the schema version."""
        return ref_document(self.fields)

    @property
    def headline(self) -> str | None:
        """One sentence for a job summary; None for a ref that is not GTO's."""
        return ref_headline(self.event, self.previous_version)


def ref_report(repo: RepoLike, ref: str, *, as_of: AsOf | None = None) -> RefReport:
    """The event of `ref` (None if it is not GTO's) and, for a stage event, the previous holder.

    Raises:
        RepoError: `ref` is a GTO tag that cannot be read (as `check_ref`).
    """
    parsed = try_parse_tag(ref.removeprefix("refs/tags/"))
    tags = [] if parsed is None else tag_prefixes(parsed.artifact)
    with opened(repo, tags=tags) as session:
        event = ref_event(session, ref, as_of=as_of)
        if not isinstance(event, (Assignment, Unassignment)):
            return RefReport(event)
        return RefReport(event, _previous_holder(session, event))


def _previous_holder(session: Session, event: Assignment | Unassignment) -> str | None:
    def keep(tag: str) -> bool:
        parsed = try_parse_tag(tag)
        return (
            parsed is not None
            and parsed.artifact == event.artifact
            and (
                parsed.action in (Action.REGISTER, Action.DEREGISTER)
                or (
                    parsed.action in (Action.ASSIGN, Action.UNASSIGN)
                    and parsed.stage == event.stage
                )
            )
        )

    names = [tag for tag in session.git.tag_names(tag_prefixes(event.artifact)) if keep(tag)]
    earlier = [e for e in session.tag_events(names) if _came_before(e, event)]
    commits = {sha: session.git.read_commit(sha) for sha in {e.commit_hexsha for e in earlier}}
    artifact = replay(earlier, commits, {}).find_artifact(event.artifact)
    if artifact is None:
        return None
    holders = artifact.stages().get(event.stage)
    return holders[0].version if holders else None


def _came_before(other: TagEvent, event: TagEvent) -> bool:
    """Version events up to the same second count (replay applies them first, 2.3);
    stage events count when replay would apply them before `event`."""
    if other.tag == event.tag or other.created_at > event.created_at:
        return False
    if isinstance(other, (Assignment, Unassignment)):
        return replay_order(other) < replay_order(event)
    return True
