"""`--sign`: whether a write signs its tags, with which key, and what the rules will see.

Signing is on with `--sign` (`sign=True`), else GTO_SIGN, else `.gto`'s `sign: true`; the key
is `--signing-key PATH`, else GTO_SIGNING_KEY, else git's `user.signingkey` (with
`gpg.format=ssh`; `~/` is HOME, a relative path is relative to the repository). The key is
loaded before anything is written, so a missing package, a missing or encrypted key fails
in one line and leaves the repository as it was.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from gto.core.promotion import UNSIGNED, TagSignature
from gto.core.promotion_rules import PromotionRules
from gto.core.requests import Request, WriteOptions
from gto.exceptions import SigningKeyError, WrongArgs
from gto.session import Session
from gto.settings import now

if TYPE_CHECKING:
    from gto.trust.sshcrypto import SigningKey

__all__ = ["planned_signature", "signing_key"]

_NO_KEY = (
    "Signing needs a private key: pass --signing-key PATH, set GTO_SIGNING_KEY, or set git's "
    "user.signingkey with gpg.format=ssh"
)


def _key_path(session: Session, given: str | None) -> str:
    if given:
        return given
    env = session.settings.signing_key
    if env:
        return env
    from gto.api._trust import git_setting, user_path

    configured = git_setting(session, "user.signingkey")
    if not configured:
        raise SigningKeyError(_NO_KEY)
    kind = git_setting(session, "gpg.format") or "openpgp"
    if kind.lower() != "ssh":
        raise SigningKeyError(
            f"user.signingkey is for gpg.format={kind}; gto signs with SSH keys: "
            "set gpg.format=ssh, or pass --signing-key PATH"
        )
    if configured.startswith("key::"):
        return configured  # a literal key: load_signing_key says why it cannot be used
    return str(user_path(session, configured))


def _private(path: str) -> str:
    """git takes a public key (`.pub`) as the signing key when ssh-agent holds the private
    one; gto signs with the private key beside it, wherever the path came from."""
    if path.endswith(".pub") and os.path.isfile(path[: -len(".pub")]):
        return path[: -len(".pub")]
    return path


def signing_key(session: Session, options: WriteOptions, request: Request) -> SigningKey | None:
    """The key this write signs with, if it signs: loaded now, before anything is written.

    Raises:
        WrongArgs: `--sign` with `--delete`, which writes no tag object to sign.
        SigningUnavailable: the `cryptography` package (`gto[sign]`) is missing.
        SigningKeyError: no key, or one that cannot sign (encrypted, a public key...).
    """
    deleting = bool(getattr(request, "delete", False))
    if deleting:
        if options.sign:
            raise WrongArgs("Nothing to sign: --delete deletes tags and writes no tag object")
        return None
    wanted = options.sign
    if wanted is None:
        wanted = session.settings.sign
    if wanted is None:
        wanted = session.config.sign
    if not wanted:
        return None
    path = _private(_key_path(session, options.signing_key))
    from gto.trust.sshcrypto import load_signing_key  # the optional extra, only now

    return load_signing_key(path)


def planned_signature(
    session: Session, key: SigningKey | None, rules: PromotionRules
) -> TagSignature | None:
    """What the promotion rules will see of the tags about to be written: unsigned, or
    signed by the principal the allowed signers file gives the key (untrusted if none).
    None when no rule asks for signatures (nothing to look up)."""
    if not any(rules.rule_for(stage).signed for stage in rules.stages):
        return None
    if key is None:
        return UNSIGNED
    from gto.api._trust import load_trust, worktree_rules
    from gto.trust.allowed_signers import authorize, find_principals
    from gto.trust.sshsig import GIT_NAMESPACE

    trust = load_trust(session, worktree_rules(session), None).trust
    if key.public_key in trust.revoked:
        return TagSignature("revoked")
    if trust.allowed is None:
        return TagSignature("untrusted")
    when = int(now().timestamp())
    for principal in find_principals(trust.allowed, key.public_key, when):
        if authorize(trust.allowed, principal, key.public_key, GIT_NAMESPACE, when) is None:
            return TagSignature("good", principal)
    return TagSignature("untrusted")
