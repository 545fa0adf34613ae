"""What a repository can be given as besides a path: scmrepo's `Git` and dulwich's `Repo`.

gto opens either by its folder and reads the repository itself (gto.session).
"""

from __future__ import annotations

import os
from typing import Protocol

__all__ = ["HasPath", "HasRootDir", "repo_folder"]


class HasRootDir(Protocol):
    """scmrepo's `Git`, as DVC passes it: only its work-tree root is used."""

    @property
    def root_dir(self) -> str: ...


class HasPath(Protocol):
    """dulwich's `Repo`: only its path is used; gto reads the repository itself."""

    @property
    def path(self) -> str: ...


def repo_folder(repo: str | os.PathLike[str] | HasRootDir | HasPath) -> str:
    """The folder of `repo`: a path as it is, the folder scmrepo's or dulwich's object names."""
    if isinstance(repo, (str, os.PathLike)):
        return os.fspath(repo)
    for attribute in ("root_dir", "path"):  # scmrepo's Git, dulwich's Repo
        folder = getattr(repo, attribute, None)
        if isinstance(folder, str):
            return folder
    raise TypeError(f"Cannot open a repository from {type(repo).__name__}: pass its path")
