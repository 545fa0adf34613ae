"""Checking stage events against the promotion rules: for `assign`, `check-ref --verify`, `doctor`.

A rule is checked per stage tag, with what was known when the tag was made: "held before"
means an assignment earlier in replay order. `--force` may override `requires` rules only, and
says so in the tag message with a trailer naming the rules, `GTO-Force: promotion.prod.requires`,
so the override is part of the tag (and of its signature). Signature rules are never
overridable: a trailer anyone can type must not stand in for a signature.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal, Protocol

from gto.core.events import Assignment, OrderKey, Unassignment
from gto.core.promotion_rules import PromotionRules, RuleKind, principal_allowed
from gto.core.requests import Plan
from gto.core.state import Artifact, Registry, Version, VStage
from gto.core.tags import Action
from gto.exceptions import PromotionRefused

FORCE_TRAILER = "GTO-Force"
_TRAILER = re.compile(r"([A-Za-z0-9][A-Za-z0-9-]*) *: *(.*)")
_FORCED_SUBJECT = "Promotion rules overridden with --force"
# Where git's signature begins: the last line starting with an armor marker.
_ARMOR = re.compile(
    r"^-----BEGIN (?:PGP SIGNATURE|PGP MESSAGE|SIGNED MESSAGE|SSH SIGNATURE)-----", re.MULTILINE
)
SignatureStatus = Literal[
    "good", "bad", "untrusted", "revoked", "expired", "unsupported", "unsigned"
]


class SignatureFacts(Protocol):
    """What verifying a tag found; the verifier's own result type fits as it is."""

    @property
    def status(self) -> str: ...

    @property
    def principal(self) -> str | None: ...


@dataclass(frozen=True)
class TagSignature:
    """A tag's signature as the checks need it: a status and, when good, the principal."""

    status: SignatureStatus
    principal: str | None = None


UNSIGNED = TagSignature("unsigned")


@dataclass(frozen=True)
class BrokenRule:
    """One rule a stage event breaks, named by its `.gto` field."""

    rule: str
    kind: RuleKind
    message: str

    @property
    def overridable(self) -> bool:
        return self.kind == "requires"


def refusal(broken: Sequence[BrokenRule]) -> PromotionRefused:
    """The one line `assign` fails with: the first broken rule, its `.gto` field, and whether
    `--force` would help (only when every broken rule is a `requires` rule).

    >>> rule = BrokenRule("promotion.prod.requires", "requires", "Stage 'prod' requires ...")
    >>> print(refusal([rule]))
    Stage 'prod' requires ... (promotion.prod.requires); use --force to override
    """
    first = broken[0]
    hint = "; use --force to override" if all(b.overridable for b in broken) else ""
    return PromotionRefused(f"{first.message} ({first.rule}){hint}", [b.rule for b in broken])


def _held(versions: Iterable[Version], stage: str, before: OrderKey | None) -> bool:
    return any(
        before is None or event.order_key < before
        for version in versions
        if stage in version.stages
        for event in version.stages[stage].assignments
    )


def _signature_rules(
    rules: PromotionRules, stage: str, signature: SignatureFacts
) -> list[BrokenRule]:
    rule = rules.rule_for(stage)
    if not rule.signed:
        return []
    status = signature.status
    if status == "good" and signature.principal is None:
        status = "untrusted"  # good but no principal: the key is in no allowed signers entry
    if status != "good":
        state = "not signed" if status == "unsigned" else f"signed: {status}"
        message = f"Stage '{stage}' requires tags signed by a trusted key; the tag is {state}"
        return [BrokenRule(rules.field_of(stage, "signed"), "signed", message)]
    assert signature.principal is not None
    if rule.signers and not principal_allowed(signature.principal, rule.signers):
        message = (
            f"Stage '{stage}' accepts tags signed by {', '.join(rule.signers)} only; "
            f"the tag is signed by {signature.principal}"
        )
        return [BrokenRule(rules.field_of(stage, "signers"), "signers", message)]
    return []


def _check(
    rules: PromotionRules,
    versions: Sequence[Version],
    stage: str,
    signature: SignatureFacts | None,
    *,
    assigning: bool,
    before: OrderKey | None,
) -> tuple[BrokenRule, ...]:
    broken = []
    missing = [s for s in rules.rule_for(stage).requires if not _held(versions, s, before)]
    if assigning and missing:
        names = " and ".join(f"'{s}'" for s in missing)
        message = f"Stage '{stage}' requires the version to hold or have held {names} first"
        broken.append(BrokenRule(rules.field_of(stage, "requires"), "requires", message))
    if signature is not None:
        broken.extend(_signature_rules(rules, stage, signature))
    return tuple(broken)


def check_promotion(
    rules: PromotionRules,
    artifact: Artifact | None,
    version: str,
    stage: str,
    *,
    signature: SignatureFacts | None,
    unassign: bool = False,
) -> tuple[BrokenRule, ...]:
    """The rules a new stage tag would break, after every existing event of `artifact`.

    `requires` applies to assignments; signature rules to assignments and unassignments (an
    unassignment changes who holds the stage too). `signature=None` skips signature rules:
    pass `UNSIGNED` for a tag that will not be signed.

    >>> from gto.core.promotion_rules import parse_promotion
    >>> rules = parse_promotion({"prod": {"requires": ["staging"]}})
    >>> [b.message for b in check_promotion(rules, None, "v1.0.0", "prod", signature=UNSIGNED)]
    ["Stage 'prod' requires the version to hold or have held 'staging' first"]
    """
    versions = [v for v in artifact.versions if v.version == version] if artifact else []
    return _check(rules, versions, stage, signature, assigning=not unassign, before=None)


def _paragraphs(message: str) -> list[str]:
    return [p for p in re.split(r"\n[ \t]*\n", message.strip("\n")) if p.strip()]


def _is_trailer_block(paragraph: str) -> bool:
    """Every line `Key: value`, as git's `interpret-trailers` reads a pure trailer block."""
    return all(_TRAILER.fullmatch(line) for line in paragraph.splitlines())


def forced_rules(message: str) -> frozenset[str]:
    """The rules a tag message's `GTO-Force:` trailers override.

    Trailers are read where git reads them: the last paragraph, if it is not the first one
    (that is the subject) and all its lines are trailers; a signature git appended to the
    message is cut off first, where git cuts it.

    >>> sorted(forced_rules("Promote\\n\\nGTO-Force: promotion.prod.requires\\n"))
    ['promotion.prod.requires']
    """
    armors = list(_ARMOR.finditer(message))
    paragraphs = _paragraphs(message[: armors[-1].start()] if armors else message)
    if len(paragraphs) < 2 or not _is_trailer_block(paragraphs[-1]):
        return frozenset()
    found: set[str] = set()
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.fullmatch(line)
        if match and match[1].lower() == FORCE_TRAILER.lower():
            found.update(part.strip() for part in match[2].split(",") if part.strip())
    return frozenset(found)


def with_force_trailer(message: str, broken: Iterable[BrokenRule]) -> str:
    """`message` plus the trailer that records a `--force` over the overridable `broken` rules.

    >>> from gto.core.promotion_rules import parse_promotion
    >>> rules = parse_promotion({"prod": {"requires": ["staging"]}})
    >>> broken = check_promotion(rules, None, "v1.0.0", "prod", signature=None)
    >>> print(with_force_trailer("Hotfix INC-42", broken))
    Hotfix INC-42
    <BLANKLINE>
    GTO-Force: promotion.prod.requires
    <BLANKLINE>
    """
    names = sorted({b.rule for b in broken if b.overridable})
    if not names:
        return message
    trailer = f"{FORCE_TRAILER}: {', '.join(names)}"
    body = message.rstrip("\n") if message.strip() else _FORCED_SUBJECT
    paragraphs = _paragraphs(body)
    joins_block = len(paragraphs) > 1 and _is_trailer_block(paragraphs[-1])
    separator = "\n" if joins_block else "\n\n"
    return f"{body}{separator}{trailer}\n"


def enforce(
    plan: Plan,
    artifact: Artifact | None,
    rules: PromotionRules,
    signature: SignatureFacts | None,
    *,
    force: bool,
) -> Plan:
    """`plan` if its stage tags keep the rules; with `force`, broken `requires` rules are
    recorded in the tag message (the trailer); anything else broken refuses the whole plan.

    `signature` is what the tags will carry (None: nothing to check for signatures).

    Raises:
        PromotionRefused: a broken rule that `force` does not override.
    """
    if not rules.stages:
        return plan
    created = []
    for tag in plan.create:
        if tag.action in (Action.ASSIGN, Action.UNASSIGN) and tag.stage is not None:
            broken = check_promotion(
                rules,
                artifact,
                tag.version or tag.commit,
                tag.stage,
                signature=signature,
                unassign=tag.action is Action.UNASSIGN,
            )
            blocking = [b for b in broken if not (force and b.overridable)]
            if blocking:
                raise refusal(blocking)
            if broken:
                tag = replace(tag, message=with_force_trailer(tag.message, broken))
        created.append(tag)
    return replace(plan, create=tuple(created))


@dataclass(frozen=True)
class RuleViolation:
    """A stage tag that breaks rules; `forced` are the rules its message overrides."""

    tag: str
    artifact: str
    version: str
    stage: str
    broken: tuple[BrokenRule, ...]
    forced: frozenset[str] = frozenset()

    @property
    def blocking(self) -> tuple[BrokenRule, ...]:
        """The broken rules no `GTO-Force` trailer overrides: these fail `check-ref --verify`."""
        return tuple(b for b in self.broken if not (b.overridable and b.rule in self.forced))

    def describe(self) -> str:
        """One line for `doctor` and `check-ref --verify`.

        >>> rule = BrokenRule("promotion.prod.requires", "requires", "Stage 'prod' requires ...")
        >>> RuleViolation("m#prod#2", "m", "v1", "prod", (rule,), frozenset({rule.rule})).describe()
        "m#prod#2: Stage 'prod' requires ... (forced: GTO-Force: promotion.prod.requires)"
        """
        parts = []
        for b in self.broken:
            overridden = b.overridable and b.rule in self.forced
            parts.append(
                f"{b.message} (forced: {FORCE_TRAILER}: {b.rule})" if overridden else b.message
            )
        return f"{self.tag}: {'; '.join(parts)}"


def check_registry(
    rules: PromotionRules,
    registry: Registry,
    signatures: Mapping[str, SignatureFacts] | None,
) -> tuple[RuleViolation, ...]:
    """Every stage tag of `registry` that breaks a rule, in replay order.

    `signatures` maps tag names to what verifying them found (a missing tag counts as
    unsigned); None skips signature rules, for a check that did not verify signatures.
    """
    found = []
    events: list[tuple[Assignment | Unassignment, Artifact]] = [
        (event, artifact)
        for artifact in registry.artifacts.values()
        for version in artifact.versions
        for vstage in version.stages.values()
        for event in _vstage_events(vstage)
    ]
    for event, artifact in sorted(events, key=lambda pair: pair[0].order_key):
        violation = check_event(rules, artifact, event, signatures)
        if violation is not None:
            found.append(violation)
    return tuple(found)


def _vstage_events(vstage: VStage) -> tuple[Assignment | Unassignment, ...]:
    return (*vstage.assignments, *vstage.unassignments)


def check_event(
    rules: PromotionRules,
    artifact: Artifact,
    event: Assignment | Unassignment,
    signatures: Mapping[str, SignatureFacts] | None,
) -> RuleViolation | None:
    """The rules one existing stage tag breaks (`check-ref TAG --verify`), or None."""
    versions = [
        v
        for v in artifact.versions
        if (v.version, v.commit_hexsha) == (event.version, event.commit_hexsha)
    ]
    signature = None if signatures is None else signatures.get(event.tag, UNSIGNED)
    broken = _check(
        rules,
        versions,
        event.stage,
        signature,
        assigning=isinstance(event, Assignment),
        before=event.order_key,
    )
    if not broken:
        return None
    version = event.version or event.commit_hexsha
    return RuleViolation(
        event.tag, artifact.name, version, event.stage, broken, forced_rules(event.message)
    )
