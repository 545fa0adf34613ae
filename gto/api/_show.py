"""`show` and `history`: the registry, an artifact's versions, the events (upstream's shapes)."""

from __future__ import annotations

from typing import Any, Literal, cast, overload

from gto.api._audit import AsOf, registry_then
from gto.api._options import Verify
from gto.core import history_view, views
from gto.core.events import Event
from gto.core.rows import (
    HistoryEntry,
    HistoryRow,
    RegistryEntry,
    RegistryRow,
    VersionDict,
    VersionRow,
)
from gto.core.signature_view import Signatures
from gto.core.state import Registry, Version, VersionSort, VStage, check_limits
from gto.core.tags import (
    Shortcut,
    check_name,
    parse_shortcut,
    shortcut_mistake,
    tag_prefixes,
)
from gto.exceptions import ArtifactNotFound, GTOException, ValidationError, WrongArgs
from gto.session import RepoLike as Repo
from gto.session import Session, opened


def _sort(sort: VersionSort | str) -> VersionSort:
    try:
        return VersionSort(sort)
    except ValueError:
        raise WrongArgs(f"Only one of ['timestamp', 'semver'] is allowed, got '{sort}'") from None


@overload
def show(
    repo: Repo,
    name: None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: Literal[False] = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> dict[str, RegistryEntry]: ...
@overload
def show(
    repo: Repo,
    name: str,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: Literal[False] = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> list[VersionDict]: ...
@overload
def show(
    repo: Repo,
    name: None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    *,
    table: Literal[True],
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> tuple[list[RegistryRow], str]: ...
@overload
def show(
    repo: Repo,
    name: str,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    *,
    table: Literal[True],
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> tuple[list[VersionRow], str]: ...
def show(
    repo: Repo,
    name: str | None = None,
    truncate_hexsha: bool = False,
    registered_only: bool = False,
    deprecated: bool = False,
    assignments_per_version: int = -1,
    versions_per_stage: int = 1,
    sort: VersionSort | str = VersionSort.Timestamp,
    table: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> (
    dict[str, RegistryEntry]
    | list[VersionDict]
    | tuple[list[RegistryRow], str]
    | tuple[list[VersionRow], str]
):
    """The registry (no `name`) or one artifact's versions (`name` or a shortcut).

    Returns the registry dict or a list of version dicts; with `table=True`,
    `(rows, "keys")` ready for a table. `all_branches`/`all_commits` also list the
    artifacts annotated at the heads of all branches / in every commit. `as_of` shows
    the registry as it was then (a date, a ref, or an aware datetime); `verify` adds
    each tag's signature (`signature` keys, a column or cell suffix; gto.api._trust).
    """
    check_limits(assignments_per_version, versions_per_stage)
    order = _sort(sort)
    tags = None if name is None else _name_tags(name)
    with opened(repo, tags=tags, keep_tags=bool(verify)) as session:
        if name is None:
            registry = registry_then(
                session, as_of, all_branches=all_branches, all_commits=all_commits
            )
            signatures = _signatures(session, registry, verify)
            lines = views.registry_lines(
                registry,
                views.registry_stage_names(registry, session.config.stages),
                deprecated=deprecated,
                registered_only=registered_only,
                assignments_per_version=assignments_per_version,
                versions_per_stage=versions_per_stage,
                sort=order,
            )
            if table:
                rows = views.registry_rows(lines, truncate=truncate_hexsha, signatures=signatures)
                return rows, "keys"
            return views.registry_view(lines, signatures)
        shortcut = parse_shortcut(name)
        if shortcut.stage is not None:
            check_name(shortcut.stage)
        registry = registry_then(
            session, as_of, shortcut.artifact, all_branches=all_branches, all_commits=all_commits
        )
        signatures = _signatures(session, registry, verify)
        artifact = registry.find_artifact(shortcut.artifact)
        if artifact is None:
            raise _not_found(session, name, shortcut.artifact)
        listed = _select(
            views.artifact_versions(
                artifact,
                deprecated=deprecated,
                registered_only=registered_only,
                assignments_per_version=assignments_per_version,
                versions_per_stage=versions_per_stage,
                sort=order,
            ),
            shortcut,
        )
    if table:
        versions = views.version_rows(
            artifact, listed, truncate=truncate_hexsha, signatures=signatures
        )
        return versions, "keys"
    return [views.version_dict(version, vstages, signatures) for version, vstages in listed]


def _signatures(session: Session, registry: Registry, verify: bool | Verify) -> Signatures:
    """With `verify`, every tag's signature (the trust module is loaded only then)."""
    if verify is False:
        return None
    from gto.api._trust import registry_signatures

    return registry_signatures(session, registry, Verify() if verify is True else verify)


def _name_tags(name: str) -> list[str]:
    """The tags `show NAME` reads: the artifact's, and those of the artifact a mistaken
    shortcut names (`churn@3.0.0`), to say what is wrong with it."""
    mistake = shortcut_mistake(name)
    artifacts = [parse_shortcut(name).artifact, *([mistake[0]] if mistake else [])]
    return [prefix for artifact in artifacts for prefix in tag_prefixes(artifact)]


def _not_found(session: Session, name: str, artifact: str) -> GTOException:
    """`churn@v9` when `churn` exists says what is wrong with the shortcut, not "no artifact";
    a well-formed shortcut names its artifact (`nope@v1.0.0`: 'nope'), as upstream does."""
    mistake = shortcut_mistake(name)
    if mistake is not None and session.registry(mistake[0]).find_artifact(mistake[0]):
        return ValidationError(mistake[1])
    return ArtifactNotFound(artifact)


def _select(
    listed: list[tuple[Version, list[VStage]]], shortcut: Shortcut
) -> list[tuple[Version, list[VStage]]]:
    if shortcut.latest:
        return listed[:1]
    if shortcut.version is not None:
        return [item for item in listed if item[0].version == shortcut.version]
    if shortcut.stage is not None:
        # The versions holding the stage, each shown as `show NAME` shows it: all its stages.
        return [item for item in listed if any(s.stage == shortcut.stage for s in item[1])]
    return listed


@overload
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    table: Literal[False] = False,
    truncate_hexsha: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> list[HistoryEntry]: ...
@overload
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    *,
    table: Literal[True],
    truncate_hexsha: bool = False,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> tuple[list[HistoryRow], str]: ...
def history(
    repo: Repo,
    artifact: str | None = None,
    ascending: bool = False,
    table: bool = False,
    truncate_hexsha: bool = False,
    *,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
) -> list[HistoryEntry] | tuple[list[HistoryRow], str]:
    """Every event (tags and version commits), newest first unless `ascending`; `as_of` and
    `verify` as for `show`."""
    if table:
        columns = history_columns(
            repo,
            artifact,
            ascending=ascending,
            all_branches=all_branches,
            all_commits=all_commits,
            as_of=as_of,
            verify=verify,
            truncate_hexsha=truncate_hexsha,
        )
        rows = [
            dict(zip(columns, cells, strict=True)) for cells in zip(*columns.values(), strict=True)
        ]
        return cast(list[HistoryRow], rows), "keys"
    tags = None if artifact is None else tag_prefixes(artifact)
    with opened(repo, tags=tags, keep_tags=bool(verify)) as session:
        registry = registry_then(
            session, as_of, artifact, all_branches=all_branches, all_commits=all_commits
        )
        signatures = _signatures(session, registry, verify)
    return history_view.history_view(registry, artifact, ascending=ascending, signatures=signatures)


def history_columns(
    repo: Repo,
    artifact: str | None = None,
    *,
    ascending: bool = False,
    all_branches: bool = False,
    all_commits: bool = False,
    as_of: AsOf | None = None,
    verify: bool | Verify = False,
    truncate_hexsha: bool = True,
) -> dict[str, list[Any]]:
    """`history(table=True)`'s rows as columns (header -> cells), commit ids cut short
    unless `truncate_hexsha` is False.

    What the command line prints: a long history without a dict per row, made once the
    registry is let go (its events are all the columns need).
    """
    tags = None if artifact is None else tag_prefixes(artifact)
    with opened(repo, tags=tags, keep_tags=bool(verify)) as session:
        events, signatures = _history_events(
            session, artifact, ascending, as_of, verify, all_branches, all_commits
        )
    return history_view.history_columns(events, truncate=truncate_hexsha, signatures=signatures)


def _history_events(
    session: Session,
    artifact: str | None,
    ascending: bool,
    as_of: AsOf | None,
    verify: bool | Verify,
    all_branches: bool,
    all_commits: bool,
) -> tuple[list[Event], Signatures]:
    """History's events and signatures; the registry is dropped on return."""
    registry = registry_then(
        session, as_of, artifact, all_branches=all_branches, all_commits=all_commits
    )
    events = history_view.history_events(registry, artifact, ascending=ascending)
    return events, _signatures(session, registry, verify)
