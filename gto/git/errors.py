"""Where dulwich's and the operating system's errors become GTOExceptions, in words.

Every module of gto.git catches the classes named here and raises what these
functions make, so each kind of failure reads the same wherever it happens: a read
names the object or file, a write names the part of the repository and its path
relative to the repository, a transfer says what to do next. The hot read paths
catch `READ_ERRORS` themselves (a `with` block per object would cost more than the
read), the rest wrap what they catch with these functions.
"""

from __future__ import annotations

import os
import zlib
from typing import Literal

from gto.exceptions import RepoError

__all__ = [
    "PARSE_ERRORS",
    "READ_ERRORS",
    "ObjectFormatChanged",
    "RefBusy",
    "TransferKind",
    "dulwich_errors",
    "open_error",
    "read_error",
    "relative",
    "transfer_errors",
    "transfer_kind",
    "unwritable",
    "write_error",
]

# What zlib and the OS raise for unreadable repository data (IndexError: a pack cut short).
READ_ERRORS: tuple[type[Exception], ...] = (OSError, ValueError, IndexError, zlib.error)
# What decoding a tag's or a commit's header may raise (a missing field, a bad time).
PARSE_ERRORS: tuple[type[Exception], ...] = (KeyError, ValueError, OverflowError, OSError)


def dulwich_errors() -> tuple[type[Exception], ...]:
    """The read errors plus dulwich's own (KeyError too), for the places that call dulwich.

    Imported here, not at the top: most commands never load dulwich at all. A caller
    to whom KeyError means "no such object" catches it first.
    """
    from dulwich.errors import ApplyDeltaError, ChecksumMismatch, ObjectFormatException
    from dulwich.repo import UnsupportedExtension, UnsupportedVersion

    return (
        *READ_ERRORS,
        KeyError,
        ApplyDeltaError,
        ChecksumMismatch,
        ObjectFormatException,
        UnsupportedExtension,
        UnsupportedVersion,
    )


class ObjectFormatChanged(Exception):
    """A remote's objects are named in another format than its cache's (it was made again):
    the cache is made again too. Never shown: gto.remote.source handles it."""


class RefBusy(RepoError):
    """A ref's lock file exists: another writer is at work, or one was killed while at it.

    `shared`: the lock is the whole ref store's (reftable), not one ref's.
    """

    def __init__(self, path: str, lock_path: str, *, shared: bool = False) -> None:
        super().__init__(
            f"Cannot lock '{path}': '{lock_path}' exists. If no other git process is running, "
            "remove that file and try again"
        )
        self.shared = shared


def read_error(what: str, error: object, *, verb: str = "read") -> RepoError:
    """`Cannot read object 4b825dc: [Errno 5] Input/output error`."""
    return RepoError(f"Cannot {verb} {what}: {error}")


def open_error(path: str | os.PathLike[str], error: object) -> RepoError:
    return RepoError(f"Cannot open the Git repo in '{path}': {error}")


def relative(root: str | os.PathLike[str], path: str) -> str:
    """`path` relative to the repository's root (its work tree, or itself when bare)."""
    shown = os.path.relpath(path, root)
    return path if shown.startswith("..") else shown


def write_error(root: str | os.PathLike[str], what: str, error: OSError) -> RepoError:
    """One line naming the part that cannot be written (objects, refs, a file) and where."""
    return RepoError(f"Cannot write {unwritable(root, what, error)}")


def unwritable(root: str | os.PathLike[str], what: str, error: OSError) -> str:
    """`objects to 'objects/72': Permission denied`: what cannot be written, where (in
    `root`) and why, for a sentence that starts with "cannot write"."""
    where = os.fsdecode(error.filename) if error.filename else os.fspath(root)
    return f"{what} to '{relative(root, where)}': {error.strerror or str(error)}"


# What went wrong in a transfer, as far as the exception's class tells.
TransferKind = Literal["unauthorized", "proxy-unauthorized", "not-found", "protocol", "os"]


def transfer_errors() -> tuple[type[Exception], ...]:
    """What a client's fetch or push raises when the server or the network fails."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized
    from dulwich.errors import GitProtocolError, NotGitRepository

    return (
        GitProtocolError,
        HTTPUnauthorized,
        HTTPProxyUnauthorized,
        NotGitRepository,
        OSError,
        ValueError,
    )


def transfer_kind(error: BaseException) -> TransferKind | None:
    """The kind of a transfer failure, or None for an exception that is not one (a bug)."""
    from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized
    from dulwich.errors import GitProtocolError, NotGitRepository

    if isinstance(error, HTTPUnauthorized):
        return "unauthorized"
    if isinstance(error, HTTPProxyUnauthorized):
        return "proxy-unauthorized"
    if isinstance(error, NotGitRepository):
        return "not-found"
    if isinstance(error, (GitProtocolError, ValueError, KeyError)):
        return "protocol"
    if isinstance(error, OSError):
        return "os"
    return None
