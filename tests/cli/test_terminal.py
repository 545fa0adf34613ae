"""Repository content never drives the terminal: control characters are escaped.

Tag names from packed-refs, taggers, messages and annotations come from whoever can
push. An escape sequence among them could clear the screen, rewrite the window title or
hide text (bidirectional overrides) when gto prints it; every command prints it escaped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from builders import build_registry
from dulwich.refs import Ref
from dulwich.repo import Repo

from gto.cli import main

EVIL = "\x1b[2J\x1b]0;owned\x07\u202e\r"
EVIL_YAML = r"\e[2J\e]0;owned\a\u202e\r"  # the same, in a YAML double-quoted string
# What must never reach a terminal (gto.render._CONTROL): all but the line break.
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
COMMANDS = [
    ["show"],
    ["show", "m"],
    ["show", "m", "--plain"],
    ["show", "m", "--json"],
    ["show", "m@v1.0.0", "--ref"],
    ["history"],
    ["history", "m", "--plain"],
    ["check-ref", "m@v1.0.0"],
    ["check-ref", "m#prod#1", "--json"],
    ["describe", "m"],
    ["describe", "m", "--description"],
    ["describe", "m", "--path"],
    ["describe", "m", "--custom"],
    ["doctor"],
    ["print-state"],
]


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """Every free-text field holds control characters; packed-refs holds a bad name."""
    path = tmp_path / "repo"
    annotations = (
        f'm:\n  type: model\n  path: "models/{EVIL_YAML}.pkl"\n  description: "say {EVIL_YAML}"\n'
        f'  custom: "x{EVIL_YAML}"\n'
    )
    repo = build_registry(
        path,
        [
            ("commit", "c1", {"artifacts.yaml": annotations}, 0, "main", f"commit {EVIL}"),
            ("tag", "m@v1.0.0", "c1", 10, f"registered {EVIL}", 0, (f"Eve {EVIL}", "e@x")),
            ("tag", "m#prod#1", "c1", 20, f"to prod {EVIL}", 0, (f"Eve {EVIL}", "e@x")),
        ],
    )
    # A name no git would write, planted in packed-refs: it is skipped, never shown.
    oid = repo.refs[Ref(b"refs/tags/m@v1.0.0")]
    (path / ".git" / "packed-refs").write_bytes(
        b"# pack-refs with: sorted \n" + oid + b" refs/tags/m@v1.0.0\x1b[2J-rc\n"
    )
    repo.close()
    return path


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_control_characters_are_escaped_in_every_command(
    args: list[str], evil: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main([*args, "-r", str(evil)]) == 0
    out, err = capsys.readouterr()
    assert CONTROL.search(out) is None, repr(out)
    assert CONTROL.search(err) is None, repr(err)
    assert "[2J-rc" not in out  # the planted ref name is not shown at all


def test_escapes_are_shown_not_dropped(evil: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["describe", "m", "--description", "-r", str(evil)]) == 0
    assert capsys.readouterr().out == "say \\x1b[2J\\x1b]0;owned\\x07\\u202e\\r\n"


def test_a_planted_ref_name_is_not_read(evil: Path) -> None:
    from gto.git.repo import GitRepo

    with GitRepo.open(evil) as git:
        assert git.tag_names() == ["m#prod#1", "m@v1.0.0"]
    with Repo(str(evil)) as repo:
        assert repo.refs[Ref(b"refs/tags/m@v1.0.0")]  # the loose ref is still there
