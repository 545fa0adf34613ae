"""gto's signatures against the real git (GTO_TEST_REAL_GIT), both ways.

Tags gto signs are written by dulwich into a real repository and must pass `git tag -v` with
gpg.format=ssh; tags git signs (`git tag -s`) must pass gto's verify_tag. Each rejection is
checked on both sides: git refuses the tag, and gto gives the status that names why.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import init_repo, make_commit
from dulwich.refs import Ref
from dulwich.repo import Repo
from signers import (
    EPOCH,
    KEY_KINDS,
    KeyPair,
    need_git_tag_v,
    read_tag,
    run_tool,
    tag_payload,
    write_tag,
)

from gto.git.signature import attach_signature, split_signature
from gto.trust.allowed_signers import parse_allowed_signers, parse_revoked_keys
from gto.trust.sshcrypto import load_signing_key, sign_message, sign_tag
from gto.trust.sshkeys import parse_public_key
from gto.trust.sshsig import armor, encode_sshsig
from gto.trust.verify import SignatureCheck, Trust, verify_tag

GIT_DATE = f"@{EPOCH} +0000"


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repo]:
    """A real repository (non-bare) with one empty commit on main, made by dulwich."""
    with init_repo(tmp_path / "repo") as created:
        make_commit(created, message="init", time=EPOCH - 100)
        yield created


@pytest.fixture
def real_git() -> str:
    return need_git_tag_v()


DISPLAY = {"ed25519": "ED25519", "rsa": "RSA"}


def _git(git: str, repo: Repo, *args: str, config: dict[str, str] | None = None) -> tuple[int, str]:
    options = [item for key, value in (config or {}).items() for item in ("-c", f"{key}={value}")]
    env = {
        "GIT_COMMITTER_NAME": "Tess Tagger",
        "GIT_COMMITTER_EMAIL": "tess@example.com",
        "GIT_COMMITTER_DATE": GIT_DATE,
    }
    return run_tool(git, "-C", repo.path, *options, *args, env=env)


def _allowed(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "allowed_signers"
    path.write_text(text)
    return path


def _verify_config(allowed: Path, revoked: Path | None = None) -> dict[str, str]:
    config = {"gpg.format": "ssh", "gpg.ssh.allowedSignersFile": str(allowed)}
    if revoked is not None:
        config["gpg.ssh.revocationFile"] = str(revoked)
    return config


def _trust(allowed: Path, revoked: Path | None = None) -> Trust:
    keys = parse_revoked_keys(revoked.read_bytes(), str(revoked)) if revoked else frozenset()
    return Trust(parse_allowed_signers(allowed.read_text()), keys)


def _head(repo: Repo) -> bytes:
    return repo.refs[Ref(b"HEAD")]


@pytest.mark.parametrize("kind", sorted(KEY_KINDS))
def test_git_verifies_tags_gto_signs(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, kind: str
) -> None:
    key = load_signing_key(keys[kind].private)
    raw = sign_tag(tag_payload(_head(repo), "churn@v1.0.0", "Registering\n"), key)
    write_tag(repo, "churn@v1.0.0", raw)
    allowed = _allowed(tmp_path, f"alice@example.com {keys[kind].public_line}\n")
    code, out = _git(real_git, repo, "tag", "-v", "churn@v1.0.0", config=_verify_config(allowed))
    assert code == 0, out
    display = key.public_key.display_type
    assert out.endswith(
        f'Good "git" signature for alice@example.com with {display} key '
        f"{key.public_key.fingerprint}\n"
    )
    assert verify_tag(read_tag(repo, "churn@v1.0.0"), _trust(allowed), now=EPOCH).status == "good"


@pytest.mark.parametrize("kind", sorted(KEY_KINDS))
def test_gto_verifies_tags_git_signs(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, kind: str
) -> None:
    config = {"gpg.format": "ssh", "user.signingkey": str(keys[kind].private)}
    code, out = _git(real_git, repo, "tag", "-s", "-m", "Promote to prod", "churn#prod#1",
                     config=config)  # fmt: skip
    assert code == 0, out
    raw = read_tag(repo, "churn#prod#1")
    allowed = _allowed(tmp_path, f"alice@example.com {keys[kind].public_line}\n")
    public = parse_public_key(keys[kind].public.read_text())
    assert verify_tag(raw, _trust(allowed), now=EPOCH) == SignatureCheck(
        True, "ssh", public.key_type, public.fingerprint, "alice@example.com", "good",
        f"good signature by alice@example.com with {public.display_type} key {public.fingerprint}",
    )  # fmt: skip
    if kind == "ed25519":  # deterministic: gto makes exactly the object git made
        payload = split_signature(raw).payload
        assert sign_tag(payload, load_signing_key(keys[kind].private)) == raw


@pytest.fixture
def git_signed(real_git: str, repo: Repo, keys: dict[str, KeyPair]) -> bytes:
    """A tag `v1` signed by git with the ed25519 key; its raw content."""
    config = {"gpg.format": "ssh", "user.signingkey": str(keys["ed25519"].private)}
    code, out = _git(real_git, repo, "tag", "-s", "-m", "Promote to prod", "v1", config=config)
    assert code == 0, out
    return read_tag(repo, "v1")


def _both_reject(
    real_git: str, repo: Repo, name: str, allowed: Path, revoked: Path | None = None
) -> tuple[str, SignatureCheck]:
    code, out = _git(real_git, repo, "tag", "-v", name, config=_verify_config(allowed, revoked))
    assert code != 0, out
    return out, verify_tag(read_tag(repo, name), _trust(allowed, revoked), now=EPOCH)


def test_tampered_tag_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, git_signed: bytes
) -> None:
    write_tag(repo, "v1-tampered", git_signed.replace(b"Promote to prod", b"Promote to dev!"))
    allowed = _allowed(tmp_path, f"alice {keys['ed25519'].public_line}\n")
    out, check = _both_reject(real_git, repo, "v1-tampered", allowed)
    assert "Could not verify signature." in out
    assert (check.status, check.reason) == (
        "bad",
        "the signature does not match the signed content",
    )


def test_unknown_signer_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, git_signed: bytes
) -> None:
    allowed = _allowed(tmp_path, f"bob {keys['other'].public_line}\n")
    out, check = _both_reject(real_git, repo, "v1", allowed)
    assert "No principal matched." in out
    assert check.status == "untrusted"


def test_revoked_key_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, git_signed: bytes
) -> None:
    allowed = _allowed(tmp_path, f"alice {keys['ed25519'].public_line}\n")
    revoked = tmp_path / "revoked"
    revoked.write_text(f"# compromised\n{keys['ed25519'].public.read_text()}")
    out, check = _both_reject(real_git, repo, "v1", allowed, revoked)
    assert "Could not verify signature." in out
    assert check.status == "revoked"


def test_expired_key_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, git_signed: bytes
) -> None:
    allowed = _allowed(tmp_path, f'alice valid-before="20240305" {keys["ed25519"].public_line}\n')
    out, check = _both_reject(real_git, repo, "v1", allowed)
    assert "key has expired" in out
    assert check.status == "expired"


def test_namespace_not_allowed_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path, git_signed: bytes
) -> None:
    allowed = _allowed(tmp_path, f'alice namespaces="file" {keys["ed25519"].public_line}\n')
    out, check = _both_reject(real_git, repo, "v1", allowed)
    assert 'key is not permitted for use in signature namespace "git"' in out
    assert check.status == "untrusted"


def test_signature_for_another_namespace_rejected(
    real_git: str, repo: Repo, keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    payload = tag_payload(_head(repo), "v1", "Promote\n")
    sig = sign_message(load_signing_key(keys["ed25519"].private), payload, namespace="file")
    write_tag(repo, "v1", attach_signature(payload, armor(encode_sshsig(sig))))
    allowed = _allowed(tmp_path, f"alice {keys['ed25519'].public_line}\n")
    _, check = _both_reject(real_git, repo, "v1", allowed)
    assert (check.status, check.reason) == ("bad", "signature is for namespace 'file', not 'git'")


def test_openpgp_signed_tag_is_recognised(real_git: str, repo: Repo, tmp_path: Path) -> None:
    gpg = shutil.which("gpg")
    if gpg is None:
        pytest.skip("needs gpg")
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(home)}
    code, out = run_tool(
        gpg, "--batch", "--passphrase", "", "--quick-gen-key", "Tess <tess@example.com>",
        "ed25519", "sign", "never", env=env,
    )  # fmt: skip
    assert code == 0, out
    try:
        _, listing = run_tool(gpg, "--with-colons", "--list-secret-keys", env=env)
        fingerprint = next(x.split(":")[9] for x in listing.splitlines() if x.startswith("fpr:"))
        code, out = run_tool(
            real_git, "-C", repo.path, "-c", f"user.signingkey={fingerprint}", "tag", "-s",
            "-m", "Promote", "v1",
            env={**env, "GIT_COMMITTER_NAME": "Tess", "GIT_COMMITTER_EMAIL": "tess@example.com"},
        )  # fmt: skip
        assert code == 0, out
    finally:
        run_tool("gpgconf", "--kill", "gpg-agent", env=env)
    assert verify_tag(read_tag(repo, "v1"), Trust(None), now=EPOCH) == SignatureCheck(
        True, "openpgp", "openpgp-eddsa", fingerprint, None, "unsupported",
        "OpenPGP signatures are not verified by gto; check them with `git tag -v`",
    )  # fmt: skip
