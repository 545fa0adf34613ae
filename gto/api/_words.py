"""Artifact names, versions, stages and GTO tags of a repository, for shell completion.

Only tag names (no tag objects), `.gto` and the work tree's `artifacts.yaml` are read,
so a TAB costs about what `gto --help` costs plus one scan of the refs.
"""

from __future__ import annotations

from gto.core.tags import Action, try_parse_tag
from gto.session import is_remote, opened

__all__ = ["registry_words"]


def registry_words(kind: str, repo: str, artifact: str | None) -> list[str]:
    """Sorted `artifacts`, `versions` (registered, of `artifact`), `stages` or `tags`.

    A remote `-r URL` gives nothing: a TAB never touches the network.
    """
    if is_remote(repo):
        return []
    with opened(repo) as session:
        names = session.git.tag_names()
        annotated = set(session.worktree_annotations()) if kind == "artifacts" else set()
        stages = session.config.stages if kind == "stages" else None
    parsed = [(name, tag) for name in names if (tag := try_parse_tag(name)) is not None]
    if kind == "tags":
        return [name for name, _ in parsed]
    if kind == "artifacts":
        return sorted({tag.artifact for _, tag in parsed} | annotated)
    if kind == "versions":
        return sorted(
            {
                tag.version
                for _, tag in parsed
                if tag.artifact == artifact and tag.action is Action.REGISTER and tag.version
            }
        )
    if kind == "stages":
        if stages is not None:
            return list(stages)
        return sorted({tag.stage for _, tag in parsed if tag.stage})
    return []
