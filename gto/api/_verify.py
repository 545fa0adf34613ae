"""`check-ref TAG --verify` and doctor's rule check: signatures and promotion rules of tags.

A tag passes when its signature, if any, is good and trusted, and it keeps `.gto`'s
promotion rules as read from the rules ref (gto.api._trust), its `GTO-Force` trailer
excepted for `requires` rules. The result is data; the command line fails on `failure`.
"""

from __future__ import annotations

from dataclasses import dataclass

from gto.api._audit import AsOf
from gto.api._options import Verify
from gto.api._query import ref_event
from gto.api._trust import check_signatures, load_trust, rules_at, signature_json
from gto.core.checks import Problem
from gto.core.events import Assignment, TagEvent, Unassignment
from gto.core.promotion import RuleViolation, check_event, check_registry
from gto.core.promotion_rules import PromotionRules
from gto.core.state import Registry
from gto.session import RepoLike, Session, opened
from gto.trust.verify import SignatureCheck

__all__ = ["FAILING", "RefVerification", "rule_problems", "verify_ref"]

# Statuses that fail `check-ref --verify`: a signature that is there but proves nothing.
FAILING = frozenset({"bad", "untrusted", "revoked", "expired", "unsupported"})


@dataclass(frozen=True)
class RefVerification:
    """What `check-ref --verify` found; `event` None: not a GTO tag (nothing to verify)."""

    event: TagEvent | None
    signature: SignatureCheck | None = None
    violation: RuleViolation | None = None

    @property
    def failure(self) -> str | None:
        """The one line `check-ref --verify` fails with, or None when the tag passes."""
        if self.event is None or self.signature is None:
            return None
        if self.signature.status in FAILING:
            return (
                f"Tag '{self.event.tag}': signature is {self.signature.status}: "
                f"{self.signature.reason}"
            )
        if self.violation is not None and self.violation.blocking:
            return self.violation.describe()
        return None

    @property
    def forced(self) -> str | None:
        """The line saying which broken rules the tag overrides with `GTO-Force`, if any."""
        if self.violation is None or self.violation.blocking:
            return None
        return self.violation.describe()

    def to_dict(self) -> dict[str, object]:
        """The `--json` additions: `signature` and `rules` (the broken ones, if any)."""
        violation = self.violation
        return {
            "signature": signature_json(self.signature),
            "rules": {
                "broken": [b.rule for b in violation.broken] if violation else [],
                "forced": sorted(violation.forced) if violation else [],
                "passed": self.failure is None,
            },
        }


def _stage_event(registry: Registry, event: TagEvent) -> Assignment | Unassignment | None:
    """The replayed event of a stage tag (it knows its version), with the artifact's history."""
    artifact = registry.find_artifact(event.artifact)
    if artifact is None:
        return None
    for version in artifact.versions:
        for vstage in version.stages.values():
            made: tuple[Assignment | Unassignment, ...] = (
                *vstage.assignments,
                *vstage.unassignments,
            )
            for found in made:
                if found.tag == event.tag:
                    return found
    return None


def verify_ref(
    repo: RepoLike, ref: str, *, verify: Verify | None = None, as_of: AsOf | None = None
) -> RefVerification:
    """The event of `ref`, its signature checked and its promotion rules (module docstring).

    Raises:
        RepoError: `ref` is a GTO tag that cannot be read.
        RefNotFound, WrongConfig, TrustFileError: the rules or trust cannot be read.
    """
    verify = verify or Verify()
    with opened(repo) as session:
        event = ref_event(session, ref, as_of=as_of)
        if event is None:
            return RefVerification(None)
        source = rules_at(session, verify.rules_ref)
        trust = load_trust(session, source, verify.allowed_signers).trust
        signature = check_signatures(session, [event.tag], trust)[event.tag]
        return RefVerification(
            event, signature, _violation(session, source.config.promotion, event, signature)
        )


def _violation(
    session: Session, rules: PromotionRules, event: TagEvent, signature: SignatureCheck
) -> RuleViolation | None:
    if not rules.stages or not isinstance(event, (Assignment, Unassignment)):
        return None
    registry = session.registry(event.artifact)
    replayed = _stage_event(registry, event)
    artifact = registry.find_artifact(event.artifact)
    if replayed is None or artifact is None:
        return None
    return check_event(rules, artifact, replayed, {event.tag: signature})


def rule_problems(session: Session, registry: Registry, verify: Verify) -> list[Problem]:
    """`doctor`: every stage tag that breaks a promotion rule of the rules ref, in replay
    order; tags whose `GTO-Force` trailer overrides every broken rule are `promotion-forced`,
    listed but not failing. Signatures are checked only when a rule asks for them."""
    source = rules_at(session, verify.rules_ref)
    rules = source.config.promotion
    if not rules.stages:
        return []
    problems: list[Problem] = []
    signatures = None
    if any(rules.rule_for(stage).signed for stage in rules.stages):
        setup = load_trust(session, source, verify.allowed_signers)
        problems += [Problem("allowed-signers", line) for line in setup.problems]
        tags = [
            e.tag
            for artifact in registry.artifacts.values()
            for version in artifact.versions
            for e in version.stage_events
        ]
        signatures = check_signatures(session, tags, setup.trust)
    for violation in check_registry(rules, registry, signatures):
        check = "promotion-rules" if violation.blocking else "promotion-forced"
        problems.append(Problem(check, violation.describe(), (violation.tag,)))
    return problems
