"""Writes described: what a writing command asks for, how, and the tags it becomes.

A request (`Register`, `Assign`, `Unassign`, `Deregister`, `Deprecate`) carries the
names and the revision the user gave; `WriteOptions` how any write is made. gto.core.plan
turns a request into a `Plan` of `NewTag`s and tags to delete; gto.git.transaction
applies it and reports an `Outcome`. `check_request` refuses bad input before a
repository is opened; `counter_taken` and `rivals` are what a writer checks once its
tag exists, because another one may have written at the same moment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from gto.core.events import EVENT_OF_ACTION, TagEvent
from gto.core.tags import (
    Action,
    check_artifact_name,
    check_name,
    format_tag,
    try_parse_tag,
)
from gto.core.versions import FIRST_VERSION, Bump, check_version, is_version
from gto.exceptions import GTOException, InvalidVersion, WrongArgs

__all__ = [
    "ONE_OF",
    "Assign",
    "Deprecate",
    "Deregister",
    "NewTag",
    "Outcome",
    "Plan",
    "Register",
    "Request",
    "Resolved",
    "Simple",
    "Unassign",
    "WriteOptions",
    "bumps",
    "check_request",
    "counter_taken",
    "revision",
    "rivals",
    "wants_simple",
]

Simple = bool | Literal["auto", "true", "false"] | None
# A revision the user named, resolved to a commit id, or the error resolving it gave.
Resolved = str | GTOException
ONE_OF = "One and only one of (version, ref) must be specified."


@dataclass(frozen=True)
class WriteOptions:
    """How a write is made, whatever it writes: the options every writing command shares.

    `simple` picks a tag without the `#N` counter (`auto`: the action's usual form);
    `force` writes even a repeat, and overrides promotion rules that `requires` stages;
    `push` pushes what was written; `author` and `author_email` override the tagger git
    would pick; `sign` signs the tags (None: as GTO_SIGN or `.gto` say) with the
    private key file `signing_key` (None: GTO_SIGNING_KEY, else git's user.signingkey).
    """

    message: str | None = None
    simple: Simple = None
    force: bool = False
    push: bool = False
    author: str | None = None
    author_email: str | None = None
    sign: bool | None = None
    signing_key: str | None = None


# --- requests ------------------------------------------------------------------------


# Each request names a revision (`ref`, or HEAD where the command defaults to it);
# `commit` is what the caller resolved it to (`revision(request)` says which one).


@dataclass(frozen=True)
class Register:
    """A version for the commit of `ref`: `version`, or the next one (`bump`: at most one part)."""

    name: str
    ref: str = "HEAD"
    version: str | None = None
    bump: tuple[Bump, ...] = ()
    commit: Resolved | None = None


@dataclass(frozen=True)
class Assign:
    """A stage for `version`, or for the version at `ref` (registered first if need be)."""

    name: str
    stage: str
    version: str | None = None
    ref: str | None = None
    name_version: str | None = None
    skip_registration: bool = False
    commit: Resolved | None = None


@dataclass(frozen=True)
class Unassign:
    name: str
    stage: str
    version: str | None = None
    ref: str | None = None
    delete: bool = False
    commit: Resolved | None = None


@dataclass(frozen=True)
class Deregister:
    name: str
    version: str | None = None
    ref: str | None = None
    delete: bool = False
    commit: Resolved | None = None


@dataclass(frozen=True)
class Deprecate:
    name: str
    ref: str | None = None
    delete: bool = False
    commit: Resolved | None = None


Request = Register | Assign | Unassign | Deregister | Deprecate


def bumps(major: bool, minor: bool, patch: bool) -> tuple[Bump, ...]:
    """The parts `--bump-major/--bump-minor/--bump-patch` ask for (`Register.bump`).

    >>> bumps(False, True, False)
    ('minor',)
    """
    parts: tuple[tuple[bool, Bump], ...] = ((major, "major"), (minor, "minor"), (patch, "patch"))
    return tuple(part for given, part in parts if given)


def revision(request: Request) -> str | None:
    """The revision the plan may need resolved: the ref given, or HEAD where it is the default.

    >>> revision(Assign("m", "prod")), revision(Assign("m", "prod", version="v1.0.0"))
    ('HEAD', None)
    """
    if isinstance(request, Assign):
        return request.ref or ("HEAD" if request.version is None else None)
    if isinstance(request, Deprecate):
        return request.ref or "HEAD"
    return request.ref


# --- plans -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NewTag:
    """One annotated tag to create, and what to check once it exists.

    `check`: `alone`, no other version appeared on the commit meanwhile (a registration);
    `not-repeated`, no other writer made the same stage change first (then `repeat` is
    the error). `rebump`: an automatically chosen version; if its name is taken
    meanwhile, plan again.
    """

    artifact: str
    action: Action
    commit: str
    message: str
    version: str | None = None  # the version the event reports
    stage: str | None = None
    counted: bool = False  # takes the artifact's next `#N`
    check: Literal["alone", "not-repeated"] | None = None
    repeat: str = ""
    rebump: bool = False

    def tag_name(self, counter: int | None = None) -> str:
        """`m@v1.0.0`, `m#prod#3`...: the name with `counter` when the tag is counted."""
        in_name = self.version if self.action in (Action.REGISTER, Action.DEREGISTER) else None
        return format_tag(
            self.artifact,
            self.action,
            version=in_name,
            stage=self.stage,
            counter=counter if self.counted else None,
        )

    def event(self, tag: str, created_at: datetime, author: str, author_email: str) -> TagEvent:
        """The event the tag `tag` stands for, once it was made at `created_at`."""
        parsed = try_parse_tag(tag)
        named: dict[str, str | None] = {}
        if self.action is not Action.DEPRECATE:
            named["version"] = self.version
        if self.action in (Action.ASSIGN, Action.UNASSIGN):
            named["stage"] = self.stage
        return EVENT_OF_ACTION[self.action](
            artifact=self.artifact,
            created_at=created_at,
            author=author,
            author_email=author_email,
            message=self.message,
            commit_hexsha=self.commit,
            tag=tag,
            counter=None if parsed is None else parsed.counter,
            **named,
        )


@dataclass(frozen=True)
class Plan:
    """Tags to create (in order), then tags to delete (in order: version tags last)."""

    create: tuple[NewTag, ...] = ()
    delete: tuple[str, ...] = ()
    # The deleted tags as a user is told of them: oldest first, as upstream does.
    deleted: tuple[str, ...] = ()


@dataclass
class Outcome:
    """What a command did, in order: for the CLI's messages and the API's return value."""

    created: list[TagEvent] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    pushed: bool = False


# --- checks before anything is read ---------------------------------------------------


def wants_simple(value: Simple, default: bool) -> bool:
    """`auto` (or None) means the action's default (behaviour reference, 1.5)."""
    if value is None or value == "auto":
        return default
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise WrongArgs(
        "Invalid value for '--simple': Only one of ['auto', 'true', 'false'] is allowed"
    )


def _check_names(
    name: str, action: Action, *, stage: str | None = None, version: str | None = None
) -> str:
    """The names' grammar, then a sample tag of the kind the command writes (for git's rules).

    The grammar lets a `dirname:` prefix hold '..' or '.lock' and a name be any length,
    which git cannot store in a tag name: the sample shows it (gto.git.refs).
    """
    check_artifact_name(name)
    if stage is not None:
        check_name(stage)
    if version is not None and not is_version(version):
        if action is Action.REGISTER:
            raise InvalidVersion(f"Supplied version '{version}' cannot be parsed")
        check_version(version)
    counter = 1 if action in (Action.ASSIGN, Action.UNASSIGN) else None
    sample = (version or FIRST_VERSION) if action in (Action.REGISTER, Action.DEREGISTER) else None
    return format_tag(name, action, stage=stage, version=sample, counter=counter)


def check_request(request: Request, options: WriteOptions) -> list[str]:
    """Refuse bad input before the repository is opened; the sample tag names to check
    against git's ref rules (gto.git.refs), so nothing is written for a name git refuses.
    """
    if isinstance(request, Register):
        samples = [_check_names(request.name, Action.REGISTER, version=request.version)]
        if bool(request.version) + len(request.bump) > 1:
            raise WrongArgs("Need to specify either version or single bump argument")
    elif isinstance(request, Assign):
        samples = [
            _check_names(request.name, Action.ASSIGN, stage=request.stage, version=request.version)
        ]
        if request.name_version is not None:
            samples.append(
                _check_names(request.name, Action.REGISTER, version=request.name_version)
            )
        if request.version is not None and request.ref is not None:
            raise WrongArgs(ONE_OF)
        if (request.name_version or request.version) and request.skip_registration:
            raise WrongArgs("You either need to supply version name or skip registration")
    elif isinstance(request, Unassign):
        samples = [
            _check_names(
                request.name, Action.UNASSIGN, stage=request.stage, version=request.version
            )
        ]
    elif isinstance(request, Deregister):
        samples = [_check_names(request.name, Action.DEREGISTER, version=request.version)]
    else:
        samples = [_check_names(request.name, Action.DEPRECATE)]
        if options.force and options.simple in (True, "true"):
            raise WrongArgs("Can't use 'force' with 'simple=True'")
    return samples


# --- what a concurrent writer may have done: checked once the tags exist ----------------


def counter_taken(names: Iterable[str], artifact: str, counter: int, mine: str) -> bool:
    """Whether a tag other than `mine` carries the artifact's `counter`."""
    for other in names:
        parsed = try_parse_tag(other)
        if (
            other != mine
            and parsed is not None
            and parsed.artifact == artifact
            and parsed.counter == counter
        ):
            return True
    return False


def rivals(created: str, stage: str, names: Iterable[str], seen: frozenset[str]) -> list[str]:
    """Tags of the same kind, artifact and stage as `created`, with a lower counter, made
    by another writer after the command decided (not in `seen`): of two identical stage
    changes made at once, the later backs off if the earlier is on the same commit.
    """
    mine = try_parse_tag(created)
    if mine is None or mine.counter is None:
        return []  # a simple tag: two writers of one name already exclude each other
    found = []
    for name in names:
        other = try_parse_tag(name)
        if (
            name not in seen
            and name != created
            and other is not None
            and (other.artifact, other.action, other.stage) == (mine.artifact, mine.action, stage)
            and other.counter is not None
            and other.counter < mine.counter
        ):
            found.append(name)
    return found
