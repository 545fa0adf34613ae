"""Artifact versions: `v` + strict SemVer, ordered and bumped the way GTO users expect.

Ordering and bumping are written here rather than taken from a SemVer package:
GTO ignores build metadata when comparing and drops the prerelease on every
bump (`v1.0.0-rc.1` + patch = `v1.0.1`), which `semantic_version` does differently.
"""

from __future__ import annotations

import re
from typing import Literal

from gto.core.tags import SEMVER
from gto.exceptions import InvalidVersion

_VERSION_RE = re.compile(rf"^v{SEMVER}\Z")  # not `$`: "v1.0.0\n"

Bump = Literal["major", "minor", "patch"]
FIRST_VERSION = "v0.0.1"


def is_version(value: str) -> bool:
    """True for `v1.2.3`-style names; commit hexshas and `1.2.3` are not versions."""
    return bool(_VERSION_RE.match(value))


def _invalid(value: str) -> InvalidVersion:
    return InvalidVersion(f"Version '{value}' is not valid. Example of valid version: 'v1.0.0'")


def check_version(value: str) -> str:
    if not is_version(value):
        raise _invalid(value)
    return value


def _release(value: str) -> tuple[tuple[int, int, int], str | None]:
    """(major, minor, patch) and the prerelease of a valid version name."""
    match = _VERSION_RE.match(value)
    if match is None:
        raise _invalid(value)
    major, minor, patch, prerelease = match.group("major", "minor", "patch", "prerelease")
    return (int(major), int(minor), int(patch)), prerelease


def semver_key(value: str) -> tuple[object, ...]:
    """Sort key for a valid version name.

    >>> sorted(["v1.0.0", "v1.0.0-rc.10", "v1.0.0-rc.2"], key=semver_key)
    ['v1.0.0-rc.2', 'v1.0.0-rc.10', 'v1.0.0']
    """
    release, prerelease = _release(value)
    # A release sorts above its prereleases; numeric identifiers below alphanumeric ones.
    if prerelease is None:
        return (release, 1, ())
    idents = tuple((0, int(p)) if p.isdigit() else (1, p) for p in prerelease.split("."))
    return (release, 0, idents)


def bump(value: str, part: Bump = "patch") -> str:
    """The next version; the prerelease and build are dropped.

    >>> bump("v1.0.0-rc.1")
    'v1.0.1'
    """
    (major, minor, patch), _ = _release(value)
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    return f"v{major}.{minor}.{patch + 1}"
