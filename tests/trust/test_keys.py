"""SSH wire values and OpenSSH public keys, checked against keys and fingerprints of ssh-keygen."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from signers import SSH_KEYGEN, KeyPair, make_key, run_tool

from gto.exceptions import SignatureFormatError
from gto.trust.sshkeys import (
    EcdsaParams,
    Ed25519Params,
    RsaParams,
    decode_public_key_blob,
    encode_public_key,
    inspect_private_key,
    parse_public_key,
)
from gto.trust.sshwire import WireReader, encode_mpint, encode_string, encode_u32

ED25519_LINE = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKEYJQAJbDg+mVBzRefooTkDjPYsV3TcKRe6xfjSaZ6 alice@laptop"
)


def _b64(blob: bytes) -> str:
    return base64.b64encode(blob).decode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, b"\x00\x00\x00\x00", id="zero"),
        pytest.param(0x7F, b"\x00\x00\x00\x01\x7f", id="small"),
        pytest.param(0x80, b"\x00\x00\x00\x02\x00\x80", id="high-bit"),
        pytest.param(0x1234, b"\x00\x00\x00\x02\x12\x34", id="two-bytes"),
    ],
)
def test_encode_mpint(value: int, expected: bytes) -> None:
    assert encode_mpint(value) == expected
    assert WireReader(expected, "x").mpint("n") == value


def test_encode_u32_and_string() -> None:
    assert encode_u32(258) == b"\x00\x00\x01\x02"
    assert encode_string(b"git") == b"\x00\x00\x00\x03git"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"\x00\x00\x00\x05ab", "malformed thing: field is cut short", id="short"),
        pytest.param(b"\x00\x00", "malformed thing: field is cut short", id="short-length"),
        pytest.param(b"\x00\x00\x00\x01\x80", "malformed thing: field is negative", id="negative"),
        pytest.param(
            b"\x00\x00\x00\x02\x00\x01",
            "malformed thing: field has a needless leading zero",
            id="padded",
        ),
    ],
)
def test_wire_reader_refuses(data: bytes, message: str) -> None:
    with pytest.raises(SignatureFormatError) as caught:
        WireReader(data, "thing").mpint("field")
    assert str(caught.value) == message


def test_wire_reader_trailing_bytes() -> None:
    reader = WireReader(b"\x00\x00\x00\x00!!", "thing")
    reader.string("field")
    with pytest.raises(
        SignatureFormatError, match=r"^malformed thing: 2 unexpected trailing bytes$"
    ):
        reader.end()


def test_parse_ed25519_line() -> None:
    key = parse_public_key(ED25519_LINE)
    assert key.key_type == "ssh-ed25519"
    assert key.comment == "alice@laptop"
    assert key.fingerprint == "SHA256:gWUlb58NtVs6pAb1hpOcKkEodY2XiwYmqIl8f9J9Itw"
    assert key.display_type == "ED25519"
    assert key.unsupported_reason is None
    assert key.openssh() == ED25519_LINE
    assert key == parse_public_key(ED25519_LINE.rsplit(" ", 1)[0])  # comments do not count
    assert isinstance(key.params, Ed25519Params)
    assert encode_public_key(key.params) == key.blob


@pytest.mark.parametrize(
    ("kind", "key_type", "display", "params"),
    [
        ("ed25519", "ssh-ed25519", "ED25519", Ed25519Params),
        ("rsa", "ssh-rsa", "RSA", RsaParams),
        ("ecdsa256", "ecdsa-sha2-nistp256", "ECDSA", EcdsaParams),
        ("ecdsa384", "ecdsa-sha2-nistp384", "ECDSA", EcdsaParams),
        ("ecdsa521", "ecdsa-sha2-nistp521", "ECDSA", EcdsaParams),
    ],
)
def test_keys_from_ssh_keygen(
    keys: dict[str, KeyPair], kind: str, key_type: str, display: str, params: type
) -> None:
    pair = keys[kind]
    key = parse_public_key(pair.public.read_text())
    assert SSH_KEYGEN is not None
    _, listed = run_tool(SSH_KEYGEN, "-l", "-f", str(pair.public))
    assert listed.split()[1] == key.fingerprint
    assert listed.split()[-1] == f"({display})"
    assert (key.key_type, key.display_type, key.comment) == (key_type, display, kind)
    assert isinstance(key.params, params)
    assert key.params is not None
    assert encode_public_key(key.params) == key.blob
    assert key.openssh() == pair.public.read_text().strip()


def test_security_key_recognised_as_unsupported() -> None:
    blob = encode_string(b"sk-ssh-ed25519@openssh.com") + encode_string(bytes(32))
    blob += encode_string(b"ssh:")
    key = parse_public_key(f"sk-ssh-ed25519@openssh.com {_b64(blob)} yubikey")
    assert key.display_type == "ED25519-SK"
    assert key.unsupported_reason == (
        "FIDO security keys (sk-ssh-ed25519@openssh.com) are not supported; "
        "sign with an ed25519, rsa or ecdsa key"
    )


def test_certificate_and_dsa_recognised_as_unsupported(
    keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    ca = make_key(tmp_path, "ca", "-t", "ed25519")
    subject = make_key(tmp_path, "subject", "-t", "ed25519")
    assert SSH_KEYGEN is not None
    code, out = run_tool(
        SSH_KEYGEN, "-q", "-s", str(ca.private), "-I", "id", "-n", "alice", str(subject.public)
    )
    assert code == 0, out
    cert = parse_public_key((tmp_path / "subject-cert.pub").read_text())
    assert cert.key_type == "ssh-ed25519-cert-v01@openssh.com"
    assert cert.display_type == "ED25519-CERT"
    assert cert.unsupported_reason == (
        "SSH certificates (ssh-ed25519-cert-v01@openssh.com) are not supported; "
        "sign with a plain key"
    )
    dsa = parse_public_key(make_key(tmp_path, "dsa", "-t", "dsa").public.read_text())
    assert (dsa.display_type, dsa.unsupported_reason) == (
        "DSA",
        "DSA keys (ssh-dss) are not supported; OpenSSH no longer signs with them",
    )


_ED25519_BLOB = base64.b64decode(ED25519_LINE.split()[1])
_SMALL_RSA = encode_string(b"ssh-rsa") + encode_mpint(65537) + encode_mpint((1 << 511) + 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "not an OpenSSH public key: ''", id="empty"),
        pytest.param("ssh-foo AAAA", "not an OpenSSH public key: 'ssh-foo AAAA'", id="unknown"),
        pytest.param("ssh-ed25519", "ssh-ed25519 key without its base64 data", id="no-data"),
        pytest.param("ssh-ed25519 AA!A", "ssh-ed25519 key whose data is not base64", id="base64"),
        pytest.param(
            f"ssh-rsa {_b64(_ED25519_BLOB)}", "ssh-ed25519 key data labelled ssh-rsa", id="label"
        ),
        pytest.param(
            f"ssh-ed25519 {_b64(_ED25519_BLOB[:-1])}",
            "malformed public key: ed25519 key is cut short",
            id="cut",
        ),
        pytest.param(
            f"ssh-ed25519 {_b64(_ED25519_BLOB + b'x')}",
            "malformed public key: 1 unexpected trailing bytes",
            id="trailing",
        ),
        pytest.param(
            f"ssh-rsa {_b64(_SMALL_RSA)}",
            "RSA key of 512 bits is too small (OpenSSH needs 1024)",
            id="small-rsa",
        ),
        pytest.param(
            "ecdsa-sha2-nistp256 "
            + _b64(
                encode_string(b"ecdsa-sha2-nistp256")
                + encode_string(b"nistp384")
                + encode_string(b"\x04" + bytes(64))
            ),
            "malformed public key: curve nistp384 in a ecdsa-sha2-nistp256 key",
            id="curve",
        ),
        pytest.param(
            "ecdsa-sha2-nistp256 "
            + _b64(
                encode_string(b"ecdsa-sha2-nistp256")
                + encode_string(b"nistp256")
                + encode_string(b"\x02" + bytes(32))
            ),
            "malformed public key: not an uncompressed curve point",
            id="compressed",
        ),
    ],
)
def test_parse_public_key_refuses(text: str, message: str) -> None:
    with pytest.raises(SignatureFormatError) as caught:
        parse_public_key(text)
    assert str(caught.value) == message


def test_unknown_blob_type() -> None:
    with pytest.raises(SignatureFormatError, match=r"^unknown key type 'ssh-foo'$"):
        decode_public_key_blob(encode_string(b"ssh-foo"))


def test_inspect_private_keys(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    plain = inspect_private_key(keys["ed25519"].private.read_text())
    assert plain is not None
    assert (plain.format, plain.encrypted) == ("openssh", False)
    assert plain.public_key == parse_public_key(keys["ed25519"].public.read_text())
    locked = make_key(tmp_path, "locked", "-t", "ed25519", "-N", "secret")
    info = inspect_private_key(locked.private.read_text())
    assert info is not None
    assert (info.format, info.encrypted) == ("openssh", True)
    assert info.public_key == parse_public_key(locked.public.read_text())
    pem = make_key(tmp_path, "pem", "-t", "rsa", "-b", "2048", "-m", "PEM")
    assert inspect_private_key(pem.private.read_text()) == inspect_private_key(
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"
    )
    public = inspect_private_key(keys["ed25519"].public.read_text())
    assert public is not None
    assert public.format == "public"
    assert inspect_private_key("hello") is None
