"""`annotate` and `remove`: change artifacts.yaml, and optionally commit and push it.

The file is written in the work tree. With `commit`, gto makes a commit that
changes only artifacts.yaml (index, work tree and branch stay consistent); in a
bare repository, where there is no work tree, committing is the only way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from gto.core.annotations import (
    Annotation,
    check_path_conflict,
    commit_message_annotate,
    commit_message_remove,
    update_index_text,
)
from gto.core.annotations import (
    annotate as merge_annotation,
)
from gto.core.config import check_type
from gto.core.dvcyaml import dvc_folder, dvc_yaml_path
from gto.core.tags import check_artifact_name
from gto.exceptions import ArtifactNotFound, GTOException, NoFile, RepoError, WrongArgs
from gto.git import files, identity, write
from gto.session import RepoLike, Session, opened


@dataclass(frozen=True)
class IndexChange:
    """What `annotate`/`remove` did, for the CLI's messages."""

    annotation: Annotation | None
    commit: str | None = None
    pushed: bool = False


def annotate(
    repo: RepoLike,
    name: str,
    type: str | None = None,
    path: str | None = None,
    must_exist: bool = False,
    allow_same_path: bool = False,
    labels: Iterable[str] | None = None,
    description: str = "",
    custom: Any = None,
    commit: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
) -> IndexChange:
    """Create or update an artifact's entry in artifacts.yaml (behaviour reference, 4.5)."""
    check_artifact_name(name)
    with opened(repo, for_writing=True) as session:
        if type:
            check_type(session.config, type)
        # The artifact's annotation so far may come from a dvc.yaml; it is written to
        # artifacts.yaml, whose entry wins from then on (gto never changes dvc.yaml).
        annotations = session.worktree_annotations()
        index = dict(annotations.index())
        updated = merge_annotation(
            annotations.get(name),
            type=type,
            path=path,
            must_exist=must_exist,
            labels=labels or (),
            description=description,
            custom=custom,
        )
        if must_exist and path:
            head = session.git.head()
            if head is None or not session.git.path_exists_at(head, path):
                raise NoFile(path)
        if path and not allow_same_path:
            check_path_conflict(annotations, name, path)
        index[name] = updated
        return _save(
            session,
            name,
            index,
            commit_message_annotate(name, type, path),
            updated,
            commit=commit or push,
            push=push,
            author=author,
            author_email=author_email,
        )


def remove(
    repo: RepoLike,
    name: str,
    commit: bool = False,
    push: bool = False,
    author: str | None = None,
    author_email: str | None = None,
) -> IndexChange:
    """Drop an artifact's entry from artifacts.yaml; its tags are left alone."""
    with opened(repo, for_writing=True) as session:
        annotations = session.worktree_annotations()
        index = dict(annotations.index())
        if name not in index:
            if name in annotations:
                raise WrongArgs(
                    f"'{name}' is annotated in {dvc_yaml_path(dvc_folder(name) or '')}, "
                    "which gto does not change: edit that file"
                )
            raise ArtifactNotFound(name)
        del index[name]
        return _save(
            session,
            name,
            index,
            commit_message_remove(name),
            None,
            commit=commit or push,
            push=push,
            author=author,
            author_email=author_email,
        )


def _save(
    session: Session,
    name: str,
    index: dict[str, Annotation],
    message: str,
    annotation: Annotation | None,
    *,
    commit: bool,
    push: bool,
    author: str | None,
    author_email: str | None,
) -> IndexChange:
    git = session.git
    filename = session.config.index
    head = git.head()
    committed = session.committed_file(head, filename)
    current = git.read_worktree_file(filename) if git.workdir is not None else committed
    text = update_index_text(
        None if current is None else current.decode("utf-8", "replace"), index, name
    ).encode()
    if session.always_pushes:
        commit = push = True  # a remote has no work tree, and its writes push (reference, 6)
    if not commit:
        if git.workdir is None:
            raise WrongArgs(
                f"A bare repository has no work tree to write {filename} to: use --commit"
            )
        try:
            files.write_atomically(str(git.worktree_path(filename)), text)
        except OSError as e:
            raise RepoError(f"Cannot write '{filename}': {e.strerror or e}") from e
        return IndexChange(annotation)
    # A work tree file that already holds the new text is what a killed `--commit` of
    # the same change leaves: committing it finishes that command's work.
    if git.workdir is not None and current not in (committed, text):
        raise WrongArgs(
            f"The command would have changed files that were not committed ({filename}), "
            "automated committing is not possible. "
            "Suggested action: Commit the changes and re-run this command."
        )
    # Checked before committing, so a refused push leaves no commit behind.
    branch = git.current_branch() if push else None
    if push and branch is None:
        raise WrongArgs("Cannot push a commit made on a detached HEAD; check out a branch")
    who = identity.writer(git, session.environ, author, author_email)
    sha = write.commit_files(git, {filename: text}, message, who, identity.now(session.environ))
    if branch is None:
        return IndexChange(annotation, sha)
    try:
        session.push([(branch, branch)])
    except GTOException:
        write.undo_commit(git, sha, [filename])
        raise
    return IndexChange(annotation, sha, pushed=True)
