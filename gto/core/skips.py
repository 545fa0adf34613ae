"""Why a tag is skipped: the reasons gto.git.tags gives, which `doctor` and `check-ref` tell
apart (a ref whose tag object bears another name is gto.core.tags' `renamed`)."""

from __future__ import annotations

LIGHTWEIGHT = "lightweight"  # a ref straight to a commit (or any object but a tag)
NOT_A_COMMIT = "not a commit"  # a tag of a tree or a blob


def not_a_commit(kind: str) -> str:
    """The reason for a tag that peels to a `kind` object other than a commit.

    >>> not_a_commit("tree")
    'not a commit: tree'
    """
    return f"{NOT_A_COMMIT}: {kind}"


def is_no_event(reason: str) -> bool:
    """Whether a tag skipped for `reason` is simply no GTO event (a lightweight tag, a tag of
    a tree or a blob: behaviour reference, Q24) rather than a damaged one.

    >>> [is_no_event(r) for r in (LIGHTWEIGHT, not_a_commit("blob"), "missing object")]
    [True, True, False]
    """
    return reason == LIGHTWEIGHT or reason.startswith(NOT_A_COMMIT)
