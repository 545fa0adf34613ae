"""Real git servers on loopback, for tests that push to or read from a remote.

    with dulwich_http_server(bare_repo_path) as url:   # http://127.0.0.1:PORT/NAME
        ...
    with git_daemon(folder_of_bare_repos) as base:     # git://127.0.0.1:PORT
        url = f"{base}/remote.git"

Both bind an ephemeral port on 127.0.0.1 (or `host=`, `::1` for IPv6), accept pushes,
and stop when the `with` block ends. git daemon is git's own server: it needs the real
git binary, which CI names in GTO_TEST_REAL_GIT (a poisoned `git` comes first on PATH);
without it the test is skipped. gto itself never runs git.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast
from wsgiref.simple_server import make_server

import pytest
from dulwich.config import ConfigFile
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend
from dulwich.web import WSGIRequestHandlerLogger, WSGIServerLogger, make_wsgi_chain

import gto
from gto.git.repo import GitRepo
from gto.remote.transport import push_to_origin
from gto.settings import current

PROJECT = Path(gto.__file__).resolve().parent.parent  # on PYTHONPATH of the processes

# Read at import (collection) time: the autouse hermetic_env fixture removes GTO_*
# variables before each test runs.
REAL_GIT = os.environ.get("GTO_TEST_REAL_GIT", "")
NEEDS_REAL_GIT = (
    "needs git's own server (git daemon, git http-backend, git over ssh), which runs the real "
    "git binary: run GTO_TEST_REAL_GIT=$(command -v git) python -m pytest"
)


def run_git(
    path: str | os.PathLike[str], env: Mapping[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """The real git (GTO_TEST_REAL_GIT) run in `path`, without the system's config."""
    return subprocess.run(
        [REAL_GIT, *args],
        cwd=path,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_CONFIG_NOSYSTEM": "1", **env},
    )


def need_real_git() -> str:
    """The real git binary for a test's server, or skip the test saying how to get it."""
    if not REAL_GIT:
        pytest.skip(NEEDS_REAL_GIT)
    if not os.access(REAL_GIT, os.X_OK):
        pytest.skip(f"GTO_TEST_REAL_GIT={REAL_GIT} is not an executable; {NEEDS_REAL_GIT}")
    return REAL_GIT


STARTUP_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0
# Per connection: a stuck client or server cannot hold a test for longer than this.
IO_TIMEOUT = 30


class _RequestHandler(WSGIRequestHandlerLogger):
    timeout = IO_TIMEOUT


class _IPv6ServerLogger(WSGIServerLogger):
    address_family = socket.AF_INET6


def _netloc(host: str, port: int) -> str:
    """`host:port`, an IPv6 host in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@contextlib.contextmanager
def dulwich_http_server(
    repo_path: str | os.PathLike[str], host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve one repository with dulwich's smart HTTP server (protocol v0/v1, push on).

    Yields its URL, `http://127.0.0.1:PORT/<folder name>`.
    """
    name = "/" + Path(repo_path).name
    server_class = _IPv6ServerLogger if ":" in host else WSGIServerLogger
    with Repo(os.fspath(repo_path)) as repo:
        app = make_wsgi_chain(DictBackend({name: cast(BackendRepo, repo)}))
        server = make_server(host, 0, app, server_class=server_class, handler_class=_RequestHandler)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        try:
            yield f"http://{_netloc(host, server.server_port)}{name}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join(STOP_TIMEOUT)


def _free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _accepts(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _wait_until_accepting(
    process: subprocess.Popen[bytes], port: int, host: str = "127.0.0.1"
) -> bool:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while process.poll() is None and time.monotonic() < deadline:
        if _accepts(port, host):
            return True
        time.sleep(0.05)
    return False


def _die_with_parent() -> None:
    """In the child: get SIGTERM if pytest dies, so no daemon outlives the test run."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the daemon and the per-connection children in its process group."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(STOP_TIMEOUT)
            return
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def git_daemon(base_path: str | os.PathLike[str], host: str = "127.0.0.1") -> Iterator[str]:
    """Run `git daemon` over the repositories under `base_path`, receive-pack enabled.

    Yields `git://127.0.0.1:PORT`; a repository `base_path/x.git` is at `URL/x.git`.
    Skips the test when GTO_TEST_REAL_GIT does not name the real git.
    """
    need_real_git()
    base = os.path.abspath(base_path)
    env = dict(os.environ)
    # The daemon runs `git upload-pack`/`receive-pack`: it must find the real git.
    env["PATH"] = os.path.dirname(REAL_GIT) + os.pathsep + env.get("PATH", "")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    for _ in range(3):  # another process may take the free port before the daemon does
        port = _free_port(host)
        command = [
            REAL_GIT,
            "daemon",
            "--reuseaddr",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--informative-errors",
            f"--timeout={IO_TIMEOUT}",
            f"--init-timeout={IO_TIMEOUT}",
            f"--listen={host}",
            f"--port={port}",
            base,
        ]
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
            try:
                if _wait_until_accepting(process, port, host):
                    yield f"git://{_netloc(host, port)}"
                    return
                exited = process.poll() is not None
            finally:
                _stop(process)
            log.seek(0)
            output = log.read().decode("utf-8", "replace").strip()
        if not exited or "Address already in use" not in output:
            raise RuntimeError(f"git daemon did not start: {output or 'no output'}")
    raise RuntimeError("git daemon did not start: no free port")


@contextlib.contextmanager
def git_http_backend(base_path: str | os.PathLike[str]) -> Iterator[str]:
    """Serve the repositories under `base_path` with `git http-backend` (git's smart HTTP).

    What GitHub and GitLab speak: protocol v2 over HTTP, with the filters that a
    repository's `uploadpack.allowFilter` allows, and pushes. A tiny WSGI app runs the
    CGI program per request. Yields `http://127.0.0.1:PORT`; skips without GTO_TEST_REAL_GIT.
    """
    need_real_git()
    base = os.path.abspath(base_path)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        cgi = {
            "PATH": os.path.dirname(REAL_GIT) + os.pathsep + os.environ.get("PATH", ""),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_PROJECT_ROOT": base,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_PROTOCOL": environ.get("HTTP_GIT_PROTOCOL", ""),
            "REQUEST_METHOD": environ["REQUEST_METHOD"],
            "PATH_INFO": environ.get("PATH_INFO", ""),
            "QUERY_STRING": environ.get("QUERY_STRING", ""),
            "CONTENT_TYPE": environ.get("CONTENT_TYPE", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": environ.get("HTTP_CONTENT_ENCODING", ""),
            "REMOTE_USER": "tester",
            "REMOTE_ADDR": "127.0.0.1",
        }
        result = subprocess.run(
            [REAL_GIT, "http-backend"], input=body, env=cgi, capture_output=True, timeout=IO_TIMEOUT
        )
        head, _, payload = result.stdout.partition(b"\r\n\r\n")
        status, headers = "200 OK", []
        for line in head.decode("latin-1").split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = value.strip()
            elif key:
                headers.append((key, value.strip()))
        start_response(status, headers)
        return [payload]

    server = make_server(
        "127.0.0.1", 0, app, server_class=WSGIServerLogger, handler_class=_RequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(STOP_TIMEOUT)


def push(git: GitRepo, refspecs: list[tuple[str | None, str]]) -> None:
    """Push to `origin` as a gto write does (the repository's and the user's settings)."""
    push_to_origin(git, refspecs, current())


def set_remote(path: Path, url: str, key: str = "url") -> None:
    """Make `url` the work tree's `origin` (`key`: `url`, or `pushurl`)."""
    config_path = path / ".git" / "config"
    config = ConfigFile.from_path(str(config_path))
    config.set((b"remote", b"origin"), key.encode(), url.encode())
    config.write_to_path(str(config_path))


def become_origin(path: Path, url: str, branch: str = "refs/heads/main") -> None:
    """Make `url` the work tree's `origin` and push its main there (as `branch`)."""
    set_remote(path, url)
    with GitRepo.open(path) as git:
        push(git, [("refs/heads/main", branch)])


def _at_once_script(imports: Sequence[str]) -> str:
    """A `python -c` script that imports the CLI (and `imports`), says so in the file
    `GO.<pid>`, waits for the file `GO` (argv[1]), then runs `gto` with the rest of argv."""
    return "\n".join(
        [
            "import os, sys, time",
            *(f"import {name}" for name in imports),
            "from gto.cli import main",
            "go = sys.argv[1]",
            'open(go + "." + str(os.getpid()), "w").close()',
            "while not os.path.exists(go):",
            "    time.sleep(0.001)",
            "sys.exit(main(sys.argv[2:]))",
            "",
        ]
    )


def run_at_once(
    folder: Path,
    commands: Sequence[Sequence[str]],
    *,
    env: Mapping[str, str] | None = None,
    imports: Sequence[str] = (),
    timeout: float = 60,
) -> list[tuple[int, str, str]]:
    """One gto process per command, released together once each has imported gto (and
    `imports`): (code, stdout, stderr) each. `folder` holds the start files."""
    go = folder / "go"
    script = _at_once_script(imports)
    environ = {**os.environ, "PYTHONPATH": str(PROJECT), **(env or {})}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(go), *command],
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("go.*"))) < len(processes) and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break  # one died early: its output tells why
        time.sleep(0.01)
    go.touch()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=timeout)
        results.append((process.returncode, out, err))
    return results
