"""`-r URL` values that cannot be taken apart: one line before anything connects, never a
traceback, whatever the string."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from builders import Commit, build_registry
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import dulwich_http_server, git_daemon, set_remote
from test_remote import TOKEN, auth_http_server, clone, run, tags_of
from test_remote import demo as demo  # fixtures
from test_remote import demo_clone as demo_clone
from test_remote import fake_ssh as fake_ssh
from test_remote import identity as identity

BRACKETS = "an IPv6 host is written '[address]' or '[address]:port'"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://[::1", BRACKETS),
        ("https://[x", BRACKETS),
        ("ssh://[x/y", BRACKETS),
        ("git://[::1/r.git", BRACKETS),
        ("file://[x", BRACKETS),
        ("http://[::1]x/r.git", BRACKETS),
        ("http://x]/r.git", BRACKETS),
        ("http://[1.2.3.4]/r.git", "'1.2.3.4' in brackets is not an IPv6 address"),
        ("https://[nohost]:443/r.git", "'nohost' in brackets is not an IPv6 address"),
        ("http:///r.git", "it names no host"),
        ("git:///r.git", "it names no host"),
        ("ssh://nohost.invalid:badport/x", "the port 'badport' is not a number from 1 to 65535"),
        ("git+ssh://h:22x/r.git", "the port '22x' is not a number from 1 to 65535"),
        ("http://h:99999/r.git", "the port '99999' is not a number from 1 to 65535"),
        ("https://h:0/r.git", "the port '0' is not a number from 1 to 65535"),
        ("git://h:+80/r.git", "the port '+80' is not a number from 1 to 65535"),
        ("ssh://[::1]:x/r.git", "the port 'x' is not a number from 1 to 65535"),
        ("ssh://-x/y", "the host '-x' starts with '-'"),
        ("ssh://-oProxyCommand=id/x", "the host '-oProxyCommand=id' starts with '-'"),
        ("git+ssh://-x/y", "the host '-x' starts with '-'"),
        ("ssh://-x:22/y", "the host '-x' starts with '-'"),
        ("git://-x/y", "the host '-x' starts with '-'"),
    ],
)
@pytest.mark.parametrize("command", ["show", "describe m", "register m"])
def test_a_url_that_cannot_be_taken_apart_is_one_line(url: str, reason: str, command: str) -> None:
    code, out, err = run([*command.split(), "-r", url])
    assert (code, out, err) == (1, "", f"❌ Invalid URL '{url}': {reason}\n")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("ssh://-@127.0.0.1/x", "ssh://127.0.0.1/x"),
        ("git+ssh://-u:pw@h/x", "git+ssh://h/x"),
        ("-u@h:x", "-u@h:x"),
    ],
)
def test_a_user_name_that_starts_with_a_dash_is_one_line(url: str, shown: str) -> None:
    """ssh would read it as an option, as it would such a host (the URL fuzz found it)."""
    code, out, err = run(["show", f"--repo={url}"])
    assert (code, out, err) == (
        1,
        "",
        f"❌ Invalid URL '{shown}': the user name starts with '-'\n",
    )


def test_credentials_in_an_invalid_url_never_show() -> None:
    code, out, err = run(["show", "-r", "https://bob:s3cret@[x/r.git"])
    assert (code, out, err) == (1, "", f"❌ Invalid URL 'https://[x/r.git': {BRACKETS}\n")


@pytest.mark.parametrize(
    ("url", "reason"),
    [("http://[::1", BRACKETS), ("ssh://-x/y", "the host '-x' starts with '-'")],
)
@pytest.mark.usefixtures("identity")
def test_an_invalid_origin_url_is_one_line_and_the_tag_taken_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str, reason: str
) -> None:
    repo = tmp_path / "repo"
    build_registry(repo, [Commit("c1", {"artifacts.yaml": "m: {}\n"})]).close()
    set_remote(repo, url)
    monkeypatch.chdir(repo)
    code, out, err = run(["register", "m", "--push"])
    assert (code, out) == (1, "")
    assert err == f"❌ Cannot push to origin: invalid URL '{url}': {reason}\n"
    assert list((repo / ".git" / "refs" / "tags").iterdir()) == []


def ssh_that_says(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_SSH: a client that prints `line` on stderr and fails, as ssh does."""
    ssh = tmp_path / "failing-ssh"
    ssh.write_text(f"#!/bin/sh\necho '{line}' >&2\nexit 255\n")
    ssh.chmod(0o755)
    monkeypatch.setenv("GIT_SSH", str(ssh))


# dulwich leaves its Protocol unclosed when ssh fails before the first line (gto.git.client).
@pytest.mark.filterwarnings("ignore:unclosed Protocol:ResourceWarning")
def test_an_ssh_user_name_is_not_cut_out_of_the_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssh_that_says("Connection closed unexpectedly by the server", tmp_path, monkeypatch)
    code, out, err = run(["show", "-r", "ssh://u@example.invalid/x"])
    assert (code, out) == (1, "")
    assert err == (
        "❌ ssh://example.invalid/x does not answer like a Git server "
        "(Connection closed unexpectedly by the server)\n"
    )


def test_a_malformed_line_in_the_credential_store_is_skipped(demo: Path, tmp_path: Path) -> None:
    with auth_http_server(demo) as port:
        (Path(os.environ["HOME"]) / ".git-credentials").write_text(
            f"https://[::1\nhttp://eve:x@[1.2.3.4]\nhttp://bob:{TOKEN}@127.0.0.1:{port}\n"
        )
        url = f"http://127.0.0.1:{port}/demo.git"
        assert run(["show", "-r", url]) == run(["show", "-r", str(clone(demo, tmp_path / "c"))])


@pytest.fixture(scope="module")
def closed_port() -> Iterator[int]:
    """A loopback port nothing listens on: a URL that parses is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        yield int(probe.getsockname()[1])


# Pieces of a host part: brackets, colons, addresses, ports (good and bad), user info,
# escapes, spaces, a character NFKC changes. Every host that parses is on loopback.
_PIECES = [
    "[", "]", ":", "@", "::1", "127.0.0.1", "localhost", "u:p@", "%", "%25", " ", "0",
    "99999", "x", "\u2100", "v1.x", "..", "PORT", "-",
]  # fmt: skip
_LINE = re.compile(r"❌ [^\n]+\n")


# dulwich's fetch leaves its Protocol unclosed when ssh fails before the first line (its
# process is ended all the same: gto.git.client).
@pytest.mark.filterwarnings("ignore:unclosed Protocol:ResourceWarning")
@given(
    scheme=st.sampled_from(["http", "https", "git", "ssh", "file", "HTTP", "git+ssh"]),
    pieces=st.lists(st.sampled_from(_PIECES), max_size=6),
    tail=st.sampled_from(["", "/", "/r.git", "?q=[", "#[", "/[x", "/%zz"]),
)
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_no_url_gives_a_traceback(
    scheme: str, pieces: list[str], tail: str, closed_port: int, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    ssh_that_says("ssh: connect to host: Connection refused", tmp_path, monkeypatch)
    monkeypatch.setenv("GTO_REMOTE_TIMEOUT", "2")
    url = f"{scheme}://{''.join(pieces)}{tail}".replace("PORT", str(closed_port))
    code, out, err = run(["show", "-r", url])
    assert (code, out) == (1, ""), url
    assert _LINE.fullmatch(err), (url, err)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


needs_ipv6 = pytest.mark.skipif(
    not _has_ipv6_loopback(), reason="needs an IPv6 loopback (::1) to serve on"
)


@needs_ipv6
@pytest.mark.usefixtures("identity")
@pytest.mark.parametrize("kind", ["http", "git-daemon"])
def test_an_ipv6_host_is_read_and_pushed_to(
    kind: str, demo: Path, demo_clone: Path, tmp_path: Path
) -> None:
    # The defect: `http://[::1]:PORT/x` lost its brackets: `'::1:PORT' is not a valid host`.
    if kind == "http":
        server, name = dulwich_http_server(demo, host="::1"), ""
    else:
        server, name = git_daemon(demo.parent, host="::1"), f"/{demo.name}"
    with server as base:
        url = base + name
        assert url.startswith(("http://[::1]:", "git://[::1]:"))
        for command in ("show", "history churn", "describe churn"):
            argv = command.split()
            assert run([*argv, "-r", url]) == run([*argv, "-r", str(demo_clone)]), command
        code, out, err = run(["register", "v6model", "-r", url.replace("://", "://bob:pw@")])
    assert (code, err) == (0, "")
    assert "Successfully pushed git tag v6model@v0.0.1 on remote." in out
    assert "v6model@v0.0.1" in tags_of(demo)


@pytest.mark.usefixtures("fake_ssh")
def test_an_ipv6_host_over_ssh(demo: Path, demo_clone: Path) -> None:
    # `me@[::1]:path` was split at its first colon: host `[`, path `:1]:path`.
    for url in (f"me@[::1]:{demo}", f"ssh://me@[::1]:22{demo}", f"ssh://[::1]{demo}"):
        assert run(["show", "-r", url]) == run(["show", "-r", str(demo_clone)]), url
