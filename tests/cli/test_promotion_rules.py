"""Promotion rules in `.gto`: `assign` refuses (writing nothing), `--force` records the
override in the tag, `check-ref --verify` fails hand-made tags, `doctor` lists them all."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from builders import EPOCH, Commit, Tag, build_registry, make_commit, make_tag
from dulwich.objects import Tag as GitTag
from dulwich.refs import Ref
from dulwich.repo import Repo
from signers import KeyPair
from snapshots import snapshot

from gto.cli import main
from gto.trust.sshcrypto import load_signing_key

Run = Callable[..., tuple[int, str, str]]
RunIn = Callable[[Path], Run]  # conftest's `run_in`
RULES = "stages: [dev, staging, prod]\npromotion:\n  prod:\n    requires: [staging]\n"
REQUIRES = "Stage 'prod' requires the version to hold or have held 'staging' first"
REFUSED = f"❌ {REQUIRES} (promotion.prod.requires); use --force to override\n"


def rules_repo(path: Path, gto: str = RULES, *extra: Commit | Tag) -> Path:
    """c0 without rules; c1 adds `.gto`; churn@v1.0.0 registered on c1."""
    build_registry(
        path,
        [
            Commit("c0", {"artifacts.yaml": "churn: {type: model}\n"}, at=5),
            Commit("c1", {".gto": gto}, at=10),
            Tag("churn@v1.0.0", "c1", at=20),
            *extra,
        ],
    )
    return path


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return rules_repo(tmp_path / "repo")


@pytest.fixture
def run_gto(run: Run, clock: Callable[[int], None]) -> Run:
    """`gto ARGS -r REPO` (conftest's `run`), tags made by Tess at fixed times."""
    return run


def message(run_gto: Run, tag: str) -> str:
    return str(json.loads(run_gto("check-ref", tag, "--json")[1])["message"])


def test_assign_refuses_and_writes_nothing(run_gto: Run, path: Path) -> None:
    before = snapshot(path)
    assert run_gto("assign", "churn", "--version", "v1.0.0", "--stage", "prod") == (1, "", REFUSED)
    # A new version has no history: registering it on the way breaks `requires` too.
    assert run_gto("assign", "churn", "HEAD~1", "--stage", "prod") == (1, "", REFUSED)
    assert snapshot(path) == before


def test_the_required_stage_first(run_gto: Run) -> None:
    assert run_gto("assign", "churn", "--version", "v1.0.0", "--stage", "staging")[0] == 0
    assert run_gto("deprecate", "churn", "v1.0.0", "staging")[0] == 0  # having held it counts
    assert run_gto("assign", "churn", "--version", "v1.0.0", "--stage", "prod")[0] == 0
    made = message(run_gto, "churn#prod#3")
    assert made == "Assigning stage prod to artifact churn version v1.0.0"
    assert run_gto("check-ref", "churn#prod#3", "--verify")[0] == 0
    assert run_gto("doctor")[0] == 0


def test_force_records_the_override_in_the_tag(run_gto: Run) -> None:
    code, out, err = run_gto(
        "assign", "churn", "--version", "v1.0.0", "--stage", "prod", "--force", "-m", "INC-42"
    )
    assert (code, err) == (0, "")
    assert message(run_gto, "churn#prod#1") == "INC-42\n\nGTO-Force: promotion.prod.requires"
    forced = f"churn#prod#1: {REQUIRES} (forced: GTO-Force: promotion.prod.requires)"
    assert run_gto("check-ref", "churn#prod#1", "--verify") == (
        0,
        '✅  Stage "prod" was assigned to version "v1.0.0" of artifact "churn"\n'
        "Signature: the tag is not signed\n"
        f"Promotion rules overridden: {forced}\n",
        "",
    )
    code, out, _ = run_gto("doctor")
    assert (code, out.splitlines()[-2:]) == (
        0,
        [f"⚠️ {forced} [churn#prod#1]", "✅  No issues found"],
    )


def test_a_hand_made_tag_fails_check_ref_verify(run_gto: Run, path: Path) -> None:
    """A tag pushed with plain git, breaking the rule: CI's check fails, doctor lists it."""
    with Repo(str(path)) as repo:
        make_tag(repo, "churn#prod#1", repo.refs[Ref(b"HEAD")].decode(), time=EPOCH + 30)
    assert run_gto("check-ref", "churn#prod#1") == (
        0,
        '✅  Stage "prod" was assigned to version "v1.0.0" of artifact "churn"\n',
        "",
    )
    line = f"❌ churn#prod#1: {REQUIRES}\n"
    assert run_gto("check-ref", "churn#prod#1", "--verify") == (1, "", line)
    # For CI: verified first, then reported; a tag that fails gives no report at all.
    assert run_gto("check-ref", "churn#prod#1", "--verify", "--format", "json") == (1, "", line)
    code, out, _ = run_gto("check-ref", "churn@v1.0.0", "--verify", "--format", "json")
    assert (code, json.loads(out)["tag"]) == (0, "churn@v1.0.0")
    code, out, _ = run_gto("doctor", "--json")
    assert (code, json.loads(out)) == (
        1,
        {"issues": [{"check": "promotion-rules", "message": line[2:-1], "tags": ["churn#prod#1"]}]},
    )


def test_rules_come_from_the_rules_ref_not_the_tagged_commit(tmp_path: Path, run_in: RunIn) -> None:
    """The tag points at c0, whose tree has no `.gto`: HEAD's rules still apply."""
    path = rules_repo(tmp_path / "repo", RULES, Tag("churn#prod#1", "c0", at=30))

    def verify(*args: str) -> tuple[int, str]:
        code, _, err = run_in(path)("check-ref", "churn#prod#1", "--verify", *args)
        return code, err

    assert verify() == (1, f"❌ churn#prod#1: {REQUIRES}\n")
    assert verify("--rules-ref", "HEAD~1") == (0, "")  # a ref without rules: nothing to break
    with Repo(str(path)) as repo:
        head = repo.refs[Ref(b"HEAD")]
        origin_main = Ref(b"refs/remotes/origin/main")
        repo.refs[origin_main] = repo[head].parents[0]  # type: ignore[attr-defined]
        repo.refs.set_symbolic_ref(Ref(b"refs/remotes/origin/HEAD"), origin_main)
        assert verify() == (0, "")  # origin/HEAD wins over HEAD: the remote's default branch
        del repo.refs[Ref(b"refs/remotes/origin/HEAD")]
    (path / ".git" / "HEAD").write_bytes(head + b"\n")  # detached, as a CI checkout of a tag
    code, err = verify()
    assert (code, err.startswith("❌ HEAD is detached and there is no origin/HEAD")) == (1, True)
    assert verify("--rules-ref", "main") == (1, f"❌ churn#prod#1: {REQUIRES}\n")


def test_the_environment_pins_the_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = rules_repo(
        tmp_path / "repo", "stages: [staging, prod]\n", Tag("churn#prod#1", "c1", at=30)
    )
    monkeypatch.setenv("GTO_PROMOTION", '{"prod": {"requires": ["staging"]}}')
    assert main(["check-ref", "churn#prod#1", "--verify", "-r", str(path)]) == 1
    assert capsys.readouterr().err == f"❌ churn#prod#1: {REQUIRES}\n"


def test_broken_rules_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = rules_repo(tmp_path / "repo", "promotion:\n  prod: {requires: staging}\n")
    assert main(["assign", "churn", "--version", "v1.0.0", "--stage", "prod", "-r", str(path)]) == 1
    assert capsys.readouterr().err == (
        f"❌ Wrong config file '{path.resolve()}/.gto': promotion.prod.requires: expected a list "
        "of stage names, got 'staging'\n"
    )


# --- signature rules ------------------------------------------------------------------------

SIGNED = (
    "stages: [dev, staging, prod]\n"
    "promotion:\n"
    "  prod: {requires: [staging], signers: [alice@example.com]}\n"
    "allowed_signers: .gto-signers\n"
)


@pytest.fixture
def signed_path(tmp_path: Path, keys: dict[str, KeyPair]) -> Path:
    path = rules_repo(tmp_path / "signed", SIGNED)
    signers = (
        f"alice@example.com {keys['ed25519'].public_line}\n"
        f"bob@example.com {keys['rsa'].public_line}\n"
    )
    with Repo(str(path)) as repo:
        make_commit(repo, {".gto-signers": signers}, time=EPOCH + 15)
    return path


def test_signature_rules_cannot_be_forced(
    signed_path: Path, keys: dict[str, KeyPair], run_in: RunIn, clock: Callable[[int], None]
) -> None:
    def gto(*args: str | Path) -> tuple[int, str]:
        code, _, err = run_in(signed_path)(*args)
        return code, err

    prod = ["assign", "churn", "--version", "v1.0.0", "--stage", "prod"]
    unsigned = "Stage 'prod' requires tags signed by a trusted key; the tag is not signed"
    assert gto(*prod, "--force") == (1, f"❌ {unsigned} (promotion.prod.signed)\n")
    assert gto(*prod, "--force", "--sign", "--signing-key", keys["rsa"].private) == (
        1,
        "❌ Stage 'prod' accepts tags signed by alice@example.com only; the tag is signed by "
        "bob@example.com (promotion.prod.signers)\n",
    )
    assert gto(*prod, "--force", "--sign", "--signing-key", keys["other"].private) == (
        1,
        "❌ Stage 'prod' requires tags signed by a trusted key; the tag is signed: untrusted "
        "(promotion.prod.signed)\n",
    )
    alice: list[str | Path] = ["--sign", "--signing-key", keys["ed25519"].private]
    assert gto(*prod, *alice) == (1, REFUSED.replace("\n", "") + "\n")
    assert gto("assign", "churn", "--version", "v1.0.0", "--stage", "staging") == (0, "")
    assert gto(*prod, *alice) == (0, "")
    assert gto("check-ref", "churn#prod#2", "--verify") == (0, "")
    assert gto("deprecate", "churn", "v1.0.0", "prod") == (
        1,
        f"❌ {unsigned} (promotion.prod.signed)\n",
    )
    assert gto("deprecate", "churn", "v1.0.0", "prod", *alice) == (0, "")


def test_a_typed_trailer_does_not_stand_in_for_a_signature(
    signed_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Repo(str(signed_path)) as repo:
        head = repo.refs[Ref(b"HEAD")].decode()
        make_tag(repo, "churn#staging#1", head, time=EPOCH + 30)
        trailer = "x\n\nGTO-Force: promotion.prod.signers, promotion.prod.signed\n"
        make_tag(repo, "churn#prod#2", head, time=EPOCH + 40, message=trailer)
        tag = repo[repo.refs[Ref(b"refs/tags/churn#prod#2")]]
        assert isinstance(tag, GitTag)
    assert main(["check-ref", "churn#prod#2", "--verify", "-r", str(signed_path)]) == 1
    assert capsys.readouterr().err == (
        "❌ churn#prod#2: Stage 'prod' requires tags signed by a trusted key; the tag is not "
        "signed\n"
    )


def _point(path: Path, ref: str, at: str) -> None:
    """`git update-ref refs/tags/REF $(git rev-parse AT)`: no key, no new tag object."""
    with Repo(str(path)) as repo:
        repo.refs[Ref(f"refs/tags/{ref}".encode())] = repo.refs[Ref(f"refs/tags/{at}".encode())]


def test_a_signed_tag_under_another_ref_name_is_no_promotion(
    signed_path: Path, keys: dict[str, KeyPair], run_in: RunIn, clock: Callable[[int], None]
) -> None:
    """Alice signed `churn#staging#1`; a ref `churn#prod#2` at that object is no signed prod
    promotion (the signature covers the object's name), nor any event at all."""
    gto = run_in(signed_path)
    alice: list[str | Path] = ["--sign", "--signing-key", keys["ed25519"].private]
    staging = ["assign", "churn", "--version", "v1.0.0", "--stage", "staging"]
    assert gto(*staging, *alice)[0] == 0
    _point(signed_path, "churn#prod#2", "churn#staging#1")
    ignored = (
        "Tag 'churn#prod#2' is ignored: the tag object names 'churn#staging#1', not the ref "
        "'churn#prod#2'"
    )
    assert gto("check-ref", "churn#prod#2", "--verify") == (1, "", f"❌ {ignored}\n")
    assert gto("check-ref", "churn#prod#2") == (1, "", f"❌ {ignored}\n")
    assert gto("show", "churn#prod", "--version") == (0, "", "")
    code, out, _ = gto("doctor", "--json")
    assert (code, json.loads(out)) == (
        1,
        {
            "issues": [
                {
                    "check": "renamed-tag",
                    "message": f"{ignored} (a signature covers the object's name, not the "
                    "ref's); delete the ref",
                    "tags": ["churn#prod#2"],
                }
            ]
        },
    )
    code, out, _ = gto("history", "churn", "--verify", "--json")
    assert {e["ref"]: e["signature"]["status"] for e in json.loads(out) if e["signature"]} == {
        "churn#staging#1": "good",
        "churn@v1.0.0": "unsigned",
    }


def test_an_old_signed_promotion_cannot_be_replayed_after_a_rollback(
    signed_path: Path, keys: dict[str, KeyPair], run_in: RunIn, clock: Callable[[int], None]
) -> None:
    """Prod is taken back from v1.0.0 (signed); a new ref at the old signed `churn#prod#2`
    object does not put v1.0.0 back: its counter is inside the signed name."""

    run = run_in(signed_path)

    def gto(*args: str | Path) -> tuple[int, str]:
        code, out, _ = run(*args)
        return code, out

    alice: list[str | Path] = ["--sign", "--signing-key", keys["ed25519"].private]
    assert gto("assign", "churn", "--version", "v1.0.0", "--stage", "staging", *alice)[0] == 0
    assert gto("assign", "churn", "--version", "v1.0.0", "--stage", "prod", *alice)[0] == 0
    assert gto("deprecate", "churn", "v1.0.0", "prod", *alice)[0] == 0  # churn#prod!#3
    assert gto("show", "churn#prod", "--version") == (0, "")
    _point(signed_path, "churn#prod#4", "churn#prod#2")
    assert gto("show", "churn#prod", "--version") == (0, "")
    renamed = "❌ Tag 'churn#prod#4' is ignored: the tag object names 'churn#prod#2', not the ref "
    renamed += "'churn#prod#4'"
    assert run("check-ref", "churn#prod#4", "--verify") == (1, "", renamed + "\n")
    fingerprint = load_signing_key(keys["ed25519"].private).public_key.fingerprint
    assert run("check-ref", "churn#prod#2", "--verify") == (  # the original is still good
        0,
        '✅  Stage "prod" was assigned to version "v1.0.0" of artifact "churn"\n'
        f"Signature: good signature by alice@example.com with ED25519 key {fingerprint}\n",
        "",
    )
    code, out, err = run("doctor")
    assert (code, err) == (1, "")
    assert out.splitlines()[-1] == (
        f"{renamed} (a signature covers the object's name, not the ref's); delete the ref "
        "[churn#prod#4]"
    )
