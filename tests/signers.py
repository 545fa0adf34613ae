"""SSH keys and signatures made by the reference tools, for the signing tests.

ssh-keygen and git only ever act on the reference side: they make keys, make signatures for
gto to read and check signatures gto made. The code under test runs neither.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from dulwich.objects import Commit, ObjectID, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo

# Read at import (collection) time: the autouse hermetic_env fixture removes GTO_* variables.
REAL_GIT = os.environ.get("GTO_TEST_REAL_GIT", "")
NEEDS_GIT_TAG_V = (
    "needs the real git to sign and verify tags (git tag -s / -v with gpg.format=ssh): "
    "run GTO_TEST_REAL_GIT=$(command -v git) python -m pytest"
)
SSH_KEYGEN = shutil.which("ssh-keygen")
EPOCH = 1709626830  # 2024-03-05T08:20:30Z, the tagger time of most signed tags
KEY_KINDS = {
    "ed25519": ["-t", "ed25519"],
    "rsa": ["-t", "rsa", "-b", "2048"],
    "ecdsa256": ["-t", "ecdsa", "-b", "256"],
    "ecdsa384": ["-t", "ecdsa", "-b", "384"],
    "ecdsa521": ["-t", "ecdsa", "-b", "521"],
}


def need_git_tag_v() -> str:
    """The real git binary, or skip the test saying how to get it."""
    if not REAL_GIT:
        pytest.skip(NEEDS_GIT_TAG_V)
    return REAL_GIT


def run_tool(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a reference tool; (exit code, stdout + stderr)."""
    done = subprocess.run(
        args, input=stdin, capture_output=True, check=False, env={**os.environ, **(env or {})}
    )
    return done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")


@dataclass(frozen=True)
class KeyPair:
    private: Path
    public: Path

    @property
    def public_line(self) -> str:
        """`type base64` without the comment, as an allowed signers line takes it."""
        return " ".join(self.public.read_text().split()[:2])


def make_key(folder: Path, name: str, *options: str) -> KeyPair:
    """A new key pair made by ssh-keygen (empty passphrase unless options give one)."""
    if SSH_KEYGEN is None:
        pytest.skip("needs ssh-keygen")
    path = folder / name
    passphrase = [] if "-N" in options else ["-N", ""]
    code, out = run_tool(SSH_KEYGEN, "-q", *passphrase, *options, "-C", name, "-f", str(path))
    assert code == 0, out
    return KeyPair(path, folder / f"{name}.pub")


def make_keys(folder: Path) -> dict[str, KeyPair]:
    """One key of each supported kind, plus a second ed25519 key ("other")."""
    made = {kind: make_key(folder, kind, *options) for kind, options in KEY_KINDS.items()}
    made["other"] = make_key(folder, "other", "-t", "ed25519")
    return made


def ssh_sign(key: KeyPair, message: bytes, *options: str) -> bytes:
    """An armored signature of message made by `ssh-keygen -Y sign` (default namespace git)."""
    assert SSH_KEYGEN is not None
    namespace = [] if "-n" in options else ["-n", "git"]
    done = subprocess.run(
        [SSH_KEYGEN, "-q", "-Y", "sign", *namespace, *options, "-f", str(key.private)],
        input=message,
        capture_output=True,
        check=True,
    )
    return done.stdout


def tag_payload(commit: bytes, name: str, message: str, when: int = EPOCH) -> bytes:
    """The payload of an annotated tag object, as dulwich serialises it."""
    tag = Tag()
    tag.object = (Commit, ObjectID(commit))
    tag.name = name.encode()
    tag.tagger = b"Tess Tagger <tess@example.com>"
    tag.tag_time = when
    tag.tag_timezone = 0
    tag.message = message.encode()
    return tag.as_raw_string()


def write_tag(repo: Repo, name: str, raw: bytes) -> bytes:
    """Store a raw tag object as refs/tags/NAME and return its id; the bytes stay exact."""
    tag = Tag.from_string(raw)
    assert tag.as_raw_string() == raw
    repo.object_store.add_object(tag)
    repo.refs[Ref(b"refs/tags/" + name.encode())] = tag.id
    return tag.id


def read_tag(repo: Repo, name: str) -> bytes:
    """The raw content of the tag object refs/tags/NAME points at."""
    return repo.object_store[repo.refs[Ref(b"refs/tags/" + name.encode())]].as_raw_string()


def allowed_signers(path: Path, *lines: str) -> Path:
    """An allowed signers file with these lines."""
    path.write_text("".join(f"{line}\n" for line in lines))
    return path
