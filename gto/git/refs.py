"""Refs: the one ref-name rule, and the interface every ref backend offers.

git stores refs in a backend: the "files" one (loose files plus `packed-refs`,
gto.git.refs_files) or reftable (gto.git.refs_reftable), as the repository's
`extensions.refStorage` says (gto.git.repoformat). Both implement `RefStore`;
nothing outside gto.git sees which backend a repository uses.
"""

from __future__ import annotations

import re
from typing import Protocol

from gto.exceptions import GTOException, InvalidTagName
from gto.git.discover import Layout

__all__ = [
    "MAX_REF_PART",
    "TAGS",
    "RefStore",
    "UnstorableTagName",
    "check_tag_name",
    "is_ref_name",
    "open_refs",
    "ref_problem",
]

TAGS = "refs/tags/"
# The longest part of a ref name between '/': file systems allow 255 bytes per name,
# and a ref update also needs room for `<part>.lock`.
MAX_REF_PART = 250

# git-check-ref-format's rule, one line per thing it forbids, with the words a user
# reads when a name breaks it (in the order they are reported).
_BAD_CHARS = r"\x00-\x20\x7f~^:?*\[\\"
_RULE = (
    (rf"[{_BAD_CHARS}]", "the character {!r}"),
    (r"@\{", "'@{{'"),
    (r"\.\.", "'..'"),
    (r"//", "'//'"),
    (r"^/", "a leading '/'"),
    (r"/\Z", "a trailing '/'"),
    (r"\.\Z", "a trailing '.'"),
    (r"(?:^|/)\.", "a part starting with '.'"),
    (r"\.lock(?:/|\Z)", "a part ending with '.lock'"),
)
_BAD_REF = re.compile("|".join(pattern for pattern, _ in _RULE).encode())
# In names typed by a user, surrogates stand for bytes that are not UTF-8: refused too.
_WORDED = [
    (re.compile(rf"[{_BAD_CHARS}\ud800-\udfff]"), _RULE[0][1]),
    *((re.compile(pattern), words) for pattern, words in _RULE[1:]),
]


def is_ref_name(ref: bytes) -> bool:
    """Whether git would accept `ref` as a ref name (b"refs/tags/x", not a bare b"x").

    >>> is_ref_name(b"refs/tags/churn@v1.0.0"), is_ref_name(b"refs/tags/x.lock")
    (True, False)
    """
    return b"/" in ref and _BAD_REF.search(ref) is None


def ref_problem(name: str) -> str | None:
    """What git's rule refuses in the ref (part) `name`, in words; None if nothing.

    >>> ref_problem("../x=m@v1.0.0")
    "'..'"
    """
    if not name:
        return "an empty name"
    for pattern, words in _WORDED:
        found = pattern.search(name)
        if found is not None:
            return words.format(found[0])
    if any(len(p.encode("utf-8", "surrogatepass")) > MAX_REF_PART for p in name.split("/")):
        return f"more than {MAX_REF_PART} bytes between two '/'"
    return None


class UnstorableTagName(InvalidTagName):
    """A tag name that git cannot store as a ref; refused before anything is written."""

    def __init__(self, name: str, reason: str) -> None:
        GTOException.__init__(
            self, f"Cannot create tag '{name}': Git does not allow {reason} in a tag name"
        )


def check_tag_name(name: str) -> str:
    """The ref of tag `name` (`refs/tags/<name>`), once git's rules allow it.

    Raises:
        UnstorableTagName: the name breaks git's ref name rules or is too long.
    """
    problem = ref_problem(name)
    if problem is not None:
        raise UnstorableTagName(name, problem)
    return f"{TAGS}{name}"


class RefStore(Protocol):
    """Reading (cached, forgiving) and updating (under locks, strict) a repository's refs.

    `shared_lock`: every update takes one lock of the whole store (reftable), rather than
    one per ref (loose files).
    """

    shared_lock: bool

    def refresh(self) -> None:
        """Forget what was read, so the next read sees other writers' changes."""

    def get(self, ref: bytes) -> str | None:
        """The object a ref points to, symbolic refs followed; None if missing or broken."""

    def under(self, prefix: bytes) -> dict[bytes, str | None]:
        """Every ref whose name starts with `prefix` -> object id (None: a broken ref)."""

    def names_under(self, base: bytes, prefix: bytes = b"") -> dict[str, str | None]:
        """`under(base + prefix)`, each name as text after `base` (UTF-8, errors replaced).

        For the tags of a big registry: no bytes name is made per ref on the way.
        """

    def symbolic(self, ref: bytes) -> bytes | None:
        """Where the symbolic ref `ref` (HEAD) leads; None when it holds an object id."""

    def read(self, ref: str) -> str | None:
        """The object id `ref` holds now (not symbolic), read afresh for an update."""

    def exists(self, ref: str) -> bool:
        """Whether anything occupies the name `ref` (a ref, or a lock file in its place)."""

    def locked(self, ref: str) -> str | None:
        """The lock file that stops an update of `ref` now, or None."""

    def prepare(self, ref: str) -> None:
        """Whatever creating `ref` needs first (its folders), before objects are written."""

    def create(self, ref: str, oid: str, peeled: str | None = None) -> bool:
        """Create `ref` pointing at `oid` unless it exists; False if it does.

        `peeled` is the commit an annotated tag `oid` peels to, for a backend that
        stores it (reftable; loose refs have no place for it).
        """

    def update(self, ref: str, old: str | None, new: str) -> bool:
        """Point `ref` (a branch, or HEAD) at `new` if it holds `old` now (None: absent)."""

    def delete(self, ref: str, old: str) -> bool:
        """Delete `ref` if it holds `old`; False if it holds something else."""

    def path(self, ref: str) -> str:
        """Where `ref` is stored, for messages."""


def open_refs(layout: Layout) -> RefStore:
    """The ref backend of a repository: loose files and packed-refs, or reftable."""
    if layout.format.ref_storage == "reftable":
        from gto.git.refs_reftable import ReftableRefs

        return ReftableRefs(layout)
    from gto.git.refs_files import FilesRefs

    return FilesRefs(layout)
