"""Signatures beside what tags made (`--verify`): the mapping views take, and its table cells.

gto.api._trust verifies each tag and gives its signature's JSON fields
(`signed, format, key_type, fingerprint, principal, status, reason`); the views put them
beside the values those tags made, and derive table cells from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Signatures", "signature_cell", "signature_of", "signed_cell"]

# Tag name -> its signature's fields; None when nothing was verified (no `--verify`).
Signatures = Mapping[str, Mapping[str, Any] | None] | None


def signature_cell(signature: Mapping[str, Any] | None) -> str | None:
    """A table cell: `good: alice@example.com`, or the status (`unsigned`, `bad`...).

    >>> signature_cell({"status": "good", "principal": "alice@example.com"})
    'good: alice@example.com'
    """
    if signature is None:
        return None
    good = signature["status"] == "good"
    return f"good: {signature['principal']}" if good else str(signature["status"])


def signature_of(signatures: Signatures, tag: str | None) -> Mapping[str, Any] | None:
    return None if signatures is None or tag is None else signatures.get(tag)


def signed_cell(shown: str | None, tag: str | None, signatures: Signatures) -> str | None:
    """`v1.0.0`, or with `--verify` `v1.0.0 (good: alice@example.com)`.

    >>> signed_cell("v1.0.0", "m@v1.0.0", {"m@v1.0.0": {"status": "unsigned"}})
    'v1.0.0 (unsigned)'
    """
    signature = signature_of(signatures, tag)
    return shown if shown is None or signature is None else f"{shown} ({signature_cell(signature)})"
