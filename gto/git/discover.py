"""Finding a repository: where its work tree, HEAD, refs and objects are, and its format.

Found without dulwich, by git's rules: a folder holding a `.git` folder or a `.git`
file (`gitdir: ...`, as linked work trees and submodules have), or a bare repository;
`commondir` (linked work trees) leads to the shared refs and objects; `core.worktree`
(submodules) and `GIT_DIR`/`GIT_WORK_TREE` (passed in from gto.settings) move the work
tree. The repository format (gto.git.repoformat) is checked here, so a repository gto
cannot read is refused before anything is read. dulwich's Repo is opened only on
first need (writing a commit, pushing), on the same folders.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gto.exceptions import NoRepo
from gto.git.errors import dulwich_errors, open_error
from gto.git.repoformat import RepoFormat, UnsupportedRepo, read_config, repo_format

if TYPE_CHECKING:
    from dulwich.repo import Repo

__all__ = ["Dulwich", "Layout", "find", "shallow_commits"]

_SHA1_FILES = RepoFormat()  # an ordinary repository: SHA-1 objects, loose and packed refs


@dataclass(frozen=True)
class Layout:
    """Where a repository keeps its parts, and its format: all that reading needs to know."""

    root: str  # the work tree, or the repository itself when bare
    controldir: str  # HEAD, the index
    commondir: str  # refs, packed-refs, objects/
    bare: bool
    format: RepoFormat = _SHA1_FILES
    promisor: str | None = None  # a partial clone's promisor remote: objects may be missing

    @property
    def objects_dir(self) -> str:
        return os.path.join(self.commondir, "objects")

    @property
    def id_length(self) -> int:
        """Hex characters of an object id (40 for SHA-1, 64 for SHA-256)."""
        return self.format.id_length


def shallow_commits(layout: Layout) -> set[str]:
    """The commits whose parents a shallow clone left out (its `shallow` file), read when
    a walk meets a missing parent: only then does it matter."""
    try:
        with open(os.path.join(layout.commondir, "shallow"), encoding="ascii") as f:
            return set(f.read().split())
    except (OSError, UnicodeDecodeError):
        return set()


class Dulwich:
    """dulwich's Repo for a repository, opened on first use: reads never need it."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._repo: Repo | None = None

    @property
    def path(self) -> str:
        return self.layout.root

    def get(self) -> Repo:
        if self._repo is None:
            from dulwich.errors import NotGitRepository
            from dulwich.repo import Repo

            layout = self.layout
            try:
                self._repo = Repo(
                    controldir=layout.controldir,
                    commondir=layout.commondir,
                    worktree=None if layout.bare else layout.root,
                    bare=layout.bare,
                )
            except NotGitRepository as e:
                raise NoRepo(self.path) from e
            except dulwich_errors() as e:
                raise open_error(self.path, e) from e
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None  # opened again if the repository is used after close()


def _gitfile(path: str) -> str:
    """The folder a `.git` file names (`gitdir: <path>`, relative to the file's folder).

    Raises:
        ValueError: the file says something else (git refuses it too).
    """
    with open(path, "rb") as f:
        line = f.read(4096).decode("utf-8", "surrogateescape").strip()
    if not line.startswith("gitdir:"):
        raise ValueError(f"invalid gitfile format: '{path}'")
    return os.path.normpath(os.path.join(os.path.dirname(path), line[len("gitdir:") :].strip()))


def _is_gitdir(path: str) -> bool:
    """A repository's control folder: HEAD and objects (or a `commondir` leading to them)."""
    has_objects = os.path.isdir(os.path.join(path, "objects")) or os.path.isfile(
        os.path.join(path, "commondir")
    )
    return has_objects and os.path.exists(os.path.join(path, "HEAD"))


def _locate(start: str) -> tuple[str, str | None] | None:
    """The innermost repository holding `start`: (work tree or bare folder, control folder).

    The control folder is None for a bare repository (it is the folder itself). dulwich's
    and git's rule: a folder with a `.git` file or a `.git/objects` folder is a work
    tree; one with `objects` and `refs` folders is a bare repository.
    """
    path = start
    while True:
        hidden = os.path.join(path, ".git")
        if os.path.isfile(hidden):
            return path, _gitfile(hidden)
        if os.path.isdir(os.path.join(hidden, "objects")):
            return path, hidden
        if os.path.isdir(os.path.join(path, "objects")) and os.path.isdir(
            os.path.join(path, "refs")
        ):
            return path, None
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _commondir(controldir: str) -> str:
    try:
        with open(os.path.join(controldir, "commondir"), "rb") as f:
            shared = os.fsdecode(f.read().rstrip(b"\r\n"))
    except FileNotFoundError:
        return controldir
    return os.path.normpath(os.path.join(controldir, shared))


def _layout(
    folder: str, controldir: str, bare: bool, work_tree: str | None, explicit_dir: bool
) -> Layout:
    """The layout of the repository whose control folder is `controldir`.

    `folder` is where it was found (the work tree by default); `work_tree` comes from
    GIT_WORK_TREE; `explicit_dir` says the control folder came from GIT_DIR, where git
    takes the current folder as the work tree unless core.bare says otherwise.
    """
    commondir = _commondir(controldir)
    try:
        config = read_config(os.path.join(commondir, "config"))
        fmt = repo_format(config, folder)
        if fmt.worktree_config:
            config = {**config, **read_config(os.path.join(controldir, "config.worktree"))}
    except ValueError as e:
        raise UnsupportedRepo(folder, str(e)) from e
    core_worktree = config.get("core.worktree", [None])[-1]
    core_bare = (config.get("core.bare", [""])[-1] or "").lower() in ("true", "yes", "on", "1")
    if work_tree is not None:
        root, bare = work_tree, False
    elif core_worktree is not None:
        root, bare = os.path.normpath(os.path.join(controldir, core_worktree)), False
    elif explicit_dir:
        root, bare = (controldir, True) if core_bare else (folder, False)
    else:
        root = folder
    if not os.path.isdir(os.path.join(commondir, "objects")):
        raise NoRepo(folder)  # a `.git` file or `commondir` naming a folder that is gone
    return Layout(root, controldir, commondir, bare, fmt, _promisor(config))


def _promisor(config: dict[str, list[str]]) -> str | None:
    """The remote a partial clone fetches missing objects from (git's two ways to say it)."""
    named = config.get("extensions.partialclone")
    if named:
        return named[-1]
    for key, values in config.items():
        promises = values[-1].lower() in ("true", "yes", "on", "1")
        if key.startswith("remote.") and key.endswith(".promisor") and promises:
            return key[len("remote.") : -len(".promisor")]
    return None


def find(
    path: str | os.PathLike[str], *, git_dir: str | None = None, work_tree: str | None = None
) -> tuple[Layout, Dulwich]:
    """The repository at `path`, a folder inside a work tree, or a bare repo.

    `git_dir` and `work_tree` are GIT_DIR and GIT_WORK_TREE (gto.settings), relative to
    `path` as git takes them relative to the folder it runs in.

    Raises:
        NoRepo: no repository holds `path` (or its `.git` file names a folder that is gone).
        UnsupportedRepo: its format is one gto cannot read (gto.git.repoformat), or its
            config is one git would refuse.
        RepoError: the folders cannot be read, or a `.git` file names no folder.
    """
    if not os.path.isdir(path):
        raise NoRepo(str(path))
    try:
        here = os.path.realpath(path)
        tree = None if work_tree is None else os.path.realpath(os.path.join(here, work_tree))
        if git_dir is not None:
            controldir = os.path.realpath(os.path.join(here, git_dir))
            if not _is_gitdir(controldir):
                raise NoRepo(git_dir)
            layout = _layout(here, controldir, False, tree, explicit_dir=True)
        else:
            found = _locate(here)
            if found is None:
                raise NoRepo(str(path))
            folder, control = found
            layout = _layout(folder, control or folder, control is None, tree, explicit_dir=False)
    except (OSError, ValueError) as e:
        raise open_error(path, e) from e
    return layout, Dulwich(layout)
