"""Every exception class upstream GTO 1.10.1 defines exists, in gto's one tree, with its text.

The constructor arguments and texts are upstream's (observed by running it); where
gto raises a more specific class, it is a subclass of the one upstream raises there.
"""

from __future__ import annotations

import inspect

import pytest

import gto.exceptions as exc
from gto.exceptions import GTOException

# name, constructor arguments, str(exception): upstream 1.10.1's, except where noted.
UPSTREAM = [
    pytest.param("GTOException", ("some text",), "some text", id="GTOException"),
    pytest.param("NotFound", ("some text",), "some text", id="NotFound"),
    pytest.param("NoRepo", ("/p",), "No Git repo found in '/p'", id="NoRepo"),
    pytest.param("WrongConfig", ("/p",), "Wrong config file '/p'", id="WrongConfig"),
    pytest.param(
        "WrongArtifactsYaml",
        (),
        "artifacts.yaml file doesn't conform to GTO format",
        id="WrongArtifactsYaml",
    ),
    pytest.param("NoFile", ("/p",), "Nothing found in '/p' for checked out commit", id="NoFile"),
    pytest.param(
        "UnknownType",
        ("T", ["model", "dataset"]),
        "Allowed types are: '['model', 'dataset']'",
        id="UnknownType",
    ),
    pytest.param(
        "ArtifactExists", ("N",), "Enrichment for 'N' already exists", id="ArtifactExists"
    ),
    pytest.param("ArtifactNotFound", ("N",), "Cannot find artifact 'N'", id="ArtifactNotFound"),
    pytest.param(
        "PathIsUsed",
        ("T", "N", "/p"),
        "Provided path conflicts with '/p' ('T' 'N')",
        id="PathIsUsed",
    ),
    pytest.param("VersionRequired", ("N",), "No versions found for 'N'", id="VersionRequired"),
    pytest.param(
        "ManyVersions",
        ("N", ["v1.0.0", "v2.0.0"]),
        "Multiple versions are not allowed on the same Git commit. "
        "Violation detected for artifact 'N', versions '['v1.0.0', 'v2.0.0']'.",
        id="ManyVersions",
    ),
    # Upstream's text ends with a newline; gto's errors are one line.
    pytest.param(
        "VersionAlreadyRegistered",
        ("v1.0.0",),
        "Version 'v1.0.0' already was registered.",
        id="VersionAlreadyRegistered",
    ),
    pytest.param(
        "VersionExistsForCommit",
        ("M", "v1.0.0"),
        "'M' is already registered in this commit with version 'v1.0.0'",
        id="VersionExistsForCommit",
    ),
    pytest.param(
        "UnknownStage",
        ("S", ["dev", "prod"]),
        "Allowed stages are: '['dev', 'prod']'",
        id="UnknownStage",
    ),
    pytest.param(
        "NoActiveAssignment",
        ("S", "N"),
        "No version in stage 'S' was found for 'N'",
        id="NoActiveAssignment",
    ),
    pytest.param(
        "NoStageForVersion",
        ("A", "v1.0.0", "S"),
        "The artifact 'A' version 'v1.0.0' is not in stage 'S'",
        id="NoStageForVersion",
    ),
    pytest.param(
        "RefNotFound", ("R",), "Ref 'R' was not found in the repository history", id="RefNotFound"
    ),
    pytest.param("AmbiguousArg", ("some text",), "some text", id="AmbiguousArg"),
    pytest.param("InvalidVersion", ("some text",), "some text", id="InvalidVersion"),
    pytest.param(
        "IncomparableVersions",
        ("X", "Y"),
        "You can compare only versions of the same system, but not 'X' and 'Y'",
        id="IncomparableVersions",
    ),
    pytest.param(
        "UnknownAction", ("ACT",), "Unknown action 'ACT' was requested", id="UnknownAction"
    ),
    pytest.param("MissingArg", ("ARG",), "'ARG' is required", id="MissingArg"),
    pytest.param("WrongArgs", ("some text",), "some text", id="WrongArgs"),
    pytest.param("InvalidTagName", ("TG",), "Cannot parse tag name 'TG'", id="InvalidTagName"),
    pytest.param("TagExists", ("N",), "tag 'N' already exists", id="TagExists"),
    pytest.param("TagNotFound", ("N",), "tag 'N' is not found", id="TagNotFound"),
    pytest.param("ValidationError", ("some text",), "some text", id="ValidationError"),
    pytest.param("NotImplementedInGTO", ("some text",), "some text", id="NotImplementedInGTO"),
]


def test_every_upstream_class_is_listed() -> None:
    assert len(UPSTREAM) == 29


@pytest.mark.parametrize(("name", "args", "text"), UPSTREAM)
def test_upstream_class(name: str, args: tuple[object, ...], text: str) -> None:
    cls = getattr(exc, name)
    assert issubclass(cls, GTOException)
    error = cls(*args)
    assert str(error) == text
    assert error.message == text
    assert error.msg == text  # upstream's attribute


# Where gto raises a more specific error, it is the class upstream raises there.
TREE = [
    pytest.param("VersionIsOld", "WrongArgs", id="VersionIsOld-is-WrongArgs"),
    pytest.param("InvalidVersion", "WrongArgs", id="InvalidVersion-is-WrongArgs"),
    pytest.param("NoFile", "WrongArgs", id="NoFile-is-WrongArgs"),
    pytest.param("UnknownStage", "ValidationError", id="UnknownStage-is-ValidationError"),
    pytest.param("UnknownType", "ValidationError", id="UnknownType-is-ValidationError"),
    pytest.param("PathIsUsed", "ValidationError", id="PathIsUsed-is-ValidationError"),
    pytest.param("ManyVersions", "VersionExistsForCommit", id="ManyVersions"),
    pytest.param("VersionNotFound", "VersionRequired", id="VersionNotFound"),
    pytest.param("ArtifactNotFound", "NotFound", id="ArtifactNotFound-is-NotFound"),
    pytest.param("RefNotFound", "NotFound", id="RefNotFound-is-NotFound"),
    pytest.param("TagNotFound", "NotFound", id="TagNotFound-is-NotFound"),
    pytest.param("WrongArtifactsYaml", "WrongAnnotations", id="WrongArtifactsYaml"),
    pytest.param("WrongDvcYaml", "WrongAnnotations", id="WrongDvcYaml"),
]


@pytest.mark.parametrize(("name", "base"), TREE)
def test_gto_places_the_class_under(name: str, base: str) -> None:
    assert issubclass(getattr(exc, name), getattr(exc, base))


def test_one_tree() -> None:
    classes = [
        c for _, c in inspect.getmembers(exc, inspect.isclass) if c.__module__ == exc.__name__
    ]
    assert all(issubclass(c, GTOException) for c in classes)


def test_gto_texts() -> None:
    assert (
        str(exc.VersionNotFound("m", "v3.0.0")) == "Version 'v3.0.0' of artifact 'm' is not found"
    )
    assert str(exc.WrongArtifactsYaml("models.yaml")) == (
        "models.yaml file doesn't conform to GTO format"
    )
    assert str(exc.WrongDvcYaml("sub/dvc.yaml", "it is not a mapping")) == (
        "sub/dvc.yaml: 'artifacts' doesn't conform to DVC's format: it is not a mapping"
    )
    assert str(exc.WrongConfig("/p", "bad key")) == "Wrong config file '/p': bad key"
    assert exc.MultipleVersionsOnCommit is exc.ManyVersions
