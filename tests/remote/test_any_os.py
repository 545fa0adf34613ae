"""gto on any OS: nothing POSIX-only is needed to import it, and the cache lock works everywhere.

Where `fcntl` is missing (Windows, or the blocker below), every gto module still imports,
a local read works and a remote read goes through the cache, locked with `msvcrt` (a
stand-in here) or an O_EXCL lock file.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import gto
from gto.exceptions import RemoteError
from gto.remote import lock as cache_lock
from gto.remote.lock import CacheLock, lock_kind

PROJECT = Path(gto.__file__).resolve().parent.parent

_WITHOUT_FCNTL = """
import importlib, importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "fcntl":
            raise ImportError("No module named 'fcntl' (blocked, as on Windows)")
        return None

sys.meta_path.insert(0, Block())
sys.modules.pop("fcntl", None)
import gto
for module in pkgutil.walk_packages(gto.__path__, "gto."):
    if module.name != "gto.__main__":
        importlib.import_module(module.name)
from gto.remote.lock import lock_kind
print("lock:", lock_kind())
from gto.cli import main
code = main(sys.argv[1:])
print("fcntl imported:", "fcntl" in sys.modules)
sys.exit(code)
"""


def run_without_fcntl(args: list[str], home: Path) -> tuple[int, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home / ".cache"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_FCNTL, *args], capture_output=True, text=True, env=env
    )
    assert result.stderr == ""
    return result.returncode, result.stdout


def test_without_fcntl_every_module_imports_and_reads_work(
    fixture_repo: Callable[[str], Path], tmp_path: Path
) -> None:
    demo = fixture_repo("demo")
    code, local = run_without_fcntl(["show", "-r", str(demo)], tmp_path)
    assert code == 0
    assert local.startswith("lock: file\n") and local.endswith("fcntl imported: False\n")
    url = f"file://{demo}"
    for _ in range(2):  # the first read fills the cache, the second reads through it
        code, remote = run_without_fcntl(["show", "-r", url], tmp_path)
        assert (code, remote) == (0, local)
    remotes = tmp_path / ".cache" / "gto" / "remotes"
    assert sorted(p.suffix for p in remotes.iterdir()) == ["", ".lock"]  # no `.held` left


def owned(path: Path, st: os.stat_result) -> None:
    """The ownership check a cache makes (gto.remote.cache); these files are ours."""


class _FakeMsvcrt(types.ModuleType):
    """Windows' `msvcrt.locking`, acted out with flock (one lock per open file, as Windows)."""

    LK_NBLCK = 2
    LK_UNLCK = 0

    def __init__(self) -> None:
        super().__init__("msvcrt")

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        if mode == self.LK_UNLCK:
            fcntl.flock(fd, fcntl.LOCK_UN)
        else:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # BlockingIOError is an OSError


@pytest.fixture(params=["flock", "msvcrt", "file"])
def kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "msvcrt":
        monkeypatch.setitem(sys.modules, "msvcrt", _FakeMsvcrt())
    monkeypatch.setattr(cache_lock, "LOCK_TIMEOUT", 0.2)
    yield str(request.param)


def test_the_system_lock() -> None:
    assert lock_kind() == "flock"  # these tests run on POSIX


def test_one_holder_at_a_time_and_reentrant(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "cache.lock"
    first = CacheLock(path, "https://example.com/r", owned, kind=kind)
    second = CacheLock(path, "https://example.com/r", owned, kind=kind)
    first.acquire()
    first.acquire()  # re-entrant within its owner
    with pytest.raises(RemoteError) as busy:
        second.acquire()
    assert busy.value.message == (
        "Another gto has been using the cache of https://example.com/r for 0 s "
        f"('{path}' is locked); try again later"
    )
    first.release()
    with pytest.raises(RemoteError):
        second.acquire()  # still held once
    first.release()
    with second.held():
        assert not first_can_take(path, kind)
    assert first_can_take(path, kind)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache.lock"]


def first_can_take(path: Path, kind: str) -> bool:
    probe = CacheLock(path, "u", owned, kind=kind)
    try:
        probe.acquire()
    except RemoteError:
        return False
    probe.release_all()
    return True


def test_a_dead_owners_lock_file_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "cache.lock"
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / "cache.lock.held").write_text(gone.stdout)
    with CacheLock(path, "u", owned, kind="file").held():
        assert (tmp_path / "cache.lock.held").read_text() == f"{os.getpid()}\n"
    assert not (tmp_path / "cache.lock.held").exists()


def test_a_living_owners_lock_file_is_respected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_lock, "LOCK_TIMEOUT", 0.2)
    path = tmp_path / "cache.lock"
    (tmp_path / "cache.lock.held").write_text(f"{os.getppid()}\n")
    with pytest.raises(RemoteError, match="Another gto has been using the cache"):
        CacheLock(path, "u", owned, kind="file").acquire()
    assert (tmp_path / "cache.lock.held").read_text() == f"{os.getppid()}\n"
