"""OpenSSH's SSHSIG format (PROTOCOL.sshsig): the blob, the data a key signs, the armor.

A signature blob is `"SSHSIG" uint32(1) string(public key) string(namespace) string(reserved)
string(hash algorithm) string(signature)`; the key signs `"SSHSIG" string(namespace)
string(reserved) string(hash algorithm) string(H(message))`. Binding the namespace into the
signed data is what keeps a signature made for another purpose (`-n file`) from passing as a
git signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from gto.exceptions import SignatureFormatError, UnsupportedSignature
from gto.trust.sshkeys import PublicKey, decode_public_key_blob
from gto.trust.sshwire import WireReader, encode_mpint, encode_string, encode_u32

MAGIC = b"SSHSIG"
VERSION = 1
GIT_NAMESPACE = "git"
HASH_ALGORITHMS = ("sha512", "sha256")  # what OpenSSH accepts; it signs with sha512
ARMOR_BEGIN = b"-----BEGIN SSH SIGNATURE-----"
ARMOR_END = b"-----END SSH SIGNATURE-----"
ARMOR_WIDTH = 70  # ssh-keygen's line length, so our armor is byte-identical to its own


@dataclass(frozen=True)
class SshSignature:
    """One decoded SSHSIG: who claims to have signed, for what namespace, and the signature."""

    public_key: PublicKey
    namespace: str
    hash_algorithm: str
    signature_algorithm: str
    signature: bytes
    reserved: bytes = b""


def message_digest(hash_algorithm: str, message: bytes) -> bytes:
    """H(message) for one of HASH_ALGORITHMS."""
    if hash_algorithm not in HASH_ALGORITHMS:
        raise SignatureFormatError(f"unsupported hash algorithm '{hash_algorithm}'")
    return hashlib.new(hash_algorithm, message).digest()


def signed_data(
    namespace: str, hash_algorithm: str, message: bytes, reserved: bytes = b""
) -> bytes:
    """The bytes the key actually signs for `message`.

    >>> signed_data("git", "sha256", b"")[:6]
    b'SSHSIG'
    """
    return (
        MAGIC
        + encode_string(namespace.encode("ascii"))
        + encode_string(reserved)
        + encode_string(hash_algorithm.encode("ascii"))
        + encode_string(message_digest(hash_algorithm, message))
    )


def encode_sshsig(sig: SshSignature) -> bytes:
    """The SSHSIG blob of a signature."""
    inner = encode_string(sig.signature_algorithm.encode("ascii")) + encode_string(sig.signature)
    return (
        MAGIC
        + encode_u32(VERSION)
        + encode_string(sig.public_key.blob)
        + encode_string(sig.namespace.encode("ascii"))
        + encode_string(sig.reserved)
        + encode_string(sig.hash_algorithm.encode("ascii"))
        + encode_string(inner)
    )


def decode_sshsig(blob: bytes) -> SshSignature:
    """Decode an SSHSIG blob, refusing anything OpenSSH would refuse to parse.

    Raises:
        SignatureFormatError: not a well-formed SSHSIG blob.
        UnsupportedSignature: an SSHSIG version other than 1.
    """
    reader = WireReader(blob, "SSH signature")
    if reader.take(len(MAGIC), "magic") != MAGIC:
        raise SignatureFormatError("malformed SSH signature: it does not start with SSHSIG")
    version = reader.u32("version")
    if version != VERSION:
        raise UnsupportedSignature(f"SSH signature version {version} is not supported (only 1)")
    key = decode_public_key_blob(reader.string("public key"))
    namespace = reader.text("namespace")
    reserved = reader.string("reserved")
    hash_algorithm = reader.text("hash algorithm")
    inner = WireReader(reader.string("signature"), "SSH signature")
    reader.end()
    algorithm = inner.text("signature algorithm")
    signature = inner.string("signature")
    inner.end()
    return SshSignature(key, namespace, hash_algorithm, algorithm, signature, reserved)


def encode_ecdsa_signature(r: int, s: int) -> bytes:
    """The inner ECDSA signature: mpint r, mpint s."""
    return encode_mpint(r) + encode_mpint(s)


def decode_ecdsa_signature(data: bytes) -> tuple[int, int]:
    """(r, s) from an inner ECDSA signature."""
    reader = WireReader(data, "ECDSA signature")
    r, s = reader.mpint("r"), reader.mpint("s")
    reader.end()
    return r, s


def armor(blob: bytes) -> bytes:
    """The armored text ssh-keygen writes: 70-column base64 between the markers, newline-ended."""
    encoded = base64.b64encode(blob)
    lines = [encoded[i : i + ARMOR_WIDTH] for i in range(0, len(encoded), ARMOR_WIDTH)]
    return b"\n".join([ARMOR_BEGIN, *lines, ARMOR_END]) + b"\n"


def dearmor(text: bytes) -> bytes:
    """The blob inside an armored SSH signature, read as leniently as ssh-keygen reads it.

    The begin marker must open the text on a line of its own; whitespace inside the base64 is
    ignored and anything after the end marker too.

    Raises:
        SignatureFormatError: no armor, or its content is not base64.
    """
    if not text.startswith(ARMOR_BEGIN + b"\n"):
        raise SignatureFormatError("malformed SSH signature: missing begin marker")
    end = text.find(ARMOR_END, len(ARMOR_BEGIN))
    if end < 0:
        raise SignatureFormatError("malformed SSH signature: missing end marker")
    body = b"".join(text[len(ARMOR_BEGIN) + 1 : end].split())
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        raise SignatureFormatError("malformed SSH signature: armor is not base64") from None
