"""One command's view of one repository: config, annotations and replay, each read once.

Every command, reading or writing, works through a Session so that `.gto` is
parsed once, each tag object is read once and each distinct artifacts.yaml or
dvc.yaml blob is parsed once per command. Opening a Session decides whether `-r` names
a local repository or a remote one; a remote is read through its cache
(gto.remote), whose object store fetches what it lacks. The Session reads both the
same way: before reading many blobs it names them (`prefetch`), so a cache gets
them in one request, and a local repository does nothing at all.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import TYPE_CHECKING

from gto.core.annotations import Annotation
from gto.core.config import Config, load_config
from gto.core.dvcyaml import DVC_YAML, Annotations, dvc_yaml_path, parse_dvc_yaml
from gto.core.events import Deprecation, TagEvent, event_from_tag
from gto.core.index_json import cached_index
from gto.core.replay import replay
from gto.core.state import Registry
from gto.core.tags import tag_prefixes
from gto.exceptions import NoCommits, RefNotFound
from gto.git.repo import GitRepo
from gto.remote.urls import is_remote
from gto.repo_folder import HasPath, HasRootDir, repo_folder
from gto.settings import Settings, current

if TYPE_CHECKING:
    from gto.remote.source import Remote
    from gto.remote.transport import Progress

__all__ = ["RepoLike", "RepoSpec", "Session", "is_local", "is_remote", "opened"]


@dataclass(frozen=True)
class RepoSpec:
    """A repository path or URL plus how to reach it: `cache=False` is `--no-cache`;
    `progress` is told how a transfer from a remote goes (the CLI draws it)."""

    location: str
    cache: bool = True
    progress: Progress | None = None


@dataclass
class Session:
    """One command's view of one repository: config and annotation caches live here."""

    git: GitRepo
    settings: Settings = field(default_factory=current)
    remote: Remote | None = None  # the remote whose cache `git` is
    owns_git: bool = False  # opened by `open()`, so `close()` closes it
    # Tag objects stay read after the events are made: a command that verifies the tags'
    # signatures next (`--verify`) would otherwise read every one of them again.
    keep_tags: bool = False
    _config: Config | None = None
    _indexes: dict[str, dict[str, Annotation]] = field(default_factory=dict)
    _dvc_files: dict[tuple[str, str], dict[str, Annotation]] = field(default_factory=dict)
    _annotations: dict[str, Annotations] = field(default_factory=dict)

    @classmethod
    def open(
        cls, repo: RepoLike, *, for_writing: bool = False, tags: Sequence[str] | None = None
    ) -> Session:
        """A Session on a path, a GitRepo, a URL (through its cache), or the Session itself.

        A scmrepo `Git` (what DVC holds) or a dulwich `Repo` is opened by its folder.

        A URL-like location that is not an existing path is remote: its cache is
        brought up to date first. `for_writing` keeps the cache locked until `close()`,
        so that no other call changes its refs between this command's reads and push.
        `tags` (gto.core.tags.tag_prefixes): a remote is asked for those tag refs alone.
        """
        if isinstance(repo, Session):
            return repo
        if isinstance(repo, GitRepo):
            return cls(repo)
        spec = repo if isinstance(repo, RepoSpec) else RepoSpec(repo_folder(repo))
        settings = current()
        home = settings.cache_home if not settings.no_cache and spec.cache else None
        if not is_remote(spec.location):
            git_dir, tree = settings.git_dirs
            git = GitRepo.open(spec.location, git_dir=git_dir, work_tree=tree, cache_home=home)
            return cls(git, settings, owns_git=True)
        from gto.remote.source import Remote  # only remote repositories need it

        remote = Remote.open(
            spec.location,
            settings=settings,
            cache=home is not None,
            hold_lock=for_writing,
            tag_prefixes=None if for_writing else tags,
            progress=spec.progress,
        )
        try:
            git = GitRepo.open(remote.path, source=remote, cache_home=home)
        except BaseException:
            remote.close()
            raise
        return cls(git, settings, remote, owns_git=True)

    def close(self, *, failed: bool = False) -> None:
        """Release the repository this Session opened, and a remote's cache (lock, folder).

        After a failure (`failed`) pack files an exception may still read from are released
        when the repository is collected (gto.git.repo.GitRepo.close).
        """
        if self.owns_git:
            self.git.close(failed=failed)
        if self.remote is not None:
            self.remote.close()

    @property
    def config(self) -> Config:
        """`.gto` from the work tree (from HEAD in a bare repository), overridden by GTO_*."""
        if self._config is None:
            path = self.git.root / ".gto"
            if self.git.workdir is not None:
                text = self.git.read_worktree_file(".gto")
            else:
                head = self.git.head()
                if head is not None:  # HEAD's index comes along
                    self.git.prefetch(self._blobs([(head, ".gto"), (head, self._guessed_index())]))
                text = self.committed_file(head, ".gto")
            self._config = load_config(text, path=str(path.resolve()), environ=self.environ)
        return self._config

    def committed_file(self, commit: str | None, path: str) -> bytes | None:
        """The content of `path` in `commit`; None when there is no such file (or commit)."""
        if commit is None:
            return None
        blob = self.git.blob_id_at(commit, path)
        return None if blob is None else self.git.read_blob(blob)

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment this Session was opened in (gto.settings)."""
        return self.settings.environ

    def prefetch(self, commits: Iterable[str]) -> None:
        """Name the blobs that reading artifacts.yaml at `commits` needs, before reading them.

        A remote's cache fetches those it lacks in one request; a local repository
        does nothing (the generators below are never run). Until `.gto` is read, the
        index file name is a guess (the environment's, else the default) and `.gto`
        at HEAD comes along; a `.gto` that names another index costs a second request.
        """
        commits = list(commits)
        if self._config is None:

            def first() -> Iterator[str]:
                head = self.git.head()
                files = [(commit, self._guessed_index()) for commit in commits]
                yield from self._blobs(files if head is None else [(head, ".gto"), *files])
                yield from self._dvc_blobs(commits)

            self.git.prefetch(first())
        self.git.prefetch(
            chain(
                self._blobs((commit, self.config.index) for commit in commits),
                self._dvc_blobs(commits),
            )
        )

    def _guessed_index(self) -> str:
        return load_config(None, path=".gto", environ=self.environ).index

    def _blobs(self, files: Iterable[tuple[str, str]]) -> Iterator[str]:
        """The blob ids of these (commit, path) files, lazily."""
        for commit, path in files:
            blob = self.git.blob_id_at(commit, path)
            if blob is not None:
                yield blob

    def _dvc_blobs(self, commits: Iterable[str]) -> Iterator[str]:
        for commit in commits:
            yield from (blob for _, blob in self._dvc_yaml_files(commit))

    def index_at(self, commit: str) -> dict[str, Annotation]:
        """artifacts.yaml at a commit, parsed once per blob (and kept: gto.git.object_cache)."""
        blob = self.git.blob_id_at(commit, self.config.index)
        if blob is None:
            return {}
        if blob not in self._indexes:
            where = f"commit {commit[:7]}"
            read, name = self.git.read_blob, self.config.index
            self._indexes[blob] = cached_index(self.git.object_cache, blob, read, name, where)
        return self._indexes[blob]

    def worktree_index(self) -> dict[str, Annotation]:
        """artifacts.yaml as the user sees it: the work tree, else HEAD."""
        if self.git.workdir is None:
            head = self.git.head()
            if head is None:
                return {}
            self.prefetch([head])
            return self.index_at(head)
        text = self.git.read_worktree_file(self.config.index)
        if text is None:
            return {}
        cache = self.git.object_cache  # kept by the id it would have as a blob
        blob = "" if cache is None else cache.id_of(text)
        return cached_index(cache, blob, lambda _: text, self.config.index, "")

    def annotations_at(self, commit: str) -> Annotations:
        """artifacts.yaml over the commit's dvc.yaml files (gto.core.dvcyaml), each read once."""
        found = self._annotations.get(commit)
        if found is None:
            found = self._annotations[commit] = Annotations(
                index=lambda: self.index_at(commit),
                dvc_file=lambda folder: self._dvc_yaml_at(commit, folder),
                folders=lambda: self._dvc_folders_at(commit),
            )
        return found

    def _dvc_yaml_files(self, commit: str) -> list[tuple[str, str]]:
        """(path, blob id) of every dvc.yaml in a DVC project's commit; none elsewhere.

        Finding them means walking the whole tree, so only a commit whose root holds
        `.dvc/` or a `dvc.yaml` is searched: big repositories that do not use DVC pay
        nothing. Names still find the dvc.yaml of their folder in any repository.
        """
        if not self.git.path_exists_at(commit, ".dvc") and not self.git.blob_id_at(
            commit, DVC_YAML
        ):
            return []
        return self.git.files_named(commit, DVC_YAML)

    def _dvc_folders_at(self, commit: str) -> list[str]:
        return [posixpath.dirname(path) for path, _ in self._dvc_yaml_files(commit)]

    def _dvc_yaml_at(self, commit: str, folder: str) -> dict[str, Annotation]:
        blob = self.git.blob_id_at(commit, dvc_yaml_path(folder))
        if blob is None:
            return {}
        if (blob, folder) not in self._dvc_files:
            text = self.git.read_blob(blob)
            where = f"commit {commit[:7]}"
            self._dvc_files[(blob, folder)] = parse_dvc_yaml(text, folder, where=where)
        return self._dvc_files[(blob, folder)]

    def worktree_annotations(self) -> Annotations:
        """artifacts.yaml and the dvc.yaml files as the user sees them: the work tree, else HEAD.

        In a work tree gto reads the dvc.yaml files HEAD tracks, the root one and the one
        a name looked up points to; it does not search untracked folders.
        """
        head = self.git.head()
        if self.git.workdir is None:
            if head is None:
                return Annotations(dict, lambda folder: {}, list)
            self.prefetch([head])
            return self.annotations_at(head)

        def read(folder: str) -> dict[str, Annotation]:
            text = self.git.read_worktree_file(dvc_yaml_path(folder))
            return {} if text is None else parse_dvc_yaml(text, folder)

        def folders() -> list[str]:
            return ["", *([] if head is None else self._dvc_folders_at(head))]

        return Annotations(self.worktree_index, read, folders)

    def resolve(self, ref: str) -> str:
        """A revision -> commit id (a remote's cache fetches the history it needs).

        Raises:
            NoCommits: the repository has no commits yet, so no revision names one.
            RefNotFound: the revision names no commit.
        """
        try:
            return self.git.resolve(ref)
        except RefNotFound:
            if self.git.head() is None and not self.git.branch_heads():
                raise NoCommits(ref) from None
            raise

    @property
    def always_pushes(self) -> bool:
        """A remote has no other copy of what is written: its writes always push (reference, 6)."""
        return self.remote is not None

    def push(self, refspecs: Sequence[tuple[str | None, str]]) -> None:
        """Push to the remote whose cache this is, or to a local repository's `origin`."""
        destination = self.remote if self.remote is not None else _Origin(self.settings)
        destination.push(self.git, refspecs)

    def discovery_commits(self, all_branches: bool = False, all_commits: bool = False) -> list[str]:
        if all_commits:
            return self.git.reachable_commits(self.git.branch_heads())
        if all_branches:
            return self.git.branch_heads()
        head = self.git.head()
        return [] if head is None else [head]

    def tag_events(self, names: Iterable[str] | None = None) -> list[TagEvent]:
        """The events of the GTO tags among `names` (every tag by default)."""
        records = self.git.read_tags(self.git.tag_names() if names is None else names)
        events = (event_from_tag(r) for r in records)
        found = [e for e in events if e is not None]
        if not self.keep_tags:
            self.git.release_tags()  # the events hold what the registry needs
        return found

    def registry_events(self, artifact: str | None = None) -> list[TagEvent]:
        """The events of every tag, or of `artifact`'s only (no other tag object is read)."""
        names = None if artifact is None else self.git.tag_names(tag_prefixes(artifact))
        return self.tag_events(names)  # one artifact's: a bisection of packed-refs

    def registry(
        self,
        artifact: str | None = None,
        *,
        all_branches: bool = False,
        all_commits: bool = False,
        events: Iterable[TagEvent] | None = None,
        discovery: Sequence[str] | None = None,
    ) -> Registry:
        """Replay the registry; with `artifact`, only that artifact's tags are read.

        `discovery` (the commits whose artifacts.yaml counts) defaults to HEAD, or what
        `all_branches`/`all_commits` ask for; `--as-of` passes the commits of then.
        """
        if events is None:
            events = self.registry_events(artifact)
        events = [e for e in events if artifact is None or e.artifact == artifact]
        if discovery is None:
            discovery = self.discovery_commits(all_branches, all_commits)
        needed = {e.commit_hexsha for e in events if not isinstance(e, Deprecation)}
        needed.update(discovery)
        self.prefetch(needed)
        commits = {sha: self.git.read_commit(sha) for sha in needed}
        annotations = {sha: self.annotations_at(sha) for sha in needed}
        return replay(events, commits, annotations, discovery)


@dataclass(frozen=True)
class _Origin:
    """Where a local repository pushes: its `origin`, with the user's own transport settings."""

    settings: Settings

    def push(self, git: GitRepo, refspecs: Sequence[tuple[str | None, str]]) -> None:
        from gto.remote.transport import push_to_origin

        push_to_origin(git, refspecs, self.settings)


RepoLike = str | os.PathLike[str] | GitRepo | RepoSpec | Session | HasRootDir | HasPath


def is_local(repo: RepoLike) -> bool:
    """Whether `repo` is (or names) a repository on this machine, not a URL's cache."""
    if isinstance(repo, Session):
        return repo.remote is None
    if isinstance(repo, GitRepo):
        return True
    location = repo.location if isinstance(repo, RepoSpec) else repo_folder(repo)
    return not is_remote(location)


@contextmanager
def opened(
    repo: RepoLike,
    *,
    for_writing: bool = False,
    tags: Sequence[str] | None = None,
    keep_tags: bool = False,
) -> Iterator[Session]:
    """A Session for one call (`tags` as for `Session.open`, `keep_tags` as on Session),
    closed at the end unless the caller passed a Session in."""
    if isinstance(repo, Session):
        yield repo
        return
    session = Session.open(repo, for_writing=for_writing, tags=tags)
    session.keep_tags = keep_tags
    try:
        yield session
    except BaseException:
        session.close(failed=True)
        raise
    session.close()
