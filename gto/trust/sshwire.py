"""SSH wire encoding (RFC 4251 section 5): the few types that keys and SSHSIG blobs use.

Decoding is strict, as OpenSSH's is: lengths must fit, integers must be minimal and
non-negative, and the caller checks that nothing is left over. A blob that breaks these rules
is not a signature or key that OpenSSH would accept, so it is not one here either.
"""

from __future__ import annotations

import struct

from gto.exceptions import SignatureFormatError


def encode_u32(value: int) -> bytes:
    """A uint32, big-endian.

    >>> encode_u32(1)
    b'\\x00\\x00\\x00\\x01'
    """
    return struct.pack(">I", value)


def encode_string(value: bytes) -> bytes:
    """A length-prefixed byte string.

    >>> encode_string(b"git")
    b'\\x00\\x00\\x00\\x03git'
    """
    return encode_u32(len(value)) + value


def encode_mpint(value: int) -> bytes:
    """A non-negative multiple-precision integer: minimal two's complement, big-endian.

    >>> encode_mpint(0x80)
    b'\\x00\\x00\\x00\\x02\\x00\\x80'
    """
    if value < 0:
        raise ValueError("negative mpint")
    if value == 0:
        return encode_string(b"")
    raw = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return encode_string(raw)


class WireReader:
    """Reads SSH wire values from the front of a byte string, naming what it expected."""

    def __init__(self, data: bytes, what: str) -> None:
        self._data = data
        self._offset = 0
        self._what = what

    def _fail(self, problem: str) -> SignatureFormatError:
        return SignatureFormatError(f"malformed {self._what}: {problem}")

    def take(self, size: int, field: str) -> bytes:
        """The next `size` bytes."""
        end = self._offset + size
        if end > len(self._data):
            raise self._fail(f"{field} is cut short")
        chunk = self._data[self._offset : end]
        self._offset = end
        return chunk

    def u32(self, field: str) -> int:
        """The next uint32."""
        value: int = struct.unpack(">I", self.take(4, field))[0]
        return value

    def string(self, field: str) -> bytes:
        """The next length-prefixed string."""
        return self.take(self.u32(field), field)

    def text(self, field: str) -> str:
        """The next string, which must be ASCII (names of algorithms, namespaces)."""
        raw = self.string(field)
        try:
            return raw.decode("ascii")
        except UnicodeDecodeError:
            raise self._fail(f"{field} is not ASCII text") from None

    def mpint(self, field: str) -> int:
        """The next mpint; negative or padded values are refused as OpenSSH refuses them."""
        raw = self.string(field)
        if raw and raw[0] & 0x80:
            raise self._fail(f"{field} is negative")
        if len(raw) > 1 and raw[0] == 0 and not raw[1] & 0x80:
            raise self._fail(f"{field} has a needless leading zero")
        return int.from_bytes(raw, "big")

    def end(self) -> None:
        """Check that every byte was read: trailing bytes make a blob ambiguous."""
        if self._offset != len(self._data):
            raise self._fail(f"{len(self._data) - self._offset} unexpected trailing bytes")
