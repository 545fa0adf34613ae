"""Symbolic links: followed inside the repository only, committed or in the work tree.

A link in `artifacts.yaml`'s place (or `.gto`'s, or a `dvc.yaml`'s) is followed where a
checkout would make it lead, as long as that stays inside the repository: gto reads
and writes repository files only, never what a link points to elsewhere.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path

from gto.exceptions import RepoError

MAX_LINKS = 40  # as Linux's path resolution


def follow_committed(
    entry_at: Callable[[str], tuple[int, str] | None],
    read_blob: Callable[[str], bytes],
    path: str,
    where: str,
) -> tuple[str, str] | None:
    """(path, blob id) of the file `path` names in a commit's tree (`entry_at` gives a
    path's (mode, id) there), links followed; None if there is no such file.

    Raises:
        RepoError: a link leads outside the repository, or links loop.
    """
    wanted = path
    for _ in range(MAX_LINKS):
        entry = entry_at(wanted)
        if entry is None or not (stat.S_ISREG(entry[0]) or stat.S_ISLNK(entry[0])):
            return None
        if stat.S_ISREG(entry[0]):
            return wanted, entry[1]
        target = read_blob(entry[1]).decode("utf-8", "replace")
        wanted = posixpath.normpath(posixpath.join(posixpath.dirname(wanted), target))
        if target.startswith("/") or wanted == ".." or wanted.startswith("../"):
            raise RepoError(
                f"'{path}' in {where} is a symbolic link to '{target}', outside the "
                "repository: gto follows committed links only inside it"
            )
    raise RepoError(f"'{path}' in {where}: too many levels of symbolic links")


def follow_in_worktree(workdir: str | os.PathLike[str], controldir: str, relpath: str) -> Path:
    """Where a work tree file really is, links followed.

    Raises:
        RepoError: it leads outside the work tree, or into `.git`.
    """
    root = os.path.realpath(workdir)
    target = os.path.realpath(os.path.join(root, relpath))
    inside = os.path.commonpath([root, target]) == root
    control = os.path.realpath(controldir)
    if not inside or os.path.commonpath([control, target]) == control:
        raise RepoError(
            f"'{relpath}' leads to '{target}', outside the repository's work tree: "
            "gto neither reads nor writes through it"
        )
    return Path(target)
