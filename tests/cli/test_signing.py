"""`--sign` and `--verify` end to end, against git's own `git tag -s` / `git tag -v`.

git (GTO_TEST_REAL_GIT) and ssh-keygen act on the reference side only: git verifies the tags
gto signs and signs tags for gto to verify. A tampered tag, an unknown signer and a revoked
key are each rejected by both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from builders import EPOCH, Commit, build_registry, tag_names
from dulwich.objects import Tag
from dulwich.refs import Ref
from dulwich.repo import Repo
from signers import KeyPair, make_key, need_git_tag_v, run_tool
from snapshots import snapshot

import gto
from gto.cli import main
from gto.trust.sshcrypto import load_signing_key

Run = Callable[..., tuple[int, str, str]]
SIGNED_AT = EPOCH + 1000
PROJECT = Path(gto.__file__).resolve().parent.parent


@pytest.fixture
def path(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    build_registry(repo, [Commit("c1", {"artifacts.yaml": "churn: {type: model}\n"}, at=10)])
    return repo


@pytest.fixture
def gto_run(run: Run, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`gto ARGS -r REPO` (conftest's `run`) as Tess at SIGNED_AT."""
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{SIGNED_AT} +0000")
    return run


def git(repo: Path, *args: str, config: dict[str, str] | None = None) -> tuple[int, str]:
    """The real git in `repo`, as Tess at SIGNED_AT, with `-c` settings."""
    options = [item for key, value in (config or {}).items() for item in ("-c", f"{key}={value}")]
    env = {
        "GIT_COMMITTER_NAME": "Tess Tagger",
        "GIT_COMMITTER_EMAIL": "tess@example.com",
        "GIT_COMMITTER_DATE": f"@{SIGNED_AT} +0000",
    }
    return run_tool(need_git_tag_v(), "-C", str(repo), *options, *args, env=env)


def allowed(folder: Path, *lines: str) -> Path:
    file = folder / "allowed_signers"
    file.write_text("".join(f"{line}\n" for line in lines))
    return file


def verifying(signers: Path, revoked: Path | None = None) -> dict[str, str]:
    config = {"gpg.format": "ssh", "gpg.ssh.allowedSignersFile": str(signers)}
    if revoked is not None:
        config["gpg.ssh.revocationFile"] = str(revoked)
    return config


def good(key: KeyPair, principal: str = "alice@example.com") -> str:
    public = load_signing_key(key.private).public_key
    return (
        f'Good "git" signature for {principal} with {public.display_type} key '
        f"{public.fingerprint}\n"
    )


# --- gto signs, git verifies --------------------------------------------------------------

WRITES = [
    pytest.param([], ["register", "churn"], "churn@v0.0.1", id="register"),
    pytest.param([["register", "churn"]], ["assign", "churn", "--version", "v0.0.1", "--stage",
                 "prod"], "churn#prod#1", id="assign"),
    pytest.param([["register", "churn"], ["assign", "churn", "--version", "v0.0.1", "--stage",
                 "prod"]], ["deprecate", "churn", "v0.0.1", "prod"], "churn#prod!#2",
                 id="unassign"),
    pytest.param([["register", "churn"]], ["deprecate", "churn", "v0.0.1"], "churn@v0.0.1!",
                 id="deregister"),
    pytest.param([["register", "churn"]], ["deprecate", "churn"], "churn@deprecated",
                 id="deprecate"),
]  # fmt: skip


@pytest.mark.parametrize(("before", "command", "tag"), WRITES)
def test_git_verifies_what_gto_signs(
    gto_run: Run,
    path: Path,
    tmp_path: Path,
    keys: dict[str, KeyPair],
    before: list[list[str]],
    command: list[str],
    tag: str,
) -> None:
    for args in before:
        assert gto_run(*args)[0] == 0
    code, out, err = gto_run(*command, "--sign", "--signing-key", keys["ed25519"].private)
    assert (code, err) == (0, ""), err
    signers = allowed(tmp_path, f"alice@example.com {keys['ed25519'].public_line}")
    assert git(path, "tag", "-v", tag, config=verifying(signers))[0] == 0
    assert git(path, "tag", "-v", tag, config=verifying(signers))[1].endswith(good(keys["ed25519"]))
    code, out, _ = gto_run("check-ref", tag, "--verify", "--allowed-signers", signers)
    fingerprint = load_signing_key(keys["ed25519"].private).public_key.fingerprint
    assert (code, out.splitlines()[1]) == (
        0,
        f"Signature: good signature by alice@example.com with ED25519 key {fingerprint}",
    )


@pytest.mark.parametrize("kind", ["rsa", "ecdsa256", "ecdsa384", "ecdsa521"])
def test_every_key_kind(
    gto_run: Run, path: Path, tmp_path: Path, keys: dict[str, KeyPair], kind: str
) -> None:
    assert gto_run("register", "churn", "--sign", "--signing-key", keys[kind].private)[0] == 0
    signers = allowed(tmp_path, f"alice@example.com {keys[kind].public_line}")
    code, out = git(path, "tag", "-v", "churn@v0.0.1", config=verifying(signers))
    assert (code, out.endswith(good(keys[kind]))) == (0, True), out


def test_a_signed_tag_is_the_very_object_git_makes(
    gto_run: Run, path: Path, tmp_path: Path, keys: dict[str, KeyPair]
) -> None:
    """ed25519 signatures are deterministic: same tag, tagger, time and message, same bytes."""
    assert gto_run("register", "churn", "--sign", "--signing-key", keys["ed25519"].private)[0] == 0
    twin = tmp_path / "twin"
    build_registry(twin, [Commit("c1", {"artifacts.yaml": "churn: {type: model}\n"}, at=10)])
    key = {"gpg.format": "ssh", "user.signingkey": str(keys["ed25519"].private)}
    message = "Registering artifact churn version v0.0.1"
    assert git(twin, "tag", "-s", "-m", message, "churn@v0.0.1", config=key)[0] == 0
    with Repo(str(path)) as mine, Repo(str(twin)) as theirs:
        ref = Ref(b"refs/tags/churn@v0.0.1")
        assert mine.refs[ref] == theirs.refs[ref]


@pytest.mark.parametrize(
    "setup",
    [
        pytest.param("env", id="GTO_SIGN-and-GTO_SIGNING_KEY"),
        pytest.param("gto-file", id="dot-gto-sign-and-user.signingkey-with-tilde"),
        pytest.param("pub", id="user.signingkey-naming-the-public-key"),
        pytest.param("flag-pub", id="signing-key-flag-naming-the-public-key"),
        pytest.param("env-pub", id="GTO_SIGNING_KEY-naming-the-public-key"),
    ],
)
def test_where_signing_is_asked_for_and_the_key_found(
    gto_run: Run,
    path: Path,
    keys: dict[str, KeyPair],
    monkeypatch: pytest.MonkeyPatch,
    setup: str,
) -> None:
    home = Path(os.environ["HOME"])
    (home / ".ssh").mkdir(exist_ok=True)
    for suffix in ("", ".pub"):
        target = home / ".ssh" / f"id_ed25519{suffix}"
        target.write_bytes(Path(f"{keys['ed25519'].private}{suffix}").read_bytes())
        target.chmod(0o600)
    args: list[str] = []
    if setup == "env":
        monkeypatch.setenv("GTO_SIGN", "1")
        monkeypatch.setenv("GTO_SIGNING_KEY", str(keys["ed25519"].private))
    elif setup == "env-pub":
        monkeypatch.setenv("GTO_SIGN", "1")
        monkeypatch.setenv("GTO_SIGNING_KEY", str(home / ".ssh" / "id_ed25519.pub"))
    elif setup == "flag-pub":
        args = ["--sign", "--signing-key", str(home / ".ssh" / "id_ed25519.pub")]
    else:
        (path / ".gto").write_text("sign: true\n")
        pub = ".pub" if setup == "pub" else ""
        config = f"[gpg]\n\tformat = ssh\n[user]\n\tsigningkey = ~/.ssh/id_ed25519{pub}\n"
        with open(path / ".git" / "config", "a") as f:
            f.write(config)
    assert gto_run("register", "churn", *args)[0] == 0
    out = gto_run("history", "--verify", "--json")[1]
    signatures = {e["ref"]: e["signature"] for e in json.loads(out) if e["event"] != "commit"}
    public = load_signing_key(keys["ed25519"].private).public_key
    assert signatures == {
        "churn@v0.0.1": {
            "signed": True,
            "format": "ssh",
            "key_type": "ssh-ed25519",
            "fingerprint": public.fingerprint,
            "principal": None,
            "status": "untrusted",
            "reason": "no allowed signers file is configured to say who may sign",
        }
    }


def test_no_sign_wins_over_the_environment(
    gto_run: Run, path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTO_SIGN", "yes")
    assert gto_run("register", "churn", "--no-sign") == (
        0,
        "Created git tag 'churn@v0.0.1' that registers version\nTo push the changes upstream, "
        "run:\n    git push origin churn@v0.0.1\n",
        "",
    )


# --- git signs, gto verifies; and what both refuse ----------------------------------------


def _git_signed(path: Path, key: KeyPair, name: str = "churn@v1.0.0") -> None:
    config = {"gpg.format": "ssh", "user.signingkey": str(key.private)}
    code, out = git(path, "tag", "-s", "-m", "Registered by git", name, config=config)
    assert code == 0, out


def test_gto_verifies_what_git_signs(
    gto_run: Run, path: Path, tmp_path: Path, keys: dict[str, KeyPair]
) -> None:
    _git_signed(path, keys["rsa"])
    signers = allowed(tmp_path, f"alice@example.com {keys['rsa'].public_line}")
    code, out, err = gto_run("check-ref", "churn@v1.0.0", "--verify", "--allowed-signers", signers)
    public = load_signing_key(keys["rsa"].private).public_key
    assert (code, out, err) == (
        0,
        '✅  Version "v1.0.0" of artifact "churn" was registered\n'
        f"Signature: good signature by alice@example.com with RSA key {public.fingerprint}\n",
        "",
    )
    code, out, _ = gto_run("check-ref", "churn@v1.0.0", "--json", "--verify", "--allowed-signers",
                           signers)  # fmt: skip
    found = json.loads(out)
    assert (found["message"], found["signature"]["status"], found["rules"]) == (
        "Registered by git",  # the signature is not part of the message
        "good",
        {"broken": [], "forced": [], "passed": True},
    )
    code, out, _ = gto_run("show", "--verify", "--allowed-signers", signers)
    assert "│ churn  │ v1.0.0 (good: alice@example.com) │" in out


def _tamper(path: Path, name: str) -> None:
    """Change the message of a signed tag object, keep its signature: what an attacker can."""
    with Repo(str(path)) as repo:
        ref = Ref(b"refs/tags/" + name.encode())
        tag = repo[repo.refs[ref]]
        assert isinstance(tag, Tag)
        raw = tag.as_raw_string().replace(b"Registered by git", b"Registered by eve")
        forged = Tag.from_string(raw)
        repo.object_store.add_object(forged)
        repo.refs[ref] = forged.id


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        pytest.param("tampered", "bad", "the signature does not match the signed content",
                     id="tampered"),
        pytest.param("unknown", "untrusted", "no principal in the allowed signers file has "
                     "ED25519 key {fp}", id="unknown-signer"),
        pytest.param("revoked", "revoked", "ED25519 key {fp} is revoked", id="revoked-key"),
    ],
)  # fmt: skip
def test_both_refuse(
    gto_run: Run,
    path: Path,
    tmp_path: Path,
    keys: dict[str, KeyPair],
    case: str,
    status: str,
    reason: str,
) -> None:
    _git_signed(path, keys["ed25519"])
    line = f"alice@example.com {keys['ed25519'].public_line}"
    revoked = None
    if case == "tampered":
        _tamper(path, "churn@v1.0.0")
    elif case == "unknown":
        line = f"bob@example.com {keys['other'].public_line}"
    else:
        revoked = tmp_path / "revoked"
        revoked.write_text(keys["ed25519"].public.read_text())
        with open(path / ".git" / "config", "a") as f:
            f.write(f'[gpg "ssh"]\n\trevocationFile = {revoked}\n')
    signers = allowed(tmp_path, line)
    assert git(path, "tag", "-v", "churn@v1.0.0", config=verifying(signers, revoked))[0] != 0
    fingerprint = load_signing_key(keys["ed25519"].private).public_key.fingerprint
    expected = f"Tag 'churn@v1.0.0': signature is {status}: {reason.format(fp=fingerprint)}"
    code, out, err = gto_run("check-ref", "churn@v1.0.0", "--verify", "--allowed-signers", signers)
    assert (code, out, err) == (1, "", f"❌ {expected}\n")
    code, out, _ = gto_run("history", "--verify", "--allowed-signers", signers, "--plain")
    assert out.splitlines()[1].split()[-1] == status  # reported, not refused: exit 0
    assert code == 0


def test_the_allowed_signers_file_can_live_in_the_repository(
    gto_run: Run, path: Path, keys: dict[str, KeyPair]
) -> None:
    """`.gto`'s allowed_signers, read at the rules ref (HEAD on a branch)."""
    _git_signed(path, keys["ed25519"])
    with Repo(str(path)) as repo:
        from builders import make_commit

        make_commit(
            repo,
            {
                ".gto": "allowed_signers: .gto-signers\n",
                ".gto-signers": f"alice@example.com {keys['ed25519'].public_line}\n",
            },
            time=EPOCH + 20,
        )
    code, out, _ = gto_run("check-ref", "churn@v1.0.0", "--verify")
    assert (code, out.splitlines()[1].startswith("Signature: good signature by alice")) == (0, True)
    code, _, err = gto_run("check-ref", "churn@v1.0.0", "--verify", "--rules-ref", "HEAD~1")
    assert (code, err) == (
        1,
        "❌ Tag 'churn@v1.0.0': signature is untrusted: no allowed signers file is configured "
        "to say who may sign\n",
    )


# --- keys that cannot sign, and the plain install -----------------------------------------


def test_refusals_write_nothing(
    gto_run: Run, path: Path, tmp_path: Path, keys: dict[str, KeyPair]
) -> None:
    assert gto_run("register", "churn")[0] == 0
    encrypted = make_key(tmp_path, "locked", "-t", "ed25519", "-N", "secret")
    lone = tmp_path / "agent_only.pub"  # no private key beside it: ssh-agent's case
    lone.write_text(keys["ed25519"].public_line + "\n")
    before = snapshot(path)
    cases: list[tuple[list[str | Path], str]] = [
        (["register", "churn", "--sign"], "Signing needs a private key: pass --signing-key PATH, "
         "set GTO_SIGNING_KEY, or set git's user.signingkey with gpg.format=ssh"),
        (["register", "churn", "--sign", "--signing-key", encrypted.private],
         f"Signing key '{encrypted.private}' is protected by a passphrase, which gto cannot ask "
         "for; use an unencrypted key (for example a dedicated key for CI)"),
        (["register", "churn", "--sign", "--signing-key", tmp_path / "nowhere"],
         f"Cannot read signing key '{tmp_path / 'nowhere'}': No such file or directory"),
        (["deprecate", "churn", "v0.0.1", "--delete", "--sign"],
         "Nothing to sign: --delete deletes tags and writes no tag object"),
        (["register", "churn", "--sign", "--signing-key", lone],
         f"'{lone}' is a public key; signing through ssh-agent is not supported, give the "
         "private key file"),
    ]  # fmt: skip
    for args, message in cases:
        assert gto_run(*args) == (1, "", f"❌ {message}\n")
    with open(path / ".git" / "config", "a") as f:
        f.write(f"[user]\n\tsigningkey = {keys['ed25519'].private}\n")
    assert gto_run("register", "churn", "--sign") == (
        1,
        "",
        "❌ user.signingkey is for gpg.format=openpgp; gto signs with SSH keys: set "
        "gpg.format=ssh, or pass --signing-key PATH\n",
    )
    after = snapshot(path)
    assert {k: v for k, v in after.items() if k != ".git/config"} == {
        k: v for k, v in before.items() if k != ".git/config"
    }


BLOCKED = (
    "import sys\n"
    "sys.modules['cryptography'] = None  # as if `pip install gto` without the extra\n"
    "from gto.cli import main\n"
    "raise SystemExit(main(sys.argv[1:]))\n"
)


def _plain_install(*args: str | Path) -> tuple[int, str, str]:
    done = subprocess.run(
        [sys.executable, "-c", BLOCKED, *(str(a) for a in args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PROJECT), "NO_COLOR": "1"},
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_the_plain_install_says_how_to_get_signing(
    path: Path, tmp_path: Path, keys: dict[str, KeyPair], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    line = "❌ Signing or verifying SSH signatures needs the 'cryptography' package: pip install "
    line += "'gto[sign]'\n"
    before = tag_names(path)
    result = _plain_install("register", "churn", "--sign", "--signing-key", keys["ed25519"].private,
                            "-r", path)  # fmt: skip
    assert (result, tag_names(path)) == ((1, "", line), before)
    _git_signed(path, keys["ed25519"])
    signers = allowed(tmp_path, f"alice@example.com {keys['ed25519'].public_line}")
    verify = _plain_install("check-ref", "churn@v1.0.0", "--verify", "--allowed-signers", signers,
                            "-r", path)  # fmt: skip
    assert verify == (1, "", line)
    shown = _plain_install("check-ref", "churn@v1.0.0", "-r", path)  # no --verify: no need
    assert shown == (0, '✅  Version "v1.0.0" of artifact "churn" was registered\n', "")


def test_signed_tags_in_a_sha256_repository(
    tmp_path: Path, keys: dict[str, KeyPair], capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """The signed object is named in the repository's object format; git verifies it."""
    repo = tmp_path / "sha256"
    assert run_tool(need_git_tag_v(), "init", "-q", "--object-format=sha256", str(repo))[0] == 0
    assert git(repo, "commit", "-q", "--allow-empty", "-m", "init",
               config={"user.name": "A", "user.email": "a@x"})[0] == 0  # fmt: skip
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    args = ["register", "churn", "--sign", "--signing-key", str(keys["ed25519"].private)]
    assert main([*args, "-r", str(repo)]) == 0
    signers = allowed(tmp_path, f"alice@example.com {keys['ed25519'].public_line}")
    code, out = git(repo, "tag", "-v", "churn@v0.0.1", config=verifying(signers))
    assert (code, out.endswith(good(keys["ed25519"]))) == (0, True), out
    assert git(repo, "fsck", "--strict")[0] == 0
    capsys.readouterr()
    assert main(["check-ref", "churn@v0.0.1", "--verify", "--allowed-signers", str(signers),
                 "-r", str(repo)]) == 0  # fmt: skip
