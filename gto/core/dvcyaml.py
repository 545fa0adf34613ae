"""The `artifacts:` sections of DVC's dvc.yaml files, read as annotations beside artifacts.yaml.

DVC keeps artifact annotations in the `artifacts:` section of any `dvc.yaml`;
an artifact `clf` in `sub/dir/dvc.yaml` is named `sub/dir:clf` (the folder is
relative to the Git root), as DVC and its tags (`sub/dir=clf@v1.0.0`) name it.
gto reads these sections and never writes them: `annotate` writes artifacts.yaml,
whose entry wins where both name an artifact. Pure: callers read the files.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar, overload

from gto.core.annotations import Annotation
from gto.core.tags import is_valid_artifact_name
from gto.core.yamlio import YamlError, YamlTooLarge, YamlValueError, load_yaml_key
from gto.exceptions import UnreadableDvcYaml, WrongDvcYaml

DVC_YAML = "dvc.yaml"
_T = TypeVar("_T")
_FIELDS = {"path": str, "type": str, "desc": str, "labels": list}
# A top-level `artifacts:` key as DVC writes it (block style), found without parsing.
# An `artifacts:` key starting a line (after a byte-order mark on the first), or in a flow
# mapping (`{artifacts: ...}`): when the file does not parse, whether it might hold one.
_SECTION = r"(?:^(?:BOM)?|[{,][ \t]*)(?:artifacts|\"artifacts\"|'artifacts')[ \t]*:"
_SECTION_STR = re.compile(_SECTION.replace("BOM", "\ufeff"), re.MULTILINE)
_SECTION_BYTES = re.compile(_SECTION.replace("BOM", "\xef\xbb\xbf").encode("latin-1"), re.MULTILINE)


def dvc_yaml_path(folder: str) -> str:
    """Where the dvc.yaml of a folder ("" for the root) is.

    >>> dvc_yaml_path(""), dvc_yaml_path("sub/dir")
    ('dvc.yaml', 'sub/dir/dvc.yaml')
    """
    return f"{folder}/{DVC_YAML}" if folder else DVC_YAML


def dvc_folder(name: str) -> str | None:
    """The folder whose dvc.yaml can annotate artifact `name`; None if no folder can.

    >>> dvc_folder("churn"), dvc_folder("sub/dir:clf"), dvc_folder("./sub:clf")
    ('', 'sub/dir', None)
    """
    folder, sep, _ = name.rpartition(":")
    if not sep:
        return ""
    # DVC names folders by their normal path from the Git root.
    if folder != posixpath.normpath(folder) or folder.startswith(("/", "../")) or folder == "..":
        return None
    return folder


def _artifact_path(folder: str, path: str) -> str:
    """A path relative to the dvc.yaml's folder, as one relative to the repository root.

    URLs and absolute paths are kept as written.

    >>> _artifact_path("sub/dir", "../clf.pt"), _artifact_path("sub", "s3://bucket/m.pt")
    ('sub/clf.pt', 's3://bucket/m.pt')
    """
    if "://" in path or path.startswith("/"):
        return path
    return posixpath.normpath(posixpath.join(folder, path))


def _annotation(folder: str, entry: object) -> Annotation:
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        raise ValueError(f"an entry is not a mapping: {entry!r}")
    fields = {key: entry.get(key) for key in (*_FIELDS, "meta")}
    for key, kind in _FIELDS.items():
        if fields[key] is not None and not isinstance(fields[key], kind):
            raise ValueError(f"'{key}' is not a {kind.__name__}: {fields[key]!r}")
    labels = fields["labels"] or []
    if not all(isinstance(label, str) for label in labels):
        raise ValueError(f"'labels' is not a list of strings: {labels!r}")
    path = fields["path"]
    return Annotation(
        type=fields["type"],
        path=None if path is None else _artifact_path(folder, path),
        virtual=True,
        labels=tuple(labels),
        description=fields["desc"] or "",
        custom=fields["meta"],
    )


def has_artifacts_section(text: str | bytes) -> bool:
    """Whether the file, unparsed, may hold a top-level `artifacts:` key: a line starting
    with it (after a byte-order mark on the first), or a flow mapping's `{artifacts:`.

    >>> has_artifacts_section("stages: {}\\nartifacts:\\n"), has_artifacts_section("x: artifacts")
    (True, False)
    >>> has_artifacts_section("{artifacts: {m: {}}, stages: {a: [}"), has_artifacts_section(
    ...     "\\ufeffartifacts: [")
    (True, True)
    """
    if isinstance(text, bytes):
        return _SECTION_BYTES.search(text) is not None
    return _SECTION_STR.search(text) is not None


def parse_dvc_yaml(
    text: str | bytes, folder: str = "", *, where: str = ""
) -> dict[str, Annotation]:
    """The artifacts a dvc.yaml annotates, by gto name, in the file's order.

    IDs that cannot be artifact names (DVC only warns about those; `${...}` templates,
    which DVC resolves and gto does not) are left out. Keys other than DVC's five are
    ignored, as artifacts.yaml's unknown keys are. A file gto cannot read at all (not
    YAML, too large) annotates nothing unless it may hold an `artifacts:` key
    (`has_artifacts_section`): the stages of a dvc.yaml are DVC's business. `where` (a
    commit) is named in errors.

    >>> parse_dvc_yaml("artifacts:\\n  clf: {path: clf.pt, desc: A classifier}\\n", "sub/dir")
    {'sub/dir:clf': Annotation(type=None, path='sub/dir/clf.pt', virtual=True, labels=(), \
description='A classifier', custom=None)}
    >>> parse_dvc_yaml("stages:\\n  train:\\n\\tcmd: x\\n")
    {}

    Raises:
        WrongDvcYaml: the `artifacts:` section does not fit DVC's format.
        UnreadableDvcYaml: a file with an `artifacts:` line is not YAML, or is too large.
    """
    path = dvc_yaml_path(folder)
    try:
        section: Any = load_yaml_key(text, "artifacts", what=path)
        if section is None:
            return {}
        if not isinstance(section, dict):
            raise ValueError("it is not a mapping")
        found: dict[str, Annotation] = {}
        for key, entry in section.items():
            name = f"{folder}:{key}" if folder else key
            if not isinstance(key, str) or not is_valid_artifact_name(name):
                continue
            found[name] = _annotation(folder, entry)
        return found
    except YamlValueError as err:
        raise WrongDvcYaml(path, err.reason, where) from err
    except YamlError as err:
        if not has_artifacts_section(text):
            return {}
        if isinstance(err, YamlTooLarge):
            raise UnreadableDvcYaml(path, "is too large", where, err.detail) from err
        raise UnreadableDvcYaml(path, "cannot be read as YAML", where, err.reason) from err
    except ValueError as err:
        raise WrongDvcYaml(path, str(err), where) from err


class Annotations(Mapping[str, Annotation]):
    """artifacts.yaml over the dvc.yaml files of one commit (or the work tree).

    Looking a name up reads artifacts.yaml and at most the one dvc.yaml that can hold
    it, so replay's per-version lookups stay cheap; iterating reads every dvc.yaml.

    Args:
        index: reads artifacts.yaml (called once).
        dvc_file: reads the dvc.yaml of a folder (called once per folder); {} if none.
        folders: lists the folders that hold a dvc.yaml (called once, on iteration).
    """

    def __init__(
        self,
        index: Callable[[], Mapping[str, Annotation]],
        dvc_file: Callable[[str], Mapping[str, Annotation]],
        folders: Callable[[], Iterable[str]],
    ) -> None:
        self._read_index = index
        self._read_dvc_file = dvc_file
        self._list_folders = folders
        self._index: Mapping[str, Annotation] | None = None
        self._dvc_files: dict[str, Mapping[str, Annotation]] = {}
        self._all: dict[str, Annotation] | None = None

    def index(self) -> Mapping[str, Annotation]:
        """artifacts.yaml alone: what `annotate` and `remove` change."""
        if self._index is None:
            self._index = self._read_index()
        return self._index

    def _dvc(self, folder: str) -> Mapping[str, Annotation]:
        if folder not in self._dvc_files:
            self._dvc_files[folder] = self._read_dvc_file(folder)
        return self._dvc_files[folder]

    def __getitem__(self, name: str) -> Annotation:
        index = self.index()
        if name in index:
            return index[name]
        folder = dvc_folder(name)
        if folder is not None and name in self._dvc(folder):
            return self._dvc(folder)[name]
        raise KeyError(name)

    @overload
    def get(self, name: str, /) -> Annotation | None: ...
    @overload
    def get(self, name: str, /, default: Annotation | _T) -> Annotation | _T: ...
    def get(self, name: str, /, default: object = None) -> object:
        """`self[name]`, else `default`: replay asks once per version, mostly for names
        artifacts.yaml holds, so those are answered from its dict at once (Mapping.get
        goes through `__getitem__` and a try)."""
        found = self.index().get(name)
        if found is not None:
            return found
        try:
            return self[name]
        except KeyError:
            return default

    def _merged(self) -> dict[str, Annotation]:
        """artifacts.yaml's entries in its order, then the dvc.yaml-only ones by folder."""
        if self._all is None:
            merged = dict(self.index())
            for folder in sorted(set(self._list_folders())):
                for name, annotation in self._dvc(folder).items():
                    merged.setdefault(name, annotation)
            self._all = merged
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged())

    def __len__(self) -> int:
        return len(self._merged())
