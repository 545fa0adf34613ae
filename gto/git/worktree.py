"""A commit's tree and the work tree around it: new trees, work tree files, the index.

`commit_files` (gto.git.write) builds the new tree here and gives the work tree and
the index the new content before the branch moves; every step can be put back.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.index import (
    ConflictedIndexEntry,
    Index,
    IndexChecksumWriter,
    IndexEntry,
    index_entry_from_stat,
    write_index_dict,
)
from dulwich.object_format import get_object_format
from dulwich.objects import ObjectID

from gto.exceptions import GTOException, RepoError
from gto.git import files, objects
from gto.git.errors import RefBusy, write_error

if TYPE_CHECKING:
    from gto.git.repo import GitRepo

__all__ = ["check_out", "new_tree", "parent_contents", "parent_tree"]

FILE = stat.S_IFREG | 0o644
EXECUTABLE = stat.S_IFREG | 0o755
FOLDER = stat.S_IFDIR
# path -> (mode, content); None: the path is absent.
Contents = Mapping[str, "tuple[int, bytes] | None"]
# New objects to store: (id, loose object file content).
NewObjects = list[tuple[str, bytes]]


def parent_tree(git: GitRepo, commit: str) -> str:
    """The tree of the commit a new commit goes on top of."""
    raw = git.store.raw(commit)
    if raw is None or raw[0] != objects.COMMIT:
        raise RepoError(f"HEAD points to {commit}, which is not a commit")
    return objects.split_object(raw[1])[0][b"tree"].decode("ascii")


def _entries(git: GitRepo, tree: str) -> dict[bytes, tuple[int, str]]:
    raw = git.store.raw(tree)
    if raw is None or raw[0] != objects.TREE:
        raise RepoError(f"Tree {tree} is missing from the repository")
    return objects.parse_tree(raw[1], git.layout.id_length // 2)


def _tree_entry(git: GitRepo, tree: str | None, path: str) -> tuple[int, str] | None:
    """(mode, id) of the file `path` in `tree` (None: absent); a folder in the way is an error."""
    entry: tuple[int, str] | None = None if tree is None else (FOLDER, tree)
    for part in path.encode().split(b"/"):
        if entry is None:
            return None
        if not stat.S_ISDIR(entry[0]):
            raise RepoError(f"Cannot commit '{path}': a parent of it is a file in HEAD")
        entry = _entries(git, entry[1]).get(part)
    if entry is not None and stat.S_ISDIR(entry[0]):
        raise RepoError(f"Cannot commit '{path}': it is a folder in HEAD")
    return entry


def _tree_with(
    git: GitRepo,
    tree: str | None,
    changes: Mapping[bytes, tuple[int, str] | None],
    made: NewObjects,
) -> str | None:
    """`tree` with `changes` (path -> (mode, id), None deletes) applied; None when empty.

    Each new tree is added to `made`; trees no change reaches are kept as they are.
    """
    entries = {} if tree is None else dict(_entries(git, tree))
    below: dict[bytes, dict[bytes, tuple[int, str] | None]] = {}
    for path, entry in changes.items():
        name, slash, rest = path.partition(b"/")
        if slash:
            below.setdefault(name, {})[rest] = entry
        elif entry is None:
            entries.pop(name, None)
        else:
            entries[name] = entry
    for name, inner in below.items():
        current = entries.get(name)
        sub = _tree_with(git, None if current is None else current[1], inner, made)
        if sub is None:
            entries.pop(name, None)
        else:
            entries[name] = (FOLDER, sub)
    if not entries:
        return None
    body = objects.tree_object(entries)
    oid = objects.object_id(objects.TREE, body, git.layout.format.object_format)
    made.append((oid, objects.loose_object(objects.TREE, body)))
    return oid


def new_tree(
    git: GitRepo, tree: str | None, changes: Mapping[str, bytes | None]
) -> tuple[str, NewObjects, dict[str, tuple[int, bytes] | None]]:
    """`tree` with `changes` (path -> content, None deletes) applied, in the repository's
    object format: the new tree's id, the new objects it needs, what the work tree holds.

    Deleting a path the tree does not have changes nothing.
    """
    fmt = git.layout.format.object_format
    made: NewObjects = []
    entries: dict[bytes, tuple[int, str] | None] = {}
    contents: dict[str, tuple[int, bytes] | None] = {}
    for path, content in changes.items():
        current = _tree_entry(git, tree, path)
        if content is None:
            if current is not None:
                entries[path.encode()] = contents[path] = None
            continue
        blob = objects.object_id(objects.BLOB, content, fmt)
        made.append((blob, objects.loose_object(objects.BLOB, content)))
        mode = current[0] if current is not None and current[0] in (FILE, EXECUTABLE) else FILE
        entries[path.encode()], contents[path] = (mode, blob), (mode, content)
    root = _tree_with(git, tree, entries, made)
    if root is None:  # everything deleted: git's empty tree
        body = objects.tree_object({})
        root = objects.object_id(objects.TREE, body, fmt)
        made.append((root, objects.loose_object(objects.TREE, body)))
    return root, made, contents


def parent_contents(
    git: GitRepo, commit: str, paths: Sequence[str]
) -> tuple[str | None, dict[str, tuple[int, bytes] | None]]:
    """The parent of `commit` (None for a root commit) and what `paths` hold there."""
    raw = git.store.raw(commit)
    assert raw is not None and raw[0] == objects.COMMIT
    parents = objects.split_object(raw[1])[1]
    parent = parents[0].decode("ascii") if parents else None
    contents: dict[str, tuple[int, bytes] | None] = dict.fromkeys(paths)
    if parent is not None:
        tree = parent_tree(git, parent)
        for path in paths:
            with contextlib.suppress(RepoError):  # the parent did not have the file
                entry = _tree_entry(git, tree, path)
                blob = None if entry is None else git.store.raw(entry[1])
                if entry is not None and blob is not None:
                    contents[path] = (entry[0], blob[1])
    return parent, contents


def check_out(git: GitRepo, contents: Contents) -> Callable[[], None]:
    """Give `contents` to the work tree, then the index.

    Returns what puts both back as they were. A bare repository has neither: nothing to do.
    """
    if git.workdir is None:
        return lambda: None
    root = str(git.workdir)
    index_path = os.path.join(git.controldir, "index")
    try:
        old_index = Path(index_path).read_bytes()
    except FileNotFoundError:
        old_index = None
    except OSError as e:
        raise write_error(git.root, "the index", e) from e
    old_files = {path: _read_worktree(root, path) for path in contents}
    try:
        for path, content in contents.items():
            _put(git, root, path, content)
        object_format = get_object_format(git.layout.format.object_format)
        index = None if old_index is None else Index(index_path, object_format=object_format)
        entries = dict(index.items()) if index is not None else {}
        for path, content in contents.items():
            key = path.encode()
            if content is None:
                entries.pop(key, None)
                continue
            blob = objects.object_id(objects.BLOB, content[1], git.layout.format.object_format)
            full = os.path.join(root, path)
            entries[key] = index_entry_from_stat(
                os.lstat(full), ObjectID(blob.encode()), content[0]
            )
        _write_index(git, index_path, entries, old_index)
    except BaseException:
        _restore(git, root, old_files, index_path, old_index)
        raise

    def undo() -> None:
        _restore(git, root, old_files, index_path, old_index)

    return undo


def _read_worktree(root: str, path: str) -> tuple[int, bytes] | None:
    full = os.path.join(root, path)
    try:
        mode = os.lstat(full).st_mode
        if not stat.S_ISREG(mode):
            return None
        with open(full, "rb") as f:
            return mode & 0o777, f.read()
    except OSError:
        return None


def _put(git: GitRepo, root: str, path: str, content: tuple[int, bytes] | None) -> None:
    """One work tree file written whole (through a temporary file) or removed."""
    git.worktree_path(path)  # never through a symlink to outside the work tree
    full = os.path.join(root, path)
    try:
        if content is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(full)
            _remove_empty_parents(root, full)
            return
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.islink(full):
            os.unlink(full)
        mode = 0o755 if content[0] == EXECUTABLE else None
        files.write_atomically(full, content[1], mode)
    except OSError as e:
        raise write_error(git.root, "the work tree", e) from e


def _write_index(
    git: GitRepo,
    index_path: str,
    entries: Mapping[bytes, IndexEntry | ConflictedIndexEntry],
    old: bytes | None,
) -> None:
    """Write the index under git's `index.lock` (its cache extensions are left out: git
    rebuilds them)."""
    version = int.from_bytes(old[4:8], "big") if old and old[:4] == b"DIRC" else None
    buffer = io.BytesIO()
    object_format = get_object_format(git.layout.format.object_format)
    writer = IndexChecksumWriter(buffer, object_format)
    write_index_dict(writer, entries, version=version, object_format=object_format)
    writer.write_checksum()
    _write_locked(git, "the index", index_path, buffer.getvalue())


def _write_locked(git: GitRepo, what: str, path: str, data: bytes) -> None:
    try:
        with files.LockFile(path) as lock:
            lock.commit(data)
    except files.RefLocked as e:
        raise RefBusy(e.path, e.lock_path) from e
    except OSError as e:
        raise write_error(git.root, what, e) from e


def _restore(
    git: GitRepo,
    root: str,
    old_files: Contents,
    index_path: str,
    index: bytes | None,
) -> None:
    """Best effort: the index, then the files, as they were (a full disk may refuse)."""
    with contextlib.suppress(GTOException, OSError):
        if index is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(index_path)
        else:
            _write_locked(git, "the index", index_path, index)
    for path, content in old_files.items():
        with contextlib.suppress(GTOException):
            if content is None:
                _put(git, root, path, None)
            else:
                _put(git, root, path, (EXECUTABLE if content[0] & 0o111 else FILE, content[1]))


def _remove_empty_parents(root: str, target: str) -> None:
    folder = os.path.dirname(target)
    while os.path.abspath(folder) != os.path.abspath(root):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)
