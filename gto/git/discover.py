"""Finding a repository: where its work tree, HEAD, refs and objects are.

Importing dulwich costs more than a small command, so ordinary repositories (a work
tree with a `.git` folder, a bare repository) are found without it; dulwich works out
the unusual ones (linked work trees, `core.worktree`, extensions, includes), and is
kept, opened on first need, for what gto does not read itself.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gto.exceptions import NoRepo
from gto.git.errors import dulwich_errors, open_error

if TYPE_CHECKING:
    from dulwich.repo import Repo

__all__ = ["Dulwich", "Layout", "find"]

# Settings that move or change what reading relies on (core.worktree, extensions.*,
# includes, a repository format other than 0 or 1): dulwich opens such repositories.
_UNUSUAL_CONFIG = re.compile(
    rb"worktree|extensions|include|repositoryformatversion[ \t]*=(?![ \t]*[01][ \t]*$)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True)
class Layout:
    """Where a repository keeps its parts: all that reading needs to know."""

    root: str  # the work tree, or the repository itself when bare
    controldir: str  # HEAD, the index
    commondir: str  # refs, packed-refs, objects/
    bare: bool
    id_length: int = 40  # hex characters of an object id (SHA-1)

    @property
    def objects_dir(self) -> str:
        return os.path.join(self.commondir, "objects")


class Dulwich:
    """dulwich's Repo for a folder, opened on first use: ordinary reads never need it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._repo: Repo | None = None

    def get(self) -> Repo:
        if self._repo is None:
            from dulwich.errors import NotGitRepository
            from dulwich.repo import Repo

            try:
                self._repo = Repo(self.path)
            except NotGitRepository as e:
                raise NoRepo(self.path) from e
            except dulwich_errors() as e:
                raise open_error(self.path, e) from e
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None  # opened again if the repository is used after close()


def _locate(start: str) -> tuple[str, bool] | None:
    """The innermost repository holding `start`, and whether it is bare.

    dulwich's rule (Repo.discover): a folder with a `.git` file or a `.git/objects`
    folder is a work tree; one with `objects` and `refs` folders is a bare repository.
    """
    path = start
    while True:
        hidden = os.path.join(path, ".git")
        if os.path.isfile(hidden) or os.path.isdir(os.path.join(hidden, "objects")):
            return path, False
        if os.path.isdir(os.path.join(path, "objects")) and os.path.isdir(
            os.path.join(path, "refs")
        ):
            return path, True
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def _plain_layout(folder: str, bare: bool) -> Layout | None:
    """The layout of an ordinary repository; None when dulwich has to work it out.

    A `.git` file (linked work trees, submodules), a `commondir` file or an unusual
    config leave the folders to dulwich.
    """
    controldir = folder if bare else os.path.join(folder, ".git")
    if not os.path.isdir(controldir) or os.path.exists(os.path.join(controldir, "commondir")):
        return None
    try:
        config = Path(controldir, "config").read_bytes()
    except FileNotFoundError:
        config = b""
    if _UNUSUAL_CONFIG.search(config):
        return None
    return Layout(folder, controldir, controldir, bare)


def find(path: str | os.PathLike[str]) -> tuple[Layout, Dulwich]:
    """The repository at `path`, a folder inside a work tree, or a bare repo.

    Raises:
        NoRepo: no repository holds `path` (or its `.git` file names a folder that is gone).
        RepoError: the folders cannot be read.
    """
    if not os.path.isdir(path):
        raise NoRepo(str(path))
    try:
        found = _locate(os.path.realpath(path))
        layout = None if found is None else _plain_layout(*found)
    except OSError as e:
        raise open_error(path, e) from e
    if found is None:
        raise NoRepo(str(path))
    dulwich = Dulwich(found[0])
    if layout is None:
        repo = dulwich.get()
        layout = Layout(repo.path, repo.controldir(), repo.commondir(), repo.bare)
        # A `.git` file or `commondir` naming a folder that is gone: not a repository.
        if not os.path.isdir(layout.objects_dir):
            dulwich.close()
            raise NoRepo(str(path))
    return layout, dulwich
