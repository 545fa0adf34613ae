"""verify_tag: every status, with exact reasons, on tag objects signed by gto or by ssh-keygen."""

from __future__ import annotations

from pathlib import Path

import pytest
from signers import EPOCH, KeyPair, ssh_sign, tag_payload

from gto.git.signature import attach_signature, split_signature
from gto.trust.allowed_signers import parse_allowed_signers
from gto.trust.sshcrypto import load_signing_key, sign_message, sign_tag
from gto.trust.sshkeys import parse_public_key
from gto.trust.sshsig import armor, dearmor, encode_sshsig
from gto.trust.sshwire import encode_u32
from gto.trust.verify import UNSIGNED, SignatureCheck, Trust, verify_signed, verify_tag

COMMIT = b"1" * 40


def _trust(keys: dict[str, KeyPair], *lines: str, revoked: tuple[str, ...] = ()) -> Trust:
    text = "\n".join(lines).replace("KEY", keys["ed25519"].public_line)
    return Trust(
        parse_allowed_signers(text),
        frozenset(parse_public_key(keys[name].public_line) for name in revoked),
    )


def _signed(keys: dict[str, KeyPair], message: str = "promote\n", when: int = EPOCH) -> bytes:
    return sign_tag(
        tag_payload(COMMIT, "v1", message, when), load_signing_key(keys["ed25519"].private)
    )


def _check(
    keys: dict[str, KeyPair], status: str, reason: str, principal: str | None = None
) -> SignatureCheck:
    key = parse_public_key(keys["ed25519"].public_line)
    return SignatureCheck(
        True, "ssh", "ssh-ed25519", key.fingerprint, principal, status,  # type: ignore[arg-type]
        reason.replace("FP", key.fingerprint),
    )  # fmt: skip


def test_good(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, "alice@example.com KEY")
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys,
        "good",
        "good signature by alice@example.com with ED25519 key FP",
        "alice@example.com",
    )


def test_good_only_for_the_name_it_signed(keys: dict[str, KeyPair]) -> None:
    """The signature covers the object's `tag v1` header: under another ref it proves nothing."""
    trust = _trust(keys, "alice@example.com KEY")
    signed = split_signature(_signed(keys))
    assert verify_signed(signed, trust, EPOCH, "v1").status == "good"
    assert verify_signed(signed, trust, EPOCH, "m#prod#2") == SignatureCheck(
        True, "ssh", None, None, None, "bad",
        "the tag object names 'v1', not the ref 'm#prod#2'",
    )  # fmt: skip


def test_good_through_a_wildcard_principal(keys: dict[str, KeyPair]) -> None:
    """As with git, the principal shown is the pattern find-principals prints."""
    check = verify_tag(_signed(keys), _trust(keys, "*@example.com KEY"), now=EPOCH)
    assert (check.status, check.principal) == ("good", "*@example.com")


def test_signed_by_ssh_keygen(keys: dict[str, KeyPair]) -> None:
    payload = tag_payload(COMMIT, "v1", "promote\n")
    raw = attach_signature(payload, ssh_sign(keys["ed25519"], payload))
    assert verify_tag(raw, _trust(keys, "alice KEY"), now=EPOCH).status == "good"


def test_tampered(keys: dict[str, KeyPair]) -> None:
    raw = _signed(keys).replace(b"promote\n", b"promote to prod\n")
    assert verify_tag(raw, _trust(keys, "alice KEY"), now=EPOCH) == _check(
        keys, "bad", "the signature does not match the signed content"
    )


def test_unknown_signer(keys: dict[str, KeyPair]) -> None:
    trust = Trust(parse_allowed_signers(f"bob {keys['other'].public_line}\n"))
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys, "untrusted", "no principal in the allowed signers file has ED25519 key FP"
    )


def test_revoked(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, "alice KEY", revoked=("ed25519",))
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys, "revoked", "ED25519 key FP is revoked"
    )


def test_expired(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, 'alice valid-before="20240305Z" KEY')
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys,
        "expired",
        "ED25519 key FP of 'alice' expired: signed at 2024-03-05T08:20:30Z, "
        "valid before 2024-03-05T00:00:00Z",
    )


def test_not_yet_valid(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, 'alice valid-after="20240306Z" KEY')
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys,
        "expired",
        "ED25519 key FP of 'alice' not yet valid: signed at 2024-03-05T08:20:30Z, "
        "valid after 2024-03-06T00:00:00Z",
    )


def test_window_is_judged_at_the_tagger_time(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, 'alice valid-before="20240305Z" KEY')
    assert verify_tag(_signed(keys, when=EPOCH - 86400), trust, now=EPOCH).status == "good"


def test_no_tagger_uses_now(keys: dict[str, KeyPair]) -> None:
    payload = b"object " + COMMIT + b"\ntype commit\ntag v1\n\npromote\n"
    raw = sign_tag(payload, load_signing_key(keys["ed25519"].private))
    trust = _trust(keys, 'alice valid-before="20240305Z" KEY')
    assert verify_tag(raw, trust, now=EPOCH - 86400).status == "good"
    assert verify_tag(raw, trust, now=EPOCH).status == "expired"


def test_namespace_not_allowed_by_the_file(keys: dict[str, KeyPair]) -> None:
    trust = _trust(keys, 'alice namespaces="file" KEY')
    assert verify_tag(_signed(keys), trust, now=EPOCH) == _check(
        keys, "untrusted", "key of 'alice' is not allowed for namespace 'git'"
    )


def test_signature_for_another_namespace(keys: dict[str, KeyPair]) -> None:
    payload = tag_payload(COMMIT, "v1", "promote\n")
    sig = sign_message(load_signing_key(keys["ed25519"].private), payload, namespace="file")
    raw = attach_signature(payload, armor(encode_sshsig(sig)))
    assert verify_tag(raw, _trust(keys, "alice KEY"), now=EPOCH) == _check(
        keys, "bad", "signature is for namespace 'file', not 'git'"
    )


def test_no_allowed_signers_file(keys: dict[str, KeyPair]) -> None:
    assert verify_tag(_signed(keys), Trust(None), now=EPOCH) == _check(
        keys, "untrusted", "no allowed signers file is configured to say who may sign"
    )


def test_unsigned() -> None:
    raw = tag_payload(COMMIT, "v1", "promote\n")
    assert verify_tag(raw, Trust(None), now=EPOCH) == UNSIGNED
    expected = SignatureCheck(False, None, None, None, None, "unsigned", "the tag is not signed")
    assert expected == UNSIGNED


def test_malformed_armor(keys: dict[str, KeyPair]) -> None:
    raw = tag_payload(COMMIT, "v1", "x\n") + b"-----BEGIN SSH SIGNATURE-----\nAA*A\n"
    assert verify_tag(raw, _trust(keys, "alice KEY"), now=EPOCH) == SignatureCheck(
        True, "ssh", None, None, None, "bad", "malformed SSH signature: missing end marker"
    )


def test_later_sshsig_version(keys: dict[str, KeyPair]) -> None:
    signed = split_signature(_signed(keys))
    blob = dearmor(signed.signature)
    raw = signed.payload + armor(blob[:6] + encode_u32(2) + blob[10:])
    assert verify_tag(raw, _trust(keys, "alice KEY"), now=EPOCH) == SignatureCheck(
        True, "ssh", None, None, None, "unsupported",
        "SSH signature version 2 is not supported (only 1)",
    )  # fmt: skip


def test_security_key_signature_is_unsupported(keys: dict[str, KeyPair]) -> None:
    payload = tag_payload(COMMIT, "v1", "x\n")
    sig = sign_message(load_signing_key(keys["ed25519"].private), payload)
    sk = parse_public_key(
        "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEc3NoOg=="
    )
    forged = type(sig)(sk, sig.namespace, sig.hash_algorithm, "sk-ssh-ed25519@openssh.com", b"")
    check = verify_tag(payload + armor(encode_sshsig(forged)), _trust(keys, "alice KEY"), now=EPOCH)
    assert (check.status, check.key_type, check.fingerprint) == (
        "unsupported",
        "sk-ssh-ed25519@openssh.com",
        sk.fingerprint,
    )
    assert check.reason.startswith("FIDO security keys (sk-ssh-ed25519@openssh.com)")


def test_x509_is_unsupported() -> None:
    raw = tag_payload(COMMIT, "v1", "x\n") + b"-----BEGIN SIGNED MESSAGE-----\nMII=\n"
    assert verify_tag(raw, Trust(None), now=EPOCH) == SignatureCheck(
        True, "x509", None, None, None, "unsupported",
        "X.509 signatures are not verified by gto; check them with `git tag -v`",
    )  # fmt: skip


def test_openpgp_without_readable_packet() -> None:
    raw = tag_payload(COMMIT, "v1", "x\n") + b"-----BEGIN PGP SIGNATURE-----\n\nAA==\n"
    assert verify_tag(raw, Trust(None), now=EPOCH) == SignatureCheck(
        True, "openpgp", None, None, None, "unsupported",
        "OpenPGP signatures are not verified by gto; check them with `git tag -v`",
    )  # fmt: skip


def test_principal_only_when_good(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    for trust in (
        _trust(keys, 'alice valid-before="20240305Z" KEY'),
        _trust(keys, "alice KEY", revoked=("ed25519",)),
        _trust(keys, 'alice namespaces="file" KEY'),
    ):
        assert verify_tag(_signed(keys), trust, now=EPOCH).principal is None


@pytest.mark.parametrize("first_line", ['alice namespaces="file" KEY', "alice,bob KEY"])
def test_first_matching_line_decides_like_git(keys: dict[str, KeyPair], first_line: str) -> None:
    """git verifies only the principals of the first line for the key (find-principals)."""
    trust = _trust(keys, first_line, "carol KEY")
    check = verify_tag(_signed(keys), trust, now=EPOCH)
    expected = ("untrusted", None) if "namespaces" in first_line else ("good", "alice")
    assert (check.status, check.principal) == expected
