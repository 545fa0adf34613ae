"""One command's view of one repository: config, annotations and replay, each read once.

Every command, reading or writing, works through a Session so that `.gto` is
parsed once, each tag object is read once and each distinct artifacts.yaml or
dvc.yaml blob is parsed once per command. A Session also decides whether `-r` names a local
repository or a remote one; a remote is read through its cache (gto.remote), which
holds the tags and commits but only the blobs that were asked for, so the Session
asks for the blobs it is about to read first, all in one request.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from gto.core.annotations import Annotation, parse_index
from gto.core.config import Config, load_config
from gto.core.dvcyaml import DVC_YAML, Annotations, dvc_yaml_path, parse_dvc_yaml
from gto.core.events import Deprecation, TagEvent, event_from_tag
from gto.core.replay import replay
from gto.core.state import Registry
from gto.core.tags import tag_artifact
from gto.exceptions import NoCommits, RefNotFound
from gto.gitrepo import GitRepo

if TYPE_CHECKING:
    from gto.remote import Remote

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"[^@/:\s]+@[^@/:\s]+:\S+")  # user@host:path, as git and ssh spell it
# Revisions that can name a commit beyond a remote's cache: ancestry, or a commit id.
_HISTORY_REF = re.compile(r"[~^]|^[0-9a-fA-F]{4,40}$")


def is_remote(location: str) -> bool:
    """Whether `-r` names a remote: URL-like (`scheme://`, `user@host:path`), not a local path.

    >>> is_remote("https://example.com/org/repo"), is_remote("git@example.com:org/repo.git")
    (True, True)
    >>> is_remote("path/to/repo")
    False
    """
    if os.path.exists(location):
        return False
    return bool(_URL.match(location) or _SCP.fullmatch(location))


@dataclass(frozen=True)
class RepoSpec:
    """A repository path or URL plus how to reach it: `cache=False` is `--no-cache`."""

    location: str
    cache: bool = True


def _no_cache(environ: Mapping[str, str]) -> bool:
    return environ.get("GTO_NO_CACHE", "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class Session:
    """One command's view of one repository: config and annotation caches live here."""

    git: GitRepo
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    remote: Remote | None = None
    owns_git: bool = False  # opened by `open()`, so `close()` closes it
    _config: Config | None = None
    _indexes: dict[str, dict[str, Annotation]] = field(default_factory=dict)
    _dvc_files: dict[tuple[str, str], dict[str, Annotation]] = field(default_factory=dict)
    _annotations: dict[str, Annotations] = field(default_factory=dict)

    @classmethod
    def open(cls, repo: RepoLike, *, for_writing: bool = False) -> Session:
        """A Session on a path, a GitRepo, a URL (through its cache), or the Session itself.

        A scmrepo `Git` (what DVC holds) or a dulwich `Repo` is opened by its folder.

        A URL-like location that is not an existing path is remote: its cache is
        brought up to date first. `for_writing` keeps the cache locked until `close()`,
        so that no other call changes its refs between this command's reads and push.
        """
        if isinstance(repo, Session):
            return repo
        if isinstance(repo, GitRepo):
            return cls(repo)
        spec = repo if isinstance(repo, RepoSpec) else RepoSpec(_folder(repo))
        environ = dict(os.environ)
        if not is_remote(spec.location):
            return cls(GitRepo.open(spec.location), environ, owns_git=True)
        from gto.remote import Remote  # only remote repositories need it

        remote = Remote.open(
            spec.location,
            environ=environ,
            cache=spec.cache and not _no_cache(environ),
            hold_lock=for_writing,
        )
        try:
            git = GitRepo.open(remote.path)
        except BaseException:
            remote.close()
            raise
        return cls(git, environ, remote, owns_git=True)

    def close(self) -> None:
        """Release the repository this Session opened, and a remote's cache (lock, folder)."""
        if self.owns_git:
            self.git.close()
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
                if head is not None and self.remote is not None:  # HEAD's index comes along
                    self._fetch_files([(head, ".gto"), (head, self._guessed_index())])
                text = self.committed_file(head, ".gto")
            self._config = load_config(text, path=str(path.resolve()), environ=self.environ)
        return self._config

    def committed_file(self, commit: str | None, path: str) -> bytes | None:
        """The content of `path` in `commit`; None when there is no such file (or commit)."""
        if commit is None:
            return None
        blob = self.git.blob_id_at(commit, path)
        if blob is None:
            return None
        if self.remote is not None:
            self.remote.fetch_blobs([blob])
        return self.git.read_blob(blob)

    def prefetch(self, commits: Iterable[str]) -> None:
        """Fetch, in one request, the blobs that reading artifacts.yaml at `commits` needs.

        Only a remote's cache lacks blobs. Until `.gto` is read, the index file name is
        a guess (the environment's, else the default) and `.gto` at HEAD comes along;
        a `.gto` that names another index file costs a second request.
        """
        if self.remote is None:
            return
        commits = list(commits)
        dvc = [blob for commit in commits for _, blob in self._dvc_yaml_files(commit)]
        if self._config is None:
            head = self.git.head()
            files = [(commit, self._guessed_index()) for commit in commits]
            self._fetch_files(files if head is None else [(head, ".gto"), *files], dvc)
        self._fetch_files(((commit, self.config.index) for commit in commits), dvc)

    def _guessed_index(self) -> str:
        return load_config(None, path=".gto", environ=self.environ).index

    def _fetch_files(self, files: Iterable[tuple[str, str]], blobs: Iterable[str] = ()) -> None:
        """Fetch the blobs of these (commit, path) files, and `blobs`, that the cache lacks."""
        assert self.remote is not None
        found = (self.git.blob_id_at(commit, path) for commit, path in files)
        self.remote.fetch_blobs([*(blob for blob in found if blob is not None), *blobs])

    def index_at(self, commit: str) -> dict[str, Annotation]:
        """artifacts.yaml at a commit, parsed once per distinct blob."""
        blob = self.git.blob_id_at(commit, self.config.index)
        if blob is None:
            return {}
        if blob not in self._indexes:
            if self.remote is not None:
                self.remote.fetch_blobs([blob])
            text = self.git.read_blob(blob)
            self._indexes[blob] = parse_index(
                text, index_name=self.config.index, where=f"commit {commit[:7]}"
            )
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
        return {} if text is None else parse_index(text, index_name=self.config.index)

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
            if self.remote is not None:
                self.remote.fetch_blobs([blob])
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
        """A revision -> commit id; a remote's cache fetches the history for revisions beyond it.

        Only ancestry (`HEAD~2`) and commit ids can name what the cache lacks: it mirrors
        every tag and HEAD's branch already.
        """
        try:
            return self.git.resolve(ref)
        except RefNotFound:
            if self.git.head() is None and not self.git.branch_heads():
                raise NoCommits(ref) from None
            beyond = _HISTORY_REF.search(ref) is not None
            if self.remote is None or not beyond or not self.remote.deepen():
                raise
        return self.git.resolve(ref)

    def push(self, refspecs: Sequence[tuple[str | None, str]]) -> None:
        """Push to `origin`, or to the URL of a remote's cache (see gitwrite.push)."""
        from gto import gitwrite, transport

        if self.remote is not None:
            self.remote.push(self.git, refspecs)
            return
        config = self.git.dulwich_repo.get_config_stack()  # the user's own repository
        gitwrite.push(self.git, refspecs, connect=transport.connector(config, self.environ))

    def discovery_commits(self, all_branches: bool = False, all_commits: bool = False) -> list[str]:
        if all_commits:
            if self.remote is not None:
                self.remote.deepen()  # a clone walks the whole history, so does the cache
            return self.git.reachable_commits(self.git.branch_heads())
        if all_branches:
            return self.git.branch_heads()
        head = self.git.head()
        return [] if head is None else [head]

    def tag_events(self, keep: Callable[[str], bool] | None = None) -> list[TagEvent]:
        names = self.git.tag_names()
        if keep is not None:
            names = [n for n in names if keep(n)]
        events = (event_from_tag(r) for r in self.git.read_tags(names))
        return [e for e in events if e is not None]

    def registry(
        self,
        artifact: str | None = None,
        *,
        all_branches: bool = False,
        all_commits: bool = False,
        events: Iterable[TagEvent] | None = None,
    ) -> Registry:
        """Replay the registry; with `artifact`, only that artifact's tags are read."""
        if events is None:
            keep = None if artifact is None else (lambda n: tag_artifact(n) == artifact)
            events = self.tag_events(keep)
        events = [e for e in events if artifact is None or e.artifact == artifact]
        discovery = self.discovery_commits(all_branches, all_commits)
        needed = {e.commit_hexsha for e in events if not isinstance(e, Deprecation)}
        needed.update(discovery)
        self.prefetch(needed)
        commits = {sha: self.git.read_commit(sha) for sha in needed}
        annotations = {sha: self.annotations_at(sha) for sha in needed}
        return replay(events, commits, annotations, discovery)


class HasRootDir(Protocol):
    """scmrepo's `Git`, as DVC passes it: only its work-tree root is used."""

    @property
    def root_dir(self) -> str: ...


class HasPath(Protocol):
    """dulwich's `Repo`: only its path is used; gto reads the repository itself."""

    @property
    def path(self) -> str: ...


RepoLike = str | os.PathLike[str] | GitRepo | RepoSpec | Session | HasRootDir | HasPath


def _folder(repo: str | os.PathLike[str] | HasRootDir | HasPath) -> str:
    if isinstance(repo, (str, os.PathLike)):
        return os.fspath(repo)
    for attribute in ("root_dir", "path"):  # scmrepo's Git, dulwich's Repo
        folder = getattr(repo, attribute, None)
        if isinstance(folder, str):
            return folder
    raise TypeError(f"Cannot open a repository from {type(repo).__name__}: pass its path")


@contextmanager
def opened(repo: RepoLike, *, for_writing: bool = False) -> Iterator[Session]:
    """A Session for one call, closed at the end unless the caller passed a Session in."""
    if isinstance(repo, Session):
        yield repo
        return
    session = Session.open(repo, for_writing=for_writing)
    try:
        yield session
    except BaseException:
        # A read that failed inside a pack can leave views of its mapping in the traceback,
        # and closing now would fail: a local repository is released when it is collected.
        if session.remote is not None:
            session.close()
        raise
    session.close()
