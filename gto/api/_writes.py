"""The writing commands: replay, plan (gto.core.plan), apply (gto.git.transaction), push.

Everything is decided from the replayed state before anything is written, so bad
input is refused first (a promotion rule broken, a signing key that cannot sign); the
tags are written in one transaction, signed if asked (gto.api._signing), checked against
what concurrent writers did meanwhile, and pushed. If a later step fails (another tag, a
check, a push), every ref the command changed is put back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

from gto.core.config import check_stage
from gto.core.events import TagEvent
from gto.core.plan import other_versions_at, plan
from gto.core.requests import (
    Assign,
    NewTag,
    Outcome,
    Register,
    Request,
    Resolved,
    Unassign,
    WriteOptions,
    check_request,
    revision,
    rivals,
)
from gto.core.state import Artifact
from gto.exceptions import (
    GTOException,
    TagExists,
    VersionExistsForCommit,
    VersionIsOld,
)
from gto.git.refs import check_tag_name
from gto.session import RepoLike, Session, opened

if TYPE_CHECKING:
    from gto.core.promotion import TagSignature
    from gto.core.promotion_rules import PromotionRules
    from gto.git.transaction import Transaction
    from gto.trust.sshcrypto import SigningKey

__all__ = ["write"]


def write(repo: RepoLike, request: Request, options: WriteOptions) -> Outcome:
    """Make the change `request` asks for (behaviour reference, 4): every tag of it, or none.

    A remote's cache stays locked until the push, and remote writes always push
    (behaviour reference, 6).
    """
    from gto.api._signing import planned_signature, signing_key
    from gto.git.transaction import Transaction  # reads never load the writing half

    for sample in check_request(request, options):
        check_tag_name(sample)  # git's ref rules, before the repository is opened
    with opened(repo, for_writing=True) as session:
        if isinstance(request, (Assign, Unassign)):
            check_stage(session.config, request.stage)
        key = signing_key(session, options, request)
        signature = planned_signature(session, key, session.config.promotion)
        transaction = Transaction(
            session.git,
            session.environ,
            author=options.author,
            author_email=options.author_email,
            sign=None if key is None else partial(_sign_tag, key=key),
        )
        outcome = Outcome()
        try:
            rules = _Rules(session.config.promotion, signature)
            _apply(session, transaction, _resolved(session, request), options, outcome, rules)
            if options.push or session.always_pushes:
                session.push(transaction.refspecs())
                outcome.pushed = True
        except BaseException:
            transaction.rollback()
            raise
    return outcome


@dataclass(frozen=True)
class _Rules:
    """The promotion rules a write keeps, and what they will see of its tags' signature."""

    promotion: PromotionRules
    signature: TagSignature | None


def _sign_tag(payload: bytes, *, key: SigningKey) -> bytes:
    from gto.trust.sshcrypto import sign_tag

    return sign_tag(payload, key)


def _resolved(session: Session, request: Request) -> Request:
    """`request` with the commit its revision names, or the error resolving it gave.

    A registration needs its commit before anything else; the other commands raise the
    error where they need the commit (gto.core.plan), as upstream orders its checks.
    """
    ref = revision(request)
    if ref is None:
        return request
    commit: Resolved
    try:
        commit = session.resolve(ref)
    except GTOException as e:
        if isinstance(request, Register):
            raise
        commit = e
    return replace(request, commit=commit)


def _artifact(session: Session, name: str) -> tuple[Artifact | None, frozenset[str]]:
    """The artifact as replayed now, and its tags (to tell other writers' tags apart)."""
    found = session.registry(name).find_artifact(name)
    events = found.events() if found is not None else []
    return found, frozenset(e.tag for e in events if isinstance(e, TagEvent))


def _apply(
    session: Session,
    transaction: Transaction,
    request: Request,
    options: WriteOptions,
    outcome: Outcome,
    rules: _Rules,
) -> None:
    """Plan from the replayed artifact and apply; plan again if a bumped version got taken."""
    from gto.core.promotion import enforce
    from gto.git.transaction import COUNTER_TRIES

    for attempt in range(COUNTER_TRIES):
        artifact, seen = _artifact(session, request.name)
        decided = plan(artifact, request, options)
        decided = enforce(decided, artifact, rules.promotion, rules.signature, force=options.force)
        tag: NewTag | None = None
        try:
            for tag in decided.create:
                created = transaction.create(tag)
                _check(session, tag, created, seen)
                outcome.created.append(created)
        except TagExists:
            # Another writer registered the version this one bumped to: bump again.
            if tag is None or not tag.rebump or attempt == COUNTER_TRIES - 1:
                raise
            continue
        transaction.delete(decided.delete)
        outcome.deleted.extend(decided.deleted)
        return


def _check(session: Session, tag: NewTag, created: TagEvent, seen: frozenset[str]) -> None:
    """Fail (so the transaction takes everything back) when a concurrent writer made this
    tag wrong: another version on the commit, or the same stage change made first."""
    if tag.check == "alone":
        artifact = session.registry(tag.artifact).find_artifact(tag.artifact)
        others = other_versions_at(artifact, tag.commit, tag.version or "")
        if others:
            raise VersionExistsForCommit(tag.artifact, others[0])
    elif tag.check == "not-repeated":
        git = session.git
        earlier = rivals(created.tag, tag.stage or "", git.tag_names(), seen)
        if any(r.commit == created.commit_hexsha for r in git.read_tags(earlier)):
            raise VersionIsOld(tag.repeat)
