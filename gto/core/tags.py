"""The tag grammar: artifact names, stage names and the GTO tag formats.

Everything that turns a tag name into meaning (or meaning back into a tag
name) lives here, so no other module handles raw tag strings.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, NamedTuple

from gto.exceptions import InvalidTagName, ValidationError

# Upstream's pattern fragments (gto.constants exports them under upstream's names): the
# same matches and named groups, so `tests/upstream_constants.py` can compare them.
NAME = r"[a-zA-Z0-9]([a-zA-Z0-9\-/_]*[a-zA-Z0-9])?"
DIRNAME = r"[a-zA-Z0-9\-_./]+"
FULLNAME = rf"(?P<dirname>{DIRNAME}:)?(?P<name>{NAME})"
FULLNAME_IN_TAG = rf"(?P<dirname>{DIRNAME}=)?(?P<name>{NAME})"
_NUMBER = r"0|[1-9]\d*"
_PRERELEASE_PART = r"(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
SEMVER = (
    rf"(?P<major>{_NUMBER})\.(?P<minor>{_NUMBER})\.(?P<patch>{_NUMBER})"
    rf"(?:-(?P<prerelease>{_PRERELEASE_PART}(?:\.{_PRERELEASE_PART})*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
COUNTER = "?P<counter>[0-9]+"  # a group's inside: `(` + COUNTER + `)`

# `\Z`, not `$`: `$` also matches before a final newline, and "m\n" is no name.
NAME_RE = re.compile(rf"^{NAME}\Z")
FULLNAME_RE = re.compile(rf"^{FULLNAME}\Z")
FULLNAME_IN_TAG_RE = re.compile(rf"^{FULLNAME_IN_TAG}\Z")
TAG_RE = re.compile(
    rf"^(?P<artifact>{FULLNAME_IN_TAG})"
    rf"(?:(?:#(?P<stage>{NAME})|@(?P<version>v{SEMVER}))(?P<cancel>!?)"
    r"|@(?P<deprecated>deprecated)|@(?P<created>created))"
    rf"(?:#({COUNTER}))?\Z"
)
SHORTCUT_RE = re.compile(
    rf"^(?P<artifact>{FULLNAME})(?:#(?P<stage>{NAME})|@(?P<version>latest|greatest|v{SEMVER}))\Z"
)
# A cheap pre-filter: the artifact part of a tag name, before any object is read.
_ARTIFACT_PREFIX_RE = re.compile(r"^([^@#]+)[@#]")


class Action(str, Enum):
    CREATE = "create"
    DEPRECATE = "deprecate"
    DEREGISTER = "deregister"
    REGISTER = "register"
    ASSIGN = "assign"
    UNASSIGN = "unassign"


@dataclass(frozen=True, slots=True)
class ParsedTag:
    """What a tag name says, before anything is known about its object."""

    artifact: str
    action: Action
    version: str | None = None
    stage: str | None = None
    counter: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The `parse-tag` shape: name, version/stage, action, counter.

        >>> parse_tag("m#prod!#2").to_dict()
        {'name': 'm', 'stage': 'prod', 'action': 'unassign', 'counter': 2}
        """
        result: dict[str, Any] = {"name": self.artifact}
        if self.version is not None:
            result["version"] = self.version
        if self.stage is not None:
            result["stage"] = self.stage
        # `x@created` parses but carries no action (behaviour reference, 1.3).
        if self.action is not Action.CREATE:
            result["action"] = self.action.value
        if self.counter is not None:
            result["counter"] = self.counter
        return result


class TagRecord(NamedTuple):
    """An annotated tag as read from git, already decoded and peeled to a commit.

    A named tuple, not a frozen dataclass: one is made per tag of a registry, and a tuple
    is made in one call where a frozen dataclass sets each field (a third of the time).
    """

    name: str
    commit: str
    tagger: str
    tagger_email: str
    created_at: datetime
    message: str


@dataclass(frozen=True)
class GitTag:
    """An annotated tag object as git stores it: not peeled, its message as written.

    The attribute names are those of scmrepo's `GitTag`, which DVC and upstream GTO's
    users read (`gto.tag.find`): `target` is the object the tag names (a commit, or a
    tree or another tag for odd tags), `tag_time` epoch seconds and `tag_time_offset`
    seconds east of UTC.
    """

    name: str
    hexsha: str
    target: str
    tagger_name: str
    tagger_email: str
    tag_time: int
    tag_time_offset: int
    message: str


@dataclass(frozen=True, slots=True)
class CommitRecord:
    """A commit as read from git: what commit events and version authorship need."""

    hexsha: str
    author: str
    author_email: str
    committer: str
    committer_email: str
    created_at: datetime
    message: str


@dataclass(frozen=True)
class Shortcut:
    """`name`, `name@latest`, `name@greatest`, `name@vX.Y.Z` or `name#stage`."""

    artifact: str
    version: str | None = None
    stage: str | None = None
    latest: bool = False

    @property
    def is_plain(self) -> bool:
        return self.version is None and self.stage is None and not self.latest


def parse_tag(name: str) -> ParsedTag:
    """Parse a GTO tag name; `=` in the artifact part stands for `:`.

    >>> parse_tag("churn#prod#3")
    ParsedTag(artifact='churn', action=<Action.ASSIGN: 'assign'>, version=None, stage='prod', \
counter=3)
    """
    parts = tag_parts(name)
    if parts is None:
        raise InvalidTagName(name)
    return ParsedTag(*parts)


def try_parse_tag(name: str) -> ParsedTag | None:
    """`parse_tag`, or None for names that are not GTO tags."""
    parts = tag_parts(name)
    return None if parts is None else ParsedTag(*parts)


TagParts = tuple[str, Action, str | None, str | None, int | None]


def tag_parts(name: str) -> TagParts | None:
    """`parse_tag`'s fields as a tuple (artifact, action, version, stage, counter), or None.

    Called once per tag of a registry: artifact and stage names are interned, so the
    many tags of one artifact share one string.

    >>> tag_parts("dir=m#prod!#4")
    ('dir:m', <Action.UNASSIGN: 'unassign'>, None, 'prod', 4)
    """
    match = TAG_RE.match(name)
    if match is None:
        return None
    stage, version, counter = match["stage"], match["version"], match["counter"]
    cancel, deprecated = match["cancel"], match["deprecated"]
    artifact = sys.intern(match["artifact"].replace("=", ":"))
    if version is not None:
        action = Action.DEREGISTER if cancel else Action.REGISTER
    elif stage is not None:
        action = Action.UNASSIGN if cancel else Action.ASSIGN
        stage = sys.intern(stage)
    else:
        action = Action.DEPRECATE if deprecated else Action.CREATE
    return artifact, action, version, stage, None if counter is None else int(counter)


def tag_artifact(name: str) -> str | None:
    """The artifact a tag name would belong to, without a full parse.

    Used to pick the few tags a single-artifact command has to read.
    """
    match = _ARTIFACT_PREFIX_RE.match(name)
    return match[1].replace("=", ":") if match else None


def tag_prefixes(artifact: str) -> tuple[str, ...]:
    """The beginnings of every tag name of `artifact`: its version tags and its stage tags.

    `tag_artifact(name) == artifact` exactly for the names that start with one of them,
    so a command about one artifact lists only its tags (a bisection of packed-refs).

    >>> tag_prefixes("dir:clf")
    ('dir=clf@', 'dir=clf#')
    """
    if any(c in artifact for c in "@#="):
        return ()  # no tag name has such an artifact part
    base = artifact.replace(":", "=")
    return f"{base}@", f"{base}#"


def next_counter(names: Iterable[str], artifact: str) -> int:
    """1 + the greatest `#N` among an artifact's tags, lightweight ones included (reference, 1.4).

    >>> next_counter(["m#dev#1", "m@v1.0.0#4", "other#dev#9", "m#prod"], "m")
    5
    """
    counters = (
        parsed.counter
        for name in names
        if (parsed := try_parse_tag(name)) is not None and parsed.artifact == artifact
    )
    return 1 + max((c for c in counters if c is not None), default=0)


def format_tag(
    artifact: str,
    action: Action,
    *,
    version: str | None = None,
    stage: str | None = None,
    counter: int | None = None,
) -> str:
    """Build a tag name; the inverse of `parse_tag`.

    >>> format_tag("churn", Action.UNASSIGN, stage="prod", counter=4)
    'churn#prod!#4'
    """
    base = artifact.replace(":", "=")
    if action in (Action.REGISTER, Action.DEREGISTER):
        if version is None:
            raise ValueError("a version tag needs a version")
        body = f"{base}@{version}" + ("!" if action is Action.DEREGISTER else "")
    elif action in (Action.ASSIGN, Action.UNASSIGN):
        if stage is None:
            raise ValueError("a stage tag needs a stage")
        body = f"{base}#{stage}" + ("!" if action is Action.UNASSIGN else "")
    elif action is Action.DEPRECATE:
        body = f"{base}@deprecated"
    else:
        body = f"{base}@created"
    return body if counter is None else f"{body}#{counter}"


def _invalid(value: str) -> ValidationError:
    return ValidationError(
        f"Invalid value '{value}'. Only letters, numbers, '_', '-', '/' are allowed. "
        "Value must start and end with a letter or a number."
    )


def is_valid_name(value: str) -> bool:
    """Plain names: stages, types and labels (and artifacts without a dirname)."""
    return bool(NAME_RE.match(value))


def check_name(value: str) -> str:
    """Validate a plain name (a stage, type or label)."""
    if not is_valid_name(value):
        raise _invalid(value)
    return value


def is_valid_artifact_name(value: str) -> bool:
    """Artifact names, which may carry a `dirname:` prefix."""
    return bool(FULLNAME_RE.match(value))


def check_artifact_name(value: str) -> str:
    """Validate an artifact name, which may carry a `dirname:` prefix."""
    if not is_valid_artifact_name(value):
        raise _invalid(value)
    return value


_VERSION_RE = re.compile(rf"^v{SEMVER}\Z")
_SHORTCUTS = "NAME@vX.Y.Z, NAME@latest, NAME@greatest or NAME#STAGE"


def shortcut_mistake(value: str) -> tuple[str, str] | None:
    """For `NAME@...`/`NAME#...` that is no shortcut: the artifact part and what is wrong.

    None when `value` is a shortcut, or has no valid artifact part before `@`/`#`
    (then it is taken whole as a name, as upstream does).

    >>> shortcut_mistake("churn@3.0.0")[1]
    "Invalid version '3.0.0' in 'churn@3.0.0': versions start with 'v', as in 'churn@v3.0.0'"
    """
    split = re.match(r"^([^@#]+)([@#])(.*)\Z", value, re.DOTALL)
    if split is None or SHORTCUT_RE.match(value) or not FULLNAME_RE.match(split[1]):
        return None
    artifact, sign, rest = split.groups()
    tag = try_parse_tag(value.replace(":", "="))
    if tag is not None:
        hint = f"; 'gto show {artifact}#{tag.stage}' shows the version in it" if tag.stage else ""
        return artifact, (
            f"'{value}' is a tag name, not a shortcut: 'gto check-ref {value}' tells what it "
            f"did{hint}"
        )
    fixed = f"v{rest[1:]}" if rest.startswith("V") else f"v{rest}"
    if sign == "@" and _VERSION_RE.match(fixed):
        return artifact, (
            f"Invalid version '{rest}' in '{value}': versions start with 'v', "
            f"as in '{artifact}@{fixed}'"
        )
    if sign == "@" and rest.startswith("v") and "@" not in rest and "#" not in rest:
        return artifact, (
            f"Invalid version '{rest}' in '{value}': versions are 'v' and MAJOR.MINOR.PATCH, "
            f"as in '{artifact}@v1.0.0'; or use '{artifact}@latest'"
        )
    if sign == "#" and rest and "@" not in rest and "#" not in rest:
        return artifact, f"Invalid stage '{rest}' in '{value}': {_invalid(rest).message}"
    return artifact, f"Invalid shortcut '{value}': use {_SHORTCUTS}"


def parse_shortcut(value: str) -> Shortcut:
    """Split `name@latest`-style shortcuts; anything else is taken whole as a name."""
    match = SHORTCUT_RE.match(value)
    if match is None:
        return Shortcut(value)
    version = match["version"]
    if version in ("latest", "greatest"):
        return Shortcut(match["artifact"], latest=True)
    return Shortcut(match["artifact"], version=version, stage=match["stage"])
