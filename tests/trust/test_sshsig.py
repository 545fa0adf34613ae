"""The SSHSIG blob, its signed data and its armor, against signatures made by ssh-keygen."""

from __future__ import annotations

import base64
import hashlib

import pytest
from signers import KeyPair, ssh_sign

from gto.exceptions import SignatureFormatError, UnsupportedSignature
from gto.trust.sshkeys import parse_public_key
from gto.trust.sshsig import (
    SshSignature,
    armor,
    dearmor,
    decode_ecdsa_signature,
    decode_sshsig,
    encode_ecdsa_signature,
    encode_sshsig,
    signed_data,
)
from gto.trust.sshwire import encode_string, encode_u32

MESSAGE = b"object 0000\ntype commit\ntag v1\n\nhello\n"


def test_decode_ssh_keygen_signature(keys: dict[str, KeyPair]) -> None:
    armored = ssh_sign(keys["ed25519"], MESSAGE)
    sig = decode_sshsig(dearmor(armored))
    assert sig.public_key == parse_public_key(keys["ed25519"].public.read_text())
    assert (sig.namespace, sig.reserved, sig.hash_algorithm) == ("git", b"", "sha512")
    assert sig.signature_algorithm == "ssh-ed25519"
    assert len(sig.signature) == 64
    assert encode_sshsig(sig) == dearmor(armored)
    assert armor(encode_sshsig(sig)) == armored  # byte for byte, line width included


@pytest.mark.parametrize(
    ("options", "namespace", "hash_algorithm", "algorithm"),
    [
        pytest.param(("-O", "hashalg=sha256"), "git", "sha256", "rsa-sha2-512", id="sha256"),
        pytest.param(("-n", "file"), "file", "sha512", "rsa-sha2-512", id="namespace"),
    ],
)
def test_decode_options(
    keys: dict[str, KeyPair],
    options: tuple[str, ...],
    namespace: str,
    hash_algorithm: str,
    algorithm: str,
) -> None:
    sig = decode_sshsig(dearmor(ssh_sign(keys["rsa"], MESSAGE, *options)))
    assert (sig.namespace, sig.hash_algorithm, sig.signature_algorithm) == (
        namespace,
        hash_algorithm,
        algorithm,
    )


def test_signed_data_layout() -> None:
    digest = hashlib.sha512(b"msg").digest()
    assert signed_data("git", "sha512", b"msg") == (
        b"SSHSIG\x00\x00\x00\x03git\x00\x00\x00\x00\x00\x00\x00\x06sha512\x00\x00\x00\x40" + digest
    )


def test_signed_data_refuses_unknown_hash() -> None:
    with pytest.raises(SignatureFormatError, match=r"^unsupported hash algorithm 'md5'$"):
        signed_data("git", "md5", b"msg")


def test_ecdsa_inner_signature_round_trip() -> None:
    inner = encode_ecdsa_signature(0x80, 5)
    assert inner == b"\x00\x00\x00\x02\x00\x80\x00\x00\x00\x01\x05"
    assert decode_ecdsa_signature(inner) == (0x80, 5)


def _blob(keys: dict[str, KeyPair]) -> bytes:
    return dearmor(ssh_sign(keys["ed25519"], MESSAGE))


def test_armor_is_read_as_leniently_as_ssh_keygen(keys: dict[str, KeyPair]) -> None:
    armored = ssh_sign(keys["ed25519"], MESSAGE)
    blob = dearmor(armored)
    lines = armored.split(b"\n")
    assert dearmor(armored + b"trailing text\n") == blob
    assert dearmor(armored.rstrip(b"\n")) == blob
    assert dearmor(b"\n".join([lines[0], b"".join(lines[1:-2]), lines[-2]])) == blob
    assert dearmor(b"\n".join([lines[0], b"", *(b" " + x for x in lines[1:-2]), lines[-2]])) == blob


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(b"", "malformed SSH signature: missing begin marker", id="empty"),
        pytest.param(
            b"-----BEGIN SSH SIGNATURE-----\r\nAAAA\r\n-----END SSH SIGNATURE-----\r\n",
            "malformed SSH signature: missing begin marker",
            id="crlf",
        ),
        pytest.param(
            b"-----BEGIN SSH SIGNATURE-----xx\nAAAA\n-----END SSH SIGNATURE-----\n",
            "malformed SSH signature: missing begin marker",
            id="marker-suffix",
        ),
        pytest.param(
            b"-----BEGIN SSH SIGNATURE-----\nAAAA\n",
            "malformed SSH signature: missing end marker",
            id="no-end",
        ),
        pytest.param(
            b"-----BEGIN SSH SIGNATURE-----\nAA*A\n-----END SSH SIGNATURE-----\n",
            "malformed SSH signature: armor is not base64",
            id="not-base64",
        ),
    ],
)
def test_dearmor_refuses(text: bytes, message: str) -> None:
    with pytest.raises(SignatureFormatError) as caught:
        dearmor(text)
    assert str(caught.value) == message


def _with_version(blob: bytes, version: int) -> bytes:
    return blob[:6] + encode_u32(version) + blob[10:]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(
            lambda b: b"SSHSIH" + b[6:],
            "malformed SSH signature: it does not start with SSHSIG",
            id="magic",
        ),
        pytest.param(lambda b: b[:-1], "malformed SSH signature: signature is cut short", id="cut"),
        pytest.param(
            lambda b: b + b"\x00",
            "malformed SSH signature: 1 unexpected trailing bytes",
            id="trailing",
        ),
    ],
)
def test_decode_refuses(keys: dict[str, KeyPair], change: object, message: str) -> None:
    assert callable(change)
    with pytest.raises(SignatureFormatError) as caught:
        decode_sshsig(change(_blob(keys)))
    assert str(caught.value) == message


def test_decode_refuses_later_version(keys: dict[str, KeyPair]) -> None:
    with pytest.raises(UnsupportedSignature) as caught:
        decode_sshsig(_with_version(_blob(keys), 2))
    assert str(caught.value) == "SSH signature version 2 is not supported (only 1)"


def test_decode_refuses_trailing_bytes_in_inner_signature(keys: dict[str, KeyPair]) -> None:
    sig = decode_sshsig(_blob(keys))
    inner = encode_string(b"ssh-ed25519") + encode_string(sig.signature)
    head = encode_sshsig(sig)[: -len(encode_string(inner))]
    with pytest.raises(SignatureFormatError) as caught:
        decode_sshsig(head + encode_string(inner + b"!"))
    assert str(caught.value) == "malformed SSH signature: 1 unexpected trailing bytes"


def test_encode_round_trip() -> None:
    key = parse_public_key(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKEYJQAJbDg+mVBzRefooTkDjPYsV3TcKRe6xfjSaZ6"
    )
    sig = SshSignature(key, "git", "sha512", "ssh-ed25519", bytes(64), b"")
    blob = encode_sshsig(sig)
    assert decode_sshsig(blob) == sig
    text = armor(blob)
    assert text.startswith(b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH")
    assert text.endswith(b"\n-----END SSH SIGNATURE-----\n")
    assert all(len(line) <= 70 for line in text.split(b"\n"))
    assert base64.b64decode(b"".join(text.split(b"\n")[1:-2])) == blob
