"""The tag grammar: valid names parse to exact values, invalid ones are refused."""

from __future__ import annotations

import pytest

from gto.core.tags import (
    Action,
    ParsedTag,
    Shortcut,
    check_artifact_name,
    check_name,
    format_tag,
    parse_shortcut,
    parse_tag,
    tag_artifact,
)
from gto.exceptions import InvalidTagName, ValidationError

VALID = [
    pytest.param(
        "churn@v3.1.0", ParsedTag("churn", Action.REGISTER, version="v3.1.0"), id="register"
    ),
    pytest.param(
        "m@v1.0.0#3", ParsedTag("m", Action.REGISTER, version="v1.0.0", counter=3), id="register-n"
    ),
    pytest.param(
        "churn@v3.0.0!", ParsedTag("churn", Action.DEREGISTER, version="v3.0.0"), id="deregister"
    ),
    pytest.param(
        "m@v1.0.0!#4",
        ParsedTag("m", Action.DEREGISTER, version="v1.0.0", counter=4),
        id="deregister-n",
    ),
    pytest.param("churn#prod", ParsedTag("churn", Action.ASSIGN, stage="prod"), id="assign-simple"),
    pytest.param(
        "churn#prod#3", ParsedTag("churn", Action.ASSIGN, stage="prod", counter=3), id="assign"
    ),
    pytest.param(
        "churn#prod!#4", ParsedTag("churn", Action.UNASSIGN, stage="prod", counter=4), id="unassign"
    ),
    pytest.param(
        "churn#prod!", ParsedTag("churn", Action.UNASSIGN, stage="prod"), id="unassign-simple"
    ),
    pytest.param("churn@deprecated", ParsedTag("churn", Action.DEPRECATE), id="deprecate"),
    pytest.param("m@deprecated#7", ParsedTag("m", Action.DEPRECATE, counter=7), id="deprecate-n"),
    pytest.param("x@created", ParsedTag("x", Action.CREATE), id="created"),
    pytest.param("a/b-c@v0.0.1", ParsedTag("a/b-c", Action.REGISTER, version="v0.0.1"), id="slash"),
    pytest.param(
        "some/folder=some/model@v0.0.1",
        ParsedTag("some/folder:some/model", Action.REGISTER, version="v0.0.1"),
        id="dirname",
    ),
    pytest.param(
        "m@v3.4.5-pre.2+build.4",
        ParsedTag("m", Action.REGISTER, version="v3.4.5-pre.2+build.4"),
        id="prerelease-build",
    ),
    pytest.param(
        "M_1#Prod_2#10", ParsedTag("M_1", Action.ASSIGN, stage="Prod_2", counter=10), id="upper"
    ),
    pytest.param(
        "m#deprecated",
        ParsedTag("m", Action.ASSIGN, stage="deprecated"),
        id="stage-named-deprecated",
    ),
]

INVALID = [
    "model@v1",
    "model@0.0.1",
    "nn#prod#-1",
    "model#prod#1-2",
    "model#prod@v1.2.3",
    "model@v1.2.3#prod",
    "@namespace/model@0.0.1",
    "x@deprecated!",
    "a#",
    "a@",
    "a",
    "a#prod#x",
    "-a@v1.0.0",
    "a-@v1.0.0",
    "a@v01.0.0",
    "a@v1.0.0-01",
    "a@V1.0.0",
    "a b@v1.0.0",
    "a:b@v1.0.0",
    "a=b=c@v1.0.0",
    "",
    "a@v1.0.0!!",
    "a#prod##1",
    "a#prod#",
    "ä@v1.0.0",
]


@pytest.mark.parametrize(("name", "expected"), VALID)
def test_parse_tag(name: str, expected: ParsedTag) -> None:
    assert parse_tag(name) == expected


@pytest.mark.parametrize(("name", "expected"), VALID)
def test_format_round_trip(name: str, expected: ParsedTag) -> None:
    assert (
        format_tag(
            expected.artifact,
            expected.action,
            version=expected.version,
            stage=expected.stage,
            counter=expected.counter,
        )
        == name
    )


@pytest.mark.parametrize("name", INVALID)
def test_invalid_tags(name: str) -> None:
    with pytest.raises(InvalidTagName, match=r"^Cannot parse tag name"):
        parse_tag(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "path@v1.2.3#5",
            {"name": "path", "version": "v1.2.3", "action": "register", "counter": 5},
        ),
        ("path#stage!#2", {"name": "path", "stage": "stage", "action": "unassign", "counter": 2}),
        ("m@deprecated", {"name": "m", "action": "deprecate"}),
        ("x@created", {"name": "x"}),
        ("d=m#prod", {"name": "d:m", "stage": "prod", "action": "assign"}),
    ],
)
def test_parse_tag_dict(name: str, expected: dict[str, object]) -> None:
    assert parse_tag(name).to_dict() == expected
    assert list(parse_tag(name).to_dict()) == list(expected)


@pytest.mark.parametrize(
    ("name", "artifact"),
    [("churn#prod#3", "churn"), ("a=b/c@v1.0.0", "a:b/c"), ("release-1", None), ("x@y#z", "x")],
)
def test_tag_artifact(name: str, artifact: str | None) -> None:
    assert tag_artifact(name) == artifact


@pytest.mark.parametrize(
    "name",
    [
        "m",
        "1",
        "model",
        "dvclive:model",
        "some/folder:some/model",
        "some/Other_Folder:some/model",
        "dir/:x",
    ],
)
def test_valid_artifact_names(name: str) -> None:
    assert check_artifact_name(name) == name


@pytest.mark.parametrize(
    "name", ["a:b:c", "_x", "-model", "model-", "m/", "/m", "a model", "model@1", "model#1", ""]
)
def test_invalid_artifact_names(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_artifact_name(name)
    assert str(err.value) == (
        f"Invalid value '{name}'. Only letters, numbers, '_', '-', '/' are allowed. "
        "Value must start and end with a letter or a number."
    )


def test_stage_names_have_no_dirname() -> None:
    assert check_name("prod") == "prod"
    with pytest.raises(ValidationError):
        check_name("d:prod")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("churn", Shortcut("churn")),
        ("churn@latest", Shortcut("churn", latest=True)),
        ("churn@greatest", Shortcut("churn", latest=True)),
        ("churn@v1.2.3", Shortcut("churn", version="v1.2.3")),
        ("churn#prod", Shortcut("churn", stage="prod")),
        ("d:churn#prod", Shortcut("d:churn", stage="prod")),
        ("m1@v1", Shortcut("m1@v1")),
    ],
)
def test_parse_shortcut(value: str, expected: Shortcut) -> None:
    assert parse_shortcut(value) == expected
