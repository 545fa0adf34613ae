"""Verify a tag object's signature the way `git tag -v` does with gpg.format=ssh.

The answer is a SignatureCheck: one status among good / bad / untrusted / revoked / expired /
unsupported / unsigned, and a one-line reason. git's own checks, in order: the signature must
be an SSHSIG for namespace "git" whose key signed this payload (else bad); the key must not be
in the revocation list (revoked); the allowed signers file must name a principal for the key
at the tagger time (else expired, when a line for the key exists but its window excludes that
time, or untrusted), and that principal's line must allow namespace "git" (else untrusted).
git says "bad" for a revoked key and "no principal" for an expired one: gto names the cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gto.core.skips import renamed
from gto.exceptions import SignatureFormatError, UnsupportedSignature
from gto.git.signature import (
    SignatureFormat,
    SignedObject,
    header_value,
    split_signature,
    tagger_timestamp,
)
from gto.trust.allowed_signers import (
    AllowedSigners,
    authorize,
    find_principals,
    window_problem,
)
from gto.trust.openpgp import read_openpgp_issuer
from gto.trust.sshkeys import PublicKey
from gto.trust.sshsig import GIT_NAMESPACE, HASH_ALGORITHMS, SshSignature, dearmor, decode_sshsig

Status = Literal["good", "bad", "untrusted", "revoked", "expired", "unsupported", "unsigned"]


@dataclass(frozen=True)
class SignatureCheck:
    """What a tag's signature proves. `principal` is set only when the status is good."""

    signed: bool
    format: SignatureFormat | None
    key_type: str | None
    fingerprint: str | None
    principal: str | None
    status: Status
    reason: str


@dataclass(frozen=True)
class Trust:
    """Who may sign: the allowed signers file (None when none is configured) and revoked keys."""

    allowed: AllowedSigners | None
    revoked: frozenset[PublicKey] = frozenset()


UNSIGNED = SignatureCheck(False, None, None, None, None, "unsigned", "the tag is not signed")


def verify_tag(raw: bytes, trust: Trust, now: int) -> SignatureCheck:
    """Check the signature of a raw tag object (its content, without the object header).

    `now` (seconds since the epoch) is the verify time for a tag without a tagger, as git
    then lets ssh-keygen use the current time; the caller reads the clock.

    Raises:
        SigningUnavailable: the tag is SSH-signed and `cryptography` is not installed.
    """
    return verify_signed(split_signature(raw), trust, now)


def verify_signed(
    signed: SignedObject, trust: Trust, now: int, ref: str | None = None
) -> SignatureCheck:
    """`verify_tag` for a tag object already cut at its signature (gto.git.tags keeps it cut).

    With `ref` (the tag's name under refs/tags/), a signature proves something about that
    name only if the object names it too: git signs the object, whose `tag` header may
    differ from the ref pointing at it, and the ref's name is what gto reads as the event.
    """
    if signed.format is None:
        return UNSIGNED
    if ref is not None:
        named = (header_value(signed.payload, b"tag") or b"").decode("utf-8", "replace")
        if named != ref:
            return SignatureCheck(True, signed.format, None, None, None, "bad", renamed(named, ref))
    if signed.format == "openpgp":
        issuer = read_openpgp_issuer(signed.signature)
        return SignatureCheck(
            True,
            "openpgp",
            issuer.key_type if issuer else None,
            issuer.issuer if issuer else None,
            None,
            "unsupported",
            "OpenPGP signatures are not verified by gto; check them with `git tag -v`",
        )
    if signed.format == "x509":
        reason = "X.509 signatures are not verified by gto; check them with `git tag -v`"
        return SignatureCheck(True, "x509", None, None, None, "unsupported", reason)
    try:
        sig = decode_sshsig(dearmor(signed.signature))
    except SignatureFormatError as e:
        return SignatureCheck(True, "ssh", None, None, None, "bad", str(e))
    except UnsupportedSignature as e:
        return SignatureCheck(True, "ssh", None, None, None, "unsupported", str(e))
    when = tagger_timestamp(signed.payload)
    return _check_ssh(sig, signed.payload, trust, now if when is None else when)


def _check_ssh(sig: SshSignature, payload: bytes, trust: Trust, when: int) -> SignatureCheck:
    key = sig.public_key

    def result(status: Status, reason: str, principal: str | None = None) -> SignatureCheck:
        return SignatureCheck(True, "ssh", key.key_type, key.fingerprint, principal, status, reason)

    if key.unsupported_reason:
        return result("unsupported", key.unsupported_reason)
    if sig.namespace != GIT_NAMESPACE:
        return result("bad", f"signature is for namespace '{sig.namespace}', not 'git'")
    if sig.hash_algorithm not in HASH_ALGORITHMS:
        return result("bad", f"unsupported hash algorithm '{sig.hash_algorithm}'")
    from gto.trust.sshcrypto import verify_signature  # lazy: the optional gto[sign] extra

    problem = verify_signature(sig, payload)
    if problem is not None:
        return result("bad", problem)
    shown = f"{key.display_type} key {key.fingerprint}"
    if key in trust.revoked:
        return result("revoked", f"{shown} is revoked")
    if trust.allowed is None:
        return result("untrusted", "no allowed signers file is configured to say who may sign")
    principals = find_principals(trust.allowed, key, when)
    if not principals:
        for entry in trust.allowed.entries:
            outside = window_problem(entry, when)
            if entry.key == key and not entry.cert_authority and outside:
                return result("expired", f"{shown} of '{entry.principals}' {outside}")
        return result("untrusted", f"no principal in the allowed signers file has {shown}")
    refusal = ""
    for principal in principals:
        denied = authorize(trust.allowed, principal, key, GIT_NAMESPACE, when)
        if denied is None:
            return result("good", f"good signature by {principal} with {shown}", principal)
        refusal = refusal or denied
    return result("untrusted", refusal)
