"""Whose signature a tag carries and which rules it must keep, read from a source you trust.

A tag points at a commit its pusher chose, whose `.gto` may say anything: so checks of
existing tags (`check-ref --verify`, `show`/`history --verify`, `doctor`) read `.gto`'s
`promotion`, `allowed_signers` and `revoked_signers` from the rules ref: `--rules-ref REF`,
by default the remote's default branch as a clone records it (`origin/HEAD`), else HEAD.
Writes check the work tree's `.gto`, the one its user edits. Who may sign comes, first
found, from `--allowed-signers PATH`, GTO_ALLOWED_SIGNERS, `.gto`'s `allowed_signers` (a
file at that source) or git's `gpg.ssh.allowedSignersFile`; revoked keys from `.gto`'s
`revoked_signers` and git's `gpg.ssh.revocationFile`, both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from gto.api._options import Verify
from gto.core.config import Config, load_config
from gto.core.events import TagEvent
from gto.core.state import Registry
from gto.exceptions import NoCommits, NoRulesRef, TrustFileError
from gto.git.config import setting
from gto.session import Session
from gto.settings import now
from gto.trust.allowed_signers import AllowedSigners, parse_allowed_signers, parse_revoked_keys
from gto.trust.sshkeys import PublicKey
from gto.trust.verify import UNSIGNED, SignatureCheck, Trust, verify_signed

__all__ = [
    "DEFAULT_RULES_REF",
    "RuleSource",
    "TrustSetup",
    "check_signatures",
    "default_rules_ref",
    "git_setting",
    "load_trust",
    "registry_signatures",
    "rules_at",
    "signature_json",
    "user_path",
    "worktree_rules",
]

DEFAULT_RULES_REF = "origin/HEAD"


@dataclass(frozen=True)
class RuleSource:
    """`.gto` as read at one source, and how to read the files it names there."""

    config: Config
    read: Callable[[str], bytes | None]
    name: str  # in messages: `origin/HEAD`, `HEAD`, `the work tree`


def default_rules_ref(session: Session) -> str:
    """`origin/HEAD` when the clone records it, else HEAD when it is on a branch.

    Raises:
        NoRulesRef: HEAD is detached (a CI checkout of a tag): nothing to trust by default.
    """
    if session.git.ref("refs/remotes/origin/HEAD"):
        return DEFAULT_RULES_REF
    if session.git.current_branch() is None:
        raise NoRulesRef()
    return "HEAD"


def rules_at(session: Session, ref: str | None) -> RuleSource:
    """`.gto` (overridden by GTO_*, as always) at `ref`, by default `default_rules_ref`.
    An empty repository has no rules but the environment's.

    Raises:
        NoRulesRef: no `ref`, and no default to trust.
        RefNotFound: `ref` names no commit.
        WrongConfig: that `.gto` is broken (the message names `REF:.gto`).
    """
    if ref is None:
        ref = default_rules_ref(session)
    try:
        commit: str | None = session.resolve(ref)
    except NoCommits:
        commit = None
    text = session.committed_file(commit, ".gto")
    config = load_config(text, path=f"{ref}:.gto", environ=session.environ)
    return RuleSource(config, lambda path: session.committed_file(commit, path), ref)


def worktree_rules(session: Session) -> RuleSource:
    """`.gto` as writes read it: the work tree's (HEAD's in a bare repository)."""

    def read(path: str) -> bytes | None:
        if session.git.workdir is not None:
            return session.git.read_worktree_file(path)
        return session.committed_file(session.git.head(), path)

    return RuleSource(session.config, read, "the work tree")


@dataclass(frozen=True)
class TrustSetup:
    """Who may sign, and where that was read (`allowed_file` None: no file is configured)."""

    trust: Trust
    allowed_file: str | None = None

    @property
    def problems(self) -> list[str]:
        """Lines of the allowed signers file that ssh-keygen (and so gto) skips."""
        allowed = self.trust.allowed
        if allowed is None:
            return []
        return [f"{self.allowed_file} line {p.line}: {p.reason}" for p in allowed.problems]


def user_path(session: Session, value: str) -> Path:
    """A path from git's config: `~/` is HOME (git expands it), relative to the repository."""
    if value.startswith("~/") or value == "~":
        home = session.environ.get("HOME", "")
        value = os.path.join(home, value[2:]) if home else value
    return session.git.root / value


def _read_file(path: str | os.PathLike[str], what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise TrustFileError(f"Cannot read {what} '{os.fspath(path)}': {e.strerror}") from None


def git_setting(session: Session, name: str) -> str | None:
    # A remote's cache has gto's own config: only the user's and the system's count there.
    repo = session.git if session.remote is None else None
    return setting(session.environ, repo, name)


def _in_source(source: RuleSource, path: str, what: str) -> bytes:
    data = source.read(path)
    if data is None:
        raise TrustFileError(f"The {what} file '{path}' named in .gto is not in {source.name}")
    return data


def _allowed(session: Session, source: RuleSource, given: str | None) -> tuple[bytes, str] | None:
    if given:
        return _read_file(given, "allowed signers file"), given
    env = session.settings.allowed_signers
    if env:
        return _read_file(env, "allowed signers file (GTO_ALLOWED_SIGNERS)"), env
    named = source.config.allowed_signers
    if named:
        return _in_source(source, named, "allowed_signers"), f"{source.name}:{named}"
    configured = git_setting(session, "gpg.ssh.allowedSignersFile")
    if configured:
        path = user_path(session, configured)
        return _read_file(path, "gpg.ssh.allowedSignersFile"), str(path)
    return None


def _revoked(session: Session, source: RuleSource) -> frozenset[PublicKey]:
    keys: set[PublicKey] = set()
    named = source.config.revoked_signers
    if named:
        data = _in_source(source, named, "revoked_signers")
        keys |= parse_revoked_keys(data, f"{source.name}:{named}")
    configured = git_setting(session, "gpg.ssh.revocationFile")
    if configured:
        path = user_path(session, configured)
        keys |= parse_revoked_keys(_read_file(path, "gpg.ssh.revocationFile"), str(path))
    return frozenset(keys)


def load_trust(session: Session, source: RuleSource, allowed_signers: str | None) -> TrustSetup:
    """The allowed signers and revoked keys that count for `source` (module docstring).

    Raises:
        TrustFileError: a file that is named but cannot be read, or a bad revocation list.
    """
    found = _allowed(session, source, allowed_signers)
    allowed: AllowedSigners | None = None
    if found is not None:
        try:
            text = found[0].decode("utf-8")
        except UnicodeDecodeError:
            raise TrustFileError(f"Allowed signers file '{found[1]}' is not text") from None
        allowed = parse_allowed_signers(text)
    return TrustSetup(
        Trust(allowed, _revoked(session, source)), None if found is None else found[1]
    )


def check_signatures(
    session: Session, tags: Iterable[str], trust: Trust
) -> dict[str, SignatureCheck]:
    """Each tag's signature checked as `git tag -v` checks it (tag objects are read once).

    Raises:
        SigningUnavailable: an SSH-signed tag, and no `cryptography` (`gto[sign]`).
    """
    names = list(dict.fromkeys(tags))
    signed = session.git.tag_signatures(names)
    moment = int(now().timestamp())  # for tags without a tagger only, as git does
    return {
        name: verify_signed(signed[name], trust, moment, name) if name in signed else UNSIGNED
        for name in names
    }


def signature_json(check: SignatureCheck | None) -> dict[str, Any] | None:
    """`{"signed", "format", "key_type", "fingerprint", "principal", "status", "reason"}`."""
    return None if check is None else asdict(check)


def registry_signatures(
    session: Session, registry: Registry, verify: Verify
) -> dict[str, dict[str, Any] | None]:
    """`--verify` for show and history: every tag of `registry`, its signature's JSON fields."""
    setup = load_trust(session, rules_at(session, verify.rules_ref), verify.allowed_signers)
    tags = [
        e.tag
        for artifact in registry.artifacts.values()
        for e in artifact.events()
        if isinstance(e, TagEvent)
    ]
    checks = check_signatures(session, tags, setup.trust)
    return {tag: signature_json(check) for tag, check in checks.items()}
