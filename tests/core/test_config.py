"""`.gto` text and `GTO_*` variables in, `Config` or error out (behaviour reference, section 5)."""

from __future__ import annotations

import json

import pytest

from gto.core.config import (
    Config,
    EnrichmentConfig,
    check_stage,
    check_type,
    env_config_lines,
    load_config,
)
from gto.core.promotion_rules import parse_promotion
from gto.exceptions import ValidationError, WrongConfig

PATH = "/repo/.gto"
NAME_ERROR = (
    "Invalid value '{}'. Only letters, numbers, '_', '-', '/' are allowed. "
    "Value must start and end with a letter or a number."
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(None, Config(), id="no-file"),
        pytest.param("", Config(), id="empty-file"),
        pytest.param("# just a comment\n", Config(), id="comment-only"),
        pytest.param("stages: [dev, prod]\n", Config(stages=("dev", "prod")), id="stages"),
        pytest.param(
            "STAGES: [dev]\nTypes: [model]\n",
            Config(types=("model",), stages=("dev",)),
            id="keys-any-case",
        ),
        pytest.param(b"stages: [dev]\n", Config(stages=("dev",)), id="bytes"),
        pytest.param("stages:\n", Config(), id="null-stages"),
        pytest.param("types: null\n", Config(), id="null-types"),
        pytest.param("stages: []\n", Config(stages=()), id="empty-list"),
        pytest.param("stages: [a, a]\n", Config(stages=("a", "a")), id="duplicates-kept"),
        pytest.param(
            "stages: [m, Prod_1, a/b]\n", Config(stages=("m", "Prod_1", "a/b")), id="name-grammar"
        ),
        pytest.param("index: models.yaml\n", Config(index="models.yaml"), id="index"),
        pytest.param("config_file_name: x\n", Config(config_file_name="x"), id="config-file-name"),
        pytest.param(
            "autoload_enrichments: false\n", Config(autoload_enrichments=False), id="autoload"
        ),
        pytest.param(
            "autoload_enrichments: 'no'\n", Config(autoload_enrichments=False), id="bool-word"
        ),
        pytest.param(
            "autoload_enrichments: 0\n", Config(autoload_enrichments=False), id="bool-int"
        ),
        pytest.param("enrichments: []\n", Config(), id="no-enrichments"),
        pytest.param(
            "enrichments:\n- type: gto\n  config: {a: 1}\n  extra: ignored\n",
            Config(enrichments=(EnrichmentConfig("gto", {"a": 1}),)),
            id="enrichment",
        ),
        # Q17: these shape the process before a repo is opened, so only env counts.
        pytest.param("emojis: false\n", Config(), id="Q17-emojis-file-ignored"),
        pytest.param("log_level: DEBUG\n", Config(), id="Q17-log-level-file-ignored"),
        pytest.param("debug: true\n", Config(), id="debug-file-ignored"),
    ],
)
def test_load_config_file(text: str | bytes | None, expected: Config) -> None:
    assert load_config(text, path=PATH, environ={}) == expected


NAME_RULE = (
    "Only letters, numbers, '_', '-', '/' are allowed. Value must start and end with a letter "
    "or a number."
)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("foo: 1\n", "unknown key 'foo'", id="unknown-key"),
        pytest.param("- stages\n", "the top level must be a mapping", id="list-top-level"),
        pytest.param("stages\n", "the top level must be a mapping", id="scalar-top-level"),
        pytest.param(
            "stages: [\n",
            "while parsing a flow node, did not find expected node content (line 2, column 1)",
            id="bad-yaml",
        ),
        pytest.param("1: 2\n", "unknown key 1", id="non-string-key"),
        pytest.param(
            "stages: [a]\nSTAGES: [b]\n",
            "key 'STAGES' is given twice (keys are case-insensitive)",
            id="key-twice-any-case",
        ),
        pytest.param(
            "stages: dev\n", "stages: expected a list of names, got 'dev'", id="stages-not-list"
        ),
        pytest.param(
            "stages: [1, 2]\n",
            "stages: expected a list of names, got [1, 2]",
            id="stages-not-strings",
        ),
        pytest.param(
            "stages: [-x]\n", f"stages: Invalid value '-x'. {NAME_RULE}", id="stage-bad-name"
        ),
        pytest.param(
            "types: [a, 'a b']\n", f"types: Invalid value 'a b'. {NAME_RULE}", id="type-bad-name"
        ),
        pytest.param(
            "index: 5\n", "index: expected a non-empty string, got 5", id="index-not-string"
        ),
        pytest.param(
            "index: null\n", "index: expected a non-empty string, got None", id="index-null"
        ),
        pytest.param("index: ''\n", "index: expected a non-empty string, got ''", id="index-empty"),
        pytest.param(
            "log_level: 5\n",
            "log_level: expected a non-empty string, got 5",
            id="log-level-not-string",
        ),
        pytest.param(
            "emojis: maybe\n",
            "emojis: expected true or false, got 'maybe'",
            id="ignored-key-still-validated",
        ),
        pytest.param(
            "autoload_enrichments: 2\n",
            "autoload_enrichments: expected true or false, got 2",
            id="bool-out-of-range",
        ),
        pytest.param(
            "enrichments: [gto]\n",
            "enrichments: an enrichment needs a string `type`, got 'gto'",
            id="enrichment-not-mapping",
        ),
        pytest.param(
            "enrichments:\n- config: {}\n",
            "enrichments: an enrichment needs a string `type`, got {'config': {}}",
            id="enrichment-without-type",
        ),
        pytest.param(
            "enrichments:\n- type: gto\n  config: 5\n",
            "enrichments: enrichment `config` must be a mapping, got 5",
            id="enrichment-config-not-mapping",
        ),
        pytest.param(
            "a: &x [dev]\nstages: *x\n", "aliases are not allowed (line 2, column 9)", id="alias"
        ),
        pytest.param(
            "stages: [" + "a, " * 400_000 + "a]\n",
            "too large: 1,200,012 bytes, over the limit of 1,000,000 bytes",
            id="over-size-limit",
        ),
    ],
)
def test_load_config_file_invalid(text: str, reason: str) -> None:
    with pytest.raises(WrongConfig) as info:
        load_config(text, path=PATH, environ={})
    assert str(info.value) == f"Wrong config file '/repo/.gto': {reason}"
    assert info.value.path == PATH
    assert info.value.__cause__ is not None  # the reason, for --traceback


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        pytest.param(
            None, {"GTO_STAGES": '["dev", "prod"]'}, Config(stages=("dev", "prod")), id="env-only"
        ),
        pytest.param(
            "stages: [dev]\n", {"GTO_STAGES": '["qa"]'}, Config(stages=("qa",)), id="env-beats-file"
        ),
        pytest.param("stages: [dev]\n", {"GTO_STAGES": "null"}, Config(), id="env-null-beats-file"),
        pytest.param(
            "stages: [dev]\n", {"GTO_STAGES": "[]"}, Config(stages=()), id="env-empty-list"
        ),
        pytest.param(
            "stages: [-x]\n",
            {"GTO_STAGES": '["a"]'},
            Config(stages=("a",)),
            id="overridden-file-value-unchecked",
        ),
        pytest.param(
            "stages: [dev]\n",
            {"GTO_TYPES": '["model"]'},
            Config(types=("model",), stages=("dev",)),
            id="env-and-file-merge",
        ),
        pytest.param(None, {"gto_stages": '["a"]'}, Config(stages=("a",)), id="var-lower-case"),
        pytest.param(None, {"Gto_Stages": '["a"]'}, Config(stages=("a",)), id="var-mixed-case"),
        pytest.param(None, {"GTO_INDEX": "m.yaml"}, Config(index="m.yaml"), id="string-raw"),
        pytest.param(
            None, {"GTO_FOO": "1", "STAGES": '["a"]'}, Config(), id="unrelated-vars-ignored"
        ),
        pytest.param(
            None,
            {"GTO_ENRICHMENTS": '[{"type": "x"}]'},
            Config(enrichments=(EnrichmentConfig("x"),)),
            id="enrichments-json",
        ),
        pytest.param(
            "emojis: true\n", {"GTO_EMOJIS": "false"}, Config(emojis=False), id="Q17-emojis-env"
        ),
        pytest.param(
            None, {"GTO_LOG_LEVEL": "debug"}, Config(log_level="DEBUG"), id="log-level-upper-cased"
        ),
        pytest.param(None, {"GTO_DEBUG": "1"}, Config(debug=True), id="debug-env"),
    ],
)
def test_load_config_env(text: str | None, environ: dict[str, str], expected: Config) -> None:
    assert load_config(text, path=PATH, environ=environ) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *(
            pytest.param(raw, True, id=f"true-{raw}")
            for raw in ["true", "TRUE", "1", "yes", "on", "t", "Y"]
        ),
        *(
            pytest.param(raw, False, id=f"false-{raw}")
            for raw in ["false", "False", "0", "no", "off", "f", "N"]
        ),
    ],
)
def test_env_booleans(raw: str, expected: bool) -> None:
    assert load_config(None, path=PATH, environ={"GTO_EMOJIS": raw}).emojis is expected


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param(
            {"GTO_STAGES": "dev"},
            "Invalid value in environment variable GTO_STAGES: expected a JSON list, got 'dev'",
            id="not-json",
        ),
        pytest.param(
            {"GTO_STAGES": '"dev"'},
            "Invalid value in environment variable GTO_STAGES: expected a list of names, got 'dev'",
            id="json-not-list",
        ),
        pytest.param(
            {"GTO_STAGES": ""},
            "Invalid value in environment variable GTO_STAGES: expected a JSON list, got ''",
            id="empty",
        ),
        pytest.param({"GTO_STAGES": '["-x"]'}, NAME_ERROR.format("-x"), id="bad-stage-name"),
        pytest.param(
            {"GTO_EMOJIS": "maybe"},
            "Invalid value in environment variable GTO_EMOJIS: expected true or false, got 'maybe'",
            id="bad-bool",
        ),
        pytest.param(
            {"GTO_LOG_LEVEL": "bogus"},
            "Invalid value in environment variable GTO_LOG_LEVEL: unknown log level 'bogus'",
            id="bad-log-level",
        ),
        pytest.param(
            {"GTO_ENRICHMENTS": "[{}]"},
            "Invalid value in environment variable GTO_ENRICHMENTS: "
            "an enrichment needs a string `type`, got {}",
            id="enrichment-without-type",
        ),
        pytest.param(
            {"GTO_STAGES": '["a"]', "gto_stages": '["b"]'},
            "Environment variables GTO_STAGES and gto_stages both set stages",
            id="two-spellings",
        ),
    ],
)
def test_load_config_env_invalid(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        load_config("stages: [dev]\n", path=PATH, environ=environ)
    assert str(info.value) == message


def test_env_error_wins_over_file_error() -> None:
    with pytest.raises(ValidationError):
        load_config("foo: 1\n", path=PATH, environ={"GTO_EMOJIS": "maybe"})


def test_config_is_hashable() -> None:
    config = load_config("enrichments: [{type: gto, config: {a: [1]}}]\n", path=PATH, environ={})
    assert hash(config) == hash(Config(enrichments=(EnrichmentConfig("gto"),)))


DEFAULT_LINES = [
    "INDEX='artifacts.yaml'",
    "CONFIG_FILE_NAME='.gto'",
    "LOG_LEVEL='INFO'",
    "DEBUG=False",
    "EMOJIS=True",
    "types=None",
    "stages=None",
    "enrichments=[]",
    "autoload_enrichments=True",
]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        # Observed from upstream 1.10.1 `gto doctor` in an empty repo.
        pytest.param({}, DEFAULT_LINES, id="defaults"),
        pytest.param(
            {
                "GTO_STAGES": '["dev","prod"]',
                "GTO_TYPES": '["model"]',
                "GTO_EMOJIS": "false",
                "GTO_DEBUG": "1",
                "GTO_LOG_LEVEL": "DEBUG",
                "GTO_INDEX": "x.yaml",
            },
            [
                "INDEX='x.yaml'",
                "CONFIG_FILE_NAME='.gto'",
                "LOG_LEVEL='DEBUG'",
                "DEBUG=True",
                "EMOJIS=False",
                "types=['model']",
                "stages=['dev', 'prod']",
                "enrichments=[]",
                "autoload_enrichments=True",
            ],
            id="everything-set",
        ),
        pytest.param(
            {
                "GTO_ENRICHMENTS": '[{"type":"x","config":{"a":[1]}}]',
                "GTO_AUTOLOAD_ENRICHMENTS": "false",
            },
            [
                *DEFAULT_LINES[:7],
                "enrichments=[EnrichmentConfig(type='x', config={'a': [1]})]",
                "autoload_enrichments=False",
            ],
            id="enrichments",
        ),
        pytest.param(
            {"GTO_STAGES": "[]"},
            [*DEFAULT_LINES[:6], "stages=[]", *DEFAULT_LINES[7:]],
            id="empty-stages",
        ),
        pytest.param(
            {"GTO_CONFIG_FILE_NAME": "foo"},
            ["INDEX='artifacts.yaml'", "CONFIG_FILE_NAME='foo'", *DEFAULT_LINES[2:]],
            id="config-file-name",
        ),
    ],
)
def test_env_config_lines(environ: dict[str, str], expected: list[str]) -> None:
    assert env_config_lines(environ) == expected


@pytest.mark.parametrize(
    ("stages", "stage"),
    [
        pytest.param(None, "anything", id="no-list"),
        pytest.param(("dev", "prod"), "prod", id="listed"),
        pytest.param(None, "m", id="one-char"),
    ],
)
def test_check_stage_ok(stages: tuple[str, ...] | None, stage: str) -> None:
    assert check_stage(Config(stages=stages), stage) == stage


@pytest.mark.parametrize(
    ("stages", "stage", "message"),
    [
        pytest.param(
            ("dev", "prod"), "qa", "Allowed stages are: '['dev', 'prod']'", id="not-listed"
        ),
        pytest.param((), "dev", "Allowed stages are: '[]'", id="empty-list-forbids-all"),
        pytest.param(None, "-dev", NAME_ERROR.format("-dev"), id="bad-name-no-list"),
        pytest.param(("dev",), "de v", NAME_ERROR.format("de v"), id="name-checked-first"),
    ],
)
def test_check_stage_invalid(stages: tuple[str, ...] | None, stage: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_stage(Config(stages=stages), stage)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("types", "type_", "message"),
    [
        pytest.param(None, "model", None, id="no-list"),
        pytest.param(("model", "dataset"), "dataset", None, id="listed"),
        pytest.param(
            ("model", "dataset"), "x", "Allowed types are: '['model', 'dataset']'", id="not-listed"
        ),
        pytest.param((), "model", "Allowed types are: '[]'", id="empty-list-forbids-all"),
        pytest.param(None, "a b", NAME_ERROR.format("a b"), id="bad-name"),
    ],
)
def test_check_type(types: tuple[str, ...] | None, type_: str, message: str | None) -> None:
    config = Config(types=types)
    if message is None:
        assert check_type(config, type_) == type_
    else:
        with pytest.raises(ValidationError) as info:
            check_type(config, type_)
        assert str(info.value) == message


OUTSIDE = [
    "../artifacts.yaml",
    "/etc/artifacts.yaml",
    "a/../../x.yaml",
    ".git/config",
    "sub/.GIT/hooks/pre-commit",
    "./artifacts.yaml",
    "a//b.yaml",
    "dir/",
    "C:\\x.yaml",
    "a\nb.yaml",
]


@pytest.mark.parametrize("index", OUTSIDE)
def test_the_index_file_stays_inside_the_repository(index: str) -> None:
    with pytest.raises(WrongConfig):
        load_config(f"index: {json.dumps(index)}", path="/r/.gto", environ={})
    with pytest.raises(ValidationError) as info:
        load_config(None, path="/r/.gto", environ={"GTO_INDEX": index})
    assert str(info.value).startswith(
        "Invalid value in environment variable GTO_INDEX: expected a relative path inside "
        "the repository, without '..' or '.git' parts, got "
    )


@pytest.mark.parametrize("index", ["models.yaml", "registry/artifacts.yaml", "a.b/c-d_e.yml"])
def test_an_index_file_inside_the_repository_is_fine(index: str) -> None:
    assert load_config(f"index: {index}", path="/r/.gto", environ={}).index == index
    assert load_config(None, path="/r/.gto", environ={"GTO_INDEX": index}).index == index


# --- gto's own keys: promotion rules, signing, signer files --------------------------------


@pytest.mark.parametrize(
    ("text", "environ", "expected"),
    [
        pytest.param(
            "stages: [staging, prod]\npromotion:\n  prod: {requires: [staging]}\n",
            {},
            Config(
                stages=("staging", "prod"),
                promotion=parse_promotion({"prod": {"requires": ["staging"]}}),
            ),
            id="promotion",
        ),
        pytest.param(
            "promotion:\n  prod: {requires: [staging]}\n",
            {"GTO_PROMOTION": '{"*": {"signed": true}}'},
            Config(promotion=parse_promotion({"*": {"signed": True}})),
            id="GTO_PROMOTION-replaces-the-file's",
        ),
        pytest.param("sign: yes\n", {}, Config(sign=True), id="sign"),
        pytest.param(
            "sign: true\n", {"GTO_SIGN": "0"}, Config(sign=True), id="GTO_SIGN-is-gto.settings'"
        ),
        pytest.param(
            "allowed_signers: .gto-signers\nrevoked_signers: keys/revoked\n",
            {"GTO_ALLOWED_SIGNERS": "/etc/ci/signers", "GTO_REVOKED_SIGNERS": "/x"},
            Config(allowed_signers=".gto-signers", revoked_signers="keys/revoked"),
            id="signer-files-from-the-file-only",
        ),
    ],
)
def test_gto_keys(text: str, environ: dict[str, str], expected: Config) -> None:
    assert load_config(text, path=PATH, environ=environ) == expected


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        pytest.param(
            "stages: [dev]\npromotion:\n  prod: {requires: [dev]}\n",
            {},
            "Wrong config file '/repo/.gto': promotion.prod: 'prod' is not one of the stages "
            "['dev']",
            id="stage-not-allowed",
        ),
        pytest.param(
            "promotion:\n  prod: {requires: [qa]}\n",
            {"GTO_STAGES": '["prod"]'},
            "Wrong config file '/repo/.gto': promotion.prod.requires: 'qa' is not one of the "
            "stages ['prod']",
            id="stages-from-the-environment",
        ),
        pytest.param(
            None,
            {"GTO_PROMOTION": "{prod"},
            "Invalid value in environment variable GTO_PROMOTION: expected a JSON object, got "
            "'{prod'",
            id="GTO_PROMOTION-not-json",
        ),
        pytest.param(
            None,
            {"GTO_PROMOTION": '{"prod": {"signers": []}}'},
            "Invalid value in environment variable GTO_PROMOTION: promotion.prod.signers: "
            "expected a non-empty list of principals, got []",
            id="GTO_PROMOTION-bad-rule",
        ),
        pytest.param(
            "allowed_signers: /etc/signers\n",
            {},
            "Wrong config file '/repo/.gto': allowed_signers: expected a relative path inside the "
            "repository, without '..' or '.git' parts, got '/etc/signers'",
            id="signers-outside-the-repository",
        ),
        pytest.param(
            "sign: perhaps\n",
            {},
            "Wrong config file '/repo/.gto': sign: expected true or false, got 'perhaps'",
            id="sign-not-a-flag",
        ),
    ],
)
def test_gto_keys_invalid(text: str | None, environ: dict[str, str], message: str) -> None:
    with pytest.raises((WrongConfig, ValidationError)) as caught:
        load_config(text, path=PATH, environ=environ)
    assert str(caught.value) == message
