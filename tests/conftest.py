"""Fixtures shared by every test: a hermetic environment, repos to read, golden files.

Tests must never depend on the developer's git setup, nor call a git binary: every
test runs with GIT_*/GTO_* variables removed, HOME and the XDG folders in a temp dir,
and a `git` first on PATH that fails loudly if anything runs it.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from builders import init_repo
from dulwich.repo import Repo
from signers import KeyPair, make_keys

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
POISON_GIT = '#!/bin/sh\necho "git must not be called" >&2\nexit 127\n'


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite fixtures/expected/ from the actual output (review the diff!)",
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how to run the tests that skipped for want of git's own server, or `git tag -v`."""
    from servers import NEEDS_REAL_GIT
    from signers import NEEDS_GIT_TAG_V

    skipped = terminalreporter.stats.get("skipped", [])
    for reason in (NEEDS_REAL_GIT, NEEDS_GIT_TAG_V):
        count = sum(1 for report in skipped if reason in str(report.longrepr))
        if count:
            terminalreporter.write_line(f"{count} skipped: {reason}")


@pytest.fixture(scope="session")
def poison_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose `git` fails, so a test that shells out to git fails too."""
    folder = tmp_path_factory.mktemp("poison")
    git = folder / "git"
    git.write_text(POISON_GIT)
    git.chmod(git.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


@pytest.fixture(autouse=True)
def hermetic_env(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, poison_path: Path
) -> None:
    """No GIT_*/GTO_* variables, no user or system git config, no real git."""
    for name in list(os.environ):
        if name.startswith(("GIT_", "GTO_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")  # dulwich would read /etc/gitconfig
    # Local time is UTC, whatever the machine's (ssh-keygen reads allowed signers times
    # without `Z` as local time, git prints local offsets).
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setenv("PATH", f"{poison_path}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def cache_home(hermetic_env: None) -> Path:
    """gto's cache folder's parent in a test (XDG_CACHE_HOME, which hermetic_env sets)."""
    return Path(os.environ["XDG_CACHE_HOME"])


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, KeyPair]:
    """SSH keys made by ssh-keygen: one of each kind gto signs with, and "other" (ed25519)."""
    return make_keys(tmp_path_factory.mktemp("keys"))


@pytest.fixture
def tmp_repo(tmp_path: Path) -> Iterator[Repo]:
    """An empty non-bare repo at tmp_path/"repo" (HEAD -> the unborn `main`)."""
    with init_repo(tmp_path / "repo") as repo:
        yield repo


@pytest.fixture
def fixture_repo(tmp_path: Path) -> Callable[[str], Path]:
    """Copy fixtures/repos/<name>.git to tmp_path and return the copy: fixtures stay pristine."""

    def copy(name: str) -> Path:
        source = FIXTURES / "repos" / f"{name}.git"
        if not source.is_dir():
            pytest.fail(f"no fixture repo {source}: build it with fixtures/repos/make_repos.py")
        target = tmp_path / f"{name}.git"
        copies = 1
        while target.exists():
            copies += 1
            target = tmp_path / f"{name}-{copies}.git"
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare text with fixtures/expected/<path> exactly; `--update-golden` rewrites it."""
    update = bool(request.config.getoption("--update-golden"))

    def check(path: str, actual: str) -> None:
        expected_file = FIXTURES / "expected" / path
        if update:
            expected_file.parent.mkdir(parents=True, exist_ok=True)
            expected_file.write_bytes(actual.encode("utf-8"))
            return
        if not expected_file.is_file():
            pytest.fail(
                f"golden file {expected_file} is missing: run pytest --update-golden "
                "and review the new file"
            )
        assert actual == expected_file.read_bytes().decode("utf-8")

    return check


TAGGER_NAME, TAGGER_EMAIL = "Tess Tagger", "tess@example.com"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Set the tagger and "now" (EPOCH + seconds) for the next write; starts at EPOCH + 1000."""
    from builders import EPOCH

    def set_time(seconds: int) -> None:
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + seconds} +0000")

    monkeypatch.setenv("GIT_COMMITTER_NAME", TAGGER_NAME)
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", TAGGER_EMAIL)
    set_time(1000)
    return set_time


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_in(capsys: pytest.CaptureFixture[str]) -> Callable[[str | os.PathLike[str]], Run]:
    """`run_in(PATH)(ARGS)`: `run` on another repository than the module's `path`."""
    from gto.cli import main

    def runner(path: str | os.PathLike[str]) -> Run:
        def call(*args: str | os.PathLike[str]) -> tuple[int, str, str]:
            capsys.readouterr()
            code = main([*(os.fspath(a) for a in args), "-r", os.fspath(path)])
            out, err = capsys.readouterr()
            return code, out, err

        return call

    return runner


@pytest.fixture
def run(path: Path, run_in: Callable[[Path], Run]) -> Run:
    """`gto ARGS -r PATH` -> (exit code, stdout, stderr), for modules with a `path` fixture."""
    return run_in(path)


@pytest.fixture
def path(built: tuple[Path, dict[str, str]]) -> Path:
    """The repository of a module's `built` fixture (a module may define its own `path`)."""
    return built[0]


@pytest.fixture
def commits(built: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """The commits of a module's `built` fixture, by label."""
    return built[1]
