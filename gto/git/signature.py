"""Signed tag objects: where git puts the signature, and what it signs.

git signs a tag by appending an armored signature to the tag object's message. To verify, it
cuts the raw object at the start of the last line that opens with a known armor marker: what
comes before is the payload (the object as it was signed), the rest is the signature. This
module does exactly that cut (gto.git.tags shows the message without the signature, as git
does), the reverse join, and reads the tagger time git verifies at. Pure bytes: no dulwich.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SignatureFormat = Literal["openpgp", "x509", "ssh"]

# Line openings git recognises as the start of a signature (gpg-interface.c, every format).
SIGNATURE_MARKERS: tuple[tuple[bytes, SignatureFormat], ...] = (
    (b"-----BEGIN PGP SIGNATURE-----", "openpgp"),
    (b"-----BEGIN PGP MESSAGE-----", "openpgp"),
    (b"-----BEGIN SIGNED MESSAGE-----", "x509"),
    (b"-----BEGIN SSH SIGNATURE-----", "ssh"),
)


@dataclass(frozen=True)
class SignedObject:
    """A raw tag object cut in two; `signature` is empty and `format` None when unsigned."""

    payload: bytes
    signature: bytes
    format: SignatureFormat | None


def _marker_format(line: bytes) -> SignatureFormat | None:
    for marker, kind in SIGNATURE_MARKERS:
        if line.startswith(marker):
            return kind
    return None


def split_signature(raw: bytes) -> SignedObject:
    """Cut a raw tag object into payload and signature exactly where git does.

    >>> split_signature(b"tag v1\\n\\nmsg\\n-----BEGIN SSH SIGNATURE-----\\nAA\\n").payload
    b'tag v1\\n\\nmsg\\n'
    """
    cut, kind = len(raw), None
    if b"-----BEGIN " not in raw:
        return SignedObject(raw, b"", None)  # most tags: no line to look at
    start = 0
    while start < len(raw):
        found = _marker_format(raw[start : start + 32])
        if found is not None:
            cut, kind = start, found  # the last marker line wins (parse_signed_buffer)
        newline = raw.find(b"\n", start)
        start = len(raw) if newline < 0 else newline + 1
    return SignedObject(raw[:cut], raw[cut:], kind)


def attach_signature(payload: bytes, armored: bytes) -> bytes:
    """The raw signed tag object: the payload with the armored signature appended.

    The payload must end with a newline, or git would not see the armor as a line of its own.
    """
    if not payload.endswith(b"\n"):
        raise ValueError("a tag payload to sign must end with a newline")
    return payload + armored


def header_value(payload: bytes, name: bytes) -> bytes | None:
    """The value of the first `name` header line, looking only at the header block."""
    for line in payload.split(b"\n"):
        if not line:
            return None  # the blank line ends the headers; the message is not searched
        if line.startswith(name + b" "):
            return line[len(name) + 1 :]
    return None


def tagger_timestamp(payload: bytes) -> int | None:
    """The tagger time in seconds since the epoch, the moment git verifies a key's validity at.

    git passes it to ssh-keygen as `-Overify-time`; with no tagger, or a time of 0, it passes
    nothing and ssh-keygen uses the current time, so None is returned for both.

    >>> tagger_timestamp(b"object 00\\ntagger T <t@x> 1709626830 +0200\\n\\nmsg\\n")
    1709626830
    """
    ident = header_value(payload, b"tagger")
    if ident is None or b">" not in ident:
        return None
    fields = ident.rsplit(b">", 1)[1].split()
    if not fields or not fields[0].isdigit():
        return None
    return int(fields[0]) or None
