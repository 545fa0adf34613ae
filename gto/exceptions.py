"""One exception hierarchy: every error a user can cause is a GTOException.

Each carries the one-line message the CLI prints; anything that is not a
GTOException is a bug in gto and keeps its traceback.
"""

from __future__ import annotations


class GTOException(Exception):
    """Root of every error gto reports to a user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class NoRepo(GTOException):
    def __init__(self, path: str) -> None:
        super().__init__(f"No Git repo found in '{path}'")


class RefNotFound(GTOException):
    def __init__(self, ref: str) -> None:
        super().__init__(f"Ref '{ref}' was not found in the repository history")


class NoCommits(RefNotFound):
    """A repository whose history is empty: no ref can name a commit yet."""

    def __init__(self, ref: str) -> None:
        GTOException.__init__(
            self,
            f"Ref '{ref}' was not found: the repository has no commits yet; make a first commit",
        )


class ArtifactNotFound(GTOException):
    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot find artifact '{name}'")


class InvalidTagName(GTOException):
    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot parse tag name '{name}'")


class ValidationError(GTOException):
    """A name, stage, type or label that the grammar does not allow."""


class InvalidVersion(GTOException):
    """A version string that is not `v` + strict SemVer."""


class WrongArgs(GTOException):
    """A combination of options that cannot work together."""


class WrongConfig(GTOException):
    def __init__(self, path: str, reason: str = "") -> None:
        suffix = f": {reason}" if reason else ""
        super().__init__(f"Wrong config file '{path}'{suffix}")
        self.path = path


class WrongAnnotations(GTOException):
    """artifacts.yaml exists but is not a valid GTO annotation index."""


class RepoError(GTOException):
    """The repository could not be read (broken objects, locks, I/O)."""


class TagExists(GTOException):
    def __init__(self, tag: str) -> None:
        super().__init__(f"tag '{tag}' already exists")


class TagNotFound(GTOException):
    def __init__(self, tag: str) -> None:
        super().__init__(f"tag '{tag}' is not found")


class VersionAlreadyRegistered(GTOException):
    """Registering a version name that already exists."""


class VersionExistsForCommit(GTOException):
    """A second version of one artifact on one commit."""


class MultipleVersionsOnCommit(VersionExistsForCommit):
    """Two versions already on one commit: a stage tag there cannot be resolved."""

    def __init__(self, artifact: str, versions: list[str]) -> None:
        super().__init__(
            "Multiple versions are not allowed on the same Git commit. "
            f"Violation detected for artifact '{artifact}', versions '{versions}'."
        )


class VersionIsOld(GTOException):
    """A stage or version operation that the current state forbids."""


class IdentityNotFound(GTOException):
    """No tagger identity can be found for writing tags."""


class PushError(GTOException):
    """Pushing to the remote failed."""


class RemoteError(GTOException):
    """A remote repository could not be reached or read."""


class CIOutputError(GTOException):
    """CI outputs that cannot be written, or that do not fit the CI system's limits."""
