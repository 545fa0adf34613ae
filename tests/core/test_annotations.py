"""artifacts.yaml text in, `Annotation` values or errors out (behaviour reference, 4.5).

The guarded YAML reader (`gto.core.yamlio`) is tested here too: annotations are
its main customer.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml

import gto.core.yamlio
from gto.core.annotations import (
    Annotation,
    annotate,
    annotation_json,
    check_path_conflict,
    commit_message_annotate,
    commit_message_remove,
    dump_index,
    find_path_conflict,
    parse_index,
)
from gto.core.yamlio import MAX_DEPTH, YamlError, dump_yaml, load_yaml
from gto.exceptions import ValidationError, WrongAnnotations, WrongArgs, WrongArtifactsYaml

NAME_ERROR = (
    "Invalid value '{}'. Only letters, numbers, '_', '-', '/' are allowed. "
    "Value must start and end with a letter or a number."
)
BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_value(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


# --- gto.core.yamlio -------------------------------------------------------------------------


@pytest.fixture(params=["libyaml", "pure-python"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the guards against both parsers PyYAML may use."""
    if request.param == "pure-python":
        monkeypatch.setattr(gto.core.yamlio, "_PARSER", "SafeLoader")
    elif not yaml.__with_libyaml__:
        pytest.skip("PyYAML was built without libyaml")


TOO_LARGE = "f: too large: {} bytes, over the limit of 10 bytes"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", None, id="empty"),
        pytest.param("# comment\n", None, id="comment-only"),
        pytest.param("a: 1\nb: [x, y]\n", {"a": 1, "b": ["x", "y"]}, id="mapping"),
        pytest.param(b"\xef\xbb\xbfa: \xc3\xa9\n", {"a": "é"}, id="bytes-utf8-bom"),
        pytest.param("a: &x 1\n", {"a": 1}, id="anchor-without-alias"),
        pytest.param(nested(MAX_DEPTH), nested_value(MAX_DEPTH), id="max-depth"),
        pytest.param("é" * 500, "é" * 500, id="limit-counts-bytes-at-boundary"),
    ],
)
@pytest.mark.usefixtures("yaml_parser")
def test_load_yaml(text: str | bytes, expected: Any) -> None:
    assert load_yaml(text, what="f", limit=1000) == expected


@pytest.mark.parametrize(
    ("text", "limit", "message"),
    [
        pytest.param(
            BILLION_LAUGHS,
            1_000_000,
            "f: aliases are not allowed (line 2, column 8)",
            id="billion-laughs",
        ),
        pytest.param(
            "a: [1]\nb: *a\n",
            1_000_000,
            "f: aliases are not allowed (line 2, column 4)",
            id="unknown-alias",
        ),
        pytest.param(
            "a: &a {x: 1}\nb:\n  <<: *a\n",
            1_000_000,
            "f: aliases are not allowed (line 3, column 7)",
            id="merge-key",
        ),
        pytest.param(
            nested(MAX_DEPTH + 1),
            1_000_000,
            "f: nesting deeper than 64 levels (line 1, column 65)",
            id="too-deep",
        ),
        pytest.param("x" * 11, 10, TOO_LARGE.format(11), id="over-limit-str"),
        pytest.param(b"x" * 11, 10, TOO_LARGE.format(11), id="over-limit-bytes"),
        pytest.param("é" * 6, 10, TOO_LARGE.format(12), id="limit-counts-utf8-bytes"),
    ],
)
@pytest.mark.usefixtures("yaml_parser")
def test_load_yaml_refused(text: str | bytes, limit: int, message: str) -> None:
    with pytest.raises(YamlError) as info:
        load_yaml(text, what="f", limit=limit)
    assert str(info.value) == message


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: [\n", id="unclosed"),
        pytest.param("a: 1\n---\nb: 2\n", id="two-documents"),
        pytest.param("a: !!python/object/apply:os.system [echo]\n", id="python-tag"),
        pytest.param(b"a: \xc3\x28\n", id="bad-utf8"),
        pytest.param("\ta: 1\n", id="tab"),
    ],
)
@pytest.mark.usefixtures("yaml_parser")
def test_load_yaml_invalid(text: str | bytes) -> None:
    with pytest.raises(YamlError, match=r"^f: \S") as info:
        load_yaml(text, what="f")
    assert "\n" not in str(info.value)


def test_dump_yaml() -> None:
    shared = ["x"]
    assert dump_yaml({"b": shared, "a": shared, "ü": {"z": 1, "y": "é"}}) == (
        "a:\n- x\nb:\n- x\nü:\n  y: é\n  z: 1\n"
    )  # block style, sorted, unicode as is, and no anchors for shared objects


# --- parse_index -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("{}\n", {}, id="empty-index"),
        pytest.param("m: {}\n", {"m": Annotation()}, id="empty-entry"),
        pytest.param("m:\n", {"m": Annotation()}, id="null-entry"),
        pytest.param(
            "awesome-model:\n  description: This model is very cool\n  labels:\n  - ml\n  - cool\n"
            "  path: models/neural_network.h5\n  type: model\n",
            {
                "awesome-model": Annotation(
                    type="model",
                    path="models/neural_network.h5",
                    labels=("ml", "cool"),
                    description="This model is very cool",
                )
            },
            id="reference-example",
        ),
        pytest.param(
            "m: {virtual: false, custom: {a: [1]}, future_field: 1}\n",
            {"m": Annotation(virtual=False, custom={"a": [1]})},
            id="unknown-field-ignored",
        ),
        pytest.param(
            "m: {type: null, path: null, virtual: null, labels: null, description: null}\n",
            {"m": Annotation()},
            id="null-fields-default",
        ),
        pytest.param(
            "m: {labels: [b, a, b]}\n",
            {"m": Annotation(labels=("b", "a", "b"))},
            id="labels-kept-as-written",
        ),
        pytest.param("z: {}\na: {}\n", {"z": Annotation(), "a": Annotation()}, id="order-kept"),
        pytest.param(
            "some/dir:m: {type: T_1}\n",
            {"some/dir:m": Annotation(type="T_1")},
            id="dirname-and-1.10-names",
        ),
        pytest.param(
            b"m: {description: \xc3\xa9}\n", {"m": Annotation(description="é")}, id="bytes"
        ),
        pytest.param("m: {custom: 5}\n", {"m": Annotation(custom=5)}, id="custom-any-value"),
    ],
)
def test_parse_index(text: str | bytes, expected: dict[str, Annotation]) -> None:
    index = parse_index(text)
    assert index == expected
    assert list(index) == list(expected)


EMPTY = "the file is empty (an index without artifacts is `{}`)"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        pytest.param("", EMPTY, id="empty-file"),
        pytest.param("# nothing\n", EMPTY, id="comment-only"),
        pytest.param(
            "- m\n", "the top level must be a mapping of artifact names, not a list", id="list"
        ),
        pytest.param(
            "m\n", "the top level must be a mapping of artifact names, not 'm'", id="scalar"
        ),
        pytest.param("m: [a]\n", "'m': the entry is not a mapping but ['a']", id="entry-list"),
        pytest.param(
            "m: model\n", "'m': the entry is not a mapping but 'model'", id="entry-scalar"
        ),
        pytest.param("1: {}\n", "artifact name 1 is not a string", id="name-not-string"),
        pytest.param("m: {type: -x}\n", "'m': `type` must be a name, not '-x'", id="type-bad-name"),
        pytest.param("m: {type: 5}\n", "'m': `type` must be a name, not 5", id="type-not-string"),
        pytest.param(
            "m: {labels: a}\n",
            "'m': `labels` must be a list of names, not 'a'",
            id="labels-not-list",
        ),
        pytest.param(
            "m: {labels: [a, -b]}\n",
            "'m': `labels` must be a list of names, not ['a', '-b']",
            id="label-bad-name",
        ),
        pytest.param(
            "m: {labels: [1]}\n",
            "'m': `labels` must be a list of names, not [1]",
            id="label-not-string",
        ),
        pytest.param(
            "m: {virtual: 'yes'}\n",
            "'m': `virtual` must be true or false, not 'yes'",
            id="virtual-not-bool",
        ),
        pytest.param(
            "m: {description: 5}\n",
            "'m': `description` must be a string, not 5",
            id="description-not-string",
        ),
        pytest.param(
            "m: {path: [a]}\n", "'m': `path` must be a string, not ['a']", id="path-not-string"
        ),
        pytest.param(
            "m: {\n",
            "while parsing a flow node, did not find expected node content (line 2, column 1)",
            id="bad-yaml",
        ),
        pytest.param(
            BILLION_LAUGHS, "aliases are not allowed (line 2, column 8)", id="billion-laughs"
        ),
    ],
)
def test_parse_index_not_conforming(text: str, reason: str) -> None:
    with pytest.raises(WrongAnnotations) as info:
        parse_index(text)
    assert str(info.value) == f"artifacts.yaml file doesn't conform to GTO format: {reason}"


def test_an_index_over_the_size_limit_is_reported_with_the_limit() -> None:
    # Valid YAML, but too large: the message says so, and names the limit.
    with pytest.raises(WrongAnnotations) as info:
        parse_index("m: {}\n" + "#" * 1_000_000)
    assert str(info.value) == (
        "artifacts.yaml is too large: 1,000,006 bytes, over the limit of 1,000,000 bytes"
    )


def test_parse_index_error_names_the_configured_file() -> None:
    with pytest.raises(WrongAnnotations) as info:
        parse_index("m: 1\n", index_name="models.yaml", where="commit 1234567")
    assert str(info.value) == (
        "models.yaml file doesn't conform to GTO format (commit 1234567): "
        "'m': the entry is not a mapping but 1"
    )


@pytest.mark.parametrize("name", ["-m", "m-", "a b", "a:b:c", "m@1"])
def test_parse_index_bad_artifact_name(name: str) -> None:
    """Upstream's class (ValidationError), with the file and the commit named."""
    with pytest.raises(ValidationError) as info:
        parse_index(f"'{name}': {{}}\n", where="commit 1234567")
    assert isinstance(info.value, WrongArtifactsYaml)
    assert str(info.value) == (
        "artifacts.yaml file doesn't conform to GTO format (commit 1234567): "
        + NAME_ERROR.format(name)
    )


# --- dump_index / annotation_json ----------------------------------------------------------

REFERENCE_EXAMPLE = """\
awesome-model:
  description: This model is very cool
  labels:
  - ml
  - cool
  path: models/neural_network.h5
  type: model
"""


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        pytest.param({}, "{}\n", id="empty"),
        pytest.param({"m": Annotation()}, "m: {}\n", id="all-defaults"),
        pytest.param(
            {
                "awesome-model": Annotation(
                    type="model",
                    path="models/neural_network.h5",
                    labels=("ml", "cool"),
                    description="This model is very cool",
                )
            },
            REFERENCE_EXAMPLE,
            id="reference-example",
        ),
        pytest.param(
            {"z": Annotation(virtual=False, path="z.pkl"), "a": Annotation(custom="x")},
            "a:\n  custom: x\nz:\n  path: z.pkl\n  virtual: false\n",
            id="names-sorted",
        ),
        pytest.param(
            {"m": Annotation(custom={"b": [1, 2], "a": None}, description="üñí")},
            "m:\n  custom:\n    a: null\n    b:\n    - 1\n    - 2\n  description: üñí\n",
            id="custom-mapping-and-unicode",
        ),
    ],
)
def test_dump_index(index: dict[str, Annotation], expected: str) -> None:
    assert dump_index(index) == expected
    assert parse_index(expected) == index


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("{}\n", id="empty"),
        pytest.param(REFERENCE_EXAMPLE, id="reference-example"),
        pytest.param("a: {}\nb:\n  custom: 'yes'\n  virtual: false\n", id="string-that-looks-bool"),
        pytest.param(
            "a:\n  custom: '2024-01-01'\n  description: '123'\n", id="strings-that-look-typed"
        ),
    ],
)
def test_dump_parse_round_trip(text: str) -> None:
    assert dump_index(parse_index(text)) == text


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param(Annotation(), {}, id="defaults"),
        pytest.param(
            Annotation(
                custom="c", description="d", labels=("l",), virtual=False, path="p", type="t"
            ),
            {
                "type": "t",
                "path": "p",
                "virtual": False,
                "labels": ["l"],
                "description": "d",
                "custom": "c",
            },
            id="all-in-describe-order",
        ),
        pytest.param(
            Annotation(type="model", path="models/churn.pkl", virtual=False),
            {"type": "model", "path": "models/churn.pkl", "virtual": False},
            id="frozen-example",
        ),
    ],
)
def test_annotation_json(annotation: Annotation, expected: dict[str, Any]) -> None:
    result = annotation_json(annotation)
    assert result == expected
    assert list(result) == list(expected)


# --- annotate -------------------------------------------------------------------------------

OLD = Annotation(
    type="model", path="old.pkl", virtual=False, labels=("x", "b"), description="old", custom="c"
)


@pytest.mark.parametrize(
    ("existing", "kwargs", "expected"),
    [
        pytest.param(None, {}, Annotation(), id="new-empty"),
        pytest.param(None, {"path": "m.pkl"}, Annotation(path="m.pkl"), id="new-path-virtual"),
        pytest.param(
            None,
            {"path": "m.pkl", "must_exist": True},
            Annotation(path="m.pkl", virtual=False),
            id="new-must-exist",
        ),
        pytest.param(
            None,
            {"labels": ["b", "a", "b"]},
            Annotation(labels=("b", "a", "b")),
            id="new-labels-as-given",
        ),
        pytest.param(
            None,
            {"type": "", "path": "", "custom": ""},
            Annotation(),
            id="new-empty-strings-are-defaults",
        ),
        pytest.param(
            None,
            {"type": "model", "description": "d", "custom": "c"},
            Annotation(type="model", description="d", custom="c"),
            id="new-all",
        ),
        pytest.param(
            OLD,
            {},
            Annotation(
                type="model",
                path="old.pkl",
                virtual=False,
                labels=("b", "x"),
                description="old",
                custom="c",
            ),
            id="merge-nothing-sorts-labels",
        ),
        pytest.param(
            OLD,
            {"type": "data", "description": "new", "custom": "n"},
            Annotation(
                type="data",
                path="old.pkl",
                virtual=False,
                labels=("b", "x"),
                description="new",
                custom="n",
            ),
            id="merge-new-values-win",
        ),
        pytest.param(
            OLD,
            {"type": "", "description": ""},
            Annotation(
                type="model",
                path="old.pkl",
                virtual=False,
                labels=("b", "x"),
                description="old",
                custom="c",
            ),
            id="merge-empty-keeps-old",
        ),
        pytest.param(
            OLD,
            {"path": "new.pkl"},
            Annotation(
                type="model",
                path="new.pkl",
                virtual=True,
                labels=("b", "x"),
                description="old",
                custom="c",
            ),
            id="merge-path-makes-virtual",
        ),
        pytest.param(
            Annotation(path="p"),
            {"path": "q", "must_exist": True},
            Annotation(path="q", virtual=False),
            id="merge-must-exist",
        ),
        pytest.param(
            Annotation(path="p", virtual=False),
            {"type": "t"},
            Annotation(type="t", path="p", virtual=False),
            id="merge-virtual-unchanged",
        ),
        pytest.param(
            OLD,
            {"labels": ["a", "x", "a"]},
            Annotation(
                type="model",
                path="old.pkl",
                virtual=False,
                labels=("a", "b", "x"),
                description="old",
                custom="c",
            ),
            id="merge-labels-sorted-union",
        ),
    ],
)
def test_annotate(
    existing: Annotation | None, kwargs: dict[str, Any], expected: Annotation
) -> None:
    assert annotate(existing, **kwargs) == expected


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param(
            {"must_exist": True},
            WrongArgs,
            "`path` is required when `must_exist` is set to True",
            id="must-exist-no-path",
        ),
        pytest.param(
            {"must_exist": True, "path": ""},
            WrongArgs,
            "`path` is required when `must_exist` is set to True",
            id="must-exist-empty-path",
        ),
        pytest.param({"type": "-t"}, ValidationError, NAME_ERROR.format("-t"), id="bad-type"),
        pytest.param(
            {"labels": ["ok", "not ok"]},
            ValidationError,
            NAME_ERROR.format("not ok"),
            id="bad-label",
        ),
    ],
)
@pytest.mark.parametrize("existing", [None, OLD], ids=["new", "existing"])
def test_annotate_invalid(
    existing: Annotation | None, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        annotate(existing, **kwargs)
    assert str(info.value) == message


# --- path conflicts ---------------------------------------------------------------------------

INDEX = {
    "virtual": Annotation(type="model"),
    "churn": Annotation(type="model", path="models/churn.pkl"),
    "data": Annotation(path="data/raw/"),
}


@pytest.mark.parametrize(
    ("name", "path", "expected"),
    [
        pytest.param("new", "models/churn.pkl", "churn", id="equal"),
        pytest.param("new", "./models//churn.pkl", "churn", id="equal-after-normalising"),
        pytest.param("new", "models", "churn", id="ancestor"),
        pytest.param("new", "models/", "churn", id="ancestor-trailing-slash"),
        pytest.param("new", "data/raw/2024.csv", "data", id="descendant"),
        pytest.param("new", "x/../data/raw", "data", id="dot-dot"),
        pytest.param("new", ".", "churn", id="repo-root-contains-all"),
        pytest.param("new", "models/churn.pkl.bak", None, id="same-prefix-not-a-parent"),
        pytest.param("new", "models/other.pkl", None, id="sibling"),
        pytest.param("churn", "models/churn.pkl", None, id="own-path-ignored"),
        pytest.param("new", "/models/churn.pkl", None, id="absolute-differs"),
    ],
)
def test_find_path_conflict(name: str, path: str, expected: str | None) -> None:
    assert find_path_conflict(INDEX, name, path) == expected


@pytest.mark.parametrize(
    ("name", "path", "message"),
    [
        pytest.param(
            "new",
            "models",
            "Provided path conflicts with 'models/churn.pkl' ('model' 'churn')",
            id="typed",
        ),
        pytest.param(
            "new",
            "data/raw/x",
            "Provided path conflicts with 'data/raw/' ('None' 'data')",
            id="untyped",
        ),
    ],
)
def test_check_path_conflict(name: str, path: str, message: str) -> None:
    # Q27: upstream repeats the new artifact's values; we name the conflicting one.
    with pytest.raises(ValidationError) as info:
        check_path_conflict(INDEX, name, path)
    assert str(info.value) == message


def test_check_path_conflict_none() -> None:
    check_path_conflict(INDEX, "new", "models/new.pkl")


# --- commit messages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "type_", "path", "expected"),
    [
        pytest.param("m", None, None, "Annotate artifact `m`", id="name-only"),
        pytest.param("m", "model", None, "Annotate artifact `m` of type `model`", id="type"),
        pytest.param("m", None, "m.pkl", "Annotate artifact `m` with path `m.pkl`", id="path"),
        pytest.param(
            "m",
            "model",
            "m.pkl",
            "Annotate artifact `m` of type `model` with path `m.pkl`",
            id="both",
        ),
    ],
)
def test_commit_message_annotate(
    name: str, type_: str | None, path: str | None, expected: str
) -> None:
    assert commit_message_annotate(name, type_, path) == expected


def test_commit_message_remove() -> None:
    assert commit_message_remove("m") == "Remove annotation for artifact `m`"
