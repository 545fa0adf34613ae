"""Signing and checking with `cryptography`: ssh-keygen checks what gto signs, and the reverse."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pytest
from signers import SSH_KEYGEN, KeyPair, make_key, run_tool, ssh_sign

from gto.exceptions import SigningKeyError, SigningUnavailable, UnsupportedSignature
from gto.trust.sshcrypto import load_signing_key, sign_message, sign_tag, verify_signature
from gto.trust.sshkeys import parse_public_key
from gto.trust.sshsig import SshSignature, armor, dearmor, decode_sshsig, encode_sshsig

MESSAGE = b"object 0000\ntype commit\ntag v1\n\nhello\n"
ALGORITHMS = {
    "ed25519": "ssh-ed25519",
    "rsa": "rsa-sha2-512",
    "ecdsa256": "ecdsa-sha2-nistp256",
    "ecdsa384": "ecdsa-sha2-nistp384",
    "ecdsa521": "ecdsa-sha2-nistp521",
}


@pytest.mark.parametrize("kind", sorted(ALGORITHMS))
def test_ssh_keygen_verifies_what_gto_signs(
    keys: dict[str, KeyPair], tmp_path: Path, kind: str
) -> None:
    key = load_signing_key(keys[kind].private)
    assert key.public_key == parse_public_key(keys[kind].public.read_text())
    sig = sign_message(key, MESSAGE)
    assert (sig.namespace, sig.hash_algorithm, sig.signature_algorithm) == (
        "git",
        "sha512",
        ALGORITHMS[kind],
    )
    (tmp_path / "sig").write_bytes(armor(encode_sshsig(sig)))
    (tmp_path / "allowed").write_text(f"alice {keys[kind].public_line}\n")
    assert SSH_KEYGEN is not None
    code, out = run_tool(
        SSH_KEYGEN, "-Y", "verify", "-n", "git", "-f", str(tmp_path / "allowed"), "-I", "alice",
        "-s", str(tmp_path / "sig"), stdin=MESSAGE,
    )  # fmt: skip
    assert code == 0, out
    assert out == (
        f'Good "git" signature for alice with {key.public_key.display_type} key '
        f"{key.public_key.fingerprint}\n"
    )
    assert verify_signature(sig, MESSAGE) is None


@pytest.mark.parametrize("kind", sorted(ALGORITHMS))
@pytest.mark.parametrize("hashalg", ["sha512", "sha256"])
def test_gto_verifies_what_ssh_keygen_signs(
    keys: dict[str, KeyPair], kind: str, hashalg: str
) -> None:
    sig = decode_sshsig(dearmor(ssh_sign(keys[kind], MESSAGE, "-O", f"hashalg={hashalg}")))
    assert sig.hash_algorithm == hashalg
    assert verify_signature(sig, MESSAGE) is None
    assert verify_signature(sig, MESSAGE + b"!") == (
        "the signature does not match the signed content"
    )


def test_ed25519_signature_is_byte_identical_to_ssh_keygen(keys: dict[str, KeyPair]) -> None:
    """Ed25519 is deterministic, so the whole armor must equal ssh-keygen's own."""
    signed = sign_tag(MESSAGE, load_signing_key(keys["ed25519"].private))
    assert signed == MESSAGE + ssh_sign(keys["ed25519"], MESSAGE)


def test_pem_rsa_key_signs(tmp_path: Path) -> None:
    pair = make_key(tmp_path, "pem", "-t", "rsa", "-b", "2048", "-m", "PEM")
    key = load_signing_key(pair.private)
    assert key.public_key == parse_public_key(pair.public.read_text())
    assert verify_signature(sign_message(key, MESSAGE), MESSAGE) is None


def _forged(sig: SshSignature, **changes: object) -> SshSignature:
    fields: dict[str, Any] = {**sig.__dict__, **changes}
    return SshSignature(**fields)


def test_refusals(keys: dict[str, KeyPair]) -> None:
    ed = sign_message(load_signing_key(keys["ed25519"].private), MESSAGE)
    rsa = sign_message(load_signing_key(keys["rsa"].private), MESSAGE)
    ec = sign_message(load_signing_key(keys["ecdsa256"].private), MESSAGE)
    assert verify_signature(_forged(ed, signature_algorithm="ssh-rsa"), MESSAGE) == (
        "ssh-rsa signature made with an ssh-ed25519 key"
    )
    assert verify_signature(_forged(rsa, signature_algorithm="ssh-rsa"), MESSAGE) == (
        "RSA signature algorithm 'ssh-rsa' is not accepted"
    )
    assert verify_signature(_forged(rsa, signature_algorithm="rsa-sha2-256"), MESSAGE) == (
        "the signature does not match the signed content"
    )
    assert verify_signature(_forged(ec, signature_algorithm="ecdsa-sha2-nistp384"), MESSAGE) == (
        "ecdsa-sha2-nistp384 signature made with an ecdsa-sha2-nistp256 key"
    )
    assert verify_signature(_forged(ec, signature=b"\x00\x00\x00\x01"), MESSAGE) == (
        "malformed ECDSA signature: r is cut short"
    )
    assert verify_signature(_forged(ed, namespace="file"), MESSAGE) == (
        "the signature does not match the signed content"
    )
    other = parse_public_key(keys["other"].public.read_text())
    assert verify_signature(_forged(ed, public_key=other), MESSAGE) == (
        "the signature does not match the signed content"
    )


def test_unsupported_key_is_refused(keys: dict[str, KeyPair]) -> None:
    sig = sign_message(load_signing_key(keys["ed25519"].private), MESSAGE)
    security_key = parse_public_key(
        "sk-ssh-ed25519@openssh.com AAAAGnNrLXNzaC1lZDI1NTE5QG9wZW5zc2guY29tAAAAIAAAAAAAAAAAAAAAAA"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEc3NoOg=="
    )
    with pytest.raises(UnsupportedSignature, match=r"^FIDO security keys \(sk-ssh-ed25519"):
        verify_signature(_forged(sig, public_key=security_key), MESSAGE)


def test_key_errors(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    locked = make_key(tmp_path, "locked", "-t", "ed25519", "-N", "secret")
    dsa = make_key(tmp_path, "dsa", "-t", "dsa")
    (tmp_path / "junk").write_text("hello\n")
    cases = {
        str(locked.private): f"Signing key '{locked.private}' is protected by a passphrase, "
        "which gto cannot ask for; use an unencrypted key (for example a dedicated key for CI)",
        str(keys["ed25519"].public): f"'{keys['ed25519'].public}' is a public key; signing "
        "through ssh-agent is not supported, give the private key file",
        str(tmp_path / "missing"): f"Cannot read signing key '{tmp_path / 'missing'}': "
        "No such file or directory",
        str(tmp_path / "junk"): f"'{tmp_path / 'junk'}' is not an OpenSSH private key file",
        str(dsa.private): f"Cannot sign with '{dsa.private}': DSA keys (ssh-dss) are not "
        "supported; OpenSSH no longer signs with them",
        "key::ssh-ed25519 AAAA": "A literal signing key (key::...) needs ssh-agent, which gto "
        "does not use; give the path of the private key file",
    }
    for path, message in cases.items():
        with pytest.raises(SigningKeyError) as caught:
            load_signing_key(path)
        assert str(caught.value) == message


def test_missing_cryptography_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # makes `import cryptography` fail
    monkeypatch.delitem(sys.modules, "gto.trust.sshcrypto")
    with pytest.raises(SigningUnavailable) as caught:
        importlib.import_module("gto.trust.sshcrypto")
    assert str(caught.value) == (
        "Signing or verifying SSH signatures needs the 'cryptography' package: "
        "pip install 'gto[sign]'"
    )


def test_plain_install_never_imports_cryptography() -> None:
    """Unsigned and OpenPGP tags are checked without the extra; SSH ones say how to get it."""
    script = (
        "import sys\n"
        "sys.modules['cryptography'] = None\n"
        "from gto.trust.verify import Trust, verify_tag\n"
        "from gto.exceptions import SigningUnavailable\n"
        "print(verify_tag(b'tag v1\\n\\nx\\n', Trust(None), now=0).status)\n"
        "pgp = b'tag v1\\n\\nx\\n-----BEGIN PGP SIGNATURE-----\\n'\n"
        "print(verify_tag(pgp, Trust(None), now=0).status)\n"
        "try:\n"
        "    verify_tag(sys.stdin.buffer.read(), Trust(None), now=0)\n"
        "except SigningUnavailable as e:\n"
        "    print(e)\n"
    )
    signed = b"tag v1\n\nx\n" + _any_ssh_signature()
    code, out = run_tool(
        sys.executable,
        "-c",
        script,
        stdin=signed,
        env={"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert (code, out) == (
        0,
        "unsigned\nunsupported\nSigning or verifying SSH signatures needs the 'cryptography' "
        "package: pip install 'gto[sign]'\n",
    )


def _any_ssh_signature() -> bytes:
    """A well-formed SSH signature armor (its validity does not matter before the import)."""
    key = parse_public_key(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKEYJQAJbDg+mVBzRefooTkDjPYsV3TcKRe6xfjSaZ6"
    )
    return armor(encode_sshsig(SshSignature(key, "git", "sha512", "ssh-ed25519", bytes(64))))
