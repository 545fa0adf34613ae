"""The facade the rest of gto uses to read a repository: tags, commits, files, revisions.

No `bytes` leave it: names and messages are decoded, times are aware datetimes and
object ids hex strings; every failure is a GTOException. Registries can hold tens of
thousands of tags, so each tag object, commit and tree is read once per GitRepo.

A GitRepo over a remote's cache has an object source (gto.git.store): a blob it lacks
is fetched when it is read (or, in one request, when `prefetch` names it first), and
the history when a walk or a revision needs it. Callers never ask which kind they have.
Writing goes through gto.git.transaction; `layout`, `store`, `refs` and `dulwich` are
the parts gto.git's own modules work with.
"""

from __future__ import annotations

import os
import re
import stat
import weakref
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path

from gto.core.tags import CommitRecord, GitTag, TagRecord
from gto.exceptions import RefNotFound, RepoError, ShallowHistory
from gto.git import discover, files, links, objects, revparse
from gto.git.errors import read_error
from gto.git.object_cache import ObjectCache, read_commit
from gto.git.refs import RefStore, open_refs
from gto.git.signature import SignedObject
from gto.git.store import ObjectSource, ObjectStore
from gto.git.tag_cache import TagCache
from gto.git.tags import Tags

__all__ = ["GitRepo"]

# Revisions that can name a commit beyond a partial store's history: ancestry, or an id.
_HISTORY_REF = re.compile(r"[~^]|^[0-9a-fA-F]{4,64}$")


def _close(dulwich: discover.Dulwich, store: ObjectStore) -> bool:
    """Release packs and dulwich's repository; False if some must wait (see ObjectStore.close)."""
    released = store.close()
    try:
        dulwich.close()
    except BufferError:
        return False
    return released


class GitRepo:
    """A repository (work tree or bare), read through gto's own readers and dulwich's."""

    root: Path
    workdir: Path | None
    controldir: str  # HEAD, the index
    commondir: str  # refs, packed-refs, objects/

    def __init__(
        self,
        layout: discover.Layout,
        dulwich: discover.Dulwich,
        source: ObjectSource | None = None,
        cache_home: Path | None = None,
    ) -> None:
        self.layout = layout
        self.root = Path(layout.root)
        self.workdir = None if layout.bare else self.root
        self.controldir = layout.controldir
        self.commondir = layout.commondir
        self.dulwich = dulwich
        self.refs: RefStore = open_refs(layout)
        self.store = ObjectStore(layout.objects_dir, id_length=layout.id_length, source=source)
        cache = None if cache_home is None else TagCache.of(cache_home, layout)
        self.tags = Tags(self.refs, self.store, cache)
        self.object_cache = None if cache_home is None else ObjectCache.of(cache_home, layout)
        self._commits: dict[str, objects.ParsedCommit] = {}
        self._trees: dict[str, dict[bytes, tuple[int, str]]] = {}
        self._paths: dict[tuple[str, str], tuple[int, str] | None] = {}
        self._named: dict[tuple[str, bytes], tuple[tuple[str, str], ...]] = {}
        # Packs stay open (mmaps, dulwich's caches) until close() or garbage collection.
        self._finalizer = weakref.finalize(self, _close, dulwich, self.store)

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        source: ObjectSource | None = None,
        git_dir: str | None = None,
        work_tree: str | None = None,
        cache_home: Path | None = None,
    ) -> GitRepo:
        """Open the repository at `path`, a folder inside a work tree, or a bare repo.

        `source` is where missing objects come from (a remote's cache has one);
        `git_dir` and `work_tree` are GIT_DIR and GIT_WORK_TREE (gto.settings);
        `cache_home` is gto's cache folder, where parsed tag objects and blobs are kept between
        commands (gto.git.tag_cache, gto.git.object_cache); without it nothing is cached.
        """
        layout, dulwich = discover.find(path, git_dir=git_dir, work_tree=work_tree)
        return cls(layout, dulwich, source, cache_home)

    def close(self, *, failed: bool = False) -> None:
        """Release the pack files now rather than at garbage collection.

        A read that failed inside a pack can leave views of its mapping in a traceback
        that is still alive: after a failure (`failed`), and for any pack that cannot be
        released yet, the files are released when the GitRepo is collected.
        """
        if self.object_cache is not None and not failed:
            self.object_cache.save()
        if failed:
            self.store.close()  # what can be released now; dulwich's packs wait
        elif self._finalizer.alive and _close(self.dulwich, self.store):
            self._finalizer.detach()

    def __enter__(self) -> GitRepo:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def lock_files(self) -> list[tuple[str, float]]:
        """Lock files of refs, packed-refs, a reftable stack, HEAD, the index...: (path
        relative to the repository, age in seconds). Each is a writer at work, or one
        that was killed."""
        return files.lock_files(self.root, {self.controldir, self.commondir}, self.commondir)

    # Tags (gto.git.tags)

    def tag_names(self, prefixes: Sequence[str] | None = None) -> list[str]:
        """Names under refs/tags/ (packed and loose; with `prefixes`, those starting with
        one of them), sorted; reads no objects."""
        return self.tags.names(prefixes)

    def read_tags(self, names: Iterable[str]) -> list[TagRecord]:
        """Annotated tags peeled to commits, in the order of `names`; the rest is skipped.

        Refs come from the last `tag_names()` (one scan if none yet); names that are not
        in it are looked up one by one. Each tag object is read once per GitRepo (until
        `release_tags`).
        """
        return self.tags.read(names)

    def release_tags(self) -> None:
        """After a read of every tag, forget the refs and tag objects it read (see Tags.release)."""
        self.tags.release()

    def problem_tags(self, names: Iterable[str]) -> dict[str, str]:
        """Why `read_tags` skips a tag: `lightweight`, `not a commit: tree`, `missing object`..."""
        return self.tags.problems(names)

    def tag_signatures(self, names: Iterable[str]) -> dict[str, SignedObject]:
        """The signed tags among `names`: payload and signature, cut where git cuts them."""
        return self.tags.signatures(names)

    def read_git_tags(self, names: Iterable[str]) -> list[GitTag]:
        """The annotated tags among `names` as git stores them (unpeeled), in the order given.

        Lightweight tags, broken refs and malformed tag objects are skipped.
        """
        return self.tags.unpeeled(names)

    # Commits

    def head(self) -> str | None:
        """The HEAD commit, or None in an empty repo or on an unborn branch."""
        return self.refs.get(b"HEAD")

    def current_branch(self) -> str | None:
        """The branch ref HEAD points at ("refs/heads/main", even if unborn); None if detached."""
        branch = self.refs.symbolic(b"HEAD")
        return None if branch is None else branch.decode("utf-8", "replace")

    def branch_heads(self) -> list[str]:
        """Commits of the local branches, in branch name order, without repeats."""
        branches = self.refs.under(b"refs/heads/")
        return list(dict.fromkeys(oid for _, oid in sorted(branches.items()) if oid is not None))

    def reachable_commits(self, heads: Iterable[str]) -> list[str]:
        """Every commit reachable from `heads`, each once, heads first.

        A partial store fetches the whole history first; commits missing from the
        object store (a shallow clone's boundary) end the walk.
        """
        self.store.deepen()
        seen: dict[str, None] = {}
        todo = list(heads)[::-1]
        while todo:
            hexsha = todo.pop()
            if hexsha in seen:
                continue
            commit = self._commit(hexsha)
            if commit is None:
                continue
            seen[hexsha] = None
            todo.extend(reversed(commit.parents))
        return list(seen)

    def first_parents(self, head: str) -> Iterator[tuple[str, datetime]]:
        """`head` and its first parents with committer times, newest first, read lazily; a partial
        store fetches the history it lacks. A commit that is not here fails the walk when it gets
        there: ShallowHistory at a shallow clone's boundary, else RepoError."""
        commit = self._existing_commit(head)
        while True:
            yield (child := commit.record).hexsha, child.created_at
            if not commit.parents:
                return
            parent = commit.parents[0]
            lost = not self.contains(parent) and not self.store.deepen()
            if lost and child.hexsha in discover.shallow_commits(self.layout):
                raise ShallowHistory(child.hexsha, child.created_at.isoformat())
            commit = self._existing_commit(parent)

    def read_commit(self, hexsha: str) -> CommitRecord:
        """The commit `hexsha` (cached)."""
        return self._existing_commit(hexsha).record

    def _existing_commit(self, hexsha: str) -> objects.ParsedCommit:
        commit = self._commit(hexsha)
        if commit is None:
            raise RepoError(f"Commit {hexsha} is missing from the repository")
        return commit

    def _commit(self, hexsha: str) -> objects.ParsedCommit | None:
        commit = self._commits.get(hexsha)
        if commit is None:
            commit = read_commit(self.store, self.object_cache, hexsha)
            if commit is not None:
                self._commits[hexsha] = commit
        return commit

    # Files in commits

    def blob_id_at(self, commit: str, path: str) -> str | None:
        """The blob at `path` ("a/b.txt") in `commit`, or None if absent or not a file.

        A committed symbolic link is followed inside the commit's tree (see `file_at`).
        """
        found = self.file_at(commit, path)
        return None if found is None else found[1]

    def file_at(self, commit: str, path: str) -> tuple[str, str] | None:
        """(path, blob id) of the file `path` names in `commit`, symbolic links followed
        inside the commit's tree (gto.git.links); None if there is none."""
        return links.follow_committed(
            lambda p: self._entry_at(commit, p), self.read_blob, path, f"commit {commit[:7]}"
        )

    def path_exists_at(self, commit: str, path: str) -> bool:
        """Whether `path` is a file or a folder in `commit`."""
        return self._entry_at(commit, path) is not None

    def _entry_at(self, commit: str, path: str) -> tuple[int, str] | None:
        """(mode, id) of `path` in the commit's tree; kept by tree (commits share trees), and
        between commands in the object cache."""
        tree = self._existing_commit(commit).tree
        key = (tree, path)
        if key in self._paths:
            return self._paths[key]
        cache = self.object_cache
        known = None if cache is None else cache.entry(tree, path)
        if known is not None:
            entry = known[0]
        else:
            entry = (stat.S_IFDIR, tree)
            for part in path.encode().split(b"/"):
                if entry is None or part in (b"", b"."):
                    continue
                entry = self._tree(entry[1]).get(part) if stat.S_ISDIR(entry[0]) else None
            if cache is not None:
                cache.add_entry(tree, path, entry)
        self._paths[key] = entry
        return entry

    def files_named(self, commit: str, filename: str) -> list[tuple[str, str]]:
        """(path, blob id) of every file called `filename` in the commit, in any folder, by path.

        Each tree is walked once per GitRepo: commits share most of their trees.
        """
        top = self._existing_commit(commit).tree
        name = filename.encode()
        found = self._named
        todo: list[tuple[str, bool]] = [(top, False)]
        while todo:  # depth first, children before their tree; no recursion limit to hit
            oid, children_done = todo.pop()
            if (oid, name) in found:
                continue
            entries = self._tree(oid)
            if not children_done:
                todo.append((oid, True))
                todo.extend((sub, False) for mode, sub in entries.values() if stat.S_ISDIR(mode))
                continue
            files: list[tuple[str, str]] = []
            for entry, (mode, child) in entries.items():
                if stat.S_ISDIR(mode):
                    folder = entry.decode("utf-8", "replace")
                    files.extend((f"{folder}/{path}", blob) for path, blob in found[(child, name)])
                elif entry == name and stat.S_ISREG(mode):
                    files.append((filename, child))
            found[(oid, name)] = tuple(files)
        return sorted(found[(top, name)])

    def _tree(self, oid: str) -> dict[bytes, tuple[int, str]]:
        tree = self._trees.get(oid)
        if tree is None:
            raw = self.store.raw(oid)
            if raw is None or raw[0] != objects.TREE:
                raise RepoError(f"Tree {oid} is missing from the repository")
            try:
                tree = self._trees[oid] = objects.parse_tree(raw[1], self.layout.id_length // 2)
            except ValueError as e:
                raise RepoError(f"Tree {oid} is malformed") from e
        return tree

    def prefetch(self, blob_ids: Iterable[str]) -> None:
        """Make sure these blobs are here before they are read: a partial store fetches the
        missing ones in one request. Nothing is iterated otherwise, so a generator costs nothing."""
        self.store.fetch_missing(blob_ids)

    def read_blob(self, blob_id: str) -> bytes:
        """The content of a blob (fetched first, if the store is partial and lacks it)."""
        self.store.fetch_missing([blob_id])
        raw = self.store.raw(blob_id)
        if raw is None and self.layout.promisor is not None:
            raise RepoError(
                f"Blob {blob_id} is not in this partial clone, and gto does not fetch from "
                f"its promisor remote '{self.layout.promisor}': run `git cat-file -e "
                f"{blob_id}` (git fetches it), then run gto again"
            )
        if raw is None or raw[0] != objects.BLOB:
            raise RepoError(f"Blob {blob_id} is missing from the repository")
        return raw[1]

    def worktree_path(self, relpath: str) -> Path:
        """Where a work tree file (`artifacts.yaml`, `.gto`) really is, symlinks followed
        inside the work tree only (gto.git.links)."""
        assert self.workdir is not None
        return links.follow_in_worktree(self.workdir, self.controldir, relpath)

    def read_worktree_file(self, relpath: str) -> bytes | None:
        """A file of the work tree; None in a bare repo or when there is no such file."""
        if self.workdir is None:
            return None
        try:
            return self.worktree_path(relpath).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None
        except OSError as e:
            raise read_error(f"'{relpath}'", e.strerror or e) from e

    # Revisions (the graph gto.git.revparse walks)

    def resolve(self, revision: str) -> str:
        """A revision (`HEAD`, branch, tag, full ref, hex id, `X~N`, `X^N`) -> commit hexsha.

        A partial store fetches the history for revisions beyond it (ancestry, or a
        commit id: it has every tag and HEAD's branch already).

        Raises:
            RefNotFound: the revision names no commit.
        """
        try:
            return revparse.resolve(self, revision)
        except RefNotFound:
            if _HISTORY_REF.search(revision) is None or not self.store.deepen():
                raise
        return revparse.resolve(self, revision)

    def is_full_id(self, text: str) -> bool:
        return len(text) == self.layout.id_length and self.store.contains(text)

    def ref(self, name: str) -> str | None:
        return self.refs.get(name.encode())

    def with_prefix(self, prefix: str) -> set[str]:
        return self.store.with_prefix(prefix)

    def contains(self, oid: str) -> bool:
        return self.store.contains(oid)

    def parents(self, commit: str) -> tuple[str, ...] | None:
        parsed = self._commit(commit)
        return None if parsed is None else parsed.parents

    def peel_to_commit(self, oid: str) -> str | None:
        while True:
            raw = self.store.raw(oid)
            if raw is None:
                return None
            if raw[0] == objects.COMMIT:
                return oid
            if raw[0] != objects.TAG:
                return None
            fields = objects.split_object(raw[1])[0]
            oid = fields.get(b"object", b"").decode("ascii", "replace")
