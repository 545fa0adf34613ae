"""Why a tag is skipped: the reasons gto.git.tags gives, which `doctor` and `check-ref` tell
apart."""

from __future__ import annotations

LIGHTWEIGHT = "lightweight"  # a ref straight to a commit (or any object but a tag)
NOT_A_COMMIT = "not a commit"  # a tag of a tree or a blob
_RENAMED = "the tag object names"  # opens the reason a re-pointed ref is skipped


def not_a_commit(kind: str) -> str:
    """The reason for a tag that peels to a `kind` object other than a commit.

    >>> not_a_commit("tree")
    'not a commit: tree'
    """
    return f"{NOT_A_COMMIT}: {kind}"


def renamed(object_name: str, ref: str) -> str:
    """Why a ref whose tag object bears another name is no event (see gto.git.tags).

    >>> renamed("m#staging#1", "m#prod#2")
    "the tag object names 'm#staging#1', not the ref 'm#prod#2'"
    """
    return f"{_RENAMED} '{object_name}', not the ref '{ref}'"


def is_renamed(reason: str) -> bool:
    """Whether a tag was skipped as `renamed` says.

    >>> is_renamed(renamed("a#b#1", "a#b#2")), is_renamed(LIGHTWEIGHT)
    (True, False)
    """
    return reason.startswith(_RENAMED)


def is_no_event(reason: str) -> bool:
    """Whether a tag skipped for `reason` is simply no GTO event (a lightweight tag, a tag of
    a tree or a blob: behaviour reference, Q24) rather than a damaged one.

    >>> [is_no_event(r) for r in (LIGHTWEIGHT, not_a_commit("blob"), "missing object")]
    [True, True, False]
    """
    return reason == LIGHTWEIGHT or reason.startswith(NOT_A_COMMIT)
