"""dvc.yaml's `artifacts:` sections parsed into annotations: no git at all."""

from __future__ import annotations

import dvc_example as example
import pytest

from gto.core.annotations import Annotation
from gto.core.dvcyaml import Annotations, dvc_folder, dvc_yaml_path, parse_dvc_yaml
from gto.core.yamlio import YamlError, load_yaml_key
from gto.exceptions import UnreadableDvcYaml, WrongDvcYaml

# --- parsing ------------------------------------------------------------------------


def test_parse_root_dvc_yaml() -> None:
    assert parse_dvc_yaml(example.ROOT_DVC_YAML) == {
        "churn": example.CHURN,
        "segment": example.SEGMENT,
        "cv-class": example.CV_CLASS,
    }


A = Annotation
PARSE = [
    pytest.param("", "", {}, id="empty-file"),
    pytest.param("stages: {}\n", "", {}, id="no-artifacts"),
    pytest.param("artifacts:\n", "", {}, id="null-artifacts"),
    pytest.param("artifacts:\n  m:\n", "", {"m": Annotation()}, id="null-entry"),
    pytest.param("artifacts:\n  m: {path: ./x/../m.pkl}\n", "", {"m": A(path="m.pkl")}, id="norm"),
    pytest.param("artifacts:\n  m: {path: ../m}\n", "a/b", {"a/b:m": A(path="a/m")}, id="up"),
    pytest.param("artifacts:\n  m: {path: /abs/m}\n", "a", {"a:m": A(path="/abs/m")}, id="abs"),
    pytest.param("artifacts:\n  m: {path: 's3://b'}\n", "a", {"a:m": A(path="s3://b")}, id="s3"),
    # DVC allows any text for type and labels; gto's annotate rules are for what it writes.
    pytest.param(
        "artifacts:\n  m: {path: m, type: My Model, labels: [a b]}\n",
        "",
        {"m": Annotation(type="My Model", path="m", labels=("a b",))},
        id="free-text",
    ),
    # DVC rejects unknown keys; gto ignores them, as it does in artifacts.yaml.
    pytest.param(
        "artifacts:\n  m: {path: m, virtual: false, description: d}\n",
        "",
        {"m": Annotation(path="m")},
        id="unknown-keys",
    ),
    # IDs that cannot be names (DVC only warns; `${...}` is DVC templating) are left out.
    pytest.param(
        "artifacts:\n  _bad: {path: a}\n  ${name}: {path: b}\n  7: {path: c}\n  ok: {path: d}\n",
        "",
        {"ok": Annotation(path="d")},
        id="bad-ids",
    ),
    pytest.param(
        "artifacts:\n  m: {path: '${path}'}\n", "", {"m": Annotation(path="${path}")}, id="template"
    ),
    # Aliases elsewhere in the file are DVC's business and are not expanded.
    pytest.param(
        "x: &a {cmd: run}\nstages: {s: *a}\nartifacts:\n  m: {path: m}\n",
        "",
        {"m": Annotation(path="m")},
        id="aliases-elsewhere",
    ),
    # A file gto cannot read annotates nothing unless it has an `artifacts:` line.
    pytest.param("stages:\n  train:\n\tcmd: x\n", "", {}, id="not-yaml-no-artifacts"),
    pytest.param(b"stages: {\xff}\n", "", {}, id="not-utf8-no-artifacts"),
    pytest.param("stages: " + "[" * 100 + "]" * 100, "", {}, id="deep-no-artifacts"),
    pytest.param("- a\n", "", {}, id="top-level-list"),
    pytest.param("stages:\n" + "  s: {cmd: x}\n" * 80_000, "", {}, id="too-large-no-artifacts"),
    pytest.param("stages: {x: artifacts}\n  artifacts:\n\t", "", {}, id="indented-artifacts"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "folder", "expected"), PARSE)
def test_parse_dvc_yaml(text: str, folder: str, expected: dict[str, Annotation]) -> None:
    assert parse_dvc_yaml(text, folder) == expected


BAD = [
    pytest.param("artifacts: [a]\n", "it is not a mapping", id="list"),
    pytest.param("artifacts:\n  m: [a]\n", "an entry is not a mapping: ['a']", id="entry"),
    pytest.param("artifacts:\n  m: {path: 5}\n", "'path' is not a str: 5", id="path"),
    pytest.param("artifacts:\n  m: {type: [a]}\n", "'type' is not a str: ['a']", id="type"),
    pytest.param("artifacts:\n  m: {desc: 1}\n", "'desc' is not a str: 1", id="desc"),
    pytest.param("artifacts:\n  m: {labels: a}\n", "'labels' is not a list: 'a'", id="labels"),
    pytest.param(
        "artifacts:\n  m: {labels: [1]}\n", "'labels' is not a list of strings: [1]", id="label"
    ),
    pytest.param(
        "artifacts:\n  m: {path: a}\n  m: {path: b}\n",
        "duplicate key 'm' (line 3, column 3)",
        id="duplicate-id",
    ),
    pytest.param(
        "artifacts: {}\nartifacts: {}\n",
        "duplicate key 'artifacts' (line 2, column 12)",
        id="duplicate-section",
    ),
    pytest.param(
        "x: &a {path: m}\nartifacts:\n  m: *a\n",
        "aliases are not allowed (line 3, column 6)",
        id="alias-inside",
    ),
]


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_parse_dvc_yaml_refuses(text: str, reason: str) -> None:
    with pytest.raises(WrongDvcYaml) as info:
        parse_dvc_yaml(text, "sub")
    assert info.value.message.startswith(
        f"sub/dvc.yaml: 'artifacts' doesn't conform to DVC's format: {reason}"
    )


UNREADABLE = [
    pytest.param(
        "stages:\n  train:\n\tcmd: x\nartifacts:\n  m: {path: m}\n",
        "sub/dvc.yaml cannot be read as YAML (commit abc1234): while scanning for the next token, "
        "found character that cannot start any token (line 3, column 1)",
        id="syntax-elsewhere",
    ),
    pytest.param(
        "artifacts: [\n",
        "sub/dvc.yaml cannot be read as YAML (commit abc1234): while parsing a flow node, "
        "did not find expected node content (line 2, column 1)",
        id="syntax-inside",
    ),
    pytest.param(
        "{artifacts: {m: {path: m.pt}}, stages: {a: [}",
        "sub/dvc.yaml cannot be read as YAML (commit abc1234): while parsing a flow node, "
        "did not find expected node content (line 1, column 45)",
        id="flow-mapping",
    ),
    pytest.param(
        "\ufeffartifacts:\n  m: {path: m}\nstages: [\n",
        "sub/dvc.yaml cannot be read as YAML (commit abc1234): while parsing a flow node, "
        "did not find expected node content (line 4, column 1)",
        id="after-a-byte-order-mark",
    ),
    pytest.param(
        '"artifacts": {}\nstages:\n' + "  s: {cmd: x}\n" * 80_000,
        "sub/dvc.yaml is too large (commit abc1234): 1,120,024 bytes, over the limit of "
        "1,000,000 bytes",
        id="too-large",
    ),
]


@pytest.mark.parametrize(("text", "message"), UNREADABLE)
def test_a_dvc_yaml_with_artifacts_that_cannot_be_read_says_why(text: str, message: str) -> None:
    with pytest.raises(UnreadableDvcYaml) as info:
        parse_dvc_yaml(text, "sub", where="commit abc1234")
    assert info.value.message == message


def test_load_yaml_key_limits() -> None:
    with pytest.raises(YamlError, match=r"^f: too large: 12 bytes, over the limit of 10 bytes$"):
        load_yaml_key("artifacts: 1", "artifacts", what="f", limit=10)
    deep = "artifacts: " + "[" * 100 + "]" * 100
    with pytest.raises(YamlError, match=r"^f: nesting deeper than 64 levels"):
        load_yaml_key(deep, "artifacts", what="f")
    assert load_yaml_key("a: 1\n", "artifacts", what="f") is None


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("churn", ""),
        ("sub/dir:clf", "sub/dir"),
        ("sub:dir/clf", "sub"),
        ("./sub:clf", None),
        ("sub/:clf", None),
        ("../sub:clf", None),
        ("a/../b:clf", None),
        ("..:clf", None),
    ],
)
def test_dvc_folder(name: str, folder: str | None) -> None:
    assert dvc_folder(name) == folder
    if folder is not None:
        assert dvc_yaml_path(folder) == (f"{folder}/dvc.yaml" if folder else "dvc.yaml")


def test_annotations_artifacts_yaml_wins_and_lookups_read_one_file() -> None:
    reads: list[str] = []

    def dvc_file(folder: str) -> dict[str, Annotation]:
        reads.append(folder)
        return {"": parse_dvc_yaml(example.ROOT_DVC_YAML), "sub/dir": {"sub/dir:clf": example.CLF}}[
            folder
        ]

    merged = Annotations(
        lambda: {"churn": example.CHURN_FROM_INDEX, "extra": example.EXTRA},
        dvc_file,
        lambda: ["sub/dir", ""],
    )
    assert merged["sub/dir:clf"] == example.CLF
    assert merged.get("churn") == example.CHURN_FROM_INDEX
    assert merged.get("nope") is None
    assert reads == ["sub/dir", ""]
    assert dict(merged) == {
        "churn": example.CHURN_FROM_INDEX,
        "extra": example.EXTRA,
        "segment": example.SEGMENT,
        "cv-class": example.CV_CLASS,
        "sub/dir:clf": example.CLF,
    }
    assert reads == ["sub/dir", ""]  # each file once
    assert merged.index() == {"churn": example.CHURN_FROM_INDEX, "extra": example.EXTRA}
