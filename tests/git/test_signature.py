"""Cutting a raw tag object into payload and signature where git cuts it; the tagger time."""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import EPOCH, init_repo, make_commit, make_tag
from signers import tag_payload, write_tag

from gto.git.repo import GitRepo
from gto.git.signature import (
    SignatureFormat,
    SignedObject,
    attach_signature,
    header_value,
    split_signature,
    tagger_timestamp,
)

HEAD = b"object 1111111111111111111111111111111111111111\ntype commit\ntag v1\n"
TAGGER = b"tagger Tess Tagger <tess@example.com> 1709626830 +0200\n"
PAYLOAD = HEAD + TAGGER + b"\nhello\n"
SSH = b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
PGP = b"-----BEGIN PGP SIGNATURE-----\n\niQ==\n-----END PGP SIGNATURE-----\n"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(PAYLOAD, SignedObject(PAYLOAD, b"", None), id="unsigned"),
        pytest.param(PAYLOAD + SSH, SignedObject(PAYLOAD, SSH, "ssh"), id="ssh"),
        pytest.param(PAYLOAD + PGP, SignedObject(PAYLOAD, PGP, "openpgp"), id="openpgp"),
        pytest.param(
            PAYLOAD + b"-----BEGIN PGP MESSAGE-----\nx\n",
            SignedObject(PAYLOAD, b"-----BEGIN PGP MESSAGE-----\nx\n", "openpgp"),
            id="pgp-message",
        ),
        pytest.param(
            PAYLOAD + b"-----BEGIN SIGNED MESSAGE-----\nx\n",
            SignedObject(PAYLOAD, b"-----BEGIN SIGNED MESSAGE-----\nx\n", "x509"),
            id="x509",
        ),
        pytest.param(
            PAYLOAD + PGP + SSH, SignedObject(PAYLOAD + PGP, SSH, "ssh"), id="last-marker-wins"
        ),
        pytest.param(
            PAYLOAD[:-1] + b" -----BEGIN SSH SIGNATURE-----\n",
            SignedObject(PAYLOAD[:-1] + b" -----BEGIN SSH SIGNATURE-----\n", b"", None),
            id="not-at-line-start",
        ),
        pytest.param(
            PAYLOAD + b"-----BEGIN SSH SIGNATURE-----junk",
            SignedObject(PAYLOAD, b"-----BEGIN SSH SIGNATURE-----junk", "ssh"),
            id="prefix-is-enough",
        ),
        pytest.param(SSH, SignedObject(b"", SSH, "ssh"), id="only-signature"),
        pytest.param(b"", SignedObject(b"", b"", None), id="empty"),
    ],
)
def test_split_signature(raw: bytes, expected: SignedObject) -> None:
    assert split_signature(raw) == expected


def test_attach_then_split_round_trips() -> None:
    tricky = PAYLOAD + PGP  # a message that itself quotes a signature
    raw = attach_signature(tricky, SSH)
    assert raw == tricky + SSH
    assert split_signature(raw) == SignedObject(tricky, SSH, "ssh")


def test_attach_needs_a_final_newline() -> None:
    with pytest.raises(ValueError, match="must end with a newline"):
        attach_signature(PAYLOAD[:-1], SSH)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(PAYLOAD, 1709626830, id="tagger"),
        pytest.param(HEAD + b"\nhello\n", None, id="no-tagger"),
        pytest.param(HEAD + b"\ntagger A <a@x> 5 +0000\n", None, id="tagger-in-message"),
        pytest.param(HEAD + b"tagger A <a@x> 0 +0000\n\n", None, id="zero"),
        pytest.param(HEAD + b"tagger A <a@x>\n\n", None, id="no-time"),
        pytest.param(HEAD + b"tagger A a@x 5 +0000\n\n", None, id="no-email"),
        pytest.param(HEAD + b"tagger A <a> b> 42 -0100\n\n", 42, id="last-angle"),
        pytest.param(HEAD + b"tagger A <a@x> x5 +0000\n\n", None, id="not-digits"),
    ],
)
def test_tagger_timestamp(payload: bytes, expected: int | None) -> None:
    assert tagger_timestamp(payload) == expected


def test_header_value_stops_at_message() -> None:
    assert header_value(PAYLOAD, b"tag") == b"v1"
    assert header_value(PAYLOAD, b"hello") is None


@pytest.mark.parametrize(
    ("armor", "kind"), [(SSH, "ssh"), (PGP, "openpgp")], ids=["ssh", "openpgp"]
)
def test_a_signed_tag_reads_without_its_signature(
    tmp_path: Path, armor: bytes, kind: SignatureFormat
) -> None:
    """The message of a signed tag is what git shows: the signature is not part of it, and
    the object cut where git cuts it is kept for verification (no second read)."""
    with init_repo(tmp_path / "repo") as repo:
        commit = make_commit(repo, {"a.txt": "a"})
        payload = tag_payload(commit.encode(), "churn@v1.0.0", "Registering\n\nWhy: a test\n")
        write_tag(repo, "churn@v1.0.0", payload + armor)
        make_tag(repo, "churn#prod#1", commit, time=EPOCH + 1, message="unsigned")
    with GitRepo.open(tmp_path / "repo") as git:
        names = ["churn@v1.0.0", "churn#prod#1"]
        assert [r.message for r in git.read_tags(names)] == [
            "Registering\n\nWhy: a test",
            "unsigned",
        ]
        assert [t.message for t in git.read_git_tags(names)] == [
            "Registering\n\nWhy: a test\n",
            "unsigned",
        ]
        assert git.tag_signatures(names) == {"churn@v1.0.0": SignedObject(payload, armor, kind)}
