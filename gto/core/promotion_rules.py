"""Promotion rules: the `promotion:` key of `.gto`, read into frozen values.

    promotion:
      prod:
        requires: [staging]          # stages the version must hold or have held first (all)
        signed: true                 # its tags (assign and unassign) need a good, trusted signature
        signers: [alice@example.com, "*@ml-team.example.com"]   # and from these principals
      "*":
        signed: true                 # every stage: signed (`requires` is per stage only)

A good signature proves a key; the allowed signers file maps keys to principals; `signers`
says which principals may move the stage. Errors name the field (`promotion.prod.requires`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from gto.core.tags import check_name
from gto.exceptions import ValidationError, WrongPromotionRules

ANY_STAGE = "*"
RuleKind = Literal["requires", "signed", "signers"]
_KEYS = ("requires", "signed", "signers")
# A principal pattern as the allowed signers file writes one: no spaces, commas or quotes.
_PATTERN = re.compile(r"[^\s,\"'!]+")


@dataclass(frozen=True)
class StageRule:
    """What entering (or leaving) one stage takes."""

    requires: tuple[str, ...] = ()
    signed: bool = False
    signers: tuple[str, ...] = ()  # principal patterns; empty: any trusted principal


@dataclass(frozen=True)
class PromotionRules:
    """Rules per stage; `*` holds signature rules for every stage."""

    stages: Mapping[str, StageRule] = field(default_factory=dict)

    def rule_for(self, stage: str) -> StageRule:
        """The stage's own rule merged with `*`'s (signatures), as checks apply it.

        >>> rules = parse_promotion({"*": {"signed": True}, "prod": {"requires": ["qa"]}})
        >>> rules.rule_for("prod")
        StageRule(requires=('qa',), signed=True, signers=())
        """
        own = self.stages.get(stage, StageRule())
        every = self.stages.get(ANY_STAGE, StageRule())
        signers = own.signers or every.signers
        return StageRule(own.requires, own.signed or every.signed or bool(signers), signers)

    def field_of(self, stage: str, kind: RuleKind) -> str:
        """The `.gto` field a broken rule comes from, to name it in messages and `GTO-Force`.

        >>> parse_promotion({"*": {"signed": True}}).field_of("prod", "signed")
        'promotion.*.signed'
        """
        own = self.stages.get(stage, StageRule())
        mine = {"requires": True, "signed": own.signed, "signers": bool(own.signers)}[kind]
        return f"promotion.{stage if mine else ANY_STAGE}.{kind}"


def principal_allowed(principal: str, patterns: Sequence[str]) -> bool:
    """Whether `principal` matches a pattern: `*` any run, `?` one character, case kept.

    >>> principal_allowed("bob@ml-team.example.com", ["alice@example.com", "*@ml-team.example.com"])
    True
    """
    return any(re.fullmatch(_glob(pattern), principal, re.DOTALL) for pattern in patterns)


def _glob(pattern: str) -> str:
    """The regular expression of an OpenSSH-style pattern (as in allowed signers files)."""
    return ".*".join(".".join(map(re.escape, part.split("?"))) for part in pattern.split("*"))


def _names(value: object, where: str, known: Sequence[str] | None) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise WrongPromotionRules(where, f"expected a list of stage names, got {value!r}")
    for item in value:
        try:
            check_name(item)
        except ValidationError:
            raise WrongPromotionRules(where, f"{item!r} is not a valid stage name") from None
        if known is not None and item not in known:
            raise WrongPromotionRules(where, f"{item!r} is not one of the stages {list(known)}")
    return tuple(dict.fromkeys(value))


def _signers(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise WrongPromotionRules(where, f"expected a non-empty list of principals, got {value!r}")
    for item in value:
        if not isinstance(item, str) or not _PATTERN.fullmatch(item):
            raise WrongPromotionRules(
                where, f"{item!r} is not a principal pattern (no spaces, commas, quotes or '!')"
            )
    return tuple(dict.fromkeys(value))


def _stage_rule(stage: str, value: object, known: Sequence[str] | None) -> StageRule:
    where = f"promotion.{stage}"
    if value is None:
        return StageRule()
    if not isinstance(value, dict):
        raise WrongPromotionRules(where, f"expected a mapping with {', '.join(_KEYS)}")
    given: dict[str, object] = {}
    for key, item in value.items():
        name = key.lower() if isinstance(key, str) else None
        if name not in _KEYS:
            raise WrongPromotionRules(f"{where}.{key}", f"unknown key; use {', '.join(_KEYS)}")
        if name in given:
            raise WrongPromotionRules(f"{where}.{key}", "given twice (keys are case-insensitive)")
        given[name] = item
    requires = _names(given.get("requires", []), f"{where}.requires", known)
    if stage == ANY_STAGE and requires:
        raise WrongPromotionRules(f"{where}.requires", "name the stage that requires others")
    if stage in requires:
        raise WrongPromotionRules(f"{where}.requires", "a stage cannot require itself")
    signed = given.get("signed")
    if signed is not None and not isinstance(signed, bool):
        raise WrongPromotionRules(f"{where}.signed", f"expected true or false, got {signed!r}")
    signers = _signers(given["signers"], f"{where}.signers") if "signers" in given else ()
    if signers and signed is False:
        raise WrongPromotionRules(
            f"{where}.signed", "false contradicts signers, which need signed tags"
        )
    return StageRule(requires, bool(signed) or bool(signers), signers)


def _check_cycles(stages: Mapping[str, StageRule]) -> None:
    """No stage may end up requiring itself: no version could ever enter it."""

    def visit(stage: str, path: tuple[str, ...]) -> None:
        for required in stages.get(stage, StageRule()).requires:
            if required in path:
                cycle = " -> ".join((*path[path.index(required) :], required))
                raise WrongPromotionRules("promotion", f"stages require each other: {cycle}")
            visit(required, (*path, required))

    for stage in stages:
        visit(stage, (stage,))


def parse_promotion(value: object, *, stages: Sequence[str] | None = None) -> PromotionRules:
    """The `promotion:` value of `.gto` (YAML already loaded); `stages` is `.gto`'s `stages:`.

    >>> parse_promotion({"prod": {"requires": ["staging"], "signers": ["*@example.com"]}})
    PromotionRules(stages={'prod': StageRule(requires=('staging',), signed=True, \
signers=('*@example.com',))})
    >>> parse_promotion({"prod": {"requires": "staging"}})
    Traceback (most recent call last):
    gto.exceptions.WrongPromotionRules: promotion.prod.requires: expected a list of \
stage names, got 'staging'
    """
    if value is None:
        return PromotionRules()
    if not isinstance(value, dict):
        raise WrongPromotionRules(
            "promotion", f"expected a mapping of stages to rules, got {value!r}"
        )
    rules: dict[str, StageRule] = {}
    for stage, item in value.items():
        if not isinstance(stage, str):
            raise WrongPromotionRules("promotion", f"{stage!r} is not a stage name")
        if stage != ANY_STAGE:
            _names([stage], f"promotion.{stage}", stages)
        rules[stage] = _stage_rule(stage, item, stages)
    _check_cycles(rules)
    return PromotionRules(rules)
