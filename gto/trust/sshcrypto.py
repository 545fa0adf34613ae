"""The cryptography behind SSH signatures, on the `cryptography` package (extra `gto[sign]`).

Import this module only when a signature is to be made or checked: without the package the
import raises SigningUnavailable, one line telling how to install it, and nothing else in gto
needs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gto.exceptions import (
    SignatureFormatError,
    SigningKeyError,
    SigningUnavailable,
    UnsupportedSignature,
)

try:
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import (
        decode_dss_signature,
        encode_dss_signature,
    )
except ImportError:  # the plain install: signing is an optional extra
    raise SigningUnavailable("Signing or verifying SSH signatures") from None

from gto.git.signature import attach_signature
from gto.trust.sshkeys import (
    EcdsaParams,
    Ed25519Params,
    PublicKey,
    RsaParams,
    decode_public_key_blob,
    encode_public_key,
    inspect_private_key,
)
from gto.trust.sshsig import (
    GIT_NAMESPACE,
    SshSignature,
    armor,
    decode_ecdsa_signature,
    encode_ecdsa_signature,
    encode_sshsig,
    signed_data,
)

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_CURVES: dict[str, tuple[ec.EllipticCurve, hashes.HashAlgorithm]] = {
    "nistp256": (ec.SECP256R1(), hashes.SHA256()),
    "nistp384": (ec.SECP384R1(), hashes.SHA384()),
    "nistp521": (ec.SECP521R1(), hashes.SHA512()),
}
_CURVE_NAMES = {"secp256r1": "nistp256", "secp384r1": "nistp384", "secp521r1": "nistp521"}
_RSA_HASHES: dict[str, hashes.HashAlgorithm] = {
    "rsa-sha2-512": hashes.SHA512(),
    "rsa-sha2-256": hashes.SHA256(),
}
SIGNING_HASH = "sha512"  # what ssh-keygen -Y sign uses


@dataclass(frozen=True)
class SigningKey:
    """A loaded private key and the public key it signs as."""

    public_key: PublicKey
    private: PrivateKey


def _public_params(private: PrivateKey) -> Ed25519Params | RsaParams | EcdsaParams:
    public = private.public_key()
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return Ed25519Params(raw)
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        return RsaParams(numbers.e, numbers.n)
    curve = _CURVE_NAMES.get(public.curve.name)
    if curve is None:
        raise SigningKeyError(f"ECDSA curve {public.curve.name} is not supported by OpenSSH")
    point = public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return EcdsaParams(curve, point)


def load_signing_key(path: str | Path) -> SigningKey:
    """Load an unencrypted OpenSSH (or PEM) private key file to sign with.

    Raises:
        SigningKeyError: unreadable, encrypted, a public key, or a kind gto cannot sign with.
    """
    name = str(path)
    if name.startswith("key::"):
        raise SigningKeyError(
            "A literal signing key (key::...) needs ssh-agent, which gto does not use; "
            "give the path of the private key file"
        )
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise SigningKeyError(f"Cannot read signing key '{name}': {e.strerror}") from None
    info = inspect_private_key(data.decode("utf-8", "replace"))
    if info is None:
        raise SigningKeyError(f"'{name}' is not an OpenSSH private key file")
    if info.format == "public":
        raise SigningKeyError(
            f"'{name}' is a public key; signing through ssh-agent is not supported, "
            "give the private key file"
        )
    if info.public_key is not None and info.public_key.unsupported_reason:
        raise SigningKeyError(f"Cannot sign with '{name}': {info.public_key.unsupported_reason}")
    if info.encrypted:
        raise SigningKeyError(
            f"Signing key '{name}' is protected by a passphrase, which gto cannot ask for; "
            "use an unencrypted key (for example a dedicated key for CI)"
        )
    try:
        loaded: object = (
            serialization.load_ssh_private_key(data, password=None)
            if info.format == "openssh"
            else serialization.load_pem_private_key(data, password=None)
        )
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise SigningKeyError(f"Cannot load signing key '{name}': {e}") from None
    if not isinstance(loaded, PrivateKey):
        raise SigningKeyError(
            f"Cannot sign with '{name}': only ed25519, rsa and ecdsa keys are supported"
        )
    return SigningKey(decode_public_key_blob(encode_public_key(_public_params(loaded))), loaded)


def sign_message(key: SigningKey, message: bytes, namespace: str = GIT_NAMESPACE) -> SshSignature:
    """Sign as `ssh-keygen -Y sign -n NAMESPACE` does: SHA-512 of the message, and for RSA keys
    rsa-sha2-512 (OpenSSH refuses SHA-1 RSA signatures)."""
    data = signed_data(namespace, SIGNING_HASH, message)
    private = key.private
    if isinstance(private, ed25519.Ed25519PrivateKey):
        algorithm, raw = "ssh-ed25519", private.sign(data)
    elif isinstance(private, rsa.RSAPrivateKey):
        algorithm = "rsa-sha2-512"
        raw = private.sign(data, padding.PKCS1v15(), hashes.SHA512())
    else:
        params = key.public_key.params
        assert isinstance(params, EcdsaParams)
        algorithm = key.public_key.key_type
        der = private.sign(data, ec.ECDSA(_CURVES[params.curve][1]))
        raw = encode_ecdsa_signature(*decode_dss_signature(der))
    return SshSignature(key.public_key, namespace, SIGNING_HASH, algorithm, raw)


def sign_tag(payload: bytes, key: SigningKey) -> bytes:
    """The raw signed tag object for a tag payload, as `git tag -s` with gpg.format=ssh makes it."""
    return attach_signature(payload, armor(encode_sshsig(sign_message(key, payload))))


def verify_signature(sig: SshSignature, message: bytes) -> str | None:
    """Check the signature against its own embedded key: None when it holds, else why not.

    This proves only that the embedded key signed this message in sig.namespace; whether that
    key may sign is the allowed signers file's question.

    Raises:
        UnsupportedSignature: a key kind gto does not verify.
    """
    key = sig.public_key
    if key.unsupported_reason:
        raise UnsupportedSignature(key.unsupported_reason)
    data = signed_data(sig.namespace, sig.hash_algorithm, message, sig.reserved)
    params = key.params
    try:
        if isinstance(params, Ed25519Params):
            if sig.signature_algorithm != "ssh-ed25519":
                return f"{sig.signature_algorithm} signature made with an ssh-ed25519 key"
            public = ed25519.Ed25519PublicKey.from_public_bytes(params.public)
            public.verify(sig.signature, data)
        elif isinstance(params, RsaParams):
            digest = _RSA_HASHES.get(sig.signature_algorithm)
            if digest is None:
                return f"RSA signature algorithm '{sig.signature_algorithm}' is not accepted"
            rsa_key = rsa.RSAPublicNumbers(params.e, params.n).public_key()
            rsa_key.verify(sig.signature, data, padding.PKCS1v15(), digest)
        elif isinstance(params, EcdsaParams):
            if sig.signature_algorithm != key.key_type:
                return f"{sig.signature_algorithm} signature made with an {key.key_type} key"
            curve, digest = _CURVES[params.curve]
            ec_key = ec.EllipticCurvePublicKey.from_encoded_point(curve, params.point)
            der = encode_dss_signature(*decode_ecdsa_signature(sig.signature))
            ec_key.verify(der, data, ec.ECDSA(digest))
        else:  # pragma: no cover - every supported key decodes to one of the above
            raise UnsupportedSignature(f"{key.key_type} keys are not supported")
    except InvalidSignature:
        return "the signature does not match the signed content"
    except SignatureFormatError as e:
        return str(e)
    except ValueError as e:
        return f"the signature cannot be checked: {e}"
    return None
