"""Shell completion: the scripts parse in their shells, and a real bash completes names.

The scripts call `gto __complete` back; here `gto` on PATH is this Python's `-m gto`,
and the demo registry is the current folder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from gto.cli import main
from gto.cli.completion_scripts import completion_script


@pytest.fixture
def demo(fixture_repo: Callable[[str], Path]) -> Path:
    return fixture_repo("demo")


@pytest.fixture
def gto_bin(tmp_path: Path) -> Path:
    """A folder with a `gto` that runs this checkout's gto."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "gto"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m gto "$@"\n')
    script.chmod(0o755)
    return folder


def _script(shell: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["completion", shell]) == 0
    text = capsys.readouterr().out
    assert text == completion_script(shell) + "\n"
    path = tmp_path / f"gto.{shell}"
    path.write_text(text)
    return path


def _shell(argv: list[str], cwd: Path, gto_bin: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PATH", f"{gto_bin}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.stderr == ""
    assert done.returncode == 0
    return done.stdout


BASH_CASES = [
    pytest.param(["gto", "show", "ch"], ["churn"], id="artifact-name"),
    pytest.param(["gto", "sh"], ["show"], id="command"),
    pytest.param(["gto", "history", "--as"], ["--as-of", "--asc", "--ascending"], id="option"),
    pytest.param(["gto", "show", "--sort", ""], ["timestamp", "semver"], id="choices"),
    pytest.param(["gto", "assign", "churn", "--stage", "st"], ["staging"], id="stage"),
    pytest.param(
        ["gto", "check-ref", "awesome-model#prod"],
        ["awesome-model#prod\\!#2", "awesome-model#prod#1"],
        id="tag-with-bang-escaped",
    ),
    pytest.param(["gto", "show", "churn@v3"], ["churn@v3.0.0", "churn@v3.1.0"], id="shortcut"),
    pytest.param(["gto", "show", "-r", "ob"], ["objects"], id="repo-folder"),
]


@pytest.mark.parametrize(("words", "expected"), BASH_CASES)
def test_bash_completes(
    words: list[str],
    expected: list[str],
    demo: Path,
    gto_bin: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script("bash", tmp_path, capsys)
    line = " ".join(words)
    driver = (
        f"source {script}\n"
        f"COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_gto_complete\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    out = _shell(["bash", "--noprofile", "--norc", "-c", driver], demo, gto_bin, monkeypatch)
    assert out.splitlines() == expected


def test_bash_accepts_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("bash", tmp_path, capsys)
    subprocess.run(["bash", "-n", str(script)], check=True)


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_accepts_and_runs_the_script(
    demo: Path,
    gto_bin: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = _script("zsh", tmp_path, capsys)
    subprocess.run(["zsh", "-n", str(script)], check=True)
    # compdef/compadd belong to compinit; stand-ins show what the function hands them.
    driver = (
        "compdef() { :; }\n"
        f"source {script}\n"
        'compadd() { print -rl -- "$@"; }\n'
        '_files() { print -r -- FILES "$@"; }\n'
        "words=(gto show ch); CURRENT=3; PREFIX=ch; _gto\n"
        "words=(gto show -r ''); CURRENT=4; PREFIX=''; _gto\n"
    )
    out = _shell(["zsh", "-f", "-c", driver], demo, gto_bin, monkeypatch)
    assert out.splitlines() == ["--", "churn", "FILES -/"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_accepts_the_script(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = _script("fish", tmp_path, capsys)
    subprocess.run(["fish", "--no-execute", str(script)], check=True)


# --- the callback, without a shell ----------------------------------------------------

CALLBACK_CASES = [
    pytest.param(["zsh", "gto", ""], "words\n" + "\n".join(
        ["annotate", "assign", "check-ref", "completion", "deprecate", "describe", "diff", "doctor",
         "history", "promote", "register", "remove", "show", "stages"]), id="commands"),
    pytest.param(["zsh", "gto", "show", "churn#"], "words\nchurn#dev\nchurn#prod\nchurn#staging",
                 id="stage-shortcut"),
    pytest.param(["fish", "gto", "deprecate", "churn", "v"], "words\nv3.0.0\nv3.1.0",
                 id="versions"),
    pytest.param(["fish", "gto", "deprecate", "churn", "v3.0.0", "p"], "words\nprod",
                 id="stage-positional"),
    pytest.param(["zsh", "gto", "show", "--sort=s"], "words\n--sort=semver", id="option-equals"),
    pytest.param(["bash", "gto show --sort=s", "s"], "words\nsemver", id="bash-wordbreak"),
    pytest.param(["bash", "gto show 'chu", "'chu"], "words\nchurn", id="bash-open-quote"),
    pytest.param(["zsh", "gto", "annotate", "churn", "--path", ""], "files", id="path"),
    pytest.param(["zsh", "gto", "register", "churn", "--version", ""], "words", id="free-text"),
    pytest.param(["zsh", "gto", "show", "churn", "extra", ""], "words", id="too-many"),
    pytest.param(["zsh", "gto", "nope", ""], "words", id="unknown-command"),
    pytest.param(["zsh", "gto", "show", "-r", "https://example.com/r", ""], "words",
                 id="remote-never-contacted"),
]  # fmt: skip


@pytest.mark.parametrize(("args", "expected"), CALLBACK_CASES)
def test_callback(
    args: list[str],
    expected: str,
    demo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(demo)
    assert main(["__complete", *args]) == 0
    assert capsys.readouterr() == (expected + "\n", "")


def test_callback_outside_a_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["__complete", "zsh", "gto", "show", ""]) == 0
    assert capsys.readouterr() == ("words\n", "")


def test_configured_stages_and_annotated_artifacts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from builders import build_registry

    build_registry(
        tmp_path / "repo",
        [("commit", "c1", {".gto": "stages: [qa, live]\n", "artifacts.yaml": "dir:model: {}\n"})],
    ).close()
    monkeypatch.chdir(tmp_path / "repo")
    main(["__complete", "zsh", "gto", "assign", "x", "--stage", ""])
    assert capsys.readouterr().out == "words\nqa\nlive\n"
    main(["__complete", "bash", "gto show dir:m", "m"])
    assert capsys.readouterr().out == "words\nmodel\n"
