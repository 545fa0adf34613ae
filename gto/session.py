"""One command's view of one repository: config, annotations and replay, each read once.

Every command, reading or writing, works through a Session so that `.gto` is
parsed once, each tag object is read once and each distinct artifacts.yaml blob
is parsed once per command.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from gto.annotations import Annotation, parse_index
from gto.config import Config, load_config
from gto.events import Deprecation, TagEvent, event_from_tag
from gto.gitrepo import GitRepo
from gto.replay import replay
from gto.state import Registry
from gto.tags import tag_artifact

RepoLike = str | os.PathLike[str] | GitRepo


@dataclass
class Session:
    """One command's view of one repository: config and annotation caches live here."""

    git: GitRepo
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _config: Config | None = None
    _indexes: dict[str, dict[str, Annotation]] = field(default_factory=dict)

    @classmethod
    def open(cls, repo: RepoLike) -> Session:
        return cls(repo if isinstance(repo, GitRepo) else GitRepo.open(repo))

    @property
    def config(self) -> Config:
        """`.gto` from the work tree (from HEAD in a bare repository), overridden by GTO_*."""
        if self._config is None:
            path = self.git.root / ".gto"
            if self.git.workdir is not None:
                text = self.git.read_worktree_file(".gto")
            else:
                text = self._committed(self.git.head(), ".gto")
            self._config = load_config(text, path=str(path.resolve()), environ=self.environ)
        return self._config

    def _committed(self, commit: str | None, path: str) -> bytes | None:
        if commit is None:
            return None
        blob = self.git.blob_id_at(commit, path)
        return None if blob is None else self.git.read_blob(blob)

    def index_at(self, commit: str) -> dict[str, Annotation]:
        """artifacts.yaml at a commit, parsed once per distinct blob."""
        blob = self.git.blob_id_at(commit, self.config.index)
        if blob is None:
            return {}
        if blob not in self._indexes:
            self._indexes[blob] = parse_index(self.git.read_blob(blob), index_name=self.config.index)
        return self._indexes[blob]

    def worktree_index(self) -> dict[str, Annotation]:
        """artifacts.yaml as the user sees it: the work tree, else HEAD."""
        if self.git.workdir is None:
            head = self.git.head()
            return {} if head is None else self.index_at(head)
        text = self.git.read_worktree_file(self.config.index)
        return {} if text is None else parse_index(text, index_name=self.config.index)

    def discovery_commits(self, all_branches: bool = False, all_commits: bool = False) -> list[str]:
        if all_commits:
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
        commits = {sha: self.git.read_commit(sha) for sha in needed}
        annotations = {sha: index for sha in needed if (index := self.index_at(sha))}
        return replay(events, commits, annotations, discovery)
