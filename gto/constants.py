"""Upstream GTO's `gto.constants`, for code that imports it (DVC does): names over gto.core.tags.

DVC reads `SEPARATOR_IN_NAME`, `fullname_re` (groups `dirname`, with its trailing
`:`, and `name`) and `assert_name_is_valid`; `gto.api` re-exports `is_hexsha`,
`mark_artifact_unregistered` and `parse_shortcut`, as upstream's does. The patterns
(`name`, `semver`, `tag_re`...) match what upstream's match, with the same named groups
(tests/upstream_constants.py probes both), except that compiled ones end with `\\Z`:
a trailing newline is no name. gto's own parsing is gto.core.tags's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gto.core import tags as _tags
from gto.core.state import VersionSort
from gto.core.tags import Action, check_artifact_name, check_name
from gto.core.tags import parse_shortcut as _parse_shortcut

__all__ = [
    "ACTION",
    "ARTIFACT",
    "ASSIGNMENTS_PER_VERSION",
    "COMMIT",
    "COUNTER",
    "NAME",
    "PATH",
    "REF",
    "SEPARATOR_IN_NAME",
    "SEPARATOR_IN_TAG",
    "STAGE",
    "TAG",
    "TYPE",
    "VERSION",
    "VERSIONS_PER_STAGE",
    "Action",
    "Shortcut",
    "VersionSort",
    "assert_fullname_is_valid",
    "assert_name_is_valid",
    "check_string_is_valid",
    "counter",
    "dirname",
    "fullname",
    "fullname_in_tag",
    "fullname_in_tag_re",
    "fullname_re",
    "git_hexsha_re",
    "is_hexsha",
    "mark_artifact_unregistered",
    "name",
    "name_re",
    "name_to_tag",
    "parse_shortcut",
    "semver",
    "shortcut_re",
    "tag_re",
    "tag_to_name",
]

SEPARATOR_IN_NAME = ":"
SEPARATOR_IN_TAG = "="

# Field names, as upstream spells them in dicts and tables.
ACTION = "action"
ARTIFACT = "artifact"
COMMIT = "commit"
COUNTER = "counter"
NAME = "name"
PATH = "path"
REF = "ref"
STAGE = "stage"
TAG = "tag"
TYPE = "type"
VERSION = "version"

ASSIGNMENTS_PER_VERSION = -1
VERSIONS_PER_STAGE = 1

# Pattern fragments, unanchored, for building patterns as upstream's callers do; and the
# compiled patterns (`\Z`, not `$`: "m\n" is no name). They are gto.core.tags's own.
name = _tags.NAME
dirname = _tags.DIRNAME
fullname = _tags.FULLNAME
fullname_in_tag = _tags.FULLNAME_IN_TAG
semver = _tags.SEMVER
counter = _tags.COUNTER
name_re = _tags.NAME_RE
fullname_re = _tags.FULLNAME_RE
fullname_in_tag_re = _tags.FULLNAME_IN_TAG_RE
tag_re = _tags.TAG_RE
shortcut_re = _tags.SHORTCUT_RE
# 40 hex digits, and SHA-256's 64 (upstream: 40 only), as `is_hexsha`.
git_hexsha_re = re.compile(r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})\Z")


def check_string_is_valid(value: str, regex: re.Pattern[str] = name_re) -> bool:
    """Whether `regex` (an artifact or stage name by default) matches `value`.

    >>> check_string_is_valid("churn"), check_string_is_valid("-churn")
    (True, False)
    """
    return regex.match(value) is not None


def assert_name_is_valid(value: str) -> None:
    """Refuse an artifact ID without a `dirname:` part (the rule DVC checks IDs with).

    >>> assert_name_is_valid("churn")
    >>> assert_name_is_valid("sub/dir:churn")
    Traceback (most recent call last):
    gto.exceptions.ValidationError: Invalid value 'sub/dir:churn'. Only letters, numbers, \
'_', '-', '/' are allowed. Value must start and end with a letter or a number.
    """
    check_name(value)


def assert_fullname_is_valid(value: str) -> None:
    """Refuse an artifact name, which may carry a `dirname:` prefix."""
    check_artifact_name(value)


def is_hexsha(value: str) -> bool:
    """Whether `value` is a full commit id (40 hex digits, or SHA-256's 64; either case).

    >>> is_hexsha("0123456789abcdef0123456789ABCDEF01234567"), is_hexsha("v1.0.0")
    (True, False)
    """
    return bool(git_hexsha_re.match(value))


def mark_artifact_unregistered(artifact_name: str) -> str:
    """The `*name` that tables show for artifacts known only from annotations.

    >>> mark_artifact_unregistered("sub/dir:clf")
    '*sub/dir:clf'
    """
    return f"*{artifact_name}"


def name_to_tag(artifact_name: str) -> str:
    """`dir:name` as it is written in a tag (`dir=name`)."""
    return artifact_name.replace(SEPARATOR_IN_NAME, SEPARATOR_IN_TAG)


def tag_to_name(tag_name: str) -> str:
    """`dir=name` from a tag, as gto names the artifact (`dir:name`)."""
    return tag_name.replace(SEPARATOR_IN_TAG, SEPARATOR_IN_NAME)


@dataclass(frozen=True)
class Shortcut:
    """Upstream's shortcut value: `shortcut` says whether `@…`/`#…` was given at all."""

    name: str
    stage: str | None = None
    version: str | None = None
    latest: bool = False
    shortcut: bool = False


def parse_shortcut(value: str) -> Shortcut:
    """Split `name@latest`, `name@greatest`, `name@vX.Y.Z` and `name#stage`.

    Anything else is taken whole as a name.

    >>> parse_shortcut("dir/sub:name#prod")
    Shortcut(name='dir/sub:name', stage='prod', version=None, latest=False, shortcut=True)
    >>> parse_shortcut("model@v1")
    Shortcut(name='model@v1', stage=None, version=None, latest=False, shortcut=False)
    """
    parsed = _parse_shortcut(value)
    return Shortcut(
        name=parsed.artifact,
        stage=parsed.stage,
        version=parsed.version,
        latest=parsed.latest,
        shortcut=not parsed.is_plain,
    )
