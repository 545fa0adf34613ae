"""Version order and bumps, against one literal list in correct order."""

from __future__ import annotations

import random

import pytest

from gto.core.versions import bump, check_version, is_version, semver_key
from gto.exceptions import InvalidVersion

VERSIONS = [
    "v0.0.1",
    "v0.1.0",
    "v1.0.0-0.3.7",
    "v1.0.0-alpha",
    "v1.0.0-alpha.1",
    "v1.0.0-alpha.beta",
    "v1.0.0-beta",
    "v1.0.0-beta.2",
    "v1.0.0-beta.11",
    "v1.0.0-rc.1",
    "v1.0.0",
    "v1.0.1",
    "v1.2.0",
    "v1.10.0",
    "v2.0.0",
    "v10.20.30",
]


def test_sorted_order() -> None:
    shuffled = VERSIONS[:]
    random.Random(0).shuffle(shuffled)
    assert sorted(shuffled, key=semver_key) == VERSIONS


def test_build_metadata_is_ignored_in_order() -> None:
    assert semver_key("v1.0.0+a") == semver_key("v1.0.0+b") == semver_key("v1.0.0")


@pytest.mark.parametrize(
    ("version", "part", "expected"),
    [
        ("v1.3.4", "major", "v2.0.0"),
        ("v1.3.4", "minor", "v1.4.0"),
        ("v1.3.4", "patch", "v1.3.5"),
        ("v1.0.0-rc.1", "patch", "v1.0.1"),
        ("v1.0.0+build", "minor", "v1.1.0"),
    ],
)
def test_bump(version: str, part: str, expected: str) -> None:
    assert bump(version, part) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "value", ["v0.1.2", "v3.4.5-pre.2+build.4", "v3.4.5-pre.2-build.4", "v1.0.0-rc.1"]
)
def test_valid(value: str) -> None:
    assert is_version(value)
    assert check_version(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "1",
        "v1",
        "v1.2",
        "0.1.2",
        "3.4.5-pre.2+build.4",
        "v01.2.3",
        "v1.2.3-01",
        "V1.2.3",
        "v1.2.3-",
        "v1.2.3+",
        "v1..2",
        "latest",
    ],
)
def test_invalid(value: str) -> None:
    assert not is_version(value)
    with pytest.raises(InvalidVersion) as err:
        check_version(value)
    assert str(err.value) == f"Version '{value}' is not valid. Example of valid version: 'v1.0.0'"
