"""The CLI as a command-line citizen: pipes, colour, usage errors, global options, help.

Colour follows no-color.org and force-color.org; the pseudo-terminal tests write the
error line to a real terminal device (the `pty` module), as a user's shell would see it.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import gto
from gto.cli import main
from gto.exceptions import ArtifactNotFound

PROJECT = Path(gto.__file__).resolve().parent.parent
RED, RESET = "\033[31m", "\033[0m"
NOT_FOUND = "❌ Cannot find artifact 'nope'"


@pytest.fixture
def demo(fixture_repo: Callable[[str], Path]) -> Path:
    return fixture_repo("demo")


# --- a reader that stops early -----------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "code"), [(["history", "--json"], 141), (["show"], 141), (["--help"], 0)]
)
def test_a_closed_pipe_ends_quietly(demo: Path, command: list[str], code: int) -> None:
    """`gto history --json | head -1`: no traceback, exit 141 as git (killed by SIGPIPE)."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before gto writes anything
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    args = [*command, "-r", str(demo)] if command[0] != "--help" else command
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gto", *args],
            stdout=write,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr.decode()) == (code, "")


# --- colour ------------------------------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[list[str]], str]]:
    """Run `gto ARGS` with stderr on a pseudo-terminal; return what the terminal received."""
    primary, secondary = pty.openpty()
    stream = os.fdopen(secondary, "w", encoding="utf-8")

    def run(argv: list[str]) -> str:
        # Set here, in the test's own phase: pytest swaps sys.stderr between phases.
        monkeypatch.setattr(sys, "stderr", stream)
        assert main(argv) == 1
        stream.flush()
        readable, _, _ = select.select([primary], [], [], 10)
        assert readable, "nothing reached the terminal"
        return os.read(primary, 65536).decode().replace("\r\n", "\n")

    yield run
    stream.close()
    os.close(primary)


def error_line(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], coloured: bool) -> str:
    """Set exactly these colour variables; the error line expected with them."""
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return f"{RED}{NOT_FOUND}{RESET}\n" if coloured else f"{NOT_FOUND}\n"


@pytest.mark.parametrize(
    ("environ", "coloured"),
    [
        pytest.param({}, True, id="terminal"),
        pytest.param({"NO_COLOR": "1"}, False, id="NO_COLOR"),
        pytest.param({"NO_COLOR": "false"}, False, id="NO_COLOR-any-value"),
        pytest.param({"NO_COLOR": ""}, True, id="NO_COLOR-empty-is-unset"),
        pytest.param({"TERM": "dumb"}, False, id="TERM-dumb"),
        pytest.param({"TERM": "dumb", "FORCE_COLOR": "1"}, True, id="FORCE_COLOR-beats-dumb"),
        pytest.param({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, id="NO_COLOR-beats-FORCE"),
    ],
)
def test_colour_on_a_terminal(
    demo: Path,
    terminal: Callable[[list[str]], str],
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    coloured: bool,
) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    expected = error_line(monkeypatch, environ, coloured)
    assert terminal(["show", "nope", "-r", str(demo)]) == expected


@pytest.mark.parametrize(
    ("environ", "coloured"),
    [
        pytest.param({}, False, id="pipe"),
        pytest.param({"FORCE_COLOR": "1"}, True, id="FORCE_COLOR"),
        pytest.param({"FORCE_COLOR": ""}, False, id="FORCE_COLOR-empty-is-unset"),
    ],
)
def test_colour_into_a_pipe(
    demo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    coloured: bool,
) -> None:
    expected = error_line(monkeypatch, environ, coloured)
    assert main(["show", "nope", "-r", str(demo)]) == 1
    assert capsys.readouterr().err == expected


@pytest.mark.parametrize("value", ["false", "FALSE", "0", "no", "off", "f", "n"])
def test_emojis_off(
    demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("GTO_EMOJIS", value)
    assert main(["check-ref", "churn#prod#3", "-r", str(demo)]) == 0
    assert main(["show", "nope", "-r", str(demo)]) == 1
    out, err = capsys.readouterr()
    assert out == ' Stage "prod" was assigned to version "v3.0.0" of artifact "churn"\n'
    assert err == "Cannot find artifact 'nope'\n"


@pytest.mark.parametrize("options", [[], ["--no-cache"]])
def test_a_no_cache_value_that_is_neither_yes_nor_no_is_one_line(
    demo: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
) -> None:
    monkeypatch.setenv("GTO_NO_CACHE", "maybe")
    assert main(["show", *options, "-r", str(demo)]) == 1
    assert capsys.readouterr() == (
        "",
        "❌ Invalid value in environment variable GTO_NO_CACHE: expected true or false, "
        "got 'maybe'\n",
    )


# --- usage and global options ------------------------------------------------------------


def usage_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    return err


@pytest.mark.parametrize(
    ("argv", "command", "unknown"),
    [
        (["show", "--bogus"], "show", "--bogus"),
        (["show", "churn", "extra"], "show", "extra"),
        (["history", "-x", "--json"], "history", "-x"),
        (["promote", "m", "--stage", "prod", "--bogus"], "assign", "--bogus"),
    ],
)
def test_an_unknown_option_prints_the_commands_usage(
    capsys: pytest.CaptureFixture[str], argv: list[str], command: str, unknown: str
) -> None:
    err = usage_error(capsys, argv)
    assert err.startswith(f"usage: gto {command} [-h] [-v] ")
    assert err.splitlines()[-1] == f"gto {command}: error: unrecognized arguments: {unknown}"


def test_global_options_after_the_command(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "-r", str(demo)]) == 0
    plain = capsys.readouterr()
    for argv in (["show", "-v"], ["-v", "show"], ["show", "--verbose"], ["-v", "show", "-v"]):
        assert main([*argv, "-r", str(demo)]) == 0
        assert capsys.readouterr() == plain
    with pytest.raises(ArtifactNotFound):  # --traceback after the command re-raises
        main(["show", "nope", "--tb", "-r", str(demo)])


def test_help_lists_each_command_once_grouped_with_examples(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    listed = [
        line.split()[0] for line in text.splitlines() if line.startswith("  ") and line[2] != " "
    ]
    commands = [
        "show", "history", "check-ref", "stages", "describe", "doctor",
        "register", "assign", "deprecate", "annotate", "remove", "completion",
    ]  # fmt: skip
    assert [name for name in listed if name in commands] == commands
    assert text.index("Read the registry:") < text.index("  show ")
    assert text.index("Modify artifacts:") < text.index("  register ")
    assert text.index("Manage annotations (artifacts.yaml):") < text.index("  annotate ")
    assert "\nexamples:\n  gto show " in text
    assert text.startswith("usage: gto [-h] [--version] [-v] COMMAND [ARGS ...]\n")
