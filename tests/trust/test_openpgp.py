"""Reading the issuer of an OpenPGP signature packet (real gpg output is in test_git_interop)."""

from __future__ import annotations

import base64

import pytest

from gto.trust.openpgp import OpenPgpIssuer, read_openpgp_issuer

KEY_ID = bytes.fromhex("0123456789ABCDEF")
FINGERPRINT = bytes.fromhex("00112233445566778899AABBCCDDEEFF00112233")


def _subpacket(kind: int, data: bytes) -> bytes:
    return bytes([len(data) + 1, kind]) + data


def _v4(algorithm: int, hashed: bytes, unhashed: bytes) -> bytes:
    body = bytes([4, 0x00, algorithm, 8]) + len(hashed).to_bytes(2, "big") + hashed
    return body + len(unhashed).to_bytes(2, "big") + unhashed + b"\x12\x34" + b"\x00" * 8


def _armor(packet: bytes, headers: str = "", crc: bool = True) -> bytes:
    lines = ["-----BEGIN PGP SIGNATURE-----", *filter(None, [headers]), ""]
    lines.append(base64.b64encode(packet).decode())
    if crc:
        lines.append("=AbCd")
    lines.append("-----END PGP SIGNATURE-----")
    return ("\n".join(lines) + "\n").encode()


def _new_format(body: bytes) -> bytes:
    return bytes([0xC2, len(body)]) + body


def _old_format(body: bytes) -> bytes:
    return bytes([0x89]) + len(body).to_bytes(2, "big") + body


@pytest.mark.parametrize(
    ("armored", "expected"),
    [
        pytest.param(
            _armor(_new_format(_v4(22, _subpacket(33, b"\x04" + FINGERPRINT), b""))),
            OpenPgpIssuer("openpgp-eddsa", FINGERPRINT.hex().upper()),
            id="fingerprint",
        ),
        pytest.param(
            _armor(_old_format(_v4(1, b"", _subpacket(16, KEY_ID))), "Version: GnuPG v1"),
            OpenPgpIssuer("openpgp-rsa", "0123456789ABCDEF"),
            id="key-id-old-format-headers",
        ),
        pytest.param(
            _armor(_new_format(_v4(99, b"", b"")), crc=False),
            OpenPgpIssuer("openpgp-algorithm-99", None),
            id="no-issuer",
        ),
        pytest.param(b"-----BEGIN PGP SIGNATURE-----\n\nAA==\n", None, id="no-end"),
        pytest.param(_armor(_new_format(b"")), None, id="empty-packet"),
        pytest.param(_armor(bytes([0xC6, 1, 4])), None, id="not-a-signature"),
        pytest.param(b"junk", None, id="junk"),
    ],
)
def test_read_openpgp_issuer(armored: bytes, expected: OpenPgpIssuer | None) -> None:
    assert read_openpgp_issuer(armored) == expected
