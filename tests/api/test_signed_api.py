"""The Python API of issue 11: `sign=` on writes, `verify=` on show/history, `diff`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from audit_scenario import scenario_repos, when
from builders import Commit, build_registry
from signers import KeyPair

from gto import api
from gto.api import commands
from gto.trust.sshcrypto import load_signing_key


@pytest.fixture
def repo(tmp_path: Path, clock: Callable[[int], None]) -> Path:
    path = tmp_path / "repo"
    build_registry(path, [Commit("c1", {"artifacts.yaml": "churn: {}\n"}, at=10)])
    return path


def test_signed_writes_and_verified_reads(
    repo: Path, tmp_path: Path, keys: dict[str, KeyPair]
) -> None:
    key = str(keys["ed25519"].private)
    api.register(repo, "churn", "HEAD", sign=True, signing_key=key)
    api.assign(repo, "churn", "prod", version="v0.0.1", sign=True, signing_key=key)
    signers = tmp_path / "signers"
    signers.write_text(f"alice@example.com {keys['ed25519'].public_line}\n")
    verify = api.Verify(allowed_signers=str(signers))
    fingerprint = load_signing_key(key).public_key.fingerprint
    good = {
        "signed": True,
        "format": "ssh",
        "key_type": "ssh-ed25519",
        "fingerprint": fingerprint,
        "principal": "alice@example.com",
        "status": "good",
        "reason": f"good signature by alice@example.com with ED25519 key {fingerprint}",
    }
    assert api.show(repo, verify=verify)["churn"]["signature"] == {
        "version": good,
        "stage": {"prod": [good]},
    }
    [version] = api.show(repo, "churn", verify=verify)
    assert (version["signature"], version["stages"][0]["signature"]) == (good, good)
    assert [(e["ref"], e["signature"]) for e in api.history(repo, verify=verify)] == [
        ("churn#prod#1", good),
        ("churn@v0.0.1", good),
        (version["commit_hexsha"], None),  # a commit's row: no tag, no signature
    ]
    assert "signature" not in api.show(repo)["churn"]  # upstream's shapes without verify
    verified = commands.verify_ref(repo, "churn#prod#1", verify=verify)
    assert (verified.failure, verified.signature and verified.signature.principal) == (
        None,
        "alice@example.com",
    )


def test_diff(tmp_path: Path) -> None:
    repos = scenario_repos(tmp_path)
    changes = api.diff(repos(None), when(215), when(260))
    assert changes["artifacts"] == {
        "segment": {"presence": None, "deprecation": "deprecated", "versions": [], "stages": []}
    }
    typed = commands.registry_diff(repos(None), when(215), when(260))
    assert typed.to_dict() == changes
    assert [row["change"] for row in typed.changes.rows()] == ["deprecated"]


def test_verify_reads_each_tag_object_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--verify` reads the signatures of the tag objects the registry was made from, not
    every tag object again (without a cache, each read parses the object)."""
    from builders import EPOCH, init_repo, make_commit, make_tag

    from gto.git.tags import Tags

    repo = init_repo(tmp_path / "repo")
    for n, name in enumerate(["m@v1.0.0", "m#prod#1", "m@v1.0.1", "m#prod#2"]):
        if "@" in name:
            commit = make_commit(repo, {"artifacts.yaml": f"m: {{description: v{n}}}\n"})
        make_tag(repo, name, commit, time=EPOCH + n)
    repo.close()
    monkeypatch.setenv("GTO_NO_CACHE", "1")
    parsed: list[str] = []
    parse = Tags._parse

    def counted(self: Tags, oid: str) -> object:
        parsed.append(oid)
        return parse(self, oid)

    monkeypatch.setattr(Tags, "_parse", counted)
    where = str(tmp_path / "repo")
    for call in (
        lambda: api.show(where, verify=True),
        lambda: api.show(where, "m", verify=True),
        lambda: api.history(where, verify=True),
        lambda: commands.history_columns(where, verify=True),
    ):
        parsed.clear()
        call()
        assert len(parsed) == len(set(parsed)) == 4
