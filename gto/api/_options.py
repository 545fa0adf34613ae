"""Options of gto's own read features, kept light: importing them loads nothing else."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Verify"]


@dataclass(frozen=True)
class Verify:
    """How `--verify` decides whose signatures count and which promotion rules apply.

    `rules_ref`: the ref whose `.gto` (and the signer files it names) counts; None for the
    remote's default branch as a clone records it (`origin/HEAD`), else HEAD.
    `allowed_signers`: an allowed signers file to use instead of any configured one.
    """

    rules_ref: str | None = None
    allowed_signers: str | None = None
