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

from dulwich.errors import NotTreeError
from dulwich.index import (
    ConflictedIndexEntry,
    IndexChecksumWriter,
    IndexEntry,
    index_entry_from_stat,
    write_index_dict,
)
from dulwich.object_store import (
    MemoryObjectStore,
    OverlayObjectStore,
    commit_tree_changes,
    tree_lookup_path,
)
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tree

from gto.exceptions import GTOException, RepoError
from gto.git import files
from gto.git.errors import RefBusy, write_error

if TYPE_CHECKING:
    from gto.git.repo import GitRepo

__all__ = ["check_out", "new_commit", "parent_contents", "parent_tree"]

FILE = stat.S_IFREG | 0o644
EXECUTABLE = stat.S_IFREG | 0o755
# path -> (mode, content); None: the path is absent.
Contents = Mapping[str, "tuple[int, bytes] | None"]


def parent_tree(git: GitRepo, commit: str) -> ObjectID:
    """The tree of the commit a new commit goes on top of."""
    parent = git.dulwich.get()[ObjectID(commit.encode())]
    if not isinstance(parent, Commit):
        raise RepoError(f"HEAD points to {commit}, which is not a commit")
    tree: ObjectID = parent.tree
    return tree


def _tree_entry(git: GitRepo, tree: ObjectID | None, path: str) -> int | None:
    """The mode of `path` in `tree` (None: absent); a folder in the way is an error."""
    if tree is None:
        return None
    try:
        mode, _ = tree_lookup_path(git.dulwich.get().object_store.__getitem__, tree, path.encode())
    except KeyError:
        return None
    except NotTreeError as e:
        raise RepoError(f"Cannot commit '{path}': a parent of it is a file in HEAD") from e
    if stat.S_ISDIR(mode):
        raise RepoError(f"Cannot commit '{path}': it is a folder in HEAD") from None
    return mode


def new_commit(
    git: GitRepo, tree: ObjectID | None, changes: Mapping[str, bytes | None]
) -> tuple[Commit, list[ShaFile], dict[str, tuple[int, bytes] | None]]:
    """A commit (without parents, people or message yet) of `tree` with `changes` applied.

    Returns it, the new objects its tree needs, and what the work tree should hold.
    Deleting a path the tree does not have changes nothing.
    """
    new_objects = MemoryObjectStore()
    entries: dict[str, tuple[int, ObjectID] | None] = {}
    contents: dict[str, tuple[int, bytes] | None] = {}
    for path, content in changes.items():
        current = _tree_entry(git, tree, path)
        if content is None:
            if current is not None:
                entries[path] = contents[path] = None
            continue
        blob = Blob.from_string(content)
        new_objects.add_object(blob)
        mode = current if current in (FILE, EXECUTABLE) else FILE
        entries[path], contents[path] = (mode, blob.id), (mode, content)
    new = Commit()
    new.tree = commit_tree_changes(
        OverlayObjectStore([new_objects, git.dulwich.get().object_store], add_store=new_objects),
        tree if tree is not None else Tree(),
        [(path.encode(), *(entry or (None, None))) for path, entry in entries.items()],
    )
    return new, [new_objects[oid] for oid in list(new_objects)], contents


def parent_contents(
    git: GitRepo, commit: str, paths: Sequence[str]
) -> tuple[str | None, dict[str, tuple[int, bytes] | None]]:
    """The parent of `commit` (None for a root commit) and what `paths` hold there."""
    repo = git.dulwich.get()
    made = repo[ObjectID(commit.encode())]
    assert isinstance(made, Commit)
    parent = made.parents[0] if made.parents else None
    contents: dict[str, tuple[int, bytes] | None] = dict.fromkeys(paths)
    if parent is not None:
        parent_commit = repo[parent]
        assert isinstance(parent_commit, Commit)
        for path in paths:
            with contextlib.suppress(KeyError):  # the parent did not have the file
                mode, oid = tree_lookup_path(
                    repo.object_store.__getitem__, parent_commit.tree, path.encode()
                )
                blob = repo.object_store[oid]
                assert isinstance(blob, Blob)
                contents[path] = (mode, blob.as_raw_string())
    return (None if parent is None else parent.decode("ascii")), contents


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
        index = git.dulwich.get().open_index() if old_index is not None else None
        entries = dict(index.items()) if index is not None else {}
        for path, content in contents.items():
            key = path.encode()
            if content is None:
                entries.pop(key, None)
                continue
            blob = Blob.from_string(content[1])
            full = os.path.join(root, path)
            entries[key] = index_entry_from_stat(os.lstat(full), blob.id, content[0])
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
    writer = IndexChecksumWriter(buffer)
    write_index_dict(writer, entries, version=version)
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
