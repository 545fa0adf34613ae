"""Writing a repository one step at a time: an annotated tag, a tag deleted, a small commit.

Strings go in and come out; bytes stay in gto.git. Objects are written whole
(gto.git.files) before any ref names them, and refs change under git's lock files
(gto.git.refs), so a concurrent writer (another gto, or git itself) either wins cleanly
or makes the call fail, and a full disk or a kill never leaves half a file. Every
failure a user can cause becomes a GTOException (gto.git.errors).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from gto.exceptions import RefNotFound, RepoError, TagExists, TagNotFound, WrongArgs
from gto.git import files, objects, worktree
from gto.git.errors import RefBusy, read_error, write_error
from gto.git.files import RefLocked
from gto.git.identity import Identity, signature
from gto.git.refs import check_tag_name, is_ref_name

if TYPE_CHECKING:
    from gto.git.repo import GitRepo

__all__ = [
    "commit_files",
    "create_tag",
    "delete_tag",
    "delete_tags_at_once",
    "restore_tag",
    "undo_commit",
    "wait_unlocked",
    "write_worktree_file",
]

_T = TypeVar("_T")
# git waits 100 ms for a ref lock by default; 8 writers on 2 slow cores need longer.
LOCK_TIMEOUT = 5.0


def _locked(git: GitRepo, action: Callable[[], _T], *, wait: bool = True) -> _T:
    """Run a ref update, waiting while another writer holds the ref's lock file.

    When the lock goes away the other writer has finished, so a retry sees its result.
    Without `wait`, a held lock of the ref fails at once (a counter then moves on to the
    next one); the whole ref store's lock (reftable) is always waited for.
    """
    backoff = files.Backoff(LOCK_TIMEOUT)
    while True:
        try:
            return action()
        except RefLocked as e:
            if (not wait and not e.shared) or backoff.expired():
                raise RefBusy(e.path, e.lock_path, shared=e.shared) from e
        except ValueError as e:  # a damaged packed-refs
            raise read_error("packed-refs", e) from e
        except OSError as e:
            raise write_error(git.root, "refs", e) from e
        backoff.sleep()


def _wait_for_lock(git: GitRepo, ref: str, *, wait: bool = True) -> None:
    """Wait while `ref` is locked, before writing any object meant for it.

    A lock file left by a killed writer would otherwise fail the ref update only after
    the objects were written; checking first leaves the repository as it was.
    """

    def check() -> None:
        lock = git.refs.locked(ref)
        if lock is not None:
            raise RefLocked(git.refs.path(ref), lock, shared=git.refs.shared_lock)

    _locked(git, check, wait=wait)


def wait_unlocked(git: GitRepo, names: Iterable[str], seconds: float) -> None:
    """Wait, at most `seconds`, while another writer holds the lock of any tag of `names`.

    A writer that found a counted name locked moved on to the next counter; the tag
    being made under that lock has a lower counter, and a check of what concurrent
    writers did must see how it ended. A lock left by a killed writer only delays.
    """
    refs = [check_tag_name(name) for name in names]
    backoff = files.Backoff(seconds)
    while any(git.refs.locked(ref) is not None for ref in refs) and not backoff.expired():
        backoff.sleep()


def store(git: GitRepo, oid: str, compressed: bytes) -> bool:
    """Write a loose object; False if it was there already."""
    try:
        return git.store.add(oid, compressed)
    except OSError as e:
        raise write_error(git.root, "objects", e) from e


def create_tag(
    git: GitRepo,
    name: str,
    commit: str,
    message: str,
    tagger: Identity,
    when: tuple[int, int],
    *,
    wait: bool = True,
    sign: Callable[[bytes], bytes] | None = None,
) -> str:
    """Write an annotated tag on `commit` and create refs/tags/<name>; return the tag id.

    The message is stored as given (upstream 1.10.1 writes no trailing newline); `sign`
    signs the tag object (gto.git.objects.tag_object). The ref
    is created only if no tag of that name exists, loose or packed, annotated or
    lightweight; the check and the creation happen under the ref's lock file, so of
    several concurrent writers exactly one succeeds. Without `wait`, a locked name
    fails at once with RefBusy.

    Raises:
        TagExists: the tag exists (or was created meanwhile by someone else).
        RefBusy: the tag's lock file exists (after waiting, unless `wait` is False).
        RefNotFound: `commit` is not a commit of this repository.
    """
    ref = check_tag_name(name)
    found = git.store.raw(commit)
    if found is None or found[0] != objects.COMMIT:
        raise RefNotFound(commit)
    if _locked(git, lambda: git.refs.exists(ref)):
        raise TagExists(name)
    _locked(git, lambda: git.refs.prepare(ref))
    _wait_for_lock(git, ref, wait=wait)
    oid, content = objects.tag_object(
        name, commit, signature(tagger), when, message, git.layout.format.object_format, sign
    )
    # When the ref cannot be made, the object stays, unreferenced (git gc prunes it):
    # another writer may have made the very same object (same name, tagger, second
    # and message) and be about to point its ref at it.
    store(git, oid, content)
    # No reflog: git keeps none for tags.
    if not _locked(git, lambda: git.refs.create(ref, oid, commit), wait=wait):
        raise TagExists(name)
    return oid


def delete_tag(git: GitRepo, name: str) -> str:
    """Remove refs/tags/<name>, loose and packed; objects stay (git gc's business).

    Returns the object id the tag pointed to, so `restore_tag` can undo the deletion.

    Raises:
        TagNotFound: there is no such tag (or someone else deleted it meanwhile).
    """
    ref = check_tag_name(name)
    old = _locked(git, lambda: git.refs.read(ref))
    if old is None:
        raise TagNotFound(name)
    if not _locked(git, lambda: git.refs.delete(ref, old)):
        if not _locked(git, lambda: git.refs.exists(ref)):
            raise TagNotFound(name)
        raise RepoError(f"Tag '{name}' changed while it was being deleted; try again")
    return old


def delete_tags_at_once(git: GitRepo, names: Sequence[str]) -> list[tuple[str, str]] | None:
    """Remove several tags in one update where the ref store makes one: reftable writes one
    table, so even a kill leaves all of them or none. None: the store cannot (loose and
    packed refs): delete them one by one. Returns (name, object id) per tag, as `delete_tag`.

    Raises:
        TagNotFound, RepoError: as `delete_tag`; then no tag is deleted.
    """
    from gto.git.refs_reftable import ReftableRefs

    refs = git.refs
    if not isinstance(refs, ReftableRefs) or not names:
        return None
    named = {check_tag_name(name): name for name in names}
    held = {ref: oid for ref in named if (oid := _read(git, ref)) is not None}
    if len(held) == len(named) and _locked(git, lambda: refs.delete_all(held)):
        return [(named[ref], oid) for ref, oid in held.items()]
    for ref, name in named.items():
        now = _read(git, ref)
        if now is None:
            raise TagNotFound(name)
        if now != held.get(ref):
            raise RepoError(f"Tag '{name}' changed while it was being deleted; try again")
    raise RepoError("The tags changed while they were being deleted; try again")


def _read(git: GitRepo, ref: str) -> str | None:
    return _locked(git, lambda: git.refs.read(ref))


def restore_tag(git: GitRepo, name: str, object_id: str) -> None:
    """Point refs/tags/<name> at `object_id` again after `delete_tag` (a rollback)."""
    ref = check_tag_name(name)
    if not _locked(git, lambda: git.refs.create(ref, object_id)):
        raise TagExists(name)


# Commits


@dataclass(frozen=True)
class _Head:
    """Where HEAD leads: the ref a commit moves (a branch, or HEAD itself when detached)."""

    ref: str
    commit: str | None


def _head(git: GitRepo) -> _Head:
    branch = git.current_branch()
    if branch is None:
        return _Head("HEAD", git.head())
    if not is_ref_name(branch.encode()):
        raise RepoError(f"HEAD points to '{branch}', which is not a branch name")
    return _Head(branch, _locked(git, lambda: git.refs.read(branch)))


def commit_files(
    git: GitRepo,
    changes: Mapping[str, bytes | None],
    message: str,
    author: Identity,
    when: tuple[int, int],
) -> str:
    """Commit `changes` (path -> content, None deletes) on top of HEAD; return the commit id.

    Only those paths change: the new tree is HEAD's tree with them replaced, so other
    dirty or staged files are neither committed nor touched (deleting a path HEAD does
    not have changes nothing). The branch HEAD points at (or HEAD itself when detached;
    an unborn branch gets a root commit) moves by compare-and-swap. `author` is also the
    committer; a trailing newline is added to the message, as `git commit -m` does.

    In a work tree the files and then the index get the new content before the branch
    moves, so a kill at any moment leaves at worst the change staged, never its revert;
    if the branch cannot move, they get the old content back.

    Raises:
        RepoError: the branch moved while committing, a path clashes with a folder, or
            the repository cannot be written.
        WrongArgs: a path is not a plain relative path.
    """
    head = _head(git)
    _wait_for_lock(git, head.ref)
    parent = None if head.commit is None else worktree.parent_tree(git, head.commit)
    tree, written, entries = worktree.new_tree(
        git, parent, {_tree_path(path): content for path, content in changes.items()}
    )
    text = message if message.endswith("\n") else f"{message}\n"
    parents = [] if head.commit is None else [head.commit]
    body = objects.commit_object(tree, parents, signature(author), when, text)
    sha = objects.object_id(objects.COMMIT, body, git.layout.format.object_format)
    for oid, content in written:
        store(git, oid, content)
    # Left unreferenced if the branch cannot move (see create_tag).
    store(git, sha, objects.loose_object(objects.COMMIT, body))
    undo = worktree.check_out(git, entries)
    try:
        if not _locked(git, lambda: git.refs.update(head.ref, head.commit, sha)):
            raise RepoError(
                f"'{head.ref}' moved while committing; nothing was committed, run the command again"
            )
    except BaseException:
        undo()
        raise
    return sha


def undo_commit(git: GitRepo, commit: str, paths: Iterable[str]) -> None:
    """Take back a `commit_files` commit that could not be pushed.

    The branch moves back to the parent (compare-and-swap), then `paths` get the
    parent's content in the work tree and index again.
    """
    head = _head(git)
    parent, contents = worktree.parent_contents(git, commit, [_tree_path(p) for p in paths])
    if parent is None:
        undone = _locked(git, lambda: git.refs.delete(head.ref, commit))
    else:
        undone = _locked(git, lambda: git.refs.update(head.ref, commit, parent))
    if not undone:
        raise RepoError(f"'{head.ref}' moved; commit {commit} was kept")
    worktree.check_out(git, contents)


def write_worktree_file(git: GitRepo, path: str, data: bytes) -> None:
    """Replace a work tree file (`artifacts.yaml`) whole, never through a symlink out of it."""
    try:
        files.write_atomically(str(git.worktree_path(path)), data)
    except OSError as e:
        raise read_error(f"'{path}'", e.strerror or e, verb="write") from e


def _tree_path(path: str) -> str:
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.lower() == ".git" for part in parts):
        raise WrongArgs(
            f"Cannot commit '{path}': use a path relative to the repository root, "
            "without '.', '..' or '.git' parts"
        )
    return path
