"""Pushing to a repository on this machine (a path, `file://`): objects copied, refs updated.

dulwich's in-process push writes the target's refs through its own ref containers,
which mishandle reftable stacks (gto.git.refs_reftable) and SHA-256 deletions. So the
target is opened as a GitRepo, like any repository gto reads: the objects the pushed
refs need and the target lacks are written into it (loose, whole, before any ref
names them), then each ref moves through the target's own ref store by
compare-and-swap, as git's receive-pack does. The refusals `git push` makes are the
caller's (gto.git.push), made on the refs read here first.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping

from gto.exceptions import GTOException, PushError
from gto.git import objects
from gto.git.discover import Layout
from gto.git.errors import unwritable
from gto.git.files import RefLocked
from gto.git.refs import open_refs
from gto.git.repo import GitRepo

__all__ = ["checked_out_branches", "push_local"]

# Refs of the target as the push found them: name -> object id (None: absent).
Refs = dict[str, "str | None"]
_GITLINK = 0o160000


def checked_out_branches(target: GitRepo) -> set[str]:
    """The branches HEAD names in the target's work tree and in its linked work trees."""
    controldirs = [] if target.workdir is None else [target.controldir]
    linked = os.path.join(target.commondir, "worktrees")
    if os.path.isdir(linked):
        controldirs += [entry.path for entry in os.scandir(linked) if entry.is_dir()]
    branches = set()
    for controldir in controldirs:
        layout = Layout(
            target.layout.root, controldir, target.commondir, False, target.layout.format
        )
        try:
            head = open_refs(layout).symbolic(b"HEAD")
        except GTOException:  # a linked work tree half removed: git prunes it, gto skips it
            continue
        if head is not None:
            branches.add(head.decode("utf-8", "surrogateescape"))
    return branches


def _copy_missing(source: GitRepo, target: GitRepo, wants: list[str]) -> None:
    """Write into `target` every object the `wants` reach that it lacks.

    A commit the target has is taken to come with its history, as git assumes.
    """
    seen: set[str] = set()
    todo = list(wants)
    while todo:
        oid = todo.pop()
        if oid in seen or target.store.contains(oid):
            continue
        seen.add(oid)
        raw = source.store.raw(oid)
        if raw is None:
            raise PushError(f"Cannot push: object {oid} is missing from the local repository")
        kind, body = raw
        if kind in (objects.COMMIT, objects.TAG):
            fields, parents, _ = objects.split_object(body)
            todo += [p.decode("ascii") for p in parents]
            todo += [fields[k].decode("ascii") for k in (b"tree", b"object") if k in fields]
        elif kind == objects.TREE:
            entries = objects.parse_tree(body, source.layout.id_length // 2)
            # Submodule commits (gitlinks) live in another repository.
            todo += [child for mode, child in entries.values() if stat.S_IFMT(mode) != _GITLINK]
        try:
            target.store.add(oid, objects.loose_object(kind, body))
        except OSError as e:
            raise _cannot_write(target, "objects", e) from e


def _cannot_write(target: GitRepo, what: str, error: OSError) -> PushError:
    """`Cannot push to '/srv/origin': cannot write objects to 'objects/72': ...`: the
    path is the push target's, not the local repository's."""
    problem = unwritable(target.root, what, error)
    return PushError(f"Cannot push to '{target.root}': cannot write {problem}")


def _peeled(git: GitRepo, oid: str) -> str | None:
    """The commit an annotated tag peels to (what a reftable stores beside it); else None."""
    raw = git.store.raw(oid)
    return git.peel_to_commit(oid) if raw is not None and raw[0] == objects.TAG else None


def push_local(
    source: GitRepo,
    path: str,
    wanted: Mapping[str, str | None],
    check: Callable[[GitRepo, Refs], None],
) -> dict[str, str]:
    """Push `wanted` (remote ref -> object id, None deletes) into the repository at `path`.

    `check(target, refs)` makes git push's refusals on the refs as found. Returns the
    refs the target refused to move (ref -> why): another writer moved them meanwhile.

    Raises:
        PushError: the target is not a repository of the same object format, a ref of
            it is locked, or it cannot be written (its objects or refs).
    """
    try:
        target = GitRepo.open(path)
    except GTOException as e:
        raise PushError(f"Cannot push to '{path}': {e}") from e
    with target:
        source_format = source.layout.format.object_format
        if target.layout.format.object_format != source_format:
            raise PushError(
                f"Cannot push to '{path}': it stores {target.layout.format.object_format} "
                f"objects, and this repository {source_format} objects"
            )
        if target.layout.format.read_only is not None:
            raise PushError(f"Cannot push to '{path}': {target.layout.format.read_only}")
        found: Refs = {ref: target.refs.read(ref) for ref in wanted}
        check(target, found)
        _copy_missing(source, target, [oid for oid in wanted.values() if oid is not None])
        refused: dict[str, str] = {}
        for ref, new in wanted.items():
            old = found[ref]
            if new == old:
                continue
            try:
                if new is None:
                    moved = old is None or target.refs.delete(ref, old)
                elif old is None:
                    moved = target.refs.create(ref, new, _peeled(source, new))
                else:
                    moved = target.refs.update(ref, old, new)
            except RefLocked as e:
                raise PushError(f"Cannot push to '{path}': '{e.lock_path}' exists") from e
            except OSError as e:
                raise _cannot_write(target, "refs", e) from e
            if not moved:
                refused[ref] = "changed while pushing"
        return refused
