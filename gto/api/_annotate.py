"""`annotate` and `remove`: change artifacts.yaml, and optionally commit and push it.

The file is written in the work tree. With `commit`, gto makes a commit that
changes only artifacts.yaml (index, work tree and branch stay consistent); in a
bare repository, where there is no work tree, committing is the only way.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
from gto.core.requests import WriteOptions
from gto.core.tags import check_artifact_name
from gto.exceptions import ArtifactNotFound, NoFile, WrongArgs
from gto.session import RepoLike, Session, opened

__all__ = ["AnnotationChange", "IndexChange", "annotate", "remove"]


@dataclass(frozen=True)
class IndexChange:
    """What `annotate`/`remove` did, for the CLI's messages."""

    annotation: Annotation | None
    commit: str | None = None
    pushed: bool = False
    changed: bool = True


@dataclass(frozen=True)
class AnnotationChange:
    """What `annotate` sets: fields given replace the entry's, labels are added."""

    type: str | None = None
    path: str | None = None
    must_exist: bool = False
    allow_same_path: bool = False
    labels: Iterable[str] = ()
    description: str = ""
    custom: object = None


def annotate(
    repo: RepoLike,
    name: str,
    change: AnnotationChange,
    *,
    commit: bool,
    options: WriteOptions,
) -> IndexChange:
    """Create or update an artifact's entry in artifacts.yaml (behaviour reference, 4.5)."""
    check_artifact_name(name)
    with opened(repo, for_writing=True) as session:
        if change.type:
            check_type(session.config, change.type)
        # The artifact's annotation so far may come from a dvc.yaml; it is written to
        # artifacts.yaml, whose entry wins from then on (gto never changes dvc.yaml).
        annotations = session.worktree_annotations()
        index = dict(annotations.index())
        updated = merge_annotation(
            annotations.get(name),
            type=change.type,
            path=change.path,
            must_exist=change.must_exist,
            labels=change.labels,
            description=change.description,
            custom=change.custom,
        )
        path = change.path
        if change.must_exist and path:
            head = session.git.head()
            if head is None or not session.git.path_exists_at(head, path):
                raise NoFile(path)
        if path and not change.allow_same_path:
            check_path_conflict(annotations, name, path)
        if index.get(name) == updated and _committed_so(session, name, updated, commit, options):
            return IndexChange(updated, changed=False)  # no rewrite (its comments stay)
        index[name] = updated
        message = commit_message_annotate(name, change.type, path)
        return _save(session, name, index, message, updated, commit=commit, options=options)


def _committed_so(
    session: Session, name: str, entry: Annotation, commit: bool, options: WriteOptions
) -> bool:
    """Whether a commit would hold nothing new: with `--commit`, the work tree's entry
    already so is not enough (a killed `--commit` leaves it so, and its re-run commits)."""
    if not (commit or options.push or session.always_pushes):
        return True
    head = session.git.head()
    return head is not None and session.index_at(head).get(name) == entry


def remove(repo: RepoLike, name: str, *, commit: bool, options: WriteOptions) -> IndexChange:
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
        message = commit_message_remove(name)
        return _save(session, name, index, message, None, commit=commit, options=options)


def _save(
    session: Session,
    name: str,
    index: dict[str, Annotation],
    message: str,
    annotation: Annotation | None,
    *,
    commit: bool,
    options: WriteOptions,
) -> IndexChange:
    from gto.git.transaction import Transaction  # reads never load the writing half
    from gto.git.write import write_worktree_file

    git = session.git
    push = options.push
    commit = commit or push
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
        write_worktree_file(git, filename, text)
        return IndexChange(annotation)
    # A work tree file that already holds the new text is what a killed `--commit` of
    # the same change leaves: committing it finishes that command's work.
    if git.workdir is not None and current not in (committed, text):
        raise WrongArgs(
            f"The command would have changed files that were not committed ({filename}), "
            "automated committing is not possible. "
            "Suggested action: Commit the changes and re-run this command."
        )
    transaction = Transaction(
        git, session.environ, author=options.author, author_email=options.author_email
    )
    # A committed link is followed: the file it leads to is what changes (gto.git.links).
    found = None if head is None else git.file_at(head, filename)
    sha = transaction.commit({filename if found is None else found[0]: text}, message, push=push)
    if not push:
        return IndexChange(annotation, sha)
    try:
        session.push(transaction.refspecs())
    except BaseException:
        transaction.rollback()  # a refused push leaves no commit behind
        raise
    return IndexChange(annotation, sha, pushed=True)
