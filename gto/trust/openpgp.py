"""Who made an OpenPGP signature, read from its packet without verifying it.

gto does not verify OpenPGP signatures (no maintained pure-Python verifier exists), but a tag
signed with `git tag -s` and gpg can still say which key claims it: the issuer fingerprint
(or key ID) and the key's algorithm, from the signature packet (RFC 9580 section 5.2).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

_BEGIN = b"-----BEGIN PGP SIGNATURE-----"
_END = b"-----END PGP SIGNATURE-----"
_SIGNATURE_PACKET = 2
_ISSUER_KEY_ID, _ISSUER_FINGERPRINT = 16, 33
_ALGORITHMS = {
    1: "rsa",
    2: "rsa",
    3: "rsa",
    17: "dsa",
    19: "ecdsa",
    22: "eddsa",
    27: "ed25519",
    28: "ed448",
}


@dataclass(frozen=True)
class OpenPgpIssuer:
    key_type: str  # "openpgp-rsa", "openpgp-eddsa", ...
    issuer: str | None  # uppercase hex fingerprint, else the 16-digit key ID


def _dearmor(text: bytes) -> bytes | None:
    lines = text.split(b"\n")
    if not lines or lines[0].rstrip(b"\r") != _BEGIN:
        return None
    body: list[bytes] = []
    in_headers = True
    for raw in lines[1:]:
        line = raw.strip()
        if line == _END:
            try:
                return base64.b64decode(b"".join(body), validate=True)
            except binascii.Error:
                return None
        if in_headers:
            in_headers = b": " in line  # armor headers end at the first other line
            if in_headers or not line:
                continue
        if line.startswith(b"="):
            continue  # the CRC-24 line; integrity is the signature's business
        body.append(line)
    return None


def _packet(data: bytes) -> tuple[int, bytes] | None:
    """(tag, body) of the first packet, for the header forms a signature packet can use."""
    if len(data) < 2 or not data[0] & 0x80:
        return None
    if data[0] & 0x40:  # new format
        tag, first = data[0] & 0x3F, data[1]
        if first < 192:
            start, size = 2, first
        elif first < 224 and len(data) >= 3:
            start, size = 3, ((first - 192) << 8) + data[2] + 192
        elif first == 255 and len(data) >= 6:
            start, size = 6, int.from_bytes(data[2:6], "big")
        else:
            return None
    else:  # old format
        tag, length_type = (data[0] >> 2) & 0x0F, data[0] & 0x03
        if length_type == 3:
            return None
        width = 1 << length_type
        start, size = 1 + width, int.from_bytes(data[1 : 1 + width], "big")
    body = data[start : start + size]
    return (tag, body) if len(body) == size else None


def _subpackets(area: bytes) -> dict[int, bytes]:
    found: dict[int, bytes] = {}
    i = 0
    while i < len(area):
        first = area[i]
        if first < 192:
            size, i = first, i + 1
        elif first < 255:
            if i + 1 >= len(area):
                break
            size, i = ((first - 192) << 8) + area[i + 1] + 192, i + 2
        else:
            size, i = int.from_bytes(area[i + 1 : i + 5], "big"), i + 5
        if size == 0 or i + size > len(area):
            break
        found.setdefault(area[i] & 0x7F, area[i + 1 : i + size])
        i += size
    return found


def read_openpgp_issuer(armored: bytes) -> OpenPgpIssuer | None:
    """The signing key's algorithm and issuer, or None when the armor cannot be read."""
    data = _dearmor(armored)
    packet = _packet(data) if data else None
    if packet is None or packet[0] != _SIGNATURE_PACKET or not packet[1]:
        return None
    body = packet[1]
    version = body[0]
    if version == 3 and len(body) >= 17:
        return OpenPgpIssuer(_name(body[15]), body[7:15].hex().upper())
    if version not in (4, 5, 6) or len(body) < 6:
        return None
    width = 4 if version == 6 else 2
    hashed_end = 4 + width + int.from_bytes(body[4 : 4 + width], "big")
    unhashed_end = hashed_end + width + int.from_bytes(body[hashed_end : hashed_end + width], "big")
    subpackets = _subpackets(body[hashed_end + width : unhashed_end])
    subpackets.update(_subpackets(body[4 + width : hashed_end]))  # hashed ones take precedence
    issuer: str | None = None
    if _ISSUER_FINGERPRINT in subpackets and len(subpackets[_ISSUER_FINGERPRINT]) > 1:
        issuer = subpackets[_ISSUER_FINGERPRINT][1:].hex().upper()
    elif len(subpackets.get(_ISSUER_KEY_ID, b"")) == 8:
        issuer = subpackets[_ISSUER_KEY_ID].hex().upper()
    return OpenPgpIssuer(_name(body[2]), issuer)


def _name(algorithm: int) -> str:
    return "openpgp-" + _ALGORITHMS.get(algorithm, f"algorithm-{algorithm}")
