"""The `artifacts.yaml` index: text <-> `Annotation` values, and the annotate rules.

Behaviour reference, section 4.5. Everything here is pure: callers read the
file (from a commit or the working tree) and write the text this module
returns.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Mapping, Sized
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from gto.core.tags import check_artifact_name, check_name, is_valid_name
from gto.core.yamlio import YamlError, YamlTooLarge, dump_yaml, entry_spans, load_yaml
from gto.exceptions import (
    InvalidNameInIndex,
    PathIsUsed,
    ValidationError,
    WrongAnnotations,
    WrongArgs,
    WrongArtifactsYaml,
)


@dataclass(frozen=True)
class Annotation:
    """One index entry; the defaults are what an empty entry (`name: {}`) means."""

    type: str | None = None
    path: str | None = None
    virtual: bool = True
    labels: tuple[str, ...] = ()
    description: str = ""
    # Any YAML value, possibly a dict: left out of the hash so entries stay hashable.
    custom: Any = field(default=None, hash=False)


_DEFAULT = Annotation()


def annotation_fields(annotation: Annotation) -> dict[str, Any]:
    """Every field, in `describe` order (labels as a list)."""
    return {
        "type": annotation.type,
        "path": annotation.path,
        "virtual": annotation.virtual,
        "labels": list(annotation.labels),
        "description": annotation.description,
        "custom": annotation.custom,
    }


_DEFAULT_FIELDS = annotation_fields(_DEFAULT)


class _NotConforming(ValueError):
    """An entry that does not fit the format; always reported as WrongAnnotations."""


_EXPECTED = {
    "type": "a name",
    "path": "a string",
    "virtual": "true or false",
    "labels": "a list of names",
    "description": "a string",
}


def _shown(value: object, limit: int = 60) -> str:
    """A value in an error line, cut short: the file may hold a megabyte in one field."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


def _is_name_list(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(item, str) and is_valid_name(item) for item in value
    )


def _entry(value: object) -> Annotation:
    """One index entry; a null entry or a null field means the default."""
    if value is None:
        return _DEFAULT
    if not isinstance(value, dict):
        raise _NotConforming(f"the entry is not a mapping but {_shown(value)}")
    # Unknown fields are ignored (behaviour reference, 4.5).
    fields = {
        key: default if value.get(key) is None else value[key]
        for key, default in _DEFAULT_FIELDS.items()
    }
    valid = {
        "type": fields["type"] is None
        or (isinstance(fields["type"], str) and is_valid_name(fields["type"])),
        "path": fields["path"] is None or isinstance(fields["path"], str),
        "virtual": isinstance(fields["virtual"], bool),
        "labels": _is_name_list(fields["labels"]),
        "description": isinstance(fields["description"], str),
    }
    for key, ok in valid.items():
        if not ok:
            raise _NotConforming(f"`{key}` must be {_EXPECTED[key]}, not {_shown(fields[key])}")
    return Annotation(**{**fields, "labels": tuple(fields["labels"])})


def parse_index(
    text: str | bytes, *, index_name: str = "artifacts.yaml", where: str = ""
) -> dict[str, Annotation]:
    """Read an index, keeping the file's order of artifacts.

    An empty file is not a valid index (write `{}` for "no artifacts"). `where` (a
    commit, say) is named in the error message.

    >>> parse_index("churn:\\n  type: model\\nother: {}\\n")
    {'churn': Annotation(type='model', path=None, virtual=True, labels=(), description='', \
custom=None), 'other': Annotation(type=None, path=None, virtual=True, labels=(), \
description='', custom=None)}

    Raises:
        InvalidNameInIndex: an artifact name that the grammar forbids (a ValidationError,
            as upstream raises, whose message names the file).
        WrongArtifactsYaml: anything else that does not fit the format.
    """
    try:
        data = load_yaml(text, what=index_name)
        if data is None:
            raise _NotConforming("the file is empty (an index without artifacts is `{}`)")
        if not isinstance(data, dict):
            kind = "a list" if isinstance(data, list) else _shown(data)
            raise _NotConforming(f"the top level must be a mapping of artifact names, not {kind}")
        index: dict[str, Annotation] = {}
        for name, value in data.items():
            if not isinstance(name, str):
                raise _NotConforming(f"artifact name {_shown(name)} is not a string")
            try:
                entry = _entry(value)
            except _NotConforming as err:
                raise _NotConforming(f"'{name}': {err}") from err
            try:
                index[check_artifact_name(name)] = entry
            except ValidationError as err:
                place = f" ({where})" if where else ""
                raise InvalidNameInIndex(index_name, f"{place}: {err}") from err
    except YamlTooLarge as err:
        place = f" ({where})" if where else ""
        raise WrongAnnotations(f"{index_name} is too large{place}: {err.detail}") from err
    except (YamlError, _NotConforming) as err:
        # Upstream's message, then where and why: the YAML's line and column, or the field.
        reason = err.reason if isinstance(err, YamlError) else str(err)
        place = f" ({where})" if where else ""
        raise WrongArtifactsYaml(index_name, f"{place}: {reason}") from err
    return index


def annotation_json(annotation: Annotation) -> dict[str, Any]:
    """The fields that differ from the defaults, in `describe` order.

    >>> annotation_json(Annotation(type="model", path="m.pkl", virtual=False))
    {'type': 'model', 'path': 'm.pkl', 'virtual': False}
    """
    return {
        key: value
        for key, value in annotation_fields(annotation).items()
        if value != _DEFAULT_FIELDS[key]
    }


def dump_index(index: Mapping[str, Annotation]) -> str:
    """Write an index: block style, sorted names and fields, defaults left out.

    >>> print(dump_index({"m": Annotation(type="model", labels=("b", "a"))}), end="")
    m:
      labels:
      - b
      - a
      type: model
    """
    return dump_yaml({name: annotation_json(entry) for name, entry in index.items()})


def _given(value: object) -> bool:
    """A new value wins the merge unless it is None or empty ("" or an empty collection)."""
    return value is not None and not (isinstance(value, Sized) and len(value) == 0)


def annotate(
    existing: Annotation | None,
    *,
    type: str | None = None,
    path: str | None = None,
    must_exist: bool = False,
    labels: Iterable[str] = (),
    description: str = "",
    custom: Any = None,
) -> Annotation:
    """Create an entry or merge new values into one (behaviour reference, 4.5).

    A new entry keeps `labels` as given, duplicates included; an existing one gets
    the sorted union. Checking allowed types (`config.check_type`), that `path`
    exists, and path conflicts (`check_path_conflict`) is left to the caller.

    >>> annotate(Annotation(labels=("x",)), path="m.pkl", labels=["a", "x"])
    Annotation(type=None, path='m.pkl', virtual=True, labels=('a', 'x'), description='', \
custom=None)

    Raises:
        WrongArgs: `must_exist` without a `path`.
        ValidationError: a type or label that the name grammar forbids.
    """
    labels = tuple(labels)
    if must_exist and not path:
        raise WrongArgs("`path` is required when `must_exist` is set to True")
    if type:
        check_name(type)
    for label in labels:
        check_name(label)
    base = existing or _DEFAULT
    if existing is None:
        virtual, merged = not must_exist, labels
    else:
        virtual = not must_exist if must_exist or path else existing.virtual
        merged = tuple(sorted(set(existing.labels) | set(labels)))
    return Annotation(
        type=type if _given(type) else base.type,
        path=path if _given(path) else base.path,
        virtual=virtual,
        labels=merged,
        description=description if _given(description) else base.description,
        custom=custom if _given(custom) else base.custom,
    )


def _parts(path: str) -> tuple[str, ...]:
    """Path components after normalising `./`, `..` and doubled or trailing slashes."""
    return PurePosixPath(posixpath.normpath(path)).parts


def find_path_conflict(index: Mapping[str, Annotation], name: str, path: str) -> str | None:
    """The first other artifact whose path equals, contains or lies inside `path`.

    >>> find_path_conflict({"a": Annotation(path="models")}, "b", "./models/b.pkl")
    'a'
    """
    parts = _parts(path)
    for other, entry in index.items():
        if other == name or entry.path is None:
            continue
        theirs = _parts(entry.path)
        shorter = min(len(parts), len(theirs))
        if parts[:shorter] == theirs[:shorter]:
            return other
    return None


def check_path_conflict(index: Mapping[str, Annotation], name: str, path: str) -> None:
    """Refuse a `path` that overlaps another artifact's (unless `--allow-same-path`).

    The message has upstream's shape but names the *conflicting* artifact's
    path, type and name; upstream repeats the new artifact's values (quirk Q27),
    which tells the user nothing they did not type themselves.

    >>> check_path_conflict({"a": Annotation(type="model", path="m")}, "b", "m/x")
    Traceback (most recent call last):
    gto.exceptions.PathIsUsed: Provided path conflicts with 'm' ('model' 'a')
    """
    other = find_path_conflict(index, name, path)
    if other is not None:
        entry = index[other]
        raise PathIsUsed(entry.type, other, entry.path or path)


def commit_message_annotate(name: str, type: str | None, path: str | None) -> str:
    """The `--commit` message for `annotate`.

    >>> commit_message_annotate("churn", "model", None)
    'Annotate artifact `churn` of type `model`'
    """
    message = f"Annotate artifact `{name}`"
    if type:
        message += f" of type `{type}`"
    if path:
        message += f" with path `{path}`"
    return message


def commit_message_remove(name: str) -> str:
    """The `--commit` message for `remove`."""
    return f"Remove annotation for artifact `{name}`"


def _merged_fields(old: object, new: dict[str, Any]) -> dict[str, Any]:
    """The changed entry's fields: in the order they were written, unknown ones kept.

    New fields go where they sort if the entry's fields were sorted (as gto and upstream
    write them), else after the others; a new entry's fields are sorted.
    """
    if not isinstance(old, dict):
        return dict(sorted(new.items()))  # a new entry: sorted, as upstream writes it
    kept = {
        k: new[k] if k in _DEFAULT_FIELDS else v
        for k, v in old.items()
        if k in new or k not in _DEFAULT_FIELDS
    }
    added = {k: v for k, v in new.items() if k not in kept}
    if list(old) == sorted(old, key=str):
        return dict(sorted({**kept, **added}.items(), key=lambda item: str(item[0])))
    return {**kept, **added}


def update_index_text(text: str | None, index: Mapping[str, Annotation], name: str) -> str:
    """artifacts.yaml's new text after `name`'s entry changed (or went: not in `index`).

    Only that entry's lines change: other entries, their order, comments and blank lines
    stay as they were. The entry is written in block style; comments inside it go. A new
    entry goes where its name sorts if the entries were in name order, else at the end.
    A file that is not one block mapping (`{}`, flow style) is written anew, as
    `dump_index` writes it.

    >>> text = "# models\\nb: {type: model}  # the b\\n"
    >>> print(update_index_text(text, {"b": Annotation(type="model"), "a": Annotation()}, "a"),
    ...       end="")
    # models
    a: {}
    b: {type: model}  # the b
    """
    spans = entry_spans(text) if text and text.strip() else None
    if text is None or spans is None:
        return dump_index(index)
    old = load_yaml(text, what="artifacts.yaml")
    entry = ""
    if name in index:
        fields = _merged_fields(old.get(name), annotation_json(index[name]))
        entry = dump_yaml({name: fields}, sort_keys=False)
    keys = [key for key, _, _ in spans]
    found = next(((start, end) for key, start, end in spans if key == name), None)
    if found is not None:
        start, end = found
    elif keys == sorted(keys) and any(key > name for key in keys):
        before = [end for key, _, end in spans if key < name]
        start = end = before[-1] if before else spans[0][1]
    else:
        start = end = len(text)
        if not text.endswith("\n"):
            entry = "\n" + entry
    updated = text[:start] + entry + text[end:]
    try:
        if parse_index(updated) == dict(index):
            return updated
    except (WrongAnnotations, ValidationError):
        pass
    return dump_index(index)  # the text took an unexpected shape: write it anew
