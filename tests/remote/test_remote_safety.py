"""`-r URL` against what is not gto's, and against servers that misbehave.

A cache entry is used only if gto made it, and nothing in it chooses a program or
another repository; ref names from a server are checked before they are stored; a
server that stalls or floods is cut off in one line, with the cache lock released.
Servers here are real ones on loopback (dulwich's, git's own), or small raw ones that
stall or flood on purpose.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from builders import EPOCH, Commit, Tag, build_registry, make_tag
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend
from dulwich.web import make_wsgi_chain
from servers import REAL_GIT, dulwich_http_server, set_remote
from snapshots import snapshot
from test_remote import cache_of, clone, run, wsgi_server
from test_remote import demo as demo  # fixtures
from test_remote import demo_clone as demo_clone
from test_remote import fake_ssh as fake_ssh
from test_remote import identity as identity

import gto

pytestmark = pytest.mark.server

PROJECT = Path(gto.__file__).resolve().parent.parent
REFUSED = (
    "❌ Refusing to use the cache '{}': {}; gto neither uses nor deletes what it did not make "
    "(remove it yourself, or use --no-cache)\n"
)


def lock_is_free(url: str) -> bool:
    with open(str(cache_of(url)) + ".lock", "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


def gto_process(args: list[str], timeout: float = 30) -> tuple[int, str, str, float]:
    """`gto ARGS` in a new process (a hang fails the test instead of hanging it)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "PYTHONIOENCODING": "utf-8"}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "gto", *args], capture_output=True, env=env, timeout=timeout
    )
    return done.returncode, done.stdout.decode(), done.stderr.decode(), time.monotonic() - start


# --- the cache is ours alone -------------------------------------------------------------


def test_a_symlink_at_the_cache_path_is_refused_and_kept(
    demo: Path, demo_clone: Path, tmp_path: Path
) -> None:
    # The defect: the symlink was followed and the other repository's refs rewritten.
    victim = clone(demo, tmp_path / "victim")
    before = snapshot(victim)
    with dulwich_http_server(demo) as url:
        cache = cache_of(url)
        cache.parent.mkdir(parents=True)
        cache.symlink_to(victim / ".git")
        code, out, err = run(["show", "-r", url])
    assert (code, out, err) == (1, "", REFUSED.format(cache, "it is a symbolic link"))
    assert cache.is_symlink()
    assert snapshot(victim) == before


def _no_marker(cache: Path, url: str) -> str:
    (cache / "objects").mkdir(parents=True)
    (cache / "HEAD").write_text("ref: refs/heads/main\n")
    return "it has no gto marker, so gto did not make it"


def _another_url(cache: Path, url: str) -> str:
    cache.mkdir(parents=True)
    (cache / "gto-cache").write_text("gto remote cache\nurl: https://example.com/other\n")
    return "its marker names another URL"


def _a_git_file(cache: Path, url: str) -> str:
    cache.mkdir(parents=True)
    (cache / "gto-cache").write_text(f"gto remote cache\nurl: {url}\n")
    (cache / ".git").write_text("gitdir: /somewhere/else\n")
    return "it holds '.git', which gto never makes"


def _a_file(cache: Path, url: str) -> str:
    cache.parent.mkdir(parents=True)
    cache.write_text("not a folder\n")
    return "it is not a folder"


@pytest.mark.parametrize("plant", [_no_marker, _another_url, _a_git_file, _a_file])
def test_a_cache_entry_gto_did_not_make_is_refused_and_kept(
    plant: Callable[[Path, str], str], demo: Path
) -> None:
    with dulwich_http_server(demo) as url:
        cache = cache_of(url)
        reason = plant(cache, url)
        before = snapshot(cache.parent)
        code, out, err = run(["show", "-r", url])
        assert (code, out, err) == (1, "", REFUSED.format(cache, reason))
        assert snapshot(cache.parent) == {**before, f"{cache.name}.lock": snapshot_of_empty()}
        # Without the cache, the same command works.
        assert run(["show", "--no-cache", "-r", url])[0] == 0


def snapshot_of_empty() -> str:
    import hashlib

    return hashlib.sha256(b"").hexdigest()


def test_a_symlinked_remotes_folder_is_refused(demo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = Path(os.environ["XDG_CACHE_HOME"], "gto")
    root.mkdir(parents=True)
    (root / "remotes").symlink_to(elsewhere)
    with dulwich_http_server(demo) as url:
        code, out, err = run(["show", "-r", url])
    assert (code, out, err) == (1, "", REFUSED.format(root / "remotes", "it is a symbolic link"))
    assert list(elsewhere.iterdir()) == []


def test_a_symlinked_lock_file_is_refused(demo: Path, tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    with dulwich_http_server(demo) as url:
        lock = Path(str(cache_of(url)) + ".lock")
        lock.parent.mkdir(parents=True)
        lock.symlink_to(target)
        code, out, err = run(["show", "-r", url])
    assert (code, out, err) == (1, "", REFUSED.format(lock, "it is a symbolic link"))
    assert target.read_text() == "keep me\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_of_another_user_is_refused(demo: Path, demo_clone: Path) -> None:
    with dulwich_http_server(demo) as url:
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
        cache = cache_of(url)
        os.chown(cache, 65534, 65534)
        code, out, err = run(["show", "-r", url])
    reason = "it belongs to another user (uid 65534)"
    assert (code, out, err) == (1, "", REFUSED.format(cache, reason))
    assert cache.is_dir()


def test_nothing_in_the_cache_config_is_obeyed(
    demo: Path, demo_clone: Path, tmp_path: Path
) -> None:
    pwned = tmp_path / "pwned"
    with dulwich_http_server(demo) as url:
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
        config = cache_of(url) / "config"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            closed = probe.getsockname()[1]
        config.write_text(
            f"[core]\n\tsshCommand = touch {pwned}\n[http]\n\tproxy = http://127.0.0.1:{closed}\n"
        )
        with Repo(str(demo)) as origin:
            make_tag(origin, "churn#prod#9", origin.refs[Ref(b"HEAD")].decode(), time=EPOCH + 10**6)
        code, out, err = run(["show", "churn", "-r", url])
    assert (code, err) == (0, "") and "churn#prod#9" in out  # fetched, not through the proxy
    assert "sshCommand" not in config.read_text()
    assert not pwned.exists()


@pytest.mark.usefixtures("fake_ssh")
def test_a_planted_ssh_command_never_runs(demo: Path, demo_clone: Path, tmp_path: Path) -> None:
    # The defect: core.sshCommand from a planted cache config ran a command.
    pwned = tmp_path / "pwned"
    url = f"me@localhost:{demo}"
    assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
    (cache_of(url) / "config").write_text(f"[core]\n\tsshCommand = touch {pwned}\n")
    with Repo(str(demo)) as origin:
        make_tag(origin, "churn#prod#9", origin.refs[Ref(b"HEAD")].decode(), time=EPOCH + 10**6)
    code, out, err = run(["show", "churn", "-r", url])
    assert (code, err) == (0, "") and "churn#prod#9" in out
    assert not pwned.exists()


@pytest.fixture
def ssh_script(tmp_path: Path) -> Path:
    """A fake `ssh` that is not on PATH: only the user's own settings can name it."""
    if not REAL_GIT:
        pytest.skip("needs GTO_TEST_REAL_GIT")
    script = tmp_path / "my ssh"
    script.write_text(
        "#!/bin/sh\n"
        "for last; do :; done\n"
        f'GIT_PROTOCOL=version=2 PATH="{os.path.dirname(REAL_GIT)}:$PATH" exec sh -c "$last"\n'
    )
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("where", ["gitconfig", "GIT_SSH_COMMAND", "GIT_SSH"])
def test_the_users_own_ssh_settings_are_obeyed(
    where: str,
    ssh_script: Path,
    demo: Path,
    demo_clone: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if where == "gitconfig":
        Path(os.environ["HOME"], ".gitconfig").write_text(
            f"[core]\n\tsshCommand = '{ssh_script}'\n"
        )
    elif where == "GIT_SSH_COMMAND":
        monkeypatch.setenv(where, f"'{ssh_script}'")
    else:
        monkeypatch.setenv(where, str(ssh_script))
    url = f"me@localhost:{demo}"
    assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])


# --- ref names from a server ---------------------------------------------------------------


BAD_NAMES = [
    b"refs/tags/../../config",
    b"refs/tags/churn\x1b]0;owned\x07@v9.9.9",
    b"refs/tags/churn@v9.9.9\xff",
]


class _Poisoned(Repo):
    """A repository whose server advertises extra refs, under names git does not allow."""

    extra: dict[Ref, ObjectID] = {}  # noqa: RUF012 - set per test

    def get_refs(self) -> dict[Ref, ObjectID]:
        return {**super().get_refs(), **self.extra}

    def get_peeled(self, ref: Ref) -> ObjectID:
        return self.extra[ref] if ref in self.extra else super().get_peeled(ref)


def test_bad_ref_names_are_skipped_reported_and_never_stored(
    demo: Path, demo_clone: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _Poisoned(str(demo)) as repo:
        head = repo.refs[Ref(b"HEAD")]
        repo.extra = {Ref(name): head for name in BAD_NAMES}
        app = make_wsgi_chain(DictBackend({"/demo.git": cast(BackendRepo, repo)}))
        with wsgi_server(app) as port:
            url = f"http://127.0.0.1:{port}/demo.git"
            with caplog.at_level(logging.WARNING, logger="gto"):
                assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
            assert [r.getMessage() for r in caplog.records] == [
                f"Skipped 3 ref(s) advertised by {url} whose names git does not allow: "
                "'refs/tags/../../config', 'refs/tags/churn\\\\x1b]0;owned\\\\x07@v9.9.9', "
                "'refs/tags/churn@v9.9.9\\\\xff'"
            ]
            packed = (cache_of(url) / "packed-refs").read_bytes()
            assert all(name not in packed for name in BAD_NAMES)
            # The server mends its ways: nothing of the bad names is left to trip on.
            repo.extra = {}
            caplog.clear()
            assert run(["history", "-r", url]) == run(["history", "-r", str(demo_clone)])
            assert caplog.records == []


# --- servers that stall or flood -----------------------------------------------------------


@contextlib.contextmanager
def raw_server(serve: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on loopback calling `serve(connection)` per connection; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    connections: list[socket.socket] = []
    threads: list[threading.Thread] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connections.append(connection)
            thread = threading.Thread(target=_quietly, args=(serve, connection), daemon=True)
            threads.append(thread)
            thread.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield server.getsockname()[1]
    finally:
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_RDWR)
        server.close()
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        acceptor.join(5)
        for thread in threads:
            thread.join(5)


def _quietly(serve: Callable[[socket.socket], None], connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        serve(connection)


def _silent(connection: socket.socket) -> None:
    """Read what the client says, answer nothing, until the client goes away."""
    while connection.recv(65536):
        pass


def _pkt(line: bytes) -> bytes:
    return b"%04x" % (len(line) + 4) + line


def _refs_forever(connection: socket.socket) -> None:
    """A ref advertisement that never ends (git protocol v0)."""
    oid = b"1" * 40
    connection.sendall(_pkt(oid + b" HEAD\0side-band-64k ofs-delta\n"))
    for i in range(10**9):
        connection.sendall(_pkt(oid + b" refs/tags/flood-%d\n" % i) * 100)


def _http_refs_forever(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/x-git-upload-pack-advertisement")])

    def body() -> Iterator[bytes]:
        yield _pkt(b"# service=git-upload-pack\n") + b"0000"
        oid = b"1" * 40
        yield _pkt(oid + b" HEAD\0side-band-64k ofs-delta\n")
        for i in range(10**9):
            yield _pkt(oid + b" refs/tags/flood-%d\n" % i) * 100

    return body()


def assert_gave_up(url: str, args: list[str] | None = None) -> None:
    """gto gives up on `url` after the 1 s timeout, once: not after a retry on a new
    connection (urllib3 retried three times) nor another wait for ssh to end."""
    code, out, err, seconds = gto_process(args or ["show", "-r", url])
    assert (code, out) == (1, "")
    assert err == (
        f"❌ {url} sent nothing for 1 s; gave up (set GTO_REMOTE_TIMEOUT to wait longer)\n"
    )
    assert 1 <= seconds < 2.5
    if args is None:
        assert lock_is_free(url)


@pytest.mark.parametrize("scheme", ["git", "http", "https"])
def test_a_server_that_never_answers_times_out(
    scheme: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTO_REMOTE_TIMEOUT", "1")
    with raw_server(_silent) as port:
        assert_gave_up(f"{scheme}://127.0.0.1:{port}/repo.git")


def test_an_ssh_server_that_never_answers_times_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "stalled-ssh"
    script.write_text("#!/bin/sh\nexec sleep 60\n")
    script.chmod(0o755)
    monkeypatch.setenv("GIT_SSH", str(script))
    monkeypatch.setenv("GTO_REMOTE_TIMEOUT", "1")
    assert_gave_up("me@example.invalid:repo.git")


@pytest.mark.parametrize("scheme", ["git", "http"])
@pytest.mark.usefixtures("identity")
def test_a_push_to_a_server_that_never_answers_times_out(
    scheme: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    build_registry(repo, [Commit("c1", {"artifacts.yaml": "m: {}\n"})]).close()
    monkeypatch.setenv("GTO_REMOTE_TIMEOUT", "1")
    with raw_server(_silent) as port:
        url = f"{scheme}://127.0.0.1:{port}/repo.git"
        set_remote(repo, url)
        assert_gave_up(url, ["register", "m", "--push", "-r", str(repo)])
    assert list((repo / ".git" / "refs" / "tags").iterdir()) == []


def test_a_remote_that_never_answered_leaves_no_cache_folder(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each URL that never answered left a 56 KB empty repository behind; a cache that
    holds what an earlier call fetched is kept when a later call fails."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = f"git://127.0.0.1:{probe.getsockname()[1]}/repo.git"
    code, out, err = run(["show", "-r", refused])
    assert (code, out, err) == (1, "", f"❌ Cannot reach {refused}: Connection refused\n")
    monkeypatch.setenv("GTO_REMOTE_TIMEOUT", "1")
    with raw_server(_silent) as port:
        silent = f"http://127.0.0.1:{port}/repo.git"
        assert run(["show", "-r", silent])[0] == 1
    remotes = Path(os.environ["XDG_CACHE_HOME"], "gto", "remotes")
    assert sorted(p.name for p in remotes.iterdir()) == sorted(
        f"{cache_of(url).name}.lock" for url in (refused, silent)
    )  # the lock files stay: another gto may be waiting on them
    with dulwich_http_server(demo) as url:
        assert run(["show", "-r", url])[0] == 0
    kept = sorted(p.relative_to(cache_of(url)) for p in cache_of(url).rglob("*"))
    code, out, err = run(["show", "-r", url])
    assert (code, out) == (1, "") and err.startswith(f"❌ Cannot reach {url}: ")
    assert sorted(p.relative_to(cache_of(url)) for p in cache_of(url).rglob("*")) == kept


FLOODED = (
    "❌ {} sent more than 102,400 bytes; stopped reading (set GTO_REMOTE_MAX_SIZE to allow more)\n"
)


@pytest.mark.parametrize("scheme", ["git", "http"])
def test_an_endless_advertisement_is_cut_off(scheme: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTO_REMOTE_MAX_SIZE", "100K")
    server = raw_server(_refs_forever) if scheme == "git" else wsgi_server(_http_refs_forever)
    with server as port:
        url = f"{scheme}://127.0.0.1:{port}/repo.git"
        code, out, err, _ = gto_process(["show", "-r", url])
    assert (code, out, err) == (1, "", FLOODED.format(url))
    assert lock_is_free(url)


def test_an_oversized_pack_is_cut_off_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # dulwich's server ignores partial fetches: the tagged commit comes with its big file.
    build_registry(
        tmp_path / "big",
        [
            Commit("c1", {"artifacts.yaml": "m: {}\n", "big.bin": os.urandom(600_000)}),
            Tag("m@v1.0.0", "c1", at=10),
        ],
        bare=True,
    ).close()
    with dulwich_http_server(tmp_path / "big") as url:
        monkeypatch.setenv("GTO_REMOTE_MAX_SIZE", "100K")
        code, out, err, _ = gto_process(["show", "-r", url])
        assert (code, out, err) == (1, "", FLOODED.format(url))
        assert lock_is_free(url)
        debris = [
            p.name
            for p in cache_of(url).rglob("*")
            if p.name.endswith(".lock") or p.name.startswith(("tmp", "incoming"))
        ]
        assert debris == []
        assert list((cache_of(url) / "objects" / "pack").glob("*.pack")) == []
        monkeypatch.delenv("GTO_REMOTE_MAX_SIZE")
        code, out, err, _ = gto_process(["show", "-r", url])
    assert (code, err) == (0, "") and "v1.0.0" in out


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("GTO_REMOTE_TIMEOUT", "soon", "expected a number of seconds, got 'soon'"),
        ("GTO_REMOTE_TIMEOUT", "0", "expected a number of seconds, got '0'"),
        (
            "GTO_REMOTE_MAX_SIZE",
            "lots",
            "expected a number of bytes (or 500K, 200M, 2G), got 'lots'",
        ),
    ],
)
def test_bad_limits_are_one_line(
    variable: str, value: str, expected: str, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(variable, value)
    with dulwich_http_server(demo) as url:
        code, out, err = run(["show", "-r", url])
    assert (code, out, err) == (
        1,
        "",
        f"❌ Invalid value in environment variable {variable}: {expected}\n",
    )
