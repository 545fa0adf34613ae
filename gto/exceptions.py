"""One exception hierarchy: every error a user can cause is a GTOException.

Each carries the one-line message the CLI prints; anything that is not a
GTOException is a bug in gto and keeps its traceback.

Every class upstream GTO's `gto.exceptions` defines exists here under the same
name and takes the same constructor arguments, so code written against upstream
(`except gto.exceptions.UnknownStage`, DVC's `except ValidationError`) keeps
working. Where gto raises a more specific error than upstream, its class is a
subclass of the one upstream raises in that situation (VersionIsOld is a
WrongArgs, as upstream raises WrongArgs there).
"""

from __future__ import annotations

from collections.abc import Sequence


class GTOException(Exception):
    """Root of every error gto reports to a user; `message` (and upstream's `msg`) is its text."""

    def __init__(self, msg: str, *args: object) -> None:
        super().__init__(msg, *args)
        self.msg = msg
        self.message = msg

    def __str__(self) -> str:
        return self.message


# --- upstream's classes that carry the caller's text -------------------------------


class NotFound(GTOException):
    """Something asked for does not exist."""


class WrongArgs(GTOException):
    """A combination of options that cannot work together."""


class ValidationError(GTOException):
    """A name, stage, type or label that the grammar does not allow."""


class InvalidVersion(WrongArgs):
    """A version string that is not `v` + strict SemVer (a WrongArgs, as upstream raises both)."""


class AmbiguousArg(GTOException):
    """An argument that names more than one thing."""


class NotImplementedInGTO(GTOException):
    """A feature gto (like upstream) does not provide."""


# --- upstream's classes that format their own text ----------------------------------


class NoRepo(GTOException):
    def __init__(self, path: str) -> None:
        super().__init__(f"No Git repo found in '{path}'")


class WrongConfig(GTOException):
    def __init__(self, path: str, reason: str = "") -> None:
        suffix = f": {reason}" if reason else ""
        super().__init__(f"Wrong config file '{path}'{suffix}")
        self.path = path


class WrongAnnotations(GTOException):
    """An annotation file (artifacts.yaml, the `artifacts:` of a dvc.yaml) gto cannot read."""


class WrongArtifactsYaml(WrongAnnotations):
    """artifacts.yaml (or the file `.gto` names as the index) is not a GTO index."""

    def __init__(self, index_name: str = "artifacts.yaml", detail: str = "") -> None:
        super().__init__(f"{index_name} file doesn't conform to GTO format{detail}")


class InvalidNameInIndex(WrongArtifactsYaml, ValidationError):
    """An artifact name in artifacts.yaml that the grammar forbids: upstream's class
    (ValidationError), with the file and commit named."""


class WrongDvcYaml(WrongAnnotations):
    """The `artifacts:` section of a dvc.yaml does not fit DVC's format."""

    def __init__(self, path: str, reason: str, where: str = "") -> None:
        place = f" ({where})" if where else ""
        super().__init__(f"{path}: 'artifacts' doesn't conform to DVC's format{place}: {reason}")


class UnreadableDvcYaml(WrongAnnotations):
    """A dvc.yaml with an `artifacts:` line that is not YAML gto reads (syntax, size)."""

    def __init__(self, path: str, problem: str, where: str, reason: str) -> None:
        place = f" ({where})" if where else ""
        super().__init__(f"{path} {problem}{place}: {reason}")


class NoFile(WrongArgs):
    def __init__(self, path: str) -> None:
        super().__init__(f"Nothing found in '{path}' for checked out commit")


class UnknownType(ValidationError):
    def __init__(self, type: str, types: Sequence[str]) -> None:
        super().__init__(f"Allowed types are: '{list(types)}'")


class UnknownStage(ValidationError):
    def __init__(self, stage: str, stages: Sequence[str]) -> None:
        super().__init__(f"Allowed stages are: '{list(stages)}'")


class ArtifactExists(GTOException):
    def __init__(self, name: str) -> None:
        super().__init__(f"Enrichment for '{name}' already exists")


class ArtifactNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"Cannot find artifact '{name}'")


class PathIsUsed(ValidationError):
    """An artifact path that overlaps another artifact's (gto names the other one)."""

    def __init__(self, type: str | None, name: str, path: str) -> None:
        super().__init__(f"Provided path conflicts with '{path}' ('{type}' '{name}')")


class VersionRequired(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"No versions found for '{name}'")


class VersionNotFound(VersionRequired):
    """A named version that the artifact does not have (upstream: VersionRequired)."""

    def __init__(self, name: str, version: str) -> None:
        GTOException.__init__(self, f"Version '{version}' of artifact '{name}' is not found")


class VersionAlreadyRegistered(GTOException):
    def __init__(self, version: str) -> None:
        super().__init__(f"Version '{version}' already was registered.")


class VersionExistsForCommit(GTOException):
    def __init__(self, model: str, version: str) -> None:
        super().__init__(f"'{model}' is already registered in this commit with version '{version}'")


class ManyVersions(VersionExistsForCommit):
    """Two versions already on one commit: a stage tag there cannot be resolved."""

    def __init__(self, name: str, versions: Sequence[str]) -> None:
        GTOException.__init__(
            self,
            "Multiple versions are not allowed on the same Git commit. "
            f"Violation detected for artifact '{name}', versions '{list(versions)}'.",
        )


MultipleVersionsOnCommit = ManyVersions  # gto's earlier name


class NoActiveAssignment(GTOException):
    def __init__(self, stage: str, name: str) -> None:
        super().__init__(f"No version in stage '{stage}' was found for '{name}'")


class NoStageForVersion(GTOException):
    def __init__(self, artifact: str, version: str, stage: str) -> None:
        super().__init__(f"The artifact '{artifact}' version '{version}' is not in stage '{stage}'")


class RefNotFound(NotFound):
    def __init__(self, ref: str) -> None:
        super().__init__(f"Ref '{ref}' was not found in the repository history")


class NoCommits(RefNotFound):
    """A repository whose history is empty: no ref can name a commit yet."""

    def __init__(self, ref: str) -> None:
        GTOException.__init__(
            self,
            f"Ref '{ref}' was not found: the repository has no commits yet; make a first commit",
        )


class IncomparableVersions(GTOException):
    def __init__(self, this: str, that: str) -> None:
        super().__init__(
            f"You can compare only versions of the same system, but not '{this}' and '{that}'"
        )


class UnknownAction(GTOException):
    def __init__(self, action: str) -> None:
        super().__init__(f"Unknown action '{action}' was requested")


class MissingArg(GTOException):
    def __init__(self, arg: str) -> None:
        super().__init__(f"'{arg}' is required")


class InvalidTagName(GTOException):
    def __init__(self, tag: str) -> None:
        super().__init__(f"Cannot parse tag name '{tag}'")


class TagExists(GTOException):
    def __init__(self, name: str) -> None:
        super().__init__(f"tag '{name}' already exists")


class TagNotFound(NotFound):
    def __init__(self, name: str) -> None:
        super().__init__(f"tag '{name}' is not found")


# --- gto's own ----------------------------------------------------------------------


class VersionIsOld(WrongArgs):
    """A stage or version operation that the current state forbids (upstream: WrongArgs)."""


class RepoError(GTOException):
    """The repository could not be read (broken objects, locks, I/O)."""


class ShallowHistory(RepoError):
    """A walk back in time reached a shallow clone's boundary: the answer would be a guess."""

    def __init__(self, commit: str, committed: str) -> None:
        super().__init__(
            f"The history is cut at the shallow clone's boundary (commit {commit[:7]}, "
            f"{committed}): what came before is not in this clone; fetch it with "
            "`git fetch --unshallow`"
        )


class IdentityNotFound(GTOException):
    """No tagger identity can be found for writing tags."""


class PushError(GTOException):
    """Pushing to the remote failed."""


class RemoteError(GTOException):
    """A remote repository could not be reached or read."""


class CIOutputError(GTOException):
    """CI outputs that cannot be written, or that do not fit the CI system's limits."""


# --- audit, signatures and promotion rules (issue 11) -------------------------------


class WrongDate(WrongArgs):
    """A WHEN (`--as-of`, `gto diff`) that names no moment gto can read."""


class UnknownDateForm(WrongDate):
    """Text in none of the date forms: the caller may still read it as a ref."""

    def __init__(self, text: str, *, ref_tried: bool = False) -> None:
        what = "a date or a ref" if ref_tried else "a date"
        examples = "2024-03-03, 2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'"
        super().__init__(f"Cannot read {text!r} as {what}; use a date such as {examples}")


class WrongPromotionRules(ValidationError):
    """A `promotion:` entry that does not fit the schema; the message names the field."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.field = where


class PromotionRefused(GTOException):
    """`assign` or an unassignment would break a promotion rule; `rules` are their fields."""

    def __init__(self, message: str, rules: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.rules = tuple(rules)


class NoRulesRef(WrongArgs):
    """No ref to read promotion rules and signers from: HEAD is detached (a CI checkout of a
    tag, whose commit its pusher chose) and the clone records no origin/HEAD."""

    def __init__(self) -> None:
        super().__init__(
            "HEAD is detached and there is no origin/HEAD, so no branch says which promotion "
            "rules and signers to trust: name it with --rules-ref (e.g. --rules-ref origin/main), "
            "or --rules-ref HEAD to trust the checked-out commit's .gto"
        )


class VerificationFailed(GTOException):
    """`check-ref --verify`: a bad or untrusted signature, or a tag that breaks a rule."""


class SigningError(GTOException):
    """Something about signing or verifying signatures that the user has to fix."""


class SignatureFormatError(SigningError):
    """Text or bytes that should be an SSH key, SSH signature or armor, and are not."""


class UnsupportedSignature(SigningError):
    """A well-formed signature or key of a kind gto does not verify."""


class SigningKeyError(SigningError):
    """A private key file that cannot sign: unreadable, encrypted, or of an unsupported kind."""


class SigningUnavailable(SigningError):
    """The optional `cryptography` package is not installed (`pip install 'gto[sign]'`)."""

    def __init__(self, action: str) -> None:
        super().__init__(f"{action} needs the 'cryptography' package: pip install 'gto[sign]'")


class TrustFileError(SigningError):
    """An allowed signers or revocation file that cannot be used at all."""
