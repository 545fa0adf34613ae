"""`-r URL`: registries read (and written) through a cache that holds tags, not history.

Every test starts real servers on loopback: dulwich's smart HTTP server (protocol
v0/v1, no partial fetches: the fallback path) and, with GTO_TEST_REAL_GIT, git's own
`git daemon` (protocol v2 with `uploadpack.allowFilter`: the partial path) and a fake
`ssh` that runs git's upload-pack locally. Whatever the path, each command must print
exactly what it prints on a local clone of the same repository.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
import servers
from builders import EPOCH, Commit, Tag, build_registry, make_tag
from dulwich import porcelain
from dulwich.config import ConfigFile
from dulwich.objects import ObjectID
from dulwich.refs import Ref
from dulwich.repo import Repo
from dulwich.server import BackendRepo, DictBackend
from dulwich.web import make_wsgi_chain
from servers import (
    REAL_GIT,
    dulwich_http_server,
    git_daemon,
    git_http_backend,
    need_real_git,
    run_at_once,
)

from gto import api
from gto.cli import main
from gto.git.repo import GitRepo
from gto.remote import lock as cache_lock
from gto.remote.credentials import redact
from gto.render import terminal as render_terminal
from gto.session import RepoSpec, Session, is_remote

pytestmark = pytest.mark.server

TOKEN = "t0ken-s3cret-value"
READS = [
    "show",
    "show --json",
    "show -d",
    "show churn",
    "show churn#prod --ref",
    "show cv-class --json",
    "history",
    "history churn --json",
    "history -A",
    "check-ref churn#prod#3",
    "check-ref churn@v3.0.0 --json",
    "check-ref awesome-model#prod!#2",
    "check-ref no-such-tag@v1.0.0",
    "describe churn",
    "describe churn@latest",
    "describe cv-class#prod",
    "stages",
    "stages --used",
    "doctor",
    "print-state",
]


# --- helpers -------------------------------------------------------------------------


def run(argv: Iterable[str]) -> tuple[int, str, str]:
    """main() with its own stdout/stderr: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def allow_filters(repo_path: Path) -> None:
    """What GitHub and GitLab do: let git's upload-pack honour partial-clone filters."""
    config_path = repo_path / "config"
    config = ConfigFile.from_path(str(config_path))
    config.set((b"uploadpack",), b"allowFilter", True)
    config.write_to_path()


def clone(url_or_path: str | Path, target: Path) -> Path:
    """A full, non-bare clone (dulwich): the local copy a remote read must match."""
    porcelain.clone(str(url_or_path), str(target), checkout=True, errstream=io.BytesIO()).close()
    return target


SERVERS = ["http", "git-daemon", "git-http-backend"]
# git's own servers, where partial fetches happen (with uploadpack.allowFilter).
GIT_SERVERS = ["git-daemon", "git-http-backend"]


@contextlib.contextmanager
def serve(kind: str, repo_path: Path) -> Iterator[str]:
    """The URL of `repo_path` served by `kind`: dulwich's "http", or git's own servers."""
    if kind == "http":
        with dulwich_http_server(repo_path) as url:
            yield url
        return
    server = git_daemon if kind == "git-daemon" else git_http_backend
    with server(repo_path.parent) as base:
        yield f"{base}/{repo_path.name}"


def cache_folders(home: Path) -> list[Path]:
    root = home / "gto" / "remotes"
    return sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []


def cache_of(url: str) -> Path:
    name = hashlib.sha256(redact(url).encode()).hexdigest()[:32]
    return Path(os.environ["XDG_CACHE_HOME"], "gto", "remotes", name)


class CountingProxy:
    """A TCP proxy in front of a server that counts bytes and connections."""

    def __init__(self, url: str) -> None:
        scheme, rest = url.split("://", 1)
        hostport, _, path = rest.partition("/")
        self._target = int(hostport.rsplit(":", 1)[1])
        self._server = socket.create_server(("127.0.0.1", 0))
        self.url = f"{scheme}://127.0.0.1:{self._server.getsockname()[1]}/{path}"
        self.bytes = 0
        self.connections = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._accepting = threading.Thread(target=self._accept)
        self._accepting.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self.connections += 1
                self._sockets += [client, upstream]
            thread = threading.Thread(target=self._relay, args=(client, upstream))
            self._threads.append(thread)
            thread.start()

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        with client, upstream:
            back = threading.Thread(target=self._pipe, args=(upstream, client))
            back.start()
            self._pipe(client, upstream)
            back.join()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        """Copy one way; the end of input is passed on as a half-close, as git expects."""
        try:
            while data := source.recv(65536):
                with self._lock:
                    self.bytes += len(data)
                sink.sendall(data)
            sink.shutdown(socket.SHUT_WR)
        except OSError:  # a reset: pass it on so that the other side stops waiting
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def take(self) -> tuple[int, int]:
        """(bytes, connections) since the last call."""
        time.sleep(0.05)
        with self._lock:
            counted = (self.bytes, self.connections)
            self.bytes = self.connections = 0
        return counted

    def close(self) -> None:
        """Stop, cutting connections that a client keeps open for reuse."""
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread up
        self._server.close()
        self._accepting.join(5)
        for end in self._sockets:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(5)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Tests read stderr: no access log."""


@contextlib.contextmanager
def wsgi_server(app: Callable[..., Iterable[bytes]]) -> Iterator[int]:
    server = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def auth_http_server(repo_path: Path, user: str = "bob", password: str = TOKEN) -> Iterator[int]:
    """dulwich's smart HTTP app behind HTTP basic authentication; yields the port."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    with Repo(str(repo_path)) as repo:
        inner = make_wsgi_chain(DictBackend({f"/{repo_path.name}": cast(BackendRepo, repo)}))

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if environ.get("HTTP_AUTHORIZATION") != expected:
                start_response(
                    "401 Unauthorized",
                    [("Content-Type", "text/plain"), ("WWW-Authenticate", 'Basic realm="git"')],
                )
                return [b"authentication required\n"]
            return inner(environ, start_response)

        with wsgi_server(app) as port:
            yield port


@contextlib.contextmanager
def read_only_http_server(repo_path: Path) -> Iterator[str]:
    """dulwich's smart HTTP app that answers 403 to every push."""
    with Repo(str(repo_path)) as repo:
        inner = make_wsgi_chain(DictBackend({f"/{repo_path.name}": cast(BackendRepo, repo)}))

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
            if "receive-pack" in environ.get("PATH_INFO", "") + environ.get("QUERY_STRING", ""):
                start_response("403 Forbidden", [("Content-Type", "text/plain")])
                return [b"read only\n"]
            return inner(environ, start_response)

        with wsgi_server(app) as port:
            yield f"http://127.0.0.1:{port}/{repo_path.name}"


def tags_of(repo_path: Path) -> list[str]:
    with GitRepo.open(repo_path) as git:
        return git.tag_names()


def all_files_bytes(folder: Path) -> Iterator[bytes]:
    for path in folder.rglob("*"):
        if path.is_file():
            yield path.read_bytes()


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def demo(fixture_repo: Callable[[str], Path]) -> Path:
    """The demo repository, serving partial fetches (uploadpack.allowFilter)."""
    path = fixture_repo("demo")
    allow_filters(path)
    return path


@pytest.fixture
def demo_clone(demo: Path, tmp_path: Path) -> Path:
    """A full, non-bare clone: the local copy a remote read must match."""
    return clone(demo, tmp_path / "demo-clone")


@pytest.fixture
def identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Remote Writer")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "writer@example.com")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 5000} +0000")


BIG = os.urandom(256 * 1024)


@pytest.fixture
def history_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """30 commits with a large file rewritten along the way, tags on a few of them."""
    steps: list[Commit | Tag] = []
    for i in range(30):
        files: dict[str, bytes | str] = {f"data/step-{i}.txt": f"step {i}\n"}
        if i % 10 == 0:
            files["artifacts.yaml"] = f"model:\n  type: model\n  description: rev {i}\n"
        if i in (5, 15):
            files["data/big.bin"] = BIG + bytes([i])
        steps.append(Commit(f"c{i}", files, at=i))
    steps += [
        Tag("model@v0.1.0", "c10", at=100),
        Tag("model@v0.2.0", "c20", at=110),
        Tag("model#prod#1", "c20", at=120),
        Tag("other@v1.0.0", "c29", at=130),
    ]
    path = tmp_path / "history.git"
    built = build_registry(path, steps, bare=True, packed=True)
    allow_filters(path)
    return path, built.commits


# --- which -r values are remote --------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        pytest.param("https://example.com/org/repo", True, id="https"),
        pytest.param("http://user:pw@example.com/repo.git", True, id="http-credentials"),
        pytest.param("git://example.com/repo.git", True, id="git"),
        pytest.param("ssh://git@example.com/org/repo.git", True, id="ssh"),
        pytest.param("file:///srv/repo.git", True, id="file"),
        pytest.param("git@example.com:org/repo.git", True, id="scp-like"),
        pytest.param("ftp://example.com/repo", True, id="other-scheme-is-refused-later"),
        pytest.param("path/to/repo", False, id="relative-path"),
        pytest.param("/no/such/repo", False, id="absolute-path"),
        pytest.param("repo.git", False, id="plain-name"),
    ],
)
def test_is_remote(location: str, expected: bool) -> None:
    assert is_remote(location) is expected


def test_an_existing_path_is_local_even_if_it_looks_like_a_url(
    tmp_path: Path, demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "git@host:repo"
    demo.rename(odd)
    monkeypatch.chdir(tmp_path)
    assert not is_remote("git@host:repo")
    code, out, _ = run(["show", "-r", "git@host:repo"])
    assert code == 0 and "churn" in out
    assert cache_folders(Path(os.environ["XDG_CACHE_HOME"])) == []


def test_redact() -> None:
    assert (
        redact("see https://bob:pw@host/x and http://tok@h/y")
        == "see https://host/x and http://h/y"
    )
    assert redact("token abc123 leaked", ["abc123"]) == "token *** leaked"


# --- reads print exactly what a local clone prints ----------------------------------------


@pytest.mark.parametrize("kind", SERVERS)
def test_reads_match_a_local_clone(kind: str, demo: Path, demo_clone: Path) -> None:
    with serve(kind, demo) as url:
        for command in READS:
            argv = command.split()
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(demo_clone)]), command


def test_reads_match_the_golden_files(demo: Path, golden: Callable[[str, str], None]) -> None:
    with dulwich_http_server(demo) as url:
        for command in ("show", "history", "check-ref churn#prod#3", "describe churn"):
            code, out, err = run([*command.split(), "-r", url])
            assert (code, err) == (0, "")
            golden(f"demo/{command.replace(' ', '_').replace('/', '%2F')}.txt", out)


@pytest.mark.parametrize("kind", GIT_SERVERS)
def test_a_read_fetches_tags_and_tagged_commits_not_history_nor_big_files(
    kind: str, history_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, commits = history_repo
    local = clone(path, tmp_path / "local")
    with serve(kind, path) as url:
        proxy = CountingProxy(url)
        try:
            for command in ("show", "show model", "history", "describe model", "stages"):
                argv = command.split()
                assert run([*argv, "-r", proxy.url]) == run([*argv, "-r", str(local)]), command
        finally:
            proxy.close()
    with Repo(str(cache_of(proxy.url))) as cache:
        store = cache.object_store
        with Repo(str(path)) as origin:
            big = [
                origin[origin[ObjectID(commits[c].encode())].tree].lookup_path(  # type: ignore[attr-defined]
                    origin.object_store.__getitem__, b"data/big.bin"
                )[1]
                for c in ("c5", "c15")
            ]
        assert all(blob not in store for blob in big)  # no large file came over
        assert ObjectID(commits["c3"].encode()) not in store  # nor untagged history
        assert all(ObjectID(commits[c].encode()) in store for c in ("c10", "c20", "c29"))


def test_blobs_come_in_one_batched_request(
    history_repo: tuple[Path, dict[str, str]],
) -> None:
    path, _ = history_repo
    with git_daemon(path.parent) as base:
        proxy = CountingProxy(f"{base}/{path.name}")
        try:
            assert run(["show", "-r", proxy.url])[0] == 0
            _, connections = proxy.take()
            # One fetch of tags and commits, then one for the artifacts.yaml/.gto blobs.
            assert connections == 2
            assert run(["history", "-r", proxy.url])[0] == 0
            assert proxy.take()[1] == 1  # nothing new: the refs are listed, that is all
        finally:
            proxy.close()


@pytest.mark.parametrize("kind", GIT_SERVERS)
def test_a_cold_read_moves_less_than_a_clone(kind: str, tmp_path: Path) -> None:
    """Many tags on few commits: the first read wants the tagged commits and lets
    `include-tag` bring the tags, not a want (and a shallow line) per tag."""
    steps: list[Commit | Tag] = [
        Commit(f"c{i}", {"artifacts.yaml": f"m{i}: {{}}\n"}, at=i) for i in range(4)
    ]
    steps += [Tag(f"m{n % 7}#dev#{n}", f"c{n % 4}", at=100 + n) for n in range(1, 400)]
    steps += [Tag(f"m{n}@v1.0.{n}", f"c{n}", at=50 + n) for n in range(4)]
    path = tmp_path / "many.git"
    build_registry(path, steps, bare=True, packed=True).close()
    allow_filters(path)
    with serve(kind, path) as url:
        proxy = CountingProxy(url)
        try:
            assert run(["show", "-r", proxy.url])[0] == 0
            cold, _ = proxy.take()
            clone(proxy.url, tmp_path / "clone")
            full, _ = proxy.take()
        finally:
            proxy.close()
    assert cold < full
    assert tags_of(cache_of(proxy.url)) == tags_of(path)


@pytest.mark.parametrize("kind", SERVERS)
def test_walking_all_commits_fetches_the_history(
    kind: str, history_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    path, _ = history_repo
    local = clone(path, tmp_path / "local")
    with serve(kind, path) as url:
        for command in ("history -A", "show -A", "doctor -A", "describe model --rev HEAD~12"):
            argv = command.split()
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(local)]), command


@pytest.mark.parametrize("kind", SERVERS)
def test_as_of_walks_the_history_it_needs(
    kind: str, history_repo: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`--as-of` a moment before HEAD's commit: the cache fetches the history to walk back to
    the commit of then (c12, whose artifacts.yaml says "rev 10"); outputs match a clone's."""
    path, _ = history_repo
    local = clone(path, tmp_path / "local")
    early, late = f"@{EPOCH + 12}", f"@{EPOCH + 115}"
    with serve(kind, path) as url:
        for argv in (
            ["describe", "model", "--as-of", early],
            ["show", "--as-of", early],
            ["history", "--as-of", late],
            ["diff", early, late, "--json"],
        ):
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(local)]), argv
        assert run(["describe", "model", "--description", "--as-of", early, "-r", url]) == (
            0,
            "rev 10\n",
            "",
        )


@pytest.mark.parametrize("kind", ["http", "git-daemon"])
def test_an_index_file_named_in_gto(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "custom.git"
    build_registry(
        path,
        [
            Commit("c1", {".gto": "index: registry.yaml\n", "registry.yaml": "m: {type: model}\n"}),
            Commit("c2", {"registry.yaml": "m: {type: model, description: two}\n"}, at=10),
            Tag("m@v1.0.0", "c1", at=20),
        ],
        bare=True,
        packed=True,
    ).close()
    allow_filters(path)
    local = clone(path, tmp_path / "local")
    with serve(kind, path) as url:
        for command in ("show", "history", "describe m", "describe m@v1.0.0", "stages"):
            argv = command.split()
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(local)]), command


def test_file_urls_are_remote(demo: Path, demo_clone: Path) -> None:
    url = demo.as_uri()
    for command in ("show", "history churn", "describe churn"):
        assert run([*command.split(), "-r", url]) == run([*command.split(), "-r", str(demo_clone)])
    assert len(cache_folders(Path(os.environ["XDG_CACHE_HOME"]))) == 1


def test_tests_that_need_git_say_why_they_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(servers, "REAL_GIT", "")
    with pytest.raises(pytest.skip.Exception) as skipped:
        servers.need_real_git()
    assert str(skipped.value) == (
        "needs git's own server (git daemon, git http-backend, git over ssh), which runs the "
        "real git binary: run GTO_TEST_REAL_GIT=$(command -v git) python -m pytest"
    )


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An `ssh` first on PATH that runs the remote git command here, with the real git."""
    need_real_git()
    folder = tmp_path / "fake-ssh"
    folder.mkdir()
    script = folder / "ssh"
    git_dir = os.path.dirname(REAL_GIT)
    script.write_text(
        "#!/bin/sh\n"
        "for last; do :; done\n"  # the remote command comes last: git-upload-pack '/path'
        f'GIT_PROTOCOL=version=2 PATH="{git_dir}:$PATH" exec sh -c "$last"\n'
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.usefixtures("fake_ssh", "identity")
def test_ssh_and_scp_like_urls(demo: Path, demo_clone: Path) -> None:
    for url in (f"me@localhost:{demo}", f"ssh://me@localhost{demo}"):
        for command in ("show", "history churn", "check-ref churn#prod#3"):
            argv = command.split()
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(demo_clone)]), url
    code, out, err = run(["register", "sshmodel", "-r", f"me@localhost:{demo}"])
    assert (code, err) == (0, "")
    assert "Successfully pushed git tag sshmodel@v0.0.1 on remote." in out
    assert "sshmodel@v0.0.1" in tags_of(demo)


# --- the cache -----------------------------------------------------------------------


def test_the_cache_lives_under_xdg_cache_home_named_by_the_url(demo: Path) -> None:
    with dulwich_http_server(demo) as url:
        assert run(["show", "-r", url])[0] == 0
    folders = cache_folders(Path(os.environ["XDG_CACHE_HOME"]))
    assert folders == [cache_of(url)]
    assert (folders[0] / "objects").is_dir()


def test_default_cache_folder_is_under_home(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME")
    with dulwich_http_server(demo) as url:
        assert run(["show", "-r", url])[0] == 0
    assert len(cache_folders(Path(os.environ["HOME"], ".cache"))) == 1


def test_a_second_call_fetches_only_what_changed(demo: Path, demo_clone: Path) -> None:
    with dulwich_http_server(demo) as url:
        proxy = CountingProxy(url)
        try:
            assert run(["show", "-r", proxy.url])[0] == 0
            cold, _ = proxy.take()
            packs = len(list((cache_of(proxy.url) / "objects" / "pack").glob("*.pack")))
            assert run(["show", "-r", proxy.url])[0] == 0
            warm, _ = proxy.take()
            assert warm < cold / 3  # the ref listing only
            assert len(list((cache_of(proxy.url) / "objects" / "pack").glob("*.pack"))) == packs

            with Repo(str(demo)) as origin:  # a new tag, and a tag taken away
                head = origin.refs[Ref(b"HEAD")].decode()
                make_tag(origin, "churn#prod#9", head, time=EPOCH + 10**6)
                del origin.refs[Ref(b"refs/tags/segment#staging")]
            with Repo(str(demo_clone)) as local:
                make_tag(local, "churn#prod#9", head, time=EPOCH + 10**6)
                del local.refs[Ref(b"refs/tags/segment#staging")]
            assert run(["show", "-r", proxy.url]) == run(["show", "-r", str(demo_clone)])
            changed, _ = proxy.take()
            assert changed < cold
            for command in ("history churn", "check-ref segment#staging"):
                argv = command.split()
                assert run([*argv, "-r", proxy.url]) == run([*argv, "-r", str(demo_clone)])
        finally:
            proxy.close()
    assert tags_of(cache_of(proxy.url)) == tags_of(demo)  # refs/tags mirrored exactly


@pytest.mark.parametrize("kind", [*GIT_SERVERS, "http"])
def test_a_call_about_one_artifact_lists_and_mirrors_its_tags_only(
    kind: str, demo: Path, demo_clone: Path
) -> None:
    """`check-ref` and `show NAME` ask for `refs/tags/NAME@` and `NAME#` only (protocol v2
    `ref-prefix`; dulwich filters v0/v1 listings itself), and update those tags alone."""
    allow_filters(demo)
    with serve(kind, demo) as url:
        proxy = CountingProxy(url)
        try:
            assert run(["show", "-r", proxy.url])[0] == 0
            proxy.take()
            assert run(["show", "-r", proxy.url])[0] == 0
            everything, _ = proxy.take()
            assert run(["check-ref", "churn#prod#3", "-r", proxy.url])[0] == 0
            one, _ = proxy.take()
            if kind != "http":  # dulwich's own server lists every ref (protocol v0/v1)
                assert one < everything / 2
            with Repo(str(demo)) as origin, Repo(str(demo_clone)) as local:
                head = origin.refs[Ref(b"HEAD")].decode()
                for repo in (origin, local):
                    make_tag(repo, "churn#prod#9", head, time=EPOCH + 10**6)
                    make_tag(repo, "segment#prod#9", head, time=EPOCH + 10**6)
                    del repo.refs[Ref(b"refs/tags/churn#dev#1")]
                    del repo.refs[Ref(b"refs/tags/segment#staging")]
            for command in ("show churn", "history churn", "check-ref churn#prod#9"):
                argv = command.split()
                assert run([*argv, "-r", proxy.url]) == run([*argv, "-r", str(demo_clone)])
            cached = tags_of(cache_of(proxy.url))
            assert "churn#prod#9" in cached and "churn#dev#1" not in cached
            assert "segment#prod#9" not in cached and "segment#staging" in cached
            assert run(["show", "-r", proxy.url]) == run(["show", "-r", str(demo_clone)])
        finally:
            proxy.close()
    assert tags_of(cache_of(proxy.url)) == tags_of(demo)


def test_a_moved_tag_is_mirrored(demo: Path) -> None:
    with dulwich_http_server(demo) as url:
        assert run(["check-ref", "churn@v3.0.0", "-r", url])[0] == 0
        with Repo(str(demo)) as origin:
            head = origin.refs[Ref(b"HEAD")].decode()
            make_tag(origin, "churn@v3.0.0", head, time=EPOCH + 10**6)
        code, out, _ = run(["check-ref", "churn@v3.0.0", "--json", "-r", url])
    assert code == 0 and head in out


def test_a_cache_left_broken_by_a_crash_is_repaired(demo: Path, demo_clone: Path) -> None:
    with dulwich_http_server(demo) as url:
        cache = cache_of(url)
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
        # What a killed gto leaves in its own cache: lock files, temporary files.
        (cache / "HEAD.lock").write_text("")
        (cache / "refs" / "tags" / "churn@v9.9.9.lock").write_text("")
        (cache / "objects" / "pack" / "tmp_pack_x").write_bytes(b"PACK")
        with Repo(str(demo)) as origin:
            make_tag(origin, "churn#prod#9", origin.refs[Ref(b"HEAD")].decode(), time=EPOCH + 10**6)
        code, out, err = run(["show", "churn", "-r", url])
        assert (code, err) == (0, "") and "churn#prod#9" in out  # refs were updated
        assert not (cache / "HEAD.lock").exists()
        assert not (cache / "refs" / "tags" / "churn@v9.9.9.lock").exists()
        assert not (cache / "objects" / "pack" / "tmp_pack_x").exists()
        # gto's own cache, damaged (no HEAD): made again.
        (cache / "HEAD").unlink()
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])


@pytest.mark.parametrize("how", ["option", "env"])
def test_no_cache_uses_a_temporary_folder(
    how: str, demo: Path, demo_clone: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    option = ["--no-cache"] if how == "option" else []
    if how == "env":
        monkeypatch.setenv("GTO_NO_CACHE", "1")
    with dulwich_http_server(demo) as url:
        assert run(["show", *option, "-r", url]) == run(["show", "-r", str(demo_clone)])
    assert cache_folders(Path(os.environ["XDG_CACHE_HOME"])) == []
    assert list(scratch.iterdir()) == []  # removed once the command is done


def test_no_cache_through_the_api(demo: Path, demo_clone: Path) -> None:
    with dulwich_http_server(demo) as url:
        assert api.show(RepoSpec(url, cache=False)) == api.show(str(demo_clone))
        assert api.history(url, "churn") == api.history(str(demo_clone), "churn")
    assert len(cache_folders(Path(os.environ["XDG_CACHE_HOME"]))) == 1


def test_a_busy_cache_times_out_with_one_line(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache_lock, "LOCK_TIMEOUT", 0.3)
    with dulwich_http_server(demo) as url:
        lock = Path(str(cache_of(url)) + ".lock")
        lock.parent.mkdir(parents=True)
        with open(lock, "w") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            code, out, err = run(["show", "-r", url])
        assert (code, out) == (1, "")
        assert err.startswith("❌ Another gto has been using the cache of http://127.0.0.1:")
        assert err.count("\n") == 1
        assert run(["show", "-r", url])[0] == 0  # free again


def test_concurrent_reads_share_one_cold_cache(
    demo: Path, demo_clone: Path, tmp_path: Path
) -> None:
    expected = run(["show", "-r", str(demo_clone)])[1]
    with dulwich_http_server(demo) as url:
        results = run_at_once(tmp_path, [["show", "-r", url]] * 5)
    assert [(code, out, err) for code, out, err in results] == [(0, expected, "")] * 5


@pytest.mark.usefixtures("identity")
def test_concurrent_writes_and_reads_on_one_cache(demo: Path, tmp_path: Path) -> None:
    with dulwich_http_server(demo) as url:
        results = run_at_once(
            tmp_path,
            [
                ["register", "alpha", "-r", url],
                ["show", "-r", url],
                ["register", "beta", "-r", url],
                ["history", "churn", "-r", url],
                ["assign", "churn", "--version", "v3.1.0", "--stage", "prod", "-r", url],
            ],
        )
        assert [(code, err) for code, _, err in results] == [(0, "")] * 5
        assert "Successfully pushed git tag alpha@v0.0.1 on remote." in results[0][1]
        assert "Successfully pushed git tag beta@v0.0.1 on remote." in results[2][1]
        final = run(["show", "-r", url])
    assert final == run(["show", "-r", str(clone(demo, tmp_path / "after"))])
    assert {"alpha@v0.0.1", "beta@v0.0.1"} <= set(tags_of(demo))
    assert tags_of(cache_of(url)) == tags_of(demo)
    with Repo(str(cache_of(url))) as cache:  # every ref of the cache points at an object
        assert all(oid in cache.object_store for oid in cache.refs.as_dict().values())


# --- credentials -----------------------------------------------------------------------


def test_credentials_in_the_url_work_and_never_show(demo: Path, demo_clone: Path) -> None:
    with auth_http_server(demo) as port:
        url = f"http://bob:{TOKEN}@127.0.0.1:{port}/demo.git"
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])
        bare_url = f"http://127.0.0.1:{port}/demo.git"
    folders = cache_folders(Path(os.environ["XDG_CACHE_HOME"]))
    assert folders == [cache_of(bare_url)]  # named after the URL without credentials
    assert TOKEN not in str(folders[0])
    assert all(TOKEN.encode() not in content for content in all_files_bytes(folders[0].parent))


def test_credentials_stay_out_of_log_records(demo: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with auth_http_server(demo) as port:
        assert run(["show", "-r", f"http://bob:{TOKEN}@127.0.0.1:{port}/demo.git"])[0] == 0
        assert run(["show", "-r", f"http://bob:wrong-{TOKEN}@127.0.0.1:{port}/demo.git"])[0] == 1
    assert caplog.records  # dulwich did log, at debug level
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    ("userinfo", "reason"),
    [
        pytest.param("", "it needs credentials (in the URL, ~/.git-credentials or ~/.netrc)",
                     id="none"),
        pytest.param("bob:wrong-password-9@", "the server refused the credentials", id="wrong"),
    ],
)  # fmt: skip
def test_authentication_failure_is_one_line(demo: Path, userinfo: str, reason: str) -> None:
    with auth_http_server(demo) as port:
        code, out, err = run(["show", "-r", f"http://{userinfo}127.0.0.1:{port}/demo.git"])
    assert (code, out) == (1, "")
    assert err == f"❌ Authentication failed for http://127.0.0.1:{port}/demo.git: {reason}\n"


@pytest.mark.parametrize("store", ["git-credentials", "xdg-credentials", "netrc"])
def test_credentials_from_the_usual_files(
    store: str, demo: Path, demo_clone: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Path(os.environ["HOME"])
    with auth_http_server(demo) as port:
        if store == "git-credentials":
            (home / ".git-credentials").write_text(f"http://bob:{TOKEN}@127.0.0.1:{port}\n")
        elif store == "xdg-credentials":
            (home / ".config" / "git").mkdir(parents=True)
            (home / ".config" / "git" / "credentials").write_text(f"http://bob:{TOKEN}@127.0.0.1\n")
        else:
            (home / ".netrc").write_text(f"machine 127.0.0.1 login bob password {TOKEN}\n")
        url = f"http://127.0.0.1:{port}/demo.git"
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)])


@pytest.mark.usefixtures("identity")
def test_a_push_with_credentials_never_shows_them(demo: Path) -> None:
    with auth_http_server(demo) as port:
        url = f"http://bob:{TOKEN}@127.0.0.1:{port}/demo.git"
        code, out, err = run(["register", "secretmodel", "-r", url])
    assert (code, err) == (0, "")
    assert TOKEN not in out
    assert "secretmodel@v0.0.1" in tags_of(demo)


# --- errors ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("scheme", ["http", "git"])
def test_unreachable_host(scheme: str) -> None:
    port = _closed_port()
    code, out, err = run(["show", "-r", f"{scheme}://bob:{TOKEN}@127.0.0.1:{port}/repo.git"])
    assert (code, out) == (1, "")
    assert err == f"❌ Cannot reach {scheme}://127.0.0.1:{port}/repo.git: Connection refused\n"


def test_unknown_repository(demo: Path) -> None:
    with dulwich_http_server(demo) as url:
        missing = url.rsplit("/", 1)[0] + "/nope.git"
        code, out, err = run(["history", "-r", missing])
    assert (code, out, err) == (1, "", f"❌ Repository {missing} was not found\n")


def test_unknown_repository_on_git_daemon(demo: Path) -> None:
    with git_daemon(demo.parent) as base:
        code, out, err = run(["show", "-r", f"{base}/nope.git"])
    assert (code, out) == (1, "")
    assert err.startswith(f"❌ Repository {base}/nope.git was not found (")
    assert err.count("\n") == 1


def test_a_server_that_does_not_speak_git() -> None:
    def html(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/html")])
        return [b"<html><body>" + b"Welcome! " * 100 + b"</body></html>"]

    with wsgi_server(html) as port:
        code, out, err = run(["check-ref", "m@v1.0.0", "-r", f"http://127.0.0.1:{port}/repo"])
    assert (code, out) == (1, "")
    assert err.startswith(f"❌ http://127.0.0.1:{port}/repo does not answer like a Git server (")
    assert err.count("\n") == 1 and len(err) < 250


def test_an_unsupported_scheme() -> None:
    code, out, err = run(["show", "-r", "ftp://bob:pw@example.com/repo.git"])
    assert (code, out) == (1, "")
    assert err == (
        "❌ Unsupported URL 'ftp://example.com/repo.git': use http(s)://, git://, ssh://, "
        "file:// or user@host:path\n"
    )


def test_progress_shows_only_on_a_terminal(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(render_terminal, "PROGRESS_DELAY", 0.0)
    with auth_http_server(demo) as port:
        url = f"http://bob:{TOKEN}@127.0.0.1:{port}/demo.git"
        terminal = Terminal()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(terminal):
            assert main(["show", "-r", url]) == 0
    shown = terminal.getvalue()
    assert f"Fetching http://127.0.0.1:{port}/demo.git: " in shown
    assert shown.endswith("\n") and TOKEN not in shown


# --- writes push ------------------------------------------------------------------------


@pytest.mark.usefixtures("identity")
@pytest.mark.parametrize("kind", SERVERS)
def test_writes_create_tags_and_push_them(kind: str, demo: Path, tmp_path: Path) -> None:
    with serve(kind, demo) as url:
        code, out, err = run(["register", "newmodel", "-r", url])
        assert (code, err) == (0, "")
        assert out == (
            "Created git tag 'newmodel@v0.0.1' that registers version\n"
            "Running `git push origin newmodel@v0.0.1`\n"
            "Successfully pushed git tag newmodel@v0.0.1 on remote.\n"
        )
        # HEAD~1 is beyond the tagged commits: the cache fetches history on demand.
        assert run(["register", "newmodel", "HEAD~1", "--version", "v0.0.5", "-r", url])[0] == 0
        assert (
            run(["assign", "newmodel", "--version", "v0.0.5", "--stage", "prod", "-r", url])[0] == 0
        )
        code, out, _ = run(["deprecate", "newmodel", "v0.0.1", "--delete", "-r", url])
        assert code == 0
        assert "Running `git push --delete origin newmodel@v0.0.1`" in out
        shown = run(["show", "newmodel", "-r", url])
    assert shown == run(["show", "newmodel", "-r", str(clone(demo, tmp_path / "after"))])
    assert {t for t in tags_of(demo) if t.startswith("newmodel")} == {
        "newmodel@v0.0.5",
        "newmodel#prod#1",
    }
    with Repo(str(demo)) as origin:
        tagged = origin[origin.refs[Ref(b"refs/tags/newmodel@v0.0.5")]]
        head = origin[origin.refs[Ref(b"HEAD")]]
        assert tagged.object[1] == head.parents[0]  # type: ignore[attr-defined]


@pytest.mark.usefixtures("identity")
@pytest.mark.parametrize("kind", SERVERS)
def test_annotate_and_remove_commit_and_push(kind: str, demo: Path, tmp_path: Path) -> None:
    with serve(kind, demo) as url:
        code, out, err = run(["annotate", "newmodel", "--type", "model", "-r", url])
        assert (code, err) == (0, "")
        assert out == (
            "Updated `artifacts.yaml`\n"
            "Running `git commit` and `git push`\n"
            "Successfully pushed a new commit to remote.\n"
        )
        assert run(["describe", "newmodel", "-r", url])[1] == '{\n    "type": "model"\n}\n'
        assert run(["remove", "churn", "-r", url])[0] == 0
        shown = run(["show", "-r", url])
    after = clone(demo, tmp_path / "after")
    assert shown == run(["show", "-r", str(after)])
    text = (after / "artifacts.yaml").read_text()
    assert "newmodel:" in text and "churn:" not in text
    with Repo(str(demo)) as origin:  # the pushed commits are complete on the server
        head = origin[origin.refs[Ref(b"HEAD")]]
        assert head.message == b"Remove annotation for artifact `churn`\n"  # type: ignore[attr-defined]
        for entry in origin.object_store.iter_tree_contents(head.tree):  # type: ignore[attr-defined]
            assert entry.sha in origin.object_store


@pytest.mark.usefixtures("identity")
def test_a_refused_push_is_one_line_and_leaves_nothing_behind(demo: Path) -> None:
    before = tags_of(demo)
    with read_only_http_server(demo) as url:
        assert run(["show", "-r", url])[0] == 0
        cache_head = GitRepo.open(cache_of(url)).head()
        code, out, err = run(["register", "churn", "-r", url])
        assert (code, out) == (1, "")
        assert err.startswith(f"❌ Cannot push to {url}: ")
        assert err.count("\n") == 1
        assert run(["annotate", "newmodel", "--type", "model", "-r", url])[0] == 1
        code, out, _ = run(["show", "churn", "-r", url])
    assert code == 0 and "v3.1.1" not in out
    assert tags_of(cache_of(url)) == before == tags_of(demo)
    assert GitRepo.open(cache_of(url)).head() == cache_head


@pytest.mark.usefixtures("identity")
def test_a_push_refused_by_a_hook(demo: Path) -> None:
    hook = demo / "hooks" / "pre-receive"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'tags are frozen' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = tags_of(demo)
    with git_daemon(demo.parent) as base:
        url = f"{base}/{demo.name}"
        code, out, err = run(
            ["assign", "churn", "--version", "v3.1.0", "--stage", "prod", "-r", url]
        )
    assert (code, out) == (1, "")
    assert err.startswith(f"❌ Push to {url} was refused: refs/tags/churn#prod#")
    assert err.count("\n") == 1
    assert tags_of(cache_of(url)) == before == tags_of(demo)


def test_session_open_decides_local_or_remote(demo: Path) -> None:
    local = Session.open(demo)
    assert local.remote is None
    with dulwich_http_server(demo) as url:
        session = Session.open(url)
        try:
            assert session.remote is not None
            assert session.git.root == cache_of(url)
            assert session.git.tag_names() == local.git.tag_names()
        finally:
            session.close()
