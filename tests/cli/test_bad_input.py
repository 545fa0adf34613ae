"""Hardening: a corpus of bad input, each case with its expected outcome.

Every case runs one command through the CLI against a real repository (built with
dulwich, and often damaged on purpose first) and checks:

* the outcome: exit 1 with exactly one `❌ ...` line on stderr, word for word where gto
  has a defined message; exit 2 for argparse usage errors; or the documented behaviour
  (check-ref of a non-GTO or missing tag prints nothing and exits 0, doctor reports
  problems on stdout with exit 1, a read that does not need the damaged part works);
* that no traceback escapes, ever;
* that the repository is exactly as it was: every ref (loose, packed-refs, HEAD), every
  file under .git (objects, packs, lock files) and the work tree, by content hash.
  Writes must refuse bad input before they write anything, not roll back afterwards.

Cases that would need a fix in gitrepo.py are skipped with the bug in the reason.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from builders import EPOCH, build_registry, init_repo, make_commit, make_tag, pack_everything
from dulwich import objects
from dulwich.refs import Ref
from dulwich.repo import Repo
from snapshots import snapshot

import gto
import gto.git.write
from gto.cli import main

PROJECT = Path(gto.__file__).resolve().parent.parent
INVALID = (
    "Invalid value '{}'. Only letters, numbers, '_', '-', '/' are allowed. "
    "Value must start and end with a letter or a number."
)
NOT_GTO_FORMAT = "artifacts.yaml file doesn't conform to GTO format"
WRONG_CONFIG = "Wrong config file '<repo>/.gto'"
NO_COMMITS = "the repository has no commits yet; make a first commit"
BIG = "a" * 10_000


# --- expected outcomes -----------------------------------------------------------------


@dataclass(frozen=True)
class Error:
    """Exit 1 and one `❌ ` line on stderr: `message` exactly, or starting with `prefix`."""

    message: str | None = None
    prefix: str = ""


@dataclass(frozen=True)
class Usage:
    """Exit 2 from argparse: its usage, then one `error:` line containing `error`."""

    error: str


@dataclass(frozen=True)
class Output:
    """The documented behaviour: exit `code`, stdout exactly `stdout` or containing `contains`."""

    code: int = 0
    stdout: str | None = None
    contains: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()


SILENT = Output(0, "")  # check-ref of a ref that is not an annotated GTO tag (reference, Q24)
NOTHING = Output(0, "Nothing found in the current workspace\n")


# --- the repository every case starts from, and ways to damage it ---------------------

Damage = Callable[[Path], None]


def build(path: Path) -> dict[str, str]:
    """c1 (artifacts.yaml lists m) <- c2 = HEAD on main; m@v1.0.0 and m#prod#1 on c1,
    n@v1.0.0 on c2. HEAD has no version of m, so `register m` would write a tag."""
    repo = build_registry(
        path,
        [
            ("commit", "c1", {"artifacts.yaml": "m: {type: model}\n", "models/m.pkl": "m"}, 0),
            ("commit", "c2", {"b.txt": "b"}, 10),
            ("tag", "m@v1.0.0", "c1", 20),
            ("tag", "m#prod#1", "c1", 30),
            ("tag", "n@v1.0.0", "c2", 40),
        ],
    )
    repo.close()
    return repo.commits


def _overwrite(file: Path, data: bytes) -> None:
    file.chmod(0o644)  # dulwich writes objects read-only
    file.write_bytes(data)


def _ref(path: Path, ref: str) -> str:
    with Repo(str(path)) as repo:
        return repo.refs[Ref(ref.encode())].decode()


def _loose(path: Path, oid: str) -> Path:
    return path / ".git" / "objects" / oid[:2] / oid[2:]


def committed(text: str | bytes, name: str = "artifacts.yaml") -> Damage:
    """A new HEAD commit (checked out) whose `name` is `text`."""

    def damage(path: Path) -> None:
        with Repo(str(path)) as repo:
            make_commit(repo, {name: text}, message=f"bad {name}", time=EPOCH + 50)

    return damage


def in_worktree(text: str | bytes, name: str = ".gto") -> Damage:
    """An uncommitted file in the work tree (`.gto` is read from there, reference 5)."""

    def damage(path: Path) -> None:
        (path / name).write_bytes(text.encode() if isinstance(text, str) else text)

    return damage


def _write_object(path: Path, kind: bytes, body: bytes) -> str:
    """A loose object written byte for byte (dulwich would refuse to build a broken one)."""
    data = kind + b" " + str(len(body)).encode() + b"\0" + body
    oid = hashlib.sha1(data).hexdigest()
    file = _loose(path, oid)
    file.parent.mkdir(exist_ok=True)
    file.write_bytes(zlib.compress(data))
    return oid


def tag_object(name: str, kind: str = "tree", tagger: str | None = None) -> Damage:
    """An annotated tag `name` of HEAD's tree or of a blob, or of HEAD with a bad tagger."""

    def damage(path: Path) -> None:
        with Repo(str(path)) as repo:
            commit = repo[repo.head()]
            assert isinstance(commit, objects.Commit)
            target, target_kind = commit.id.decode(), "commit"
            if tagger is None:
                target, target_kind = commit.tree.decode(), "tree"
            if kind == "blob":
                tree = repo[commit.tree]
                assert isinstance(tree, objects.Tree)
                target, target_kind = tree.items()[0].sha.decode(), "blob"
        who = tagger if tagger is not None else f"A <a@example.com> {EPOCH} +0000"
        body = f"object {target}\ntype {target_kind}\ntag {name}\ntagger {who}\n\nodd\n"
        oid = _write_object(path, b"tag", body.encode())
        (path / ".git/refs/tags" / name).write_text(oid + "\n")

    return damage


def missing_tag_object(path: Path) -> None:
    (path / ".git/refs/tags/m@v2.0.0").write_text("1" * 40 + "\n")


def garbage_tag_ref(path: Path) -> None:
    _overwrite(path / ".git/refs/tags/m@v1.0.0", b"not an object id\n")


def truncated_loose_tag(path: Path) -> None:
    file = _loose(path, _ref(path, "refs/tags/m@v1.0.0"))
    _overwrite(file, file.read_bytes()[:20])


def zlib_garbage_loose_tag(path: Path) -> None:
    _overwrite(_loose(path, _ref(path, "refs/tags/m@v1.0.0")), b"this is not zlib data" * 4)


def corrupt_unused_object(path: Path) -> None:
    with Repo(str(path)) as repo:
        blob = objects.Blob.from_string(b"nobody needs this")
        repo.object_store.add_object(blob)
    _overwrite(_loose(path, blob.id.decode()), b"garbage")


def packed(path: Path) -> None:
    with Repo(str(path)) as repo:
        pack_everything(repo)


def _pack(path: Path) -> Path:
    return next((path / ".git/objects/pack").glob("*.pack"))


def corrupt_pack(path: Path) -> None:
    """Bytes flipped in the middle of the pack: inside the deflated tag of m@v1.0.0."""
    oid = bytes.fromhex(_ref(path, "refs/tags/m@v1.0.0"))
    packed(path)
    index = _pack(path).with_suffix(".idx").read_bytes()  # version 2: fan-out, ids, CRCs, offsets
    count = int.from_bytes(index[1028:1032], "big")
    names = [index[1032 + i * 20 : 1052 + i * 20] for i in range(count)]
    at = 1032 + count * 24 + names.index(oid) * 4
    offset = int.from_bytes(index[at : at + 4], "big")
    data = bytearray(_pack(path).read_bytes())
    for at in range(offset + 8, offset + 24):
        data[at] ^= 0xFF
    _overwrite(_pack(path), bytes(data))


def truncated_pack(path: Path) -> None:
    packed(path)
    _overwrite(_pack(path), _pack(path).read_bytes()[:200])


def missing_pack_index(path: Path) -> None:
    packed(path)
    _pack(path).with_suffix(".idx").unlink()


def shallow(path: Path) -> None:
    """A shallow clone: c2 is the boundary and its parent c1 is not there, nor c1's tags."""
    with Repo(str(path)) as repo:
        c2 = repo.head().decode()
        c1 = repo[repo.head()].parents[0].decode()  # type: ignore[attr-defined]
    for tag in ("m@v1.0.0", "m#prod#1"):
        _loose(path, _ref(path, f"refs/tags/{tag}")).unlink()
        (path / ".git/refs/tags" / tag).unlink()
    _loose(path, c1).unlink()
    (path / ".git/shallow").write_text(c2 + "\n")


def detached_head(path: Path) -> None:
    (path / ".git/HEAD").write_text(_ref(path, "HEAD") + "\n")


def empty_repo(path: Path) -> None:
    shutil.rmtree(path)
    init_repo(path).close()


def lock(name: str, then: Damage | None = None) -> Damage:
    """A ref update in progress (or a crashed one): `name`.lock under .git."""

    def damage(path: Path) -> None:
        if then is not None:
            then(path)
        (path / ".git" / name).write_text("")

    return damage


def lightweight_tag(path: Path) -> None:
    (path / ".git/refs/tags/m@v9.0.0").write_text(_ref(path, "HEAD") + "\n")


def created_tag(path: Path) -> None:
    with Repo(str(path)) as repo:
        make_tag(repo, "m@created", repo.head().decode(), time=EPOCH + 60)


def garbage_packed_refs(path: Path) -> None:
    (path / ".git/packed-refs").write_bytes(b"\x00\xff not a packed ref\n")


def tags_folder_is_a_file(path: Path) -> None:
    shutil.rmtree(path / ".git/refs/tags")
    (path / ".git/refs/tags").write_text("not a folder\n")


def garbage_git_config(path: Path) -> None:
    (path / ".git/config").write_bytes(b"[core\n\x00\xff = = =\n")


def garbage_git_file(path: Path) -> None:
    shutil.rmtree(path / ".git")
    (path / ".git").write_text("this is no gitdir line\n")


def git_file_to_nowhere(path: Path) -> None:
    shutil.rmtree(path / ".git")
    (path / ".git").write_text("gitdir: /nonexistent/gto-bad-input\n")


def future_repository_format(path: Path) -> None:
    (path / ".git/config").write_text("[core]\n\trepositoryformatversion = 9\n")


def broken_worktree_index(path: Path) -> None:
    (path / "artifacts.yaml").write_text("m: [\n")


# --- the cases --------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    expect: Error | Usage | Output
    damage: Damage | None = None
    # `python -m gto` in a subprocess: whatever happens, the process itself must not die.
    process: bool = False


def case(
    id: str,
    *args: str,
    expect: Error | Usage | Output,
    damage: Damage | None = None,
    process: bool = False,
) -> Any:
    return pytest.param(Case(args, expect, damage, process), id=id)


def _shown(value: str) -> str:
    """A value as error lines show it: control characters escaped, so the line stays one."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value
    )


# Tag names and look-alikes that are not GTO tags: parse-tag refuses them, check-ref
# says nothing (exit 0), so CI can call it on every tag (behaviour reference, Q24).
NOT_TAGS = [
    ("a@v1", "short-version"),
    ("a@v01.0.0", "leading-zero"),
    ("a#", "empty-stage"),
    ("a#prod#x", "counter-not-a-number"),
    ("a@v1.0.0!!", "double-bang"),
    ("ä@v1.0.0", "umlaut"),
    ("🚀@v1.0.0", "emoji"),
    (BIG + "@v1.0.0x", "10k-chars"),
    ("", "empty"),
    (" ", "space"),
    ("\t", "tab"),
    ("a@v1.0.0 ", "trailing-space"),
    ("a:b@v1.0.0", "colon-instead-of-equals"),
    ("a=b=c@v1.0.0", "two-equals"),
    ("=a@v1.0.0", "leading-equals"),
    ("a#pr od#1", "stage-with-space"),
    ("a@1.0.0", "no-v"),
    ("a@V1.0.0", "capital-v"),
    ("a@v1.0.0-01", "prerelease-leading-zero"),
    ("a@deprecated!", "deprecated-bang"),
    ("a#prod@v1.0.0", "stage-then-version"),
    ("a#prod#-1", "negative-counter"),
    ("a\x00@v1.0.0", "nul"),
    ("a@v1.0.0\n", "newline"),
    ("../m@v1.0.0", "dotdot-prefix"),
]

PARSE_TAG = [
    case(
        f"parse-tag-{id}",
        "parse-tag",
        name,
        expect=Error(f"Cannot parse tag name '{_shown(name)}'"),
    )
    for name, id in NOT_TAGS
]
CHECK_REF = [case(f"check-ref-{id}", "check-ref", name, expect=SILENT) for name, id in NOT_TAGS] + [
    case("check-ref-refs-tags-dotdot", "check-ref", "refs/tags/../m@v1.0.0", expect=SILENT),
    case("check-ref-unknown-tag", "check-ref", "m@v7.0.0", expect=SILENT),
    case("check-ref-lightweight", "check-ref", "m@v9.0.0", expect=SILENT, damage=lightweight_tag),
    case("check-ref-created", "check-ref", "m@created", expect=SILENT, damage=created_tag),
    case(
        "check-ref-tag-of-tree",
        "check-ref",
        "m@v3.0.0",
        expect=SILENT,
        damage=tag_object("m@v3.0.0"),
    ),
]

# `show NAME`: a name that is no shortcut is taken whole (reference, 1.6).
SHOW_NAME = [
    case(f"show-{id}", "show", name, expect=Error(f"Cannot find artifact '{_shown(name)}'"))
    for name, id in [
        ("a@v1", "short-version"),
        ("", "empty"),
        ("ä", "umlaut"),
        ("🚀", "emoji"),
        ("m\nx", "newline"),
        ("m\x1b[31m", "escape-sequence"),
        (BIG, "10k-chars"),
        ("../m", "dotdot"),
    ]
] + [
    # `m` exists: the error says what is wrong with the shortcut.
    case(
        "show-stage-with-space",
        "show",
        "m#pr od",
        expect=Error(f"Invalid stage 'pr od' in 'm#pr od': {INVALID.format('pr od')}"),
    ),
    case(
        "show-double-bang",
        "show",
        "m@v1.0.0!!",
        expect=Error(
            "Invalid version 'v1.0.0!!' in 'm@v1.0.0!!': versions are 'v' and "
            "MAJOR.MINOR.PATCH, as in 'm@v1.0.0'; or use 'm@latest'"
        ),
    ),
    case(
        "show-capital-v",
        "show",
        "m@V1.0.0",
        expect=Error(
            "Invalid version 'V1.0.0' in 'm@V1.0.0': versions start with 'v', as in 'm@v1.0.0'"
        ),
    ),
    case(
        "show-tag-name",
        "show",
        "m#prod#1",
        expect=Error(
            "'m#prod#1' is a tag name, not a shortcut: 'gto check-ref m#prod#1' tells what it "
            "did; 'gto show m#prod' shows the version in it"
        ),
    ),
    case("show-unknown-version", "show", "m@v9.9.9", expect=NOTHING),
    case("show-stage-nobody-has", "show", "m#a//b", expect=NOTHING),
]

# Names the grammar refuses, for every writing command: nothing may be written.
BAD_NAMES = [
    ("a@v1", "at"),
    ("", "empty"),
    (" ", "space"),
    ("ä", "umlaut"),
    ("🚀", "emoji"),
    ("a b", "inner-space"),
    ("-a", "leading-dash"),
    ("a-", "trailing-dash"),
    ("a:b:c", "two-colons"),
    (":m", "leading-colon"),
    ("dir:", "trailing-colon"),
    ("a=b", "equals"),
    ("m\n", "newline"),
    ("m\x00", "nul"),
    ("m\x7f", "del"),
    ("m~1", "tilde"),
    ("m^", "caret"),
    ("m?", "question-mark"),
    ("m*", "star"),
    ("m[", "bracket"),
    ("m\\x", "backslash"),
    ("m@{1}", "at-brace"),
    (".m", "leading-dot"),
    ("m.lock", "lock-suffix"),
    ("../m", "dotdot-slash"),
    ("m/../x", "slash-dotdot-slash"),
    ("/m", "leading-slash"),
]
REGISTER_NAME = [  # `--` so that "-a" is a name, not an option
    case(
        f"register-{id}",
        "register",
        "-r",
        "<repo>",
        "--",
        name,
        expect=Error(INVALID.format(_shown(name))),
    )
    for name, id in BAD_NAMES
]
OTHER_WRITES_NAME = [
    case(
        "assign-bad-name",
        "assign",
        "m\n",
        "HEAD",
        "--stage",
        "prod",
        expect=Error(INVALID.format("m\\n")),
    ),
    case("deprecate-bad-name", "deprecate", "m~1", expect=Error(INVALID.format("m~1"))),
    case("deregister-bad-name", "deprecate", "m^", "v1.0.0", expect=Error(INVALID.format("m^"))),
    case(
        "unassign-bad-name", "deprecate", "m:", "v1.0.0", "prod", expect=Error(INVALID.format("m:"))
    ),
    case("annotate-bad-name", "annotate", "m\x00", expect=Error(INVALID.format("m\\x00"))),
]


def unstorable(tag: str, reason: str) -> Error:
    return Error(f"Cannot create tag '{tag}': Git does not allow {reason} in a tag name")


# A `dirname:` prefix may hold '.', '/' and '..' (reference, 1.1), and names any length:
# git cannot store such tag names, and gto says so before it writes anything.
ESCAPES = [
    case(
        "register-dirname-dotdot",
        "register",
        "../dir:m",
        expect=unstorable("../dir=m@v0.0.1", "'..'"),
    ),
    case(
        "register-dirname-leading-slash",
        "register",
        "/dir:m",
        expect=unstorable("/dir=m@v0.0.1", "a leading '/'"),
    ),
    case(
        "register-dirname-inner-dotdot",
        "register",
        "d..x:m",
        expect=unstorable("d..x=m@v0.0.1", "'..'"),
    ),
    case(
        "register-dirname-slash-dotdot-slash",
        "register",
        "a/../b:m",
        expect=unstorable("a/../b=m@v0.0.1", "'..'"),
    ),
    case(
        "register-dirname-leading-dot",
        "register",
        ".d:m",
        expect=unstorable(".d=m@v0.0.1", "a part starting with '.'"),
    ),
    case(
        "register-dirname-dot-part",
        "register",
        "d/.x:m",
        expect=unstorable("d/.x=m@v0.0.1", "a part starting with '.'"),
    ),
    case(
        "register-dirname-double-slash",
        "register",
        "d//x:m",
        expect=unstorable("d//x=m@v0.0.1", "'//'"),
    ),
    case(
        "register-dirname-lock-part",
        "register",
        "x.lock/:m",
        expect=unstorable("x.lock/=m@v0.0.1", "a part ending with '.lock'"),
    ),
    case(
        "register-dirname-just-dotdot", "register", "..:m", expect=unstorable("..=m@v0.0.1", "'..'")
    ),
    case(
        "register-name-double-slash", "register", "a//b", expect=unstorable("a//b@v0.0.1", "'//'")
    ),
    case(
        "register-name-300-chars",
        "register",
        "a" * 300,
        expect=unstorable("a" * 300 + "@v0.0.1", "more than 250 bytes between two '/'"),
    ),
    case(
        "register-name-10k-chars",
        "register",
        BIG,
        expect=unstorable(BIG + "@v0.0.1", "more than 250 bytes between two '/'"),
    ),
    case(
        "register-version-300-chars",
        "register",
        "m",
        "--version",
        "v1.0.0+" + "b" * 300,
        expect=unstorable("m@v1.0.0+" + "b" * 300, "more than 250 bytes between two '/'"),
    ),
    case(
        "assign-dirname-dotdot",
        "assign",
        "../dir:m",
        "HEAD",
        "--stage",
        "prod",
        expect=unstorable("../dir=m#prod#1", "'..'"),
    ),
    case(
        "assign-stage-double-slash",
        "assign",
        "m",
        "HEAD",
        "--stage",
        "a//b",
        expect=unstorable("m#a//b#1", "'//'"),
    ),
    case(
        "assign-stage-300-chars",
        "assign",
        "m",
        "HEAD",
        "--stage",
        "s" * 300,
        expect=unstorable("m#" + "s" * 300 + "#1", "more than 250 bytes between two '/'"),
    ),
    case(
        "deprecate-dirname-dotdot",
        "deprecate",
        "../dir:m",
        "--force",
        expect=unstorable("../dir=m@deprecated", "'..'"),
    ),
    case(
        "deregister-dirname-leading-slash",
        "deprecate",
        "/dir:m",
        "v1.0.0",
        expect=unstorable("/dir=m@v1.0.0!", "a leading '/'"),
    ),
    case(
        "unassign-dirname-lock",
        "deprecate",
        "a.lock/:m",
        "v1.0.0",
        "prod",
        expect=unstorable("a.lock/=m#prod!#1", "a part ending with '.lock'"),
    ),
]

# Stages use the plain name grammar (reference, 1.1); `assign m HEAD` would first
# register HEAD, so a late refusal would leave a tag behind.
BAD_STAGES = [
    ("pr od", "space"),
    ("", "empty"),
    ("../x", "dotdot"),
    ("x.lock", "lock-suffix"),
    ("prod~1", "tilde"),
    ("prod^", "caret"),
    ("pr:od", "colon"),
    ("prod?", "question-mark"),
    ("pr*od", "star"),
    ("pr[od", "bracket"),
    ("pr\\od", "backslash"),
    ("prod@{0}", "at-brace"),
    ("prod\n", "newline"),
    ("prod\x00", "nul"),
    ("prod\x7f", "del"),
    ("/prod", "leading-slash"),
    ("prod/", "trailing-slash"),
    ("ä", "umlaut"),
]
ASSIGN_STAGE = [
    case(
        f"assign-stage-{id}",
        "assign",
        "m",
        "HEAD",
        "--stage",
        stage,
        expect=Error(INVALID.format(_shown(stage))),
    )
    for stage, id in BAD_STAGES
] + [
    case(
        "unassign-stage-dotdot",
        "deprecate",
        "m",
        "v1.0.0",
        "../prod",
        expect=Error(INVALID.format("../prod")),
    ),
]

# Versions are `v` + strict SemVer (reference, 1.2).
BAD_VERSIONS = [
    ("1.0.0", "no-v"),
    ("v1", "short"),
    ("V1.0.0", "capital-v"),
    ("v1.0.0-01", "leading-zero"),
    ("v1.0.0.lock", "lock-suffix"),
    ("v1.0.0~1", "tilde"),
    ("v1.0.0^", "caret"),
    ("v1.0.0:x", "colon"),
    ("v1.0.0/../x", "dotdot"),
    ("../v1.0.0", "leading-dotdot"),
    ("v1.0.0\n", "newline"),
    ("", "empty"),
    ("v1.0.0+a..b", "empty-build-part"),
]
REGISTER_VERSION = [
    case(
        f"register-version-{id}",
        "register",
        "m",
        "--version",
        version,
        expect=Error(f"Supplied version '{_shown(version)}' cannot be parsed"),
    )
    for version, id in BAD_VERSIONS
]
VALID_VERSION = "Version '{}' is not valid. Example of valid version: 'v1.0.0'"
OTHER_VERSIONS = [
    case(
        "assign-version-no-v",
        "assign",
        "m",
        "--version",
        "1.0.0",
        "--stage",
        "prod",
        expect=Error(VALID_VERSION.format("1.0.0")),
    ),
    case(
        "assign-version-lock",
        "assign",
        "m",
        "--version",
        "v1.0.0.lock",
        "--stage",
        "prod",
        expect=Error(VALID_VERSION.format("v1.0.0.lock")),
    ),
    case(
        "deregister-version-capital",
        "deprecate",
        "m",
        "V1.0.0",
        expect=Error(VALID_VERSION.format("V1.0.0")),
    ),
    case(
        "unassign-version-dotdot",
        "deprecate",
        "m",
        "../v1.0.0",
        "prod",
        expect=Error(VALID_VERSION.format("../v1.0.0")),
    ),
]

BAD_REFS = [
    case(
        f"register-ref-{id}",
        "register",
        "m",
        ref,
        expect=Error(f"Ref '{_shown(ref)}' was not found in the repository history"),
    )
    for ref, id in [
        ("nosuchref", "unknown"),
        ("HEAD~5", "too-far-back"),
        ("HEAD@{1}", "reflog"),
        ("../../etc/passwd", "dotdot-path"),
        ("refs/tags/../../HEAD", "escaping-ref"),
        ("", "empty"),
    ]
] + [
    case(
        "register-ref-newline",
        "register",
        "m",
        "HEAD\n",
        expect=Error("Ref 'HEAD\\n' was not found in the repository history"),
    ),
    case(
        "describe-rev-unknown",
        "describe",
        "m",
        "--rev",
        "nosuch",
        expect=Error("Ref 'nosuch' was not found in the repository history"),
    ),
]

# artifacts.yaml is read from commits (HEAD here); any of these makes reads fail (4.5).
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9)
)
DEEP = "m: " + "[" * 100_000 + "]" * 100_000 + "\n"
HUGE = "m: {description: '" + "x" * 1_100_000 + "'}\n"
NO_CONSTRUCTOR = "could not determine a constructor for the tag 'tag:yaml.org,2002:python/"
TWO_DOCUMENTS = (
    "expected a single document in the stream, but found another document (line 2, column 1)"
)
# Each with the reason the error line gives after NOT_GTO_FORMAT and the commit.
BROKEN_YAML: list[tuple[str, str | bytes, str]] = [
    (
        "invalid-syntax",
        "m: [\n",
        "while parsing a flow node, did not find expected node content (line 2, column 1)",
    ),
    (
        "list-not-mapping",
        "- m\n- n\n",
        "the top level must be a mapping of artifact names, not a list",
    ),
    ("entry-is-a-list", "m: [1, 2]\n", "'m': the entry is not a mapping but [1, 2]"),
    ("labels-a-string", "m: {labels: ml}\n", "'m': `labels` must be a list of names, not 'ml'"),
    (
        "labels-not-names",
        "m: {labels: [1, {a: b}]}\n",
        "'m': `labels` must be a list of names, not [1, {'a': 'b'}]",
    ),
    ("type-a-list", "m: {type: [model]}\n", "'m': `type` must be a name, not ['model']"),
    (
        "virtual-a-string",
        "m: {virtual: 'yes please'}\n",
        "'m': `virtual` must be true or false, not 'yes please'",
    ),
    (
        "python-object-apply",
        "m: !!python/object/apply:os.getcwd []\n",
        f"{NO_CONSTRUCTOR}object/apply:os.getcwd' (line 1, column 4)",
    ),
    (
        "python-name",
        "m: !!python/name:os.system\n",
        f"{NO_CONSTRUCTOR}name:os.system' (line 1, column 4)",
    ),
    ("duplicate-keys", "m: {}\nm: {type: model}\n", "duplicate key 'm' (line 2, column 1)"),
    (
        "scalar",
        "just words\n",
        "the top level must be a mapping of artifact names, not 'just words'",
    ),
    ("empty-file", "", "the file is empty (an index without artifacts is `{}`)"),
    (
        "bad-utf8",
        b"m: {description: '\xff\xfe'}\n",
        "invalid UTF-8 (byte 0xff) (line 1, column 19)",
    ),
    ("nul-byte", "m: {}\x00\n", "character U+0000 is not allowed (line 1, column 6)"),
    ("two-documents", "m: {}\n---\nn: {}\n", TWO_DOCUMENTS),
    ("non-string-key", "1: {}\n", "artifact name 1 is not a string"),
]


def broken_index(reason: str) -> Error:
    return Error(f"{NOT_GTO_FORMAT} (commit <head>): {reason}")


ARTIFACTS_YAML = [
    case(f"artifacts-yaml-{id}", "show", expect=broken_index(reason), damage=committed(text))
    for id, text, reason in BROKEN_YAML
] + [
    case(
        "artifacts-yaml-invalid-name",
        "show",
        expect=broken_index(INVALID.format("a b")),
        damage=committed("'a b': {}\n"),
    ),
    case(
        "artifacts-yaml-billion-laughs",
        "show",
        expect=broken_index("aliases are not allowed (line 2, column 8)"),
        damage=committed(BOMB),
        process=True,
    ),
    case(
        "artifacts-yaml-deeply-nested",
        "show",
        expect=broken_index(
            "while increasing flow level, exceeded maximum nesting depth (line 1, column 1003)"
        ),
        damage=committed(DEEP),
        process=True,
    ),
    case(
        "artifacts-yaml-over-1mb",
        "history",
        expect=Error(
            "artifacts.yaml is too large (commit <head>): 1,100,021 bytes, over the limit of "
            "1,000,000 bytes"
        ),
        damage=committed(HUGE),
        process=True,
    ),
    case(
        "artifacts-yaml-broken-register",
        "register",
        "m",
        expect=broken_index(BROKEN_YAML[0][2]),
        damage=committed("m: [\n"),
    ),
    # Only committed content counts for show; describe reads the work tree (4.5).
    case(
        "artifacts-yaml-worktree-show",
        "show",
        "m",
        expect=Output(0, contains=("v1.0.0",)),
        damage=broken_worktree_index,
    ),
    case(
        "artifacts-yaml-worktree-describe",
        "describe",
        "m",
        expect=Error(f"{NOT_GTO_FORMAT}: {BROKEN_YAML[0][2]}"),
        damage=broken_worktree_index,
    ),
    case(
        "artifacts-yaml-worktree-annotate",
        "annotate",
        "x",
        "--type",
        "model",
        expect=Error(f"{NOT_GTO_FORMAT}: {BROKEN_YAML[0][2]}"),
        damage=broken_worktree_index,
    ),
]

BROKEN_CONFIG: list[tuple[str, str | bytes, str]] = [
    (
        "invalid-syntax",
        "stages: [dev\n",
        "while parsing a flow sequence, did not find expected ',' or ']' (line 2, column 1)",
    ),
    ("list-not-mapping", "- dev\n- prod\n", "the top level must be a mapping"),
    ("stages-a-string", "stages: dev\n", "stages: expected a list of names, got 'dev'"),
    ("stages-a-mapping", "stages: {dev: 1}\n", "stages: expected a list of names, got {'dev': 1}"),
    ("stages-not-names", "stages: [1, 2]\n", "stages: expected a list of names, got [1, 2]"),
    ("stage-with-space", "stages: ['pr od']\n", f"stages: {INVALID.format('pr od')}"),
    ("unknown-key", "stagez: [dev]\n", "unknown key 'stagez'"),
    (
        "duplicate-keys",
        "stages: [dev]\nstages: [prod]\n",
        "duplicate key 'stages' (line 2, column 1)",
    ),
    (
        "python-object-apply",
        "stages: !!python/object/apply:os.getcwd []\n",
        f"{NO_CONSTRUCTOR}object/apply:os.getcwd' (line 1, column 9)",
    ),
    ("bad-utf8", b"stages: ['\xff']\n", "invalid UTF-8 (byte 0xff) (line 1, column 11)"),
    ("two-documents", "stages: [dev]\n---\ntypes: [model]\n", TWO_DOCUMENTS),
    ("scalar", "dev prod\n", "the top level must be a mapping"),
    (
        "promotion-requires-a-string",
        "promotion:\n  prod: {requires: staging}\n",
        "promotion.prod.requires: expected a list of stage names, got 'staging'",
    ),
    (
        "promotion-unknown-rule",
        "promotion:\n  prod: {needs: [staging]}\n",
        "promotion.prod.needs: unknown key; use requires, signed, signers",
    ),
    (
        "promotion-cycle",
        "promotion:\n  a: {requires: [b]}\n  b: {requires: [a]}\n",
        "promotion: stages require each other: a -> b -> a",
    ),
    ("sign-not-a-flag", "sign: maybe\n", "sign: expected true or false, got 'maybe'"),
    (
        "allowed-signers-outside",
        "allowed_signers: ../signers\n",
        "allowed_signers: expected a relative path inside the repository, without '..' or "
        "'.git' parts, got '../signers'",
    ),
]


def broken_config(reason: str) -> Error:
    return Error(f"{WRONG_CONFIG}: {reason}")


CONFIG = [
    case(f"gto-config-{id}", "show", expect=broken_config(reason), damage=in_worktree(text))
    for id, text, reason in BROKEN_CONFIG
] + [
    case(
        "gto-config-billion-laughs",
        "show",
        expect=broken_config("aliases are not allowed (line 2, column 8)"),
        damage=in_worktree(BOMB),
        process=True,
    ),
    case(
        "gto-config-deeply-nested",
        "stages",
        expect=broken_config(
            "while increasing flow level, exceeded maximum nesting depth (line 1, column 1008)"
        ),
        damage=in_worktree(DEEP.replace("m:", "stages:")),
        process=True,
    ),
    case(
        "gto-config-over-1mb",
        "show",
        expect=broken_config("too large: 1,100,026 bytes, over the limit of 1,000,000 bytes"),
        damage=in_worktree(HUGE.replace("m:", "stages:")),
        process=True,
    ),
    case(
        "gto-config-broken-assign",
        "assign",
        "m",
        "HEAD",
        "--stage",
        "prod",
        expect=broken_config(BROKEN_CONFIG[0][2]),
        damage=in_worktree("stages: [dev\n"),
    ),
    case(
        "gto-config-broken-doctor",
        "doctor",
        expect=Output(1, contains=(f"❌ {WRONG_CONFIG}: the top level must be a mapping",)),
        damage=in_worktree("- dev\n"),
    ),
]

DAMAGE = [
    # A tag whose object is missing, or that tags a tree or a blob: reads skip it,
    # check-ref refuses a damaged GTO tag, doctor names it.
    case(
        "missing-tag-object-show",
        "show",
        "m",
        expect=Output(0, contains=("v1.0.0",), lacks=("v2.0.0",)),
        damage=missing_tag_object,
    ),
    case(
        "missing-tag-object-check-ref",
        "check-ref",
        "m@v2.0.0",
        expect=Error("Tag 'm@v2.0.0' cannot be read: missing object"),
        damage=missing_tag_object,
    ),
    case(
        "missing-tag-object-doctor",
        "doctor",
        expect=Output(1, contains=("Tag 'm@v2.0.0' cannot be read: missing object",)),
        damage=missing_tag_object,
    ),
    case(
        "missing-tag-object-deregister",
        "deprecate",
        "m",
        "v2.0.0",
        expect=Error("Version 'v2.0.0' of artifact 'm' is not found"),
        damage=missing_tag_object,
    ),
    case(
        "garbage-tag-ref-check-ref",
        "check-ref",
        "m@v1.0.0",
        expect=Error("Tag 'm@v1.0.0' cannot be read: broken ref"),
        damage=garbage_tag_ref,
    ),
    case(
        "garbage-tag-ref-show", "show", expect=Output(0, contains=("│ n ",)), damage=garbage_tag_ref
    ),
    case(
        "tag-of-tree-show",
        "show",
        "m",
        expect=Output(0, contains=("v1.0.0",), lacks=("v3",)),
        damage=tag_object("m@v3.0.0"),
    ),
    case(
        "tag-of-tree-doctor",
        "doctor",
        expect=Output(1, contains=("Tag 'm@v3.0.0' cannot be read: not a commit: tree",)),
        damage=tag_object("m@v3.0.0"),
    ),
    case(
        "tag-of-blob-show",
        "show",
        "m",
        expect=Output(0, lacks=("v4",)),
        damage=tag_object("m@v4.0.0", "blob"),
    ),
    case(
        "tag-of-blob-check-ref",
        "check-ref",
        "m@v4.0.0",
        expect=SILENT,
        damage=tag_object("m@v4.0.0", "blob"),
    ),
    case(
        "malformed-tagger-check-ref",
        "check-ref",
        "m@v5.0.0",
        expect=Error("Tag 'm@v5.0.0' cannot be read: malformed tag object"),
        damage=tag_object("m@v5.0.0", tagger="nobody, no date"),
    ),
    case(
        "lightweight-tag-show",
        "show",
        "m",
        expect=Output(0, lacks=("v9.0.0",)),
        damage=lightweight_tag,
    ),
    case(
        "lightweight-tag-register",
        "register",
        "m",
        "--version",
        "v9.0.0",
        expect=Error("tag 'm@v9.0.0' already exists"),
        damage=lightweight_tag,
    ),
    case("created-tag-show", "show", expect=Output(0, contains=("│ m ",)), damage=created_tag),
    # Corrupt objects: what needs them fails with one line, the rest still reads.
    case(
        "truncated-loose-object-show",
        "show",
        expect=Error(prefix="Cannot read object "),
        damage=truncated_loose_tag,
    ),
    case(
        "truncated-loose-object-unrelated-show",
        "show",
        "n",
        expect=Output(0, contains=("v1.0.0",)),
        damage=truncated_loose_tag,
    ),
    case(
        "truncated-loose-object-check-ref",
        "check-ref",
        "m@v1.0.0",
        expect=Error(prefix="Cannot read object "),
        damage=truncated_loose_tag,
    ),
    case(
        "truncated-loose-object-register",
        "register",
        "m",
        "--version",
        "v2.0.0",
        expect=Error(prefix="Cannot read object "),
        damage=truncated_loose_tag,
    ),
    case(
        "truncated-loose-object-doctor",
        "doctor",
        expect=Output(1, contains=("Tag 'm@v1.0.0' cannot be read: Cannot read object",)),
        damage=truncated_loose_tag,
    ),
    case(
        "zlib-garbage-object-history",
        "history",
        expect=Error(prefix="Cannot read object "),
        damage=zlib_garbage_loose_tag,
    ),
    case(
        "zlib-garbage-object-unrelated-check-ref",
        "check-ref",
        "n@v1.0.0",
        expect=Output(0, '✅  Version "v1.0.0" of artifact "n" was registered\n'),
        damage=zlib_garbage_loose_tag,
    ),
    case(
        "zlib-garbage-object-assign",
        "assign",
        "m",
        "--version",
        "v1.0.0",
        "--stage",
        "dev",
        expect=Error(prefix="Cannot read object "),
        damage=zlib_garbage_loose_tag,
    ),
    case(
        "corrupt-unneeded-object-show",
        "show",
        expect=Output(0, contains=("│ m ", "│ n ")),
        damage=corrupt_unused_object,
    ),
    case(
        "corrupt-unneeded-object-doctor",
        "doctor",
        expect=Output(0, contains=("No issues found",)),
        damage=corrupt_unused_object,
    ),
    case("corrupt-pack-show", "show", expect=Error(), damage=corrupt_pack),
    case("corrupt-pack-doctor", "doctor", expect=Output(1), damage=corrupt_pack),
    case("corrupt-pack-register", "register", "m", expect=Error(), damage=corrupt_pack),
    case("truncated-pack-show", "show", expect=Error(), damage=truncated_pack),
    case("truncated-pack-register", "register", "m", expect=Error(), damage=truncated_pack),
    case(
        "missing-pack-index-show", "show", expect=Error(prefix="Commit "), damage=missing_pack_index
    ),
    case(
        "missing-pack-index-check-ref",
        "check-ref",
        "m@v1.0.0",
        expect=Error("Tag 'm@v1.0.0' cannot be read: missing object"),
        damage=missing_pack_index,
    ),
    case(
        "missing-pack-index-register",
        "register",
        "m",
        expect=Error("Ref 'HEAD' was not found in the repository history"),
        damage=missing_pack_index,
    ),
    case("missing-pack-index-doctor", "doctor", expect=Output(1), damage=missing_pack_index),
    # A shallow clone: what is there reads; walking past the boundary stops there.
    case("shallow-show", "show", "n", expect=Output(0, contains=("v1.0.0",)), damage=shallow),
    case(
        "shallow-history-all-commits",
        "history",
        "-A",
        expect=Output(0, contains=("n@v1.0.0",)),
        damage=shallow,
    ),
    case(
        "shallow-register-past-boundary",
        "register",
        "n",
        "HEAD~1",
        expect=Error("Ref 'HEAD~1' was not found in the repository history"),
        damage=shallow,
    ),
    case(
        "shallow-register-past-boundary-refused",
        "register",
        "n",
        "HEAD~1",
        expect=Error(prefix="Ref '"),
        damage=shallow,
    ),
    case(
        "shallow-doctor",
        "doctor",
        "-A",
        expect=Output(0, contains=("No issues found",)),
        damage=shallow,
    ),
    case(
        "detached-head-show",
        "show",
        expect=Output(0, contains=("│ m ", "│ n ")),
        damage=detached_head,
    ),
    case(
        "detached-head-register-taken",
        "register",
        "m",
        "--version",
        "v1.0.0",
        expect=Error("Version 'v1.0.0' already was registered."),
        damage=detached_head,
    ),
    # An empty repository (no commits): reads find nothing, writes have no HEAD (Q11).
    case("empty-repo-show", "show", expect=NOTHING, damage=empty_repo),
    case("empty-repo-history", "history", expect=NOTHING, damage=empty_repo),
    case(
        "empty-repo-show-name",
        "show",
        "m",
        expect=Error("Cannot find artifact 'm'"),
        damage=empty_repo,
    ),
    case("empty-repo-check-ref", "check-ref", "m@v1.0.0", expect=SILENT, damage=empty_repo),
    case(
        "empty-repo-register",
        "register",
        "m",
        expect=Error(f"Ref 'HEAD' was not found: {NO_COMMITS}"),
        damage=empty_repo,
    ),
    case(
        "empty-repo-register-branch",
        "register",
        "m",
        "main",
        expect=Error(f"Ref 'main' was not found: {NO_COMMITS}"),
        damage=empty_repo,
    ),
    case(
        "empty-repo-assign",
        "assign",
        "m",
        "--stage",
        "prod",
        expect=Error(f"Ref 'HEAD' was not found: {NO_COMMITS}"),
        damage=empty_repo,
    ),
    case(
        "empty-repo-deprecate-force",
        "deprecate",
        "m",
        "--force",
        expect=Error(f"Ref 'HEAD' was not found: {NO_COMMITS}"),
        damage=empty_repo,
    ),
    case(
        "empty-repo-deprecate",
        "deprecate",
        "m",
        expect=Error("Cannot find artifact 'm'"),
        damage=empty_repo,
    ),
    # In the middle of a ref update (or after a crashed one): reads go on, writes wait
    # for the lock, then give up without having written anything.
    case(
        "tag-lock-show",
        "show",
        "m",
        expect=Output(0, lacks=("v2.0.0",)),
        damage=lock("refs/tags/m@v2.0.0.lock"),
    ),
    case(
        "tag-lock-register",
        "register",
        "m",
        "--version",
        "v2.0.0",
        expect=Error(
            "Cannot lock '<repo>/.git/refs/tags/m@v2.0.0': "
            "'<repo>/.git/refs/tags/m@v2.0.0.lock' exists. If no other git process "
            "is running, remove that file and try again"
        ),
        damage=lock("refs/tags/m@v2.0.0.lock"),
    ),
    case(
        "packed-refs-lock-delete",
        "deprecate",
        "m",
        "v1.0.0",
        "--delete",
        expect=Error(prefix="Cannot lock '<repo>/.git/packed-refs'"),
        damage=lock("packed-refs.lock", packed),
    ),
    case(
        "packed-refs-lock-show",
        "show",
        expect=Output(0, contains=("│ m ",)),
        damage=lock("packed-refs.lock", packed),
    ),
    case("head-lock-show", "show", expect=Output(0, contains=("│ m ",)), damage=lock("HEAD.lock")),
    case(
        "head-lock-detached-annotate-commit",
        "annotate",
        "x",
        "--commit",
        expect=Error(prefix="Cannot lock '<repo>/.git/HEAD'"),
        damage=lock("HEAD.lock", detached_head),
    ),
    case(
        "branch-lock-annotate-commit",
        "annotate",
        "x",
        "--commit",
        expect=Error(prefix="Cannot lock '<repo>/.git/refs/heads/main'"),
        damage=lock("refs/heads/main.lock"),
    ),
    case(
        "garbage-packed-refs-show",
        "show",
        expect=Output(0, contains=("│ m ",)),
        damage=garbage_packed_refs,
    ),
    case(
        "garbage-packed-refs-register",
        "register",
        "m",
        expect=Error(prefix="Cannot read packed-refs: "),
        damage=garbage_packed_refs,
    ),
    case(
        "tags-folder-is-a-file-register",
        "register",
        "m",
        expect=Error("Cannot write refs to '.git/refs/tags': Not a directory"),
        damage=tags_folder_is_a_file,
    ),
    # A config git would refuse hides the repository's format: no command reads on.
    case(
        "garbage-git-config-show",
        "show",
        expect=Error(prefix="Cannot read the Git repo in "),
        damage=garbage_git_config,
    ),
    case(
        "garbage-git-config-register",
        "register",
        "m",
        expect=Error(prefix="Cannot read the Git repo in "),
        damage=garbage_git_config,
    ),
    case(
        "garbage-git-file-show",
        "show",
        expect=Error(prefix="Cannot open the Git repo in "),
        damage=garbage_git_file,
    ),
    case(
        "git-file-to-nowhere-show",
        "show",
        expect=Error(prefix="No Git repo found in "),
        damage=git_file_to_nowhere,
    ),
    case("future-repository-format-show", "show", expect=Error(), damage=future_repository_format),
    # -r at things that are not repositories.
    case(
        "repo-missing-path",
        "show",
        "-r",
        "<repo>/missing",
        expect=Error("No Git repo found in '<repo>/missing'"),
    ),
    case(
        "repo-is-a-file",
        "show",
        "-r",
        "<repo>/b.txt",
        expect=Error("No Git repo found in '<repo>/b.txt'"),
    ),
    case(
        "repo-plain-folder",
        "show",
        "-r",
        "<tmp>/plain",
        expect=Error("No Git repo found in '<tmp>/plain'"),
    ),
    case("repo-empty-string", "history", "-r", "", expect=Error("No Git repo found in ''")),
]

USAGE = [
    case("unknown-command", "nosuchcommand", expect=Usage("invalid choice: 'nosuchcommand'")),
    case("unknown-option", "show", "--nosuch", expect=Usage("unrecognized arguments: --nosuch")),
    case(
        "av-not-a-number",
        "show",
        "--av",
        "x",
        expect=Usage("argument --av/--assignments-per-version: invalid int value: 'x'"),
    ),
    case(
        "sort-foo", "show", "--sort", "foo", expect=Usage("argument --sort: invalid choice: 'foo'")
    ),
    case(
        "simple-maybe",
        "register",
        "m",
        "--simple",
        "maybe",
        expect=Usage("argument --simple: invalid choice: 'maybe'"),
    ),
    case(
        "assign-without-stage",
        "assign",
        "m",
        "HEAD",
        expect=Usage("the following arguments are required: --stage"),
    ),
    case(
        "deprecate-extra-argument",
        "deprecate",
        "m",
        "v1.0.0",
        "prod",
        "extra",
        expect=Usage("unrecognized arguments: extra"),
    ),
    case(
        "av-minus-5",
        "show",
        "--av",
        "-5",
        expect=Error("'assignments_per_version' must be >= -1 (-1 means all), got -5"),
    ),
    case(
        "vs-minus-2",
        "show",
        "m",
        "--vs",
        "-2",
        expect=Error("'versions_per_stage' must be >= -1 (-1 means all), got -2"),
    ),
    case(
        "av-minus-5-empty-repo",
        "show",
        "--av",
        "-5",
        damage=empty_repo,
        expect=Error("'assignments_per_version' must be >= -1 (-1 means all), got -5"),
    ),
    case(
        "two-output-formats",
        "show",
        "--json",
        "--plain",
        expect=Error("Only one output format allowed"),
    ),
    case(
        "check-ref-two-formats",
        "check-ref",
        "m@v1.0.0",
        "--json",
        "--name",
        expect=Error("Only one output formatting flags is allowed"),
    ),
    case(
        "stages-allowed-and-used",
        "stages",
        "--allowed",
        "--used",
        expect=Error('Either "allowed" or "used" can be set'),
    ),
    case(
        "version-and-bump",
        "register",
        "m",
        "--version",
        "v2.0.0",
        "--bump-major",
        expect=Error("Need to specify either version or single bump argument"),
    ),
    case(
        "force-with-simple",
        "deprecate",
        "m",
        "--simple",
        "true",
        "--force",
        expect=Error("Can't use 'force' with 'simple=True'"),
    ),
    case(
        "parse-tag-missing-key",
        "parse-tag",
        "m@v1.0.0",
        "--key",
        "stage",
        expect=Error("Tag 'm@v1.0.0' has no 'stage'"),
    ),
    case(
        "describe-two-keys",
        "describe",
        "m",
        "--type",
        "--path",
        expect=Error("Can output one key only"),
    ),
]

NOT_A_MOMENT = (
    "Cannot read '{}' as a date or a ref; use a date such as 2024-03-03, "
    "2024-03-03T10:00:00+02:00, @1709452800 or '2 weeks ago'"
)
# Moments, signatures and promotion rules (issue 11): refused in one line, nothing written.
AUDIT = [
    case("as-of-garbage", "show", "--as-of", "tea", expect=Error(NOT_A_MOMENT.format("tea"))),
    case("as-of-empty", "history", "--as-of", "", expect=Error(NOT_A_MOMENT.format(""))),
    case(
        "as-of-no-such-day",
        "check-ref",
        "m#prod#1",
        "--as-of",
        "2024-02-30",
        expect=Error("Cannot read '2024-02-30' as a date: day is out of range for month"),
    ),
    case(
        "as-of-epoch-too-early",
        "show",
        "--as-of",
        "@1",
        expect=Error(
            "Cannot read '@1' as a date: epoch seconds must be from 100000000 to 4102444799, "
            "as git reads"
        ),
    ),
    case(
        "as-of-with-rev",
        "describe",
        "m",
        "--rev",
        "HEAD",
        "--as-of",
        "now",
        expect=Error("Either specify a revision or --as-of, not both"),
    ),
    case("diff-garbage", "diff", "2 weeks agox", expect=Error(NOT_A_MOMENT.format("2 weeks agox"))),
    case("diff-no-when", "diff", expect=Usage("the following arguments are required: WHEN")),
    case(
        "assign-breaks-a-rule",
        "assign",
        "m",
        "--version",
        "v1.0.0",
        "--stage",
        "staging",
        expect=Error(
            "Stage 'staging' requires the version to hold or have held 'dev' first "
            "(promotion.staging.requires); use --force to override"
        ),
        damage=in_worktree("promotion:\n  staging: {requires: [dev]}\n"),
    ),
    case(
        "sign-without-a-key",
        "register",
        "m",
        "--sign",
        expect=Error(
            "Signing needs a private key: pass --signing-key PATH, set GTO_SIGNING_KEY, or set "
            "git's user.signingkey with gpg.format=ssh"
        ),
    ),
    case(
        "sign-with-a-missing-key",
        "register",
        "m",
        "--sign",
        "--signing-key",
        "<tmp>/nowhere",
        expect=Error("Cannot read signing key '<tmp>/nowhere': No such file or directory"),
    ),
    case(
        "sign-a-deletion",
        "deprecate",
        "m",
        "v1.0.0",
        "--delete",
        "--sign",
        expect=Error("Nothing to sign: --delete deletes tags and writes no tag object"),
    ),
    case(
        "rules-ref-without-verify",
        "show",
        "--rules-ref",
        "main",
        expect=Error("--rules-ref and --allowed-signers take effect with --verify only"),
    ),
    case(
        "verify-unknown-rules-ref",
        "check-ref",
        "m#prod#1",
        "--verify",
        "--rules-ref",
        "nosuch",
        expect=Error("Ref 'nosuch' was not found in the repository history"),
    ),
    case(
        "verify-missing-signers-file",
        "show",
        "--verify",
        "--allowed-signers",
        "<tmp>/nowhere",
        expect=Error("Cannot read allowed signers file '<tmp>/nowhere': No such file or directory"),
    ),
    case(
        "verify-signers-file-not-in-the-rules-ref",
        "history",
        "--verify",
        expect=Error("The allowed_signers file 'signers' named in .gto is not in HEAD"),
        damage=committed("allowed_signers: signers\n", ".gto"),
    ),
]

ALL_CASES = [
    *PARSE_TAG,
    *CHECK_REF,
    *SHOW_NAME,
    *REGISTER_NAME,
    *OTHER_WRITES_NAME,
    *ESCAPES,
    *ASSIGN_STAGE,
    *REGISTER_VERSION,
    *OTHER_VERSIONS,
    *BAD_REFS,
    *ARTIFACTS_YAML,
    *CONFIG,
    *DAMAGE,
    *USAGE,
    *AUDIT,
]


# --- running them -----------------------------------------------------------------------


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """A tagger and a clock, so a write that should be refused cannot fail for lack of them;
    and a short lock wait, so a stale lock file fails fast."""
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Tess Tagger")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tess@example.com")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 1000} +0000")
    monkeypatch.setattr(gto.git.write, "LOCK_TIMEOUT", 0.05)


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], *, process: bool
) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `gto ARGS`, in this process or in a new one."""
    if process:
        env = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONIOENCODING": "utf-8"}
        done = subprocess.run(
            [sys.executable, "-m", "gto", *args], capture_output=True, env=env, timeout=120
        )
        return done.returncode, done.stdout.decode(), done.stderr.decode()
    capsys.readouterr()
    try:
        code = main(args)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def check(
    expect: Error | Usage | Output, code: int, out: str, err: str, fill: Callable[[str], str]
) -> None:
    assert "Traceback" not in err, err
    if isinstance(expect, Error):
        assert (code, out) == (1, ""), err
        assert err.startswith("❌ ") and err.endswith("\n") and err.count("\n") == 1, err
        line = err[len("❌ ") : -1]
        if expect.message is not None:
            assert line == fill(expect.message)
        assert line.startswith(fill(expect.prefix))
    elif isinstance(expect, Usage):
        assert (code, out) == (2, "")
        last = err.rstrip("\n").splitlines()[-1]
        assert ": error: " in last and expect.error in last, err
    else:
        assert (code, err) == (expect.code, ""), out
        if expect.stdout is not None:
            assert out == expect.stdout
        for text in expect.contains:
            assert fill(text) in out
        for text in expect.lacks:
            assert fill(text) not in out


@pytest.mark.parametrize("bad", ALL_CASES)
@pytest.mark.usefixtures("identity")
def test_bad_input(bad: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp_path = tmp_path.resolve()  # gto reports the real path of a repository
    path = tmp_path / "repo"
    build(path)
    (tmp_path / "plain").mkdir()
    if bad.damage is not None:
        bad.damage(path)

    try:
        with Repo(str(path)) as repo:
            head = repo.head().decode()[:7]  # named by errors about artifacts.yaml there
    except Exception:  # damaged on purpose: no such errors expected
        head = "<no head>"

    def fill(text: str) -> str:
        return (
            text.replace("<repo>", str(path))
            .replace("<tmp>", str(tmp_path))
            .replace("<head>", head)
        )

    args = [fill(arg) for arg in bad.args]
    if args[0] not in ("parse-tag", "nosuchcommand") and "-r" not in args:
        args += ["-r", str(path)]
    before = snapshot(path)
    code, out, err = run(args, capsys, process=bad.process)
    check(bad.expect, code, out, err, fill)
    assert snapshot(path) == before


def test_the_corpus_is_big_enough() -> None:
    assert len(ALL_CASES) >= 100


# --- nothing in a repository runs code -------------------------------------------------

PAYLOADS = [
    ("os-system", "!!python/object/apply:os.system ['touch {marker}']"),
    ("subprocess", "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]"),
    ("object-new", "!!python/object/new:os.system ['touch {marker}']"),
    ("name", "!!python/name:{module}.anything"),
    ("module", "!!python/module:{module}"),
    ("object", "!!python/object:{module}.Thing {{a: 1}}"),
]


@pytest.mark.parametrize("where", ["artifacts.yaml", ".gto"])
@pytest.mark.parametrize(("payload"), [pytest.param(p, id=id) for id, p in PAYLOADS])
@pytest.mark.parametrize("process", [False, True], ids=["in-process", "subprocess"])
def test_yaml_never_runs_or_imports_code(
    where: str,
    payload: str,
    process: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`!!python/...` tags give the usual one-line error and have no side effect at all:
    no command runs (the marker file stays absent) and no module is imported."""
    token = uuid.uuid4().hex
    marker = tmp_path / f"pwned-{token}"
    module = f"gto_pwned_{token}"
    modules = tmp_path / "modules"
    modules.mkdir()
    (modules / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Thing:\n    pass\ndef anything():\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(modules))
    monkeypatch.setenv("PYTHONPATH", str(modules))  # for the subprocess (run() adds the project)
    value = payload.format(marker=marker, module=module)
    path = tmp_path / "repo"
    build(path)
    tag = value.split()[0].replace("!!", "tag:yaml.org,2002:")
    if where == ".gto":
        in_worktree(f"stages: {value}\n")(path)
        expected = (
            f"Wrong config file '{path.resolve() / '.gto'}': could not determine a constructor "
            f"for the tag '{tag}' (line 1, column 9)"
        )
    else:
        committed(f"m: {value}\n")(path)
        with Repo(str(path)) as repo:
            head = repo.head().decode()[:7]
        expected = (
            f"{NOT_GTO_FORMAT} (commit {head}): could not determine a constructor for the tag "
            f"'{tag}' (line 1, column 4)"
        )
    before = snapshot(path)
    env_path = os.environ["PYTHONPATH"]
    if process:
        env = {**os.environ, "PYTHONPATH": f"{PROJECT}{os.pathsep}{env_path}"}
        done = subprocess.run(
            [sys.executable, "-m", "gto", "show", "-r", str(path)],
            capture_output=True,
            env=env,
            timeout=60,
        )
        code, out, err = done.returncode, done.stdout.decode(), done.stderr.decode()
    else:
        code, out, err = run(["show", "-r", str(path)], capsys, process=False)
    assert (code, out, err) == (1, "", f"❌ {expected}\n")
    assert not marker.exists()
    assert module not in sys.modules
    assert snapshot(path) == before


def test_undecodable_argument_is_one_line(tmp_path: Path) -> None:
    """A name that is not UTF-8 (a surrogate in Python) cannot break the error line."""
    path = tmp_path / "repo"
    build(path)
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONIOENCODING": "utf-8"}
    env["LC_ALL"] = "C.UTF-8"
    before = snapshot(path)
    done = subprocess.run(
        [sys.executable, "-m", "gto", "show", b"m\xff", "-r", str(path)],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, b"")
    assert done.stderr.decode() == "❌ Cannot find artifact 'm\\udcff'\n"
    assert snapshot(path) == before
