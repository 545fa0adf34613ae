"""Upstream GTO's `gto.base.sort_versions`, which DVC uses to pick an artifact's latest version.

DVC calls `sort_versions(parse_tag(t) for t in tags)[0]`: the item with the greatest
SemVer comes first. Items are dicts or objects (gto.tag.Tag, gto's Version, any
dataclass) that carry the `version` and `timestamp` fields named by the arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from gto.core.state import VersionSort
from gto.core.versions import is_version, semver_key

__all__ = ["VersionSort", "sort_versions"]

_V = TypeVar("_V")


def _field(item: object, key: str) -> Any:  # whatever the caller's items hold
    if isinstance(item, Mapping):
        return item[key]
    try:
        return getattr(item, key)
    except AttributeError:
        raise NotImplementedError(
            f"Can sort dicts or objects with a '{key}' field, not {type(item).__name__}"
        ) from None


def _ordered(items: list[_V], ascending: bool) -> list[_V]:
    """`items` sorted ascending, or that list reversed: equal keys come out in reverse
    input order when descending, as upstream's do (DVC's "latest" depends on it)."""
    return items if ascending else items[::-1]


def sort_versions(
    versions: Iterable[_V],
    sort: VersionSort | str = VersionSort.SEMVER,
    ascending: bool = False,
    version: str = "version",
    timestamp: str = "created_at",
) -> list[_V]:
    """Order items by SemVer (default) or by time, greatest first unless `ascending`.

    SemVer: items whose version is `v` + SemVer come first, by precedence (build
    metadata ignored); every other item (no version, a commit id) follows, by its
    text, `None` lowest. A generator is read whole, like a list: upstream drops the
    non-SemVer items of a generator, gto keeps them after the SemVer ones.

    >>> sort_versions([{"version": "v1.0.0"}, {"version": None}, {"version": "v1.10.0"}])
    [{'version': 'v1.10.0'}, {'version': 'v1.0.0'}, {'version': None}]
    """
    items = list(versions)
    if VersionSort(sort) is VersionSort.TIMESTAMP:
        by_time = sorted(items, key=lambda item: _field(item, timestamp))
        return _ordered(by_time, ascending)
    semver: list[tuple[tuple[object, ...], _V]] = []
    other: list[tuple[tuple[bool, str], _V]] = []
    for item in items:
        value = _field(item, version)
        if isinstance(value, str) and is_version(value):
            semver.append((semver_key(value), item))
        else:
            other.append(((value is not None, "" if value is None else str(value)), item))
    semver.sort(key=lambda pair: pair[0])
    other.sort(key=lambda pair: pair[0])
    return _ordered([item for _, item in semver], ascending) + _ordered(
        [item for _, item in other], ascending
    )
