"""artifacts.yaml indexes as JSON values, for the object cache (gto.git.object_cache).

Parsing an index with PyYAML costs about a millisecond per 50 artifacts, and a registry's
version commits share a few dozen index blobs; an index read back from the cache must be
exactly what parsing gives, so only what JSON gives back exactly (same types, same order)
is stored, and what is read back is checked for its shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from gto.core.annotations import Annotation, parse_index

__all__ = ["BlobValues", "cached_index", "index_from_json", "index_to_json"]


class BlobValues(Protocol):
    """Values parsed from blobs, by kind and blob id (gto.git.object_cache.ObjectCache)."""

    def get(self, kind: str, blob: str) -> Any: ...

    def add(self, kind: str, blob: str, value: Any) -> None: ...


def cached_index(
    cache: BlobValues | None,
    blob: str,
    read: Callable[[str], bytes],
    index_name: str,
    where: str,
) -> dict[str, Annotation]:
    """The index in blob `blob`: read back from `cache`, else parsed from `read(blob)`
    (`where` as for `parse_index`) and kept when JSON keeps it. A blob id names its bytes,
    so what is read back is never stale; an index that does not parse is never kept."""
    if cache is not None:
        found = index_from_json(cache.get("index", blob))
        if found is not None:
            return found
    index = parse_index(read(blob), index_name=index_name, where=where)
    rows = None if cache is None else index_to_json(index)
    if cache is not None and rows is not None:
        cache.add("index", blob, rows)
    return index


def _json_exact(value: object) -> bool:
    """Whether JSON gives `value` back exactly (same types, same order): plain values only."""
    kind = type(value)
    if value is None or kind is bool or kind is int:
        return True
    if kind is float:
        return math.isfinite(value)  # type: ignore[arg-type]
    if kind is str:
        return _utf8(value)  # type: ignore[arg-type]
    if kind is list:
        return all(_json_exact(item) for item in value)  # type: ignore[attr-defined]
    if kind is dict:
        return all(
            type(key) is str and _utf8(key) and _json_exact(item)
            for key, item in value.items()  # type: ignore[attr-defined]
        )
    return False


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def index_to_json(index: Mapping[str, Annotation]) -> list[list[Any]] | None:
    """A parsed index as JSON values (gto.git.object_cache keeps them), or None when JSON
    would not give it back exactly (a `custom` value that is a date, a set...).

    >>> index_to_json({"m": Annotation(type="model", labels=("a",))})
    [['m', 'model', None, True, ['a'], '', None]]
    """
    rows = [
        [name, a.type, a.path, a.virtual, list(a.labels), a.description, a.custom]
        for name, a in index.items()
    ]
    return rows if _json_exact(rows) else None


def index_from_json(rows: Any) -> dict[str, Annotation] | None:
    """`index_to_json`'s value back as the index; None for anything else (a damaged cache).

    >>> index_from_json([["m", "model", None, True, ["a"], "", None]])["m"].labels
    ('a',)
    """
    if type(rows) is not list:
        return None
    index: dict[str, Annotation] = {}
    for row in rows:
        if type(row) is not list or len(row) != 7:
            return None
        name, kind, path, virtual, labels, description, custom = row
        if not (
            type(name) is str
            and (kind is None or type(kind) is str)
            and (path is None or type(path) is str)
            and type(virtual) is bool
            and type(labels) is list
            and all(type(label) is str for label in labels)
            and type(description) is str
        ):
            return None
        entry = Annotation(kind, path, virtual, tuple(labels), description, custom)
        index[name] = entry
    return index
