"""OpenSSH public keys: the `ssh-ed25519 AAAA... comment` text, the wire blob, the fingerprint.

Keys gto can verify (Ed25519, RSA, ECDSA on the NIST curves) are decoded and checked; kinds
OpenSSH knows but gto does not verify (security keys, certificates, DSA) are still recognised,
so a signature or an allowed signers line using them gets a clear "not supported" instead of
"not a key".
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass, field

from gto.exceptions import SignatureFormatError
from gto.trust.sshwire import WireReader, encode_mpint, encode_string

# The curve each ECDSA key type uses, and the size of one coordinate of its points.
ECDSA_CURVES = {
    "ecdsa-sha2-nistp256": ("nistp256", 32),
    "ecdsa-sha2-nistp384": ("nistp384", 48),
    "ecdsa-sha2-nistp521": ("nistp521", 66),
}
SUPPORTED_KEY_TYPES = ("ssh-ed25519", "ssh-rsa", *ECDSA_CURVES)

_SECURITY_KEY = "FIDO security keys ({}) are not supported; sign with an ed25519, rsa or ecdsa key"
_CERTIFICATE = "SSH certificates ({}) are not supported; sign with a plain key"
_UNSUPPORTED_KEY_TYPES = {
    "sk-ssh-ed25519@openssh.com": _SECURITY_KEY,
    "sk-ecdsa-sha2-nistp256@openssh.com": _SECURITY_KEY,
    "ssh-dss": "DSA keys ({}) are not supported; OpenSSH no longer signs with them",
    **{
        f"{base}-cert-v01@openssh.com": _CERTIFICATE
        for base in ("ssh-ed25519", "ssh-rsa", "ssh-dss", *ECDSA_CURVES)
    },
    "sk-ssh-ed25519-cert-v01@openssh.com": _CERTIFICATE,
    "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": _CERTIFICATE,
}
KNOWN_KEY_TYPES = frozenset((*SUPPORTED_KEY_TYPES, *_UNSUPPORTED_KEY_TYPES))

# The word ssh-keygen prints before "key" ("with ED25519 key SHA256:...").
_DISPLAY_NAMES = {
    "ssh-ed25519": "ED25519",
    "ssh-rsa": "RSA",
    "ecdsa-sha2-nistp256": "ECDSA",
    "ecdsa-sha2-nistp384": "ECDSA",
    "ecdsa-sha2-nistp521": "ECDSA",
    "sk-ssh-ed25519@openssh.com": "ED25519-SK",
    "sk-ecdsa-sha2-nistp256@openssh.com": "ECDSA-SK",
    "ssh-dss": "DSA",
}
MIN_RSA_BITS = 1024  # OpenSSH refuses smaller RSA keys outright


@dataclass(frozen=True)
class Ed25519Params:
    public: bytes


@dataclass(frozen=True)
class RsaParams:
    e: int
    n: int


@dataclass(frozen=True)
class EcdsaParams:
    curve: str
    point: bytes


KeyParams = Ed25519Params | RsaParams | EcdsaParams


@dataclass(frozen=True)
class PublicKey:
    """One public key; two keys are equal when their blobs are, whatever their comments."""

    key_type: str
    blob: bytes
    params: KeyParams | None = field(default=None, compare=False, repr=False)
    comment: str = field(default="", compare=False)

    @property
    def fingerprint(self) -> str:
        """SHA256:... exactly as `ssh-keygen -l` prints it (unpadded base64)."""
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode("ascii")
        return "SHA256:" + digest.rstrip("=")

    @property
    def display_type(self) -> str:
        """ED25519, RSA, ECDSA...: the word ssh-keygen uses in "with ED25519 key"."""
        base = self.key_type.removesuffix("-cert-v01@openssh.com")
        if base != self.key_type:
            plain = base if base in _DISPLAY_NAMES else base + "@openssh.com"
            return _DISPLAY_NAMES[plain] + "-CERT"
        return _DISPLAY_NAMES[self.key_type]

    @property
    def unsupported_reason(self) -> str | None:
        """Why gto cannot verify signatures of this key, or None when it can."""
        template = _UNSUPPORTED_KEY_TYPES.get(self.key_type)
        return template.format(self.key_type) if template else None

    def openssh(self) -> str:
        """The one-line text form: `type base64 [comment]`."""
        text = f"{self.key_type} {base64.b64encode(self.blob).decode('ascii')}"
        return f"{text} {self.comment}" if self.comment else text


def decode_public_key_blob(blob: bytes, comment: str = "") -> PublicKey:
    """Decode and check a key blob as OpenSSH would before using it.

    Raises:
        SignatureFormatError: not a well-formed key of a kind OpenSSH knows.
    """
    reader = WireReader(blob, "public key")
    key_type = reader.text("key type")
    if key_type not in KNOWN_KEY_TYPES:
        raise SignatureFormatError(f"unknown key type '{key_type}'")
    if key_type not in SUPPORTED_KEY_TYPES:
        return PublicKey(key_type, blob, None, comment)
    params: KeyParams
    if key_type == "ssh-ed25519":
        public = reader.string("ed25519 key")
        if len(public) != 32:
            raise SignatureFormatError(f"malformed public key: ed25519 key of {len(public)} bytes")
        params = Ed25519Params(public)
    elif key_type == "ssh-rsa":
        e, n = reader.mpint("rsa exponent"), reader.mpint("rsa modulus")
        if n.bit_length() < MIN_RSA_BITS:
            raise SignatureFormatError(
                f"RSA key of {n.bit_length()} bits is too small (OpenSSH needs {MIN_RSA_BITS})"
            )
        params = RsaParams(e, n)
    else:
        curve, size = ECDSA_CURVES[key_type]
        named = reader.text("curve name")
        if named != curve:
            raise SignatureFormatError(f"malformed public key: curve {named} in a {key_type} key")
        point = reader.string("ecdsa point")
        if len(point) != 1 + 2 * size or point[0] != 4:
            raise SignatureFormatError("malformed public key: not an uncompressed curve point")
        params = EcdsaParams(curve, point)
    reader.end()
    return PublicKey(key_type, blob, params, comment)


def encode_public_key(params: KeyParams) -> bytes:
    """The canonical blob of a supported key (what a signer embeds in its signature)."""
    if isinstance(params, Ed25519Params):
        return encode_string(b"ssh-ed25519") + encode_string(params.public)
    if isinstance(params, RsaParams):
        return encode_string(b"ssh-rsa") + encode_mpint(params.e) + encode_mpint(params.n)
    key_type = "ecdsa-sha2-" + params.curve
    return (
        encode_string(key_type.encode("ascii"))
        + encode_string(params.curve.encode("ascii"))
        + encode_string(params.point)
    )


def read_public_key(text: str) -> tuple[PublicKey, str]:
    """Read `type base64` from the front of text, as OpenSSH's sshkey_read does.

    Returns the key (the rest of the text as its comment) and that rest, stripped.

    Raises:
        SignatureFormatError: the text does not start with a well-formed public key.
    """
    parts = text.lstrip(" \t").split(None, 2)
    if not parts or parts[0] not in KNOWN_KEY_TYPES:
        shown = text.strip()[:40]
        raise SignatureFormatError(f"not an OpenSSH public key: '{shown}'")
    if len(parts) < 2:
        raise SignatureFormatError(f"{parts[0]} key without its base64 data")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except binascii.Error:
        raise SignatureFormatError(f"{parts[0]} key whose data is not base64") from None
    key = decode_public_key_blob(blob)
    if key.key_type != parts[0]:
        raise SignatureFormatError(f"{key.key_type} key data labelled {parts[0]}")
    rest = parts[2].strip() if len(parts) == 3 else ""
    return PublicKey(key.key_type, key.blob, key.params, rest), rest


def parse_public_key(text: str) -> PublicKey:
    """Parse one public key line, `ssh-ed25519 AAAA... [comment]`, as in a .pub file.

    >>> key = "AAAAC3NzaC1lZDI1NTE5AAAAIGKEYJQAJbDg+mVBzRefooTkDjPYsV3TcKRe6xfjSaZ6"
    >>> parse_public_key(f"ssh-ed25519 {key} me").fingerprint
    'SHA256:gWUlb58NtVs6pAb1hpOcKkEodY2XiwYmqIl8f9J9Itw'

    Raises:
        SignatureFormatError: the text is not a public key line.
    """
    return read_public_key(text.strip())[0]


_PRIVATE_BEGIN = "-----BEGIN OPENSSH PRIVATE KEY-----"
_PRIVATE_END = "-----END OPENSSH PRIVATE KEY-----"
_PRIVATE_MAGIC = b"openssh-key-v1\x00"


@dataclass(frozen=True)
class PrivateKeyInfo:
    """What a private key file says before any decryption: enough for a clear error."""

    format: str  # "openssh", "pem" or "public" (a public key given where a private one belongs)
    encrypted: bool
    public_key: PublicKey | None


def inspect_private_key(text: str) -> PrivateKeyInfo | None:
    """Recognise an OpenSSH or PEM private key file (or a public key by mistake); None if neither.

    The OpenSSH format keeps the public key and the cipher name in clear, so an encrypted key
    or a security key is named before anything tries to load it.
    """
    stripped = text.strip()
    if stripped.startswith(_PRIVATE_BEGIN) and _PRIVATE_END in stripped:
        body = stripped[len(_PRIVATE_BEGIN) : stripped.index(_PRIVATE_END)]
        try:
            blob = base64.b64decode("".join(body.split()), validate=True)
        except binascii.Error:
            return None
        if not blob.startswith(_PRIVATE_MAGIC):
            return None
        reader = WireReader(blob[len(_PRIVATE_MAGIC) :], "private key")
        try:
            cipher = reader.text("cipher name")
            reader.string("kdf name"), reader.string("kdf options")
            count = reader.u32("key count")
            key = decode_public_key_blob(reader.string("public key")) if count == 1 else None
        except SignatureFormatError:
            return None
        return PrivateKeyInfo("openssh", cipher != "none", key)
    if stripped.startswith("-----BEGIN ") and "PRIVATE KEY-----" in stripped.split("\n", 1)[0]:
        encrypted = (
            "ENCRYPTED" in stripped.split("\n", 2)[0] or "Proc-Type: 4,ENCRYPTED" in stripped
        )
        return PrivateKeyInfo("pem", encrypted, None)
    try:
        return PrivateKeyInfo("public", False, parse_public_key(stripped.split("\n", 1)[0]))
    except SignatureFormatError:
        return None
