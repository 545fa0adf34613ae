"""Promotion rules: the `.gto` schema, the check of a new promotion, and of every existing tag."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from handmade import event, registry, tags
from hypothesis import given
from hypothesis import strategies as st

from gto.core.events import Assignment
from gto.core.promotion import (
    UNSIGNED,
    BrokenRule,
    RuleViolation,
    SignatureFacts,
    TagSignature,
    check_event,
    check_promotion,
    check_registry,
    forced_rules,
    refusal,
    with_force_trailer,
)
from gto.core.promotion_rules import (
    PromotionRules,
    StageRule,
    parse_promotion,
    principal_allowed,
)
from gto.core.state import Registry
from gto.core.yamlio import load_yaml
from gto.exceptions import PromotionRefused, ValidationError, WrongPromotionRules

REAL_GIT = os.environ.get("GTO_TEST_REAL_GIT", "")

# --- the schema ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, {}, id="absent"),
        pytest.param({}, {}, id="empty"),
        pytest.param({"prod": None}, {"prod": StageRule()}, id="stage-without-rules"),
        pytest.param(
            {"prod": {"requires": ["staging", "qa", "staging"]}},
            {"prod": StageRule(requires=("staging", "qa"))},
            id="requires-deduplicated",
        ),
        pytest.param(
            {"prod": {"Requires": ["staging"], "SIGNED": True}},
            {"prod": StageRule(requires=("staging",), signed=True)},
            id="keys-case-insensitive",
        ),
        pytest.param(
            {"prod": {"signers": ["alice@example.com"]}},
            {"prod": StageRule(signed=True, signers=("alice@example.com",))},
            id="signers-imply-signed",
        ),
        pytest.param({"*": {"signed": True}}, {"*": StageRule(signed=True)}, id="every-stage"),
        pytest.param({"prod": {"signed": False}}, {"prod": StageRule()}, id="signed-false"),
    ],
)
def test_parse(value: object, expected: dict[str, StageRule]) -> None:
    assert parse_promotion(value) == PromotionRules(expected)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            ["prod"], "promotion: expected a mapping of stages to rules, got ['prod']", id="list"
        ),
        pytest.param(
            {"prod": ["staging"]},
            "promotion.prod: expected a mapping with requires, signed, signers",
            id="stage-not-a-mapping",
        ),
        pytest.param(
            {"prod": {"requires": "staging"}},
            "promotion.prod.requires: expected a list of stage names, got 'staging'",
            id="requires-not-a-list",
        ),
        pytest.param(
            {"prod": {"require": ["staging"]}},
            "promotion.prod.require: unknown key; use requires, signed, signers",
            id="unknown-key",
        ),
        pytest.param(
            {"prod": {"requires": [], "REQUIRES": []}},
            "promotion.prod.REQUIRES: given twice (keys are case-insensitive)",
            id="key-twice",
        ),
        pytest.param(
            {"prod": {"requires": ["prod"]}},
            "promotion.prod.requires: a stage cannot require itself",
            id="requires-itself",
        ),
        pytest.param(
            {"prod": {"requires": ["bad name"]}},
            "promotion.prod.requires: 'bad name' is not a valid stage name",
            id="bad-required-name",
        ),
        pytest.param(
            {"pr od": {}}, "promotion.pr od: 'pr od' is not a valid stage name", id="bad-stage"
        ),
        pytest.param({1: {}}, "promotion: 1 is not a stage name", id="number-as-stage"),
        pytest.param(
            {"prod": {"signed": "yes"}},
            "promotion.prod.signed: expected true or false, got 'yes'",
            id="signed-not-a-bool",
        ),
        pytest.param(
            {"prod": {"signers": []}},
            "promotion.prod.signers: expected a non-empty list of principals, got []",
            id="no-signers",
        ),
        pytest.param(
            {"prod": {"signers": ["alice bob"]}},
            "promotion.prod.signers: 'alice bob' is not a principal pattern "
            "(no spaces, commas, quotes or '!')",
            id="signer-with-space",
        ),
        pytest.param(
            {"prod": {"signers": ["!eve@example.com"]}},
            "promotion.prod.signers: '!eve@example.com' is not a principal pattern "
            "(no spaces, commas, quotes or '!')",
            id="negated-signer",
        ),
        pytest.param(
            {"prod": {"signers": ["a@example.com"], "signed": False}},
            "promotion.prod.signed: false contradicts signers, which need signed tags",
            id="unsigned-signers",
        ),
        pytest.param(
            {"*": {"requires": ["staging"]}},
            "promotion.*.requires: name the stage that requires others",
            id="every-stage-requires",
        ),
        pytest.param(
            {
                "prod": {"requires": ["staging"]},
                "staging": {"requires": ["qa"]},
                "qa": {"requires": ["prod"]},
            },
            "promotion: stages require each other: prod -> staging -> qa -> prod",
            id="cycle",
        ),
    ],
)
def test_parse_errors_name_the_field(value: object, message: str) -> None:
    with pytest.raises(WrongPromotionRules) as caught:
        parse_promotion(value)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValidationError)  # config turns these into WrongConfig


def test_stages_of_the_config_are_checked() -> None:
    rules = {"prod": {"requires": ["staging"]}}
    assert parse_promotion(rules, stages=("staging", "prod")).stages["prod"].requires == (
        "staging",
    )
    with pytest.raises(WrongPromotionRules, match=r"^promotion.prod.requires: 'staging' is not"):
        parse_promotion(rules, stages=("dev", "prod"))
    with pytest.raises(WrongPromotionRules, match=r"^promotion.qa: 'qa' is not one of the stages"):
        parse_promotion({"qa": {}}, stages=("dev", "prod"))


def test_from_gto_text() -> None:
    text = (
        "stages: [dev, staging, prod]\n"
        "promotion:\n"
        "  prod:\n"
        "    requires: [staging]\n"
        "    signers: [alice@example.com, '*@ml-team.example.com']\n"
        "  '*': {signed: true}\n"
    )
    data = load_yaml(text, what=".gto")
    rules = parse_promotion(data["promotion"], stages=data["stages"])
    assert rules.rule_for("prod") == StageRule(
        ("staging",), True, ("alice@example.com", "*@ml-team.example.com")
    )
    assert rules.rule_for("dev") == StageRule(signed=True)
    assert rules.field_of("prod", "signed") == "promotion.prod.signed"
    assert rules.field_of("dev", "signed") == "promotion.*.signed"


@pytest.mark.parametrize(
    ("principal", "patterns", "allowed"),
    [
        pytest.param("alice@example.com", ["alice@example.com"], True, id="exact"),
        pytest.param("Alice@example.com", ["alice@example.com"], False, id="case-kept"),
        pytest.param("bob@ml.example.com", ["*@ml.example.com"], True, id="star"),
        pytest.param("bob@example.com", ["*@ml.example.com"], False, id="star-other-domain"),
        pytest.param("bob@mlxexample.com", ["*@ml.example.com"], False, id="dot-is-literal"),
        pytest.param("ci-7", ["ci-?"], True, id="question-mark"),
        pytest.param("ci-17", ["ci-?"], False, id="question-mark-one-char"),
        pytest.param("a+b@x", ["a+b@x"], True, id="regex-characters-are-literal"),
        pytest.param("anyone", ["*"], True, id="everyone"),
        pytest.param("anyone", [], False, id="no-patterns"),
    ],
)
def test_principal_patterns(principal: str, patterns: list[str], allowed: bool) -> None:
    assert principal_allowed(principal, patterns) is allowed


# --- a new promotion ----------------------------------------------------------------------------

RULES = parse_promotion(
    {
        "prod": {"requires": ["staging"]},
        "gold": {"requires": ["qa", "staging"]},
        "audit": {"signers": ["alice@example.com", "*@ml.example.com"]},
    }
)
ALICE = TagSignature("good", "alice@example.com")


def messages(broken: tuple[BrokenRule, ...]) -> list[str]:
    return [b.message for b in broken]


REQUIRES_PROD = "Stage 'prod' requires the version to hold or have held 'staging' first"


@pytest.mark.parametrize(
    ("specs", "stage", "unassign", "expected"),
    [
        pytest.param(["m@v1.0.0 a 1"], "prod", False, [REQUIRES_PROD], id="never-staged"),
        pytest.param(["m@v1.0.0 a 1", "m#staging#1 a 2"], "prod", False, [], id="holds-staging"),
        pytest.param(
            ["m@v1.0.0 a 1", "m#staging#1 a 2", "m#staging!#2 a 3"], "prod", False, [],
            id="has-held-staging",
        ),
        pytest.param(
            ["m@v1.0.0 a 1", "m@v2.0.0 b 1", "m#staging#1 b 2"], "prod", False, [REQUIRES_PROD],
            id="another-version-staged",
        ),
        pytest.param(["m@v1.0.0 a 1"], "prod", True, [], id="unassign-needs-nothing-held"),
        pytest.param([], "prod", False, [REQUIRES_PROD], id="new-artifact"),
        pytest.param(
            ["m@v1.0.0 a 1", "m#qa#1 a 2"], "gold", False,
            ["Stage 'gold' requires the version to hold or have held 'staging' first"],
            id="one-of-two-missing",
        ),
        pytest.param(
            ["m@v1.0.0 a 1"], "gold", False,
            ["Stage 'gold' requires the version to hold or have held 'qa' and 'staging' first"],
            id="both-missing",
        ),
        pytest.param(["m@v1.0.0 a 1"], "dev", False, [], id="stage-without-rules"),
    ],
)  # fmt: skip
def test_check_promotion_requires(
    specs: list[str], stage: str, unassign: bool, expected: list[str]
) -> None:
    artifact = registry(tags(*specs)).find_artifact("m")
    broken = check_promotion(RULES, artifact, "v1.0.0", stage, signature=None, unassign=unassign)
    assert messages(broken) == expected


UNTRUSTED_AUDIT = "Stage 'audit' requires tags signed by a trusted key; the tag is "


@pytest.mark.parametrize(
    ("signature", "expected"),
    [
        pytest.param(ALICE, [], id="alice"),
        pytest.param(TagSignature("good", "bob@ml.example.com"), [], id="team-pattern"),
        pytest.param(None, [], id="not-verified-skips"),
        pytest.param(UNSIGNED, [UNTRUSTED_AUDIT + "not signed"], id="unsigned"),
        pytest.param(TagSignature("bad"), [UNTRUSTED_AUDIT + "signed: bad"], id="bad"),
        pytest.param(TagSignature("revoked"), [UNTRUSTED_AUDIT + "signed: revoked"], id="revoked"),
        pytest.param(
            TagSignature("untrusted"), [UNTRUSTED_AUDIT + "signed: untrusted"], id="untrusted"
        ),
        pytest.param(
            TagSignature("good"), [UNTRUSTED_AUDIT + "signed: untrusted"], id="good-no-principal"
        ),
        pytest.param(
            TagSignature("good", "eve@example.com"),
            [
                "Stage 'audit' accepts tags signed by alice@example.com, *@ml.example.com only; "
                "the tag is signed by eve@example.com"
            ],
            id="not-a-signer",
        ),
    ],
)
def test_check_promotion_signatures(signature: SignatureFacts | None, expected: list[str]) -> None:
    artifact = registry(tags("m@v1.0.0 a 1")).find_artifact("m")
    for unassign in (False, True):  # leaving a signed stage takes a signature too
        assert messages(
            check_promotion(RULES, artifact, "v1.0.0", "audit", signature=signature,
                            unassign=unassign)
        ) == expected  # fmt: skip


def test_every_stage_rule_is_named_as_such() -> None:
    rules = parse_promotion({"*": {"signed": True}, "prod": {"requires": ["staging"]}})
    broken = check_promotion(rules, None, "v1.0.0", "prod", signature=UNSIGNED)
    assert [(b.rule, b.kind, b.overridable) for b in broken] == [
        ("promotion.prod.requires", "requires", True),
        ("promotion.*.signed", "signed", False),
    ]


def test_refusal_is_one_line_and_says_when_force_helps() -> None:
    requires = check_promotion(RULES, None, "v1.0.0", "prod", signature=None)
    refused = refusal(requires)
    assert str(refused) == f"{REQUIRES_PROD} (promotion.prod.requires); use --force to override"
    assert (isinstance(refused, PromotionRefused), refused.rules) == (
        True,
        ("promotion.prod.requires",),
    )
    signed = check_promotion(RULES, None, "v1.0.0", "audit", signature=UNSIGNED)
    assert str(refusal(signed)) == UNTRUSTED_AUDIT + "not signed (promotion.audit.signed)"


# --- the force trailer --------------------------------------------------------------------------


FORCE_MESSAGES = [
    pytest.param("Promote\n\nGTO-Force: promotion.prod.requires\n", {"promotion.prod.requires"},
                 id="trailer"),
    pytest.param("x\n\ngto-force:promotion.prod.requires", {"promotion.prod.requires"},
                 id="key-case-and-no-space"),
    pytest.param("x\n\nGTO-Force : promotion.a.requires", {"promotion.a.requires"},
                 id="space-before-colon"),
    pytest.param("x\n\nGTO-Force: promotion.a.requires, promotion.b.requires\n",
                 {"promotion.a.requires", "promotion.b.requires"}, id="several"),
    pytest.param("x\n\nSigned-off-by: A <a@x>\nGTO-Force: promotion.a.requires\n",
                 {"promotion.a.requires"}, id="among-other-trailers"),
    pytest.param("x\n\nGTO-Force: promotion.a.requires\n\n\n", {"promotion.a.requires"},
                 id="blank-lines-after"),
    pytest.param("GTO-Force: promotion.a.requires\n\nand then text", set(),
                 id="not-the-last-paragraph"),
    pytest.param("x\nGTO-Force: promotion.a.requires", set(), id="in-the-subject-paragraph"),
    pytest.param("GTO-Force: promotion.a.requires", set(), id="the-subject-itself"),
    pytest.param("x\n\nsome text\nGTO-Force: promotion.a.requires", set(), id="mixed-paragraph"),
    pytest.param("x\n\n  GTO-Force: promotion.a.requires", set(), id="indented"),
    pytest.param("", set(), id="empty"),
]  # fmt: skip
SIGNED = (
    "x\n\nGTO-Force: promotion.a.requires\n-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n"
    "-----END SSH SIGNATURE-----\n"
)


@pytest.mark.parametrize(("message", "expected"), FORCE_MESSAGES)
def test_forced_rules(message: str, expected: set[str]) -> None:
    assert forced_rules(message) == expected


def test_a_signature_after_the_trailer_is_cut_off() -> None:
    assert forced_rules(SIGNED) == {"promotion.a.requires"}
    assert forced_rules(SIGNED.replace("SSH SIGNATURE", "PGP SIGNATURE")) == {
        "promotion.a.requires"
    }


def git_trailers(message: str, home: Path) -> str:
    return subprocess.run(
        [REAL_GIT, "interpret-trailers", "--parse"],
        input=message,
        env={"PATH": os.defpath, "HOME": str(home), "GIT_CONFIG_NOSYSTEM": "1"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.mark.skipif(not REAL_GIT, reason="needs GTO_TEST_REAL_GIT to ask git for the trailers")
@pytest.mark.parametrize(("message", "expected"), FORCE_MESSAGES)
def test_git_finds_the_same_trailers(tmp_path: Path, message: str, expected: set[str]) -> None:
    found = {
        rule.strip()
        for line in git_trailers(message, tmp_path).splitlines()
        if line.lower().startswith("gto-force:")
        for rule in line.split(":", 1)[1].split(",")
    }
    assert found == expected


PROD_REQUIRES = check_promotion(RULES, None, "v1", "prod", signature=UNSIGNED)


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        pytest.param("Hotfix", "Hotfix\n\nGTO-Force: promotion.prod.requires\n", id="plain"),
        pytest.param(
            "Hotfix\n\nSigned-off-by: A <a@x>\n",
            "Hotfix\n\nSigned-off-by: A <a@x>\nGTO-Force: promotion.prod.requires\n",
            id="joins-a-trailer-block",
        ),
        pytest.param(
            "",
            "Promotion rules overridden with --force\n\nGTO-Force: promotion.prod.requires\n",
            id="empty",
        ),
    ],
)
def test_with_force_trailer(message: str, expected: str) -> None:
    assert with_force_trailer(message, PROD_REQUIRES) == expected


def test_signature_rules_get_no_trailer() -> None:
    broken = check_promotion(RULES, None, "v1", "audit", signature=UNSIGNED)
    assert with_force_trailer("Hotfix", broken) == "Hotfix"


@pytest.mark.property
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=80))
def test_the_trailer_is_always_found_again(message: str) -> None:
    assert forced_rules(with_force_trailer(message, PROD_REQUIRES)) >= {"promotion.prod.requires"}


@pytest.mark.skipif(not REAL_GIT, reason="needs GTO_TEST_REAL_GIT to ask git for the trailers")
@pytest.mark.parametrize(
    "message",
    ["Hotfix INC-42", "Promote churn\n\nafter review\n", "Hotfix\n\nSigned-off-by: A <a@x>\n", ""],
)
def test_git_reads_the_trailer_gto_writes(tmp_path: Path, message: str) -> None:
    parsed = git_trailers(with_force_trailer(message, PROD_REQUIRES), tmp_path)
    assert "GTO-Force: promotion.prod.requires\n" in parsed


# --- every existing tag -------------------------------------------------------------------------

FORCED = "Hotfix INC-42\n\nGTO-Force: promotion.prod.requires\n"
HISTORY = (
    *tags("m@v1.0.0 a 10", "m#prod#1 a 20", "m#staging#2 a 30", "m#prod#3 a 40", "m@v2.0.0 b 50"),
    event("m#prod#4 b 60", FORCED),
    event("m#audit#5 a 70"),
    event("m#audit!#6 a 80"),
)


def listed(violations: tuple[RuleViolation, ...]) -> list[tuple[str, list[str], bool]]:
    return [(v.tag, [b.rule for b in v.broken], bool(v.blocking)) for v in violations]


def test_check_registry_in_replay_order() -> None:
    reg = registry(HISTORY)
    signed = {"m#audit#5": ALICE}
    assert listed(check_registry(RULES, reg, signed)) == [
        ("m#prod#1", ["promotion.prod.requires"], True),
        ("m#prod#4", ["promotion.prod.requires"], False),
        ("m#audit!#6", ["promotion.audit.signed"], True),
    ]
    assert [v.describe() for v in check_registry(RULES, reg, signed)] == [
        f"m#prod#1: {REQUIRES_PROD}",
        f"m#prod#4: {REQUIRES_PROD} (forced: GTO-Force: promotion.prod.requires)",
        f"m#audit!#6: {UNTRUSTED_AUDIT}not signed",
    ]
    # Without verified signatures, only the rules that need none are checked.
    assert [v.tag for v in check_registry(RULES, reg, None)] == ["m#prod#1", "m#prod#4"]
    assert check_registry(PromotionRules(), reg, {}) == ()


def test_a_forced_signature_rule_still_blocks() -> None:
    forged = event("m#audit#1 a 20", "x\n\nGTO-Force: promotion.audit.signed\n")
    (violation,) = check_registry(RULES, registry((*tags("m@v1.0.0 a 10"), forged)), {})
    assert violation.forced == {"promotion.audit.signed"}
    assert [b.rule for b in violation.blocking] == ["promotion.audit.signed"]
    assert violation.describe() == f"m#audit#1: {UNTRUSTED_AUDIT}not signed"


@pytest.mark.parametrize(
    ("specs", "broken"),
    [
        pytest.param(["m#staging#1 a 20", "m#prod#2 a 20"], [], id="counters-order-one-second"),
        pytest.param(["m#prod#1 a 20", "m#staging#2 a 20"], ["m#prod#1"], id="prod-counted-first"),
        # Simple tags of one second: replay's tie rule orders them by name, prod first.
        pytest.param(["m#staging a 20", "m#prod a 20"], ["m#prod"], id="simple-tags-by-name"),
    ],
)
def test_same_second(specs: list[str], broken: list[str]) -> None:
    reg = registry(tags("m@v1.0.0 a 10", *specs))
    assert [v.tag for v in check_registry(RULES, reg, None)] == broken


def test_check_event_for_one_tag() -> None:
    reg = registry(HISTORY)
    artifact = reg.artifacts["m"]
    events = {e.tag: e for v in artifact.versions for s in v.stages.values() for e in s.assignments}
    assert check_event(RULES, artifact, events["m#prod#3"], None) is None
    violation = check_event(RULES, artifact, events["m#prod#1"], None)
    assert violation is not None
    assert (violation.artifact, violation.version, violation.stage) == ("m", "v1.0.0", "prod")
    assert isinstance(events["m#prod#1"], Assignment)


def test_an_unregistered_version_is_named_by_its_commit() -> None:
    (violation,) = check_registry(RULES, registry(tags("m#prod#1 c 10")), None)
    assert violation.version == "c" * 40


@pytest.mark.property
@given(st.lists(st.sampled_from(["dev", "staging", "prod"]), max_size=8))
def test_no_rules_no_violations(stages: list[str]) -> None:
    reg: Registry = registry(
        tags("m@v1.0.0 a 1", *(f"m#{s}#{i} a {i + 2}" for i, s in enumerate(stages)))
    )
    assert check_registry(PromotionRules(), reg, {}) == ()
    assert all(v.tag.startswith("m#prod") for v in check_registry(RULES, reg, None))
