"""Artifact names, versions, stages and GTO tags of a repository, for shell completion.

Only tag names (no tag objects), `.gto` and the work tree's `artifacts.yaml` are read,
so a TAB costs about what `gto --help` costs plus one scan of the refs.
"""

from __future__ import annotations

from gto.core.tags import Action, try_parse_tag
from gto.session import Session, is_remote


def registry_words(kind: str, repo: str, artifact: str | None) -> list[str]:
    """Sorted `artifacts`, `versions` (registered, of `artifact`), `stages` or `tags`.

    A remote `-r URL` gives nothing: a TAB never touches the network.
    """
    if is_remote(repo):
        return []
    session = Session.open(repo)
    names = session.git.tag_names()
    parsed = [(name, tag) for name in names if (tag := try_parse_tag(name)) is not None]
    if kind == "tags":
        return [name for name, _ in parsed]
    if kind == "artifacts":
        return sorted({tag.artifact for _, tag in parsed} | set(session.worktree_annotations()))
    if kind == "versions":
        return sorted(
            {
                tag.version
                for _, tag in parsed
                if tag.artifact == artifact and tag.action is Action.REGISTER and tag.version
            }
        )
    if kind == "stages":
        if session.config.stages is not None:
            return list(session.config.stages)
        return sorted({tag.stage for _, tag in parsed if tag.stage})
    return []
