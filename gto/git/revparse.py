"""Revisions -> commits, by git's rules: `HEAD`, branches, tags, full refs, ids, `X~N`, `X^N`."""

from __future__ import annotations

import re
from typing import Protocol

from gto.exceptions import RefNotFound

__all__ = ["Graph", "resolve"]

_SHORT_HEX = re.compile(r"[0-9a-fA-F]{4,63}")  # shorter than a SHA-256 id
_ANCESTRY = re.compile(r"([~^])([0-9]*)")
_REVISION = re.compile(r"(?P<base>.*?)(?P<ancestry>(?:[~^][0-9]*)*)", re.DOTALL)


class Graph(Protocol):
    """What resolving needs from a repository (gto.git.repo.GitRepo)."""

    def is_full_id(self, text: str) -> bool:
        """Whether `text` is a full object id of an object in the repository."""

    def ref(self, name: str) -> str | None:
        """The object a ref points to (symbolic refs followed), or None."""

    def with_prefix(self, prefix: str) -> set[str]:
        """Ids of the objects whose hex id starts with `prefix`."""

    def peel_to_commit(self, oid: str) -> str | None:
        """Follow tags to the commit; None if the chain ends elsewhere."""

    def parents(self, commit: str) -> tuple[str, ...] | None:
        """The parents of a commit that is here (None when it is not)."""

    def contains(self, oid: str) -> bool:
        """Whether the object is in the repository."""


def resolve(graph: Graph, revision: str) -> str:
    """A revision -> commit hexsha.

    Raises:
        RefNotFound: the revision names no commit here.
    """
    match = _REVISION.fullmatch(revision)
    assert match is not None  # the pattern matches any string
    commit = _resolve_base(graph, match["base"]) if match["base"] else None
    if commit is None:
        raise RefNotFound(revision)
    for op, count in _ANCESTRY.findall(match["ancestry"]):
        steps = int(count) if count else 1
        if op == "~":
            for _ in range(steps):
                commit = _parent(graph, commit, 1, revision)
        elif steps:
            commit = _parent(graph, commit, steps, revision)
    return commit


def _parent(graph: Graph, commit: str, number: int, revision: str) -> str:
    parents = graph.parents(commit)
    if parents is None or len(parents) < number:
        raise RefNotFound(revision)
    parent = parents[number - 1]
    if not graph.contains(parent):  # beyond a shallow clone's boundary
        raise RefNotFound(revision)
    return parent


def _resolve_base(graph: Graph, base: str) -> str | None:
    """git's lookup order: full ids, then refs, then unique short ids."""
    if graph.is_full_id(base):
        return graph.peel_to_commit(base)
    refs = [base] if base == "HEAD" or base.startswith("refs/") else []
    refs += [f"refs/{base}", f"refs/tags/{base}", f"refs/heads/{base}"]
    refs += [f"refs/remotes/{base}", f"refs/remotes/{base}/HEAD"]
    for ref in refs:
        oid = graph.ref(ref)
        if oid is not None:
            return graph.peel_to_commit(oid)
    if _SHORT_HEX.fullmatch(base):
        matches = graph.with_prefix(base.lower())
        commits = {commit for oid in matches if (commit := graph.peel_to_commit(oid))}
        return commits.pop() if len(commits) == 1 else None
    return None
