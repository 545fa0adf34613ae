"""Upstream GTO's `gto.tag`: find a repository's GTO tags and parse them, as DVC does.

DVC resolves `dvc artifacts get NAME [--rev V | --stage S]` with
`find(name=..., version=..., stage=..., scm=...)`, `parse_tag` and
`gto.base.sort_versions`, and reads `.target` of what they return. The values
are gto's own frozen dataclasses carrying the attribute names DVC and scmrepo's
users read (`GitTag`: name, hexsha, target, tagger_name, tagger_email, tag_time,
tag_time_offset, message).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Generic, Protocol, TypedDict, TypeVar, overload

from gto.core.events import tag_tie_order
from gto.core.tags import Action, GitTag, ParsedTag, try_parse_tag
from gto.core.tags import parse_tag as _parse_name
from gto.exceptions import MissingArg, UnknownAction
from gto.session import RepoLike, opened

__all__ = ["Action", "GitTag", "Tag", "TagFields", "TagLike", "find", "parse_name", "parse_tag"]


class TagLike(Protocol):
    """What `find` and `parse_tag` read of a tag: gto's GitTag, or scmrepo's."""

    @property
    def name(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def tag_time(self) -> int: ...
    @property
    def tag_time_offset(self) -> int: ...


_T = TypeVar("_T", bound=TagLike)


@dataclass(frozen=True)
class Tag(Generic[_T]):
    """A GTO tag, parsed: `tag` is the very object given to `parse_tag`."""

    action: Action
    name: str
    created_at: datetime
    tag: _T
    version: str | None = None
    stage: str | None = None


class TagFields(TypedDict, total=False):
    """What a tag name says (`gto.api.parse_tag`): only the fields the tag has."""

    name: str
    version: str
    stage: str
    action: Action
    counter: int


def parse_name(name: str, raise_on_fail: bool = True) -> TagFields:
    """A tag name's fields (`gto.api.parse_tag_name`); `{}` for a bad name unless it raises.

    >>> parse_name("dir/sub=clf#prod!#4")
    {'name': 'dir/sub:clf', 'stage': 'prod', 'action': <Action.UNASSIGN: 'unassign'>, \
'counter': 4}
    >>> parse_name("release-1", raise_on_fail=False)
    {}
    """
    parsed = _parse_name(name) if raise_on_fail else try_parse_tag(name)
    if parsed is None:
        return {}
    fields = TagFields(name=parsed.artifact)
    if parsed.version is not None:
        fields["version"] = parsed.version
    if parsed.stage is not None:
        fields["stage"] = parsed.stage
    if parsed.action is not Action.CREATE:  # `x@created` carries no action (reference, 1.3)
        fields["action"] = parsed.action
    if parsed.counter is not None:
        fields["counter"] = parsed.counter
    return fields


def parse_tag(tag: _T) -> Tag[_T]:
    """Parse an annotated tag into action, artifact name, version or stage and its time.

    `created_at` keeps the tag's own UTC offset.

    Raises:
        InvalidTagName: the name is not a GTO tag.
    """
    parsed = _parse_name(tag.name)
    offset = timedelta(seconds=tag.tag_time_offset)
    zone = timezone.utc if not offset else timezone(offset)
    return Tag(
        action=parsed.action,
        name=parsed.artifact,
        created_at=datetime.fromtimestamp(tag.tag_time, zone),
        tag=tag,
        version=parsed.version,
        stage=parsed.stage,
    )


def _actions(action: Action | str | Collection[Action] | None) -> frozenset[Action] | None:
    if action is None:
        return None
    if isinstance(action, str):
        try:
            return frozenset({Action(action)})
        except ValueError:
            raise UnknownAction(action) from None
    return frozenset(action)


def _keep(
    parsed: ParsedTag | None,
    actions: frozenset[Action] | None,
    name: str | None,
    version: str | None,
    stage: str | None,
) -> bool:
    return (
        parsed is not None
        and (actions is None or parsed.action in actions)
        and (name is None or parsed.artifact == name)
        and (version is None or parsed.version == version)
        and (stage is None or parsed.stage == stage)
    )


@overload
def find(
    action: Action | str | Collection[Action] | None = None,
    name: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    scm: RepoLike | None = None,
    sort: str = "by_time",
    tags: None = None,
) -> list[GitTag]: ...
@overload
def find(
    action: Action | str | Collection[Action] | None = None,
    name: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    scm: RepoLike | None = None,
    sort: str = "by_time",
    tags: Iterable[_T] | None = None,
) -> list[_T] | list[GitTag]: ...
def find(
    action: Action | str | Collection[Action] | None = None,
    name: str | None = None,
    version: str | None = None,
    stage: str | None = None,
    scm: RepoLike | None = None,
    sort: str = "by_time",
    tags: Iterable[_T] | None = None,
) -> list[_T] | list[GitTag]:
    """The annotated GTO tags that match every filter given, oldest first.

    `name` is the artifact name (`dir/sub:name`); `version` matches registrations and
    deregistrations, `stage` assignments and unassignments; `action` is an Action or a set
    of them. Tags made in one second come in replay's order (counters as numbers, see
    README "Events in the same second"), so `find(...)[-1]` is the tag `gto show` takes for
    a stage; a ref whose name is not its tag object's own is skipped, as `gto show` skips
    it. `scm` is the repository: a path, a scmrepo `Git` (its `root_dir`) or a dulwich
    `Repo` (its `path`). Non-empty `tags` are filtered instead of the repository's; `scm`
    is still required, as upstream requires it. Whatever is opened is closed before
    returning.

    Raises:
        MissingArg: no `scm`.
        UnknownAction: an `action` string that is no Action.
        NotImplementedError: a `sort` other than "by_time".
    """
    if scm is None:
        raise MissingArg("scm")
    if sort != "by_time":
        raise NotImplementedError(f"Unknown sort: {sort}")
    actions = _actions(action)
    given = list(tags or ())
    if given:
        parsed = {t.name: try_parse_tag(t.name) for t in given}
        kept = [t for t in given if _keep(parsed[t.name], actions, name, version, stage)]
        return sorted(kept, key=lambda t: (t.tag_time, *tag_tie_order(t.name, parsed[t.name])))
    with opened(scm) as session:
        git = session.git
        parsed = {n: try_parse_tag(n) for n in git.tag_names()}
        names = [n for n, p in parsed.items() if _keep(p, actions, name, version, stage)]
        found = git.read_git_tags(names)
        return sorted(found, key=lambda t: (t.tag_time, *tag_tie_order(t.name, parsed[t.name])))
