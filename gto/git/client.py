"""Clients for servers: dulwich's, made to give up on a silent server or a flood.

A server that never answers, or one that sends an endless ref advertisement or a huge
pack, must not hang gto or fill the disk. Every network client made here waits at
most `timeout` seconds for data (per read, and to connect) and receives at most
`max_bytes` in one command, then fails with one line. Only dulwich's public hooks are
used: the pool managers it makes HTTP requests with (urllib3's timeouts, and every
response's reads counted), the `report_activity` callback of its `git://` client and
the default timeout of the sockets it makes (`timed_sockets`), and its ssh vendor.
Transport settings (proxies, `core.sshCommand`, `http.sslVerify`...) come from the
user's own git config and environment only, never from a repository: a cache is data,
not configuration.

Local `file://` repositories are read in-process: no timeout or size limit applies.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import select
import shlex
import socket
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse, urlsplit

from gto.exceptions import RemoteError
from gto.git.errors import ObjectFormatChanged, dulwich_errors, open_error
from gto.settings import MAX_SIZE_VARIABLE, TIMEOUT_VARIABLE, Limits

if TYPE_CHECKING:
    from dulwich.client import GitClient, LocalGitClient
    from dulwich.config import StackedConfig
    from dulwich.refs import Ref
    from dulwich.repo import BaseRepo, Repo
    from typing_extensions import Self  # typing's own from Python 3.11
    from urllib3 import PoolManager

__all__ = [
    "Meter",
    "TransferTimeout",
    "TransferTooLarge",
    "connect",
    "metered_pool",
    "metered_pools",
    "timed_sockets",
]


def is_timeout(error: BaseException) -> bool:
    """Whether a transfer waited too long (dulwich wraps a socket's timeout, keeping its words)."""
    return isinstance(error, TimeoutError) or "timed out" in str(error).lower()


class TransferTimeout(RemoteError):
    """The server sent nothing for the whole timeout."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(
            f"{url} sent nothing for {seconds:g} s; gave up (set {TIMEOUT_VARIABLE} to wait longer)"
        )


class TransferTooLarge(RemoteError):
    """The server sent more than the size limit."""

    def __init__(self, url: str, limit: int) -> None:
        super().__init__(
            f"{url} sent more than {limit:,} bytes; stopped reading (set {MAX_SIZE_VARIABLE} "
            "to allow more)"
        )


class Meter:
    """Counts what one command receives from a server, and stops it past the limit."""

    def __init__(self, url: str, limits: Limits) -> None:
        self.url = url
        self.limits = limits
        self.received = 0

    def add(self, count: int) -> None:
        self.received += count
        if self.received > self.limits.max_bytes:
            raise TransferTooLarge(self.url, self.limits.max_bytes)

    def wrap(self, read: Callable[..., bytes]) -> Callable[..., bytes]:
        """`read`, counting what it returns."""

        def metered(*args: Any) -> bytes:
            data = read(*args)
            self.add(len(data))
            return data

        return metered

    def activity(self, count: int, kind: str) -> None:
        """dulwich's `report_activity` hook: every pkt-line read is counted."""
        if kind == "read":
            self.add(count)


@contextlib.contextmanager
def timed_sockets(limits: Limits) -> Iterator[None]:
    """Sockets made meanwhile (dulwich's `git://` client makes its own) wait at most
    `limits.timeout` seconds to connect and for each read."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(limits.timeout)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def without_userinfo(url: str) -> str:
    """`url` without its `user:password@` (sent in headers, never in a request line).

    >>> without_userinfo("https://u:p@host:8080/r.git")
    'https://host:8080/r.git'
    """
    parts = urlparse(url)
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


def metered_pool(url: str, config: StackedConfig, limits: Limits, meter: Meter) -> PoolManager:
    """The urllib3 pool manager for `url` (its proxy, TLS settings from the user's git
    config), waiting at most the timeout, every response's reads counted."""
    import urllib3
    from dulwich.client import default_urllib3_manager

    plain = without_userinfo(url)
    pool_class, proxy_class = metered_pools(meter)
    pool = default_urllib3_manager(
        config,
        pool_manager_cls=pool_class,
        proxy_manager_cls=proxy_class,
        base_url=plain,
        timeout=limits.timeout,
    )
    assert isinstance(pool, urllib3.PoolManager)  # a ProxyManager is one too
    return pool


def metered_pools(meter: Meter) -> tuple[type[Any], type[Any]]:
    """urllib3's pool managers, counting what every response of a request gives."""
    import urllib3

    retries = _timeouts_not_retried()

    def urlopen(manager: Any, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:
        kw.setdefault("retries", retries)
        response = super(type(manager), manager).urlopen(method, url, redirect=redirect, **kw)
        if not getattr(response, "gto_metered", False):  # a redirect is followed inside
            # The class's read through a weak reference: a bound method kept on the
            # response would make a cycle, and its socket would wait for the collector.
            read, owner = type(response).read, weakref.ref(response)
            response.read = meter.wrap(lambda *args: read(owner(), *args))
            response.gto_metered = True
        return response

    pool = type("MeteredPoolManager", (urllib3.PoolManager,), {"urlopen": urlopen})
    proxy = type("MeteredProxyManager", (urllib3.ProxyManager,), {"urlopen": urlopen})
    return pool, proxy


_SCP_IPV6 = re.compile(r"([^@/\[\]:]+@)?\[([0-9A-Fa-f:.]+(?:%[^\]]+)?)\]:(.+)")


def _timeouts_not_retried() -> Any:
    """urllib3's retries (3, and redirects), except after a timeout: a stalled server is
    given up on after one GTO_REMOTE_TIMEOUT, not after four, each on a new connection."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
    from urllib3.util.retry import Retry

    class TimeoutsNotRetried(Retry):
        def increment(
            self,
            method: str | None = None,
            url: str | None = None,
            response: Any = None,
            error: Exception | None = None,
            _pool: Any = None,
            _stacktrace: TracebackType | None = None,
        ) -> Self:
            stalled = isinstance(error, (ReadTimeoutError, ConnectTimeoutError))
            if stalled and not isinstance(error, NewConnectionError):  # (refused is not)
                assert error is not None
                raise error
            return super().increment(method, url, response, error, _pool, _stacktrace)

    return TimeoutsNotRetried(total=Retry.DEFAULT.total)


def _ssh_command(environ: Mapping[str, str]) -> str | None:
    """GIT_SSH_COMMAND (a shell command), else GIT_SSH (a program), as git picks them."""
    if environ.get("GIT_SSH_COMMAND"):
        return environ["GIT_SSH_COMMAND"]
    if environ.get("GIT_SSH"):
        return shlex.quote(environ["GIT_SSH"])
    return None


class _TimedPipe(io.RawIOBase):
    """The read end of a pipe that gives up when nothing arrives for `timeout` seconds."""

    def __init__(self, fd: int, timeout: float) -> None:
        super().__init__()
        self._fd = fd
        self._timeout = timeout
        self.stalled = False  # the timeout has passed once: the other end is not answering

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        ready, _, _ = select.select([self._fd], [], [], self._timeout)
        if not ready:
            self.stalled = True
            raise TimeoutError(f"timed out: no data for {self._timeout:g} s")
        data = os.read(self._fd, len(buffer))
        buffer[: len(data)] = data
        return len(data)


def connect(
    url: str,
    *,
    config: StackedConfig,
    limits: Limits,
    meter: Meter,
    environ: Mapping[str, str],
    operation: str = "pull",
    thin_packs: bool = True,
) -> tuple[GitClient, str]:
    """A dulwich client for `url` and the path to ask it for, within `limits`."""
    from dulwich.client import (
        LocalGitClient,
        SSHGitClient,
        SSHVendor,
        SubprocessWrapper,
        TCPGitClient,
        Urllib3HttpGitClient,
        get_transport_and_path,
    )

    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        # Not dulwich's from_parsedurl: it drops the brackets of an IPv6 host
        # (`http://[::1]:8080/r` became `http://::1:8080/r`, which urllib3 refuses).
        parts = urlparse(url)
        user, password = parts.username, parts.password
        return Urllib3HttpGitClient(
            without_userinfo(url),
            config=config,
            pool_manager=metered_pool(url, config, limits, meter),
            username=unquote(user) if user else None,
            password=unquote(password) if password else None,
            thin_packs=thin_packs,
            quiet=True,
        ), parts.path
    if scheme == "git":
        # Its sockets wait at most the timeout: each transfer runs in `timed_sockets`.
        parts = urlparse(url)
        return TCPGitClient.from_parsedurl(
            parts,
            config=config,
            thin_packs=thin_packs,
            quiet=True,
            report_activity=meter.activity,
        ), parts.path
    # `user@[::1]:path`, as git spells an IPv6 host in scp-like syntax: dulwich would split
    # it at its first colon, so it gets the same host as an `ssh://` URL, and the path.
    bracketed = _SCP_IPV6.fullmatch(url)
    client, path = get_transport_and_path(
        url if bracketed is None else f"ssh://{bracketed[1]}[{bracketed[2]}]/",
        config=config,
        operation=operation,
        thin_packs=thin_packs,
        quiet=True,
        ssh_command=_ssh_command(environ),
    )
    if bracketed is not None:
        path = bracketed[3]
    if isinstance(client, LocalGitClient):
        return _local_client_class()(thin_packs=thin_packs), path
    if isinstance(client, SSHGitClient):
        vendor = client.ssh_vendor

        class TimedConnection(SubprocessWrapper):
            """The ssh client's output read with a timeout, every byte counted."""

            def __init__(self, connection: SubprocessWrapper) -> None:
                self.proc = connection.proc
                self.write = connection.write
                self._untimed = connection  # its own reader keeps the pipe open
                stdout = connection.proc.stdout
                assert stdout is not None
                self._pipe = _TimedPipe(stdout.fileno(), limits.timeout)
                self.read = meter.wrap(io.BufferedReader(self._pipe).read)

            def close(self, timeout: int | None = None) -> None:
                """Close the pipes; an ssh that does not end then is killed, at once if it
                has stalled already (the whole wait stays one timeout)."""
                for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                    if stream is not None:
                        with contextlib.suppress(OSError):
                            stream.close()
                wait = 0 if self._pipe.stalled else limits.timeout
                deadline = time.monotonic() + wait
                while self.proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.01)
                if self.proc.poll() is None:
                    self.proc.kill()
                    self.proc.wait()

        opened: list[TimedConnection] = []

        class TimedVendor(SSHVendor):
            def run_command(self, *args: Any, **kwargs: Any) -> SubprocessWrapper:
                connection = TimedConnection(vendor.run_command(*args, **kwargs))
                opened.append(connection)
                return connection

        def close(untimed: Callable[[], None] = client.close) -> None:
            """End the ssh processes too: dulwich leaves one running when a fetch fails."""
            while opened:
                opened.pop().close()
            untimed()

        client.ssh_vendor = TimedVendor()
        client.close = close  # type: ignore[method-assign]
    return client, path


def _local_refs(path: str) -> dict[Ref, bytes]:
    """A local repository's refs as gto reads them (any ref store): name -> id or `ref: ...`."""
    from dulwich.refs import Ref

    from gto.git.repo import GitRepo

    with GitRepo.open(path) as git:
        refs = {Ref(name): oid.encode() for name, oid in git.refs.under(b"refs/").items() if oid}
        branch = git.refs.symbolic(b"HEAD")
        head = git.head()
    if branch is not None:
        refs[Ref(b"HEAD")] = b"ref: " + branch
    elif head is not None:
        refs[Ref(b"HEAD")] = head.encode()
    return refs


def _local_client_class() -> type[LocalGitClient]:
    from dulwich.client import LocalGitClient
    from dulwich.refs import DictRefsContainer
    from dulwich.repo import Repo

    class LocalClient(LocalGitClient):
        """Reads a repository on this machine (`file://`) in-process, its refs read by gto.

        dulwich's own reftable reader cuts names, misreads SHA-256 tables and reads only
        the first block of a table (see gto.git.refs_reftable); gto's reader is used
        for every ref store alike, and refuses a repository gto cannot read.
        """

        def fetch(self, path: str | bytes, target: BaseRepo, *args: Any, **kwargs: Any) -> Any:
            """dulwich changes an empty target's object format to the source's, and fails
            on a target that holds objects: then the cache is made again."""
            with self._open_repo(path) as source:
                changed = source.object_format.name != target.object_format.name
            if changed and next(iter(target.object_store), None) is not None:
                raise ObjectFormatChanged
            return super().fetch(path, target, *args, **kwargs)

        # dulwich's one private hook gto still overrides: every public method of the local
        # client (fetch, fetch_pack, get_refs, send_pack) opens the source through it, and
        # no public argument replaces the repository or its refs; overriding those methods
        # instead would copy dulwich's pack generation.
        @classmethod
        def _open_repo(cls, path: str | bytes) -> closing[Repo]:
            folder = os.fsdecode(path)
            refs = _local_refs(folder)
            try:
                repo = Repo(folder)
            except dulwich_errors() as e:  # an extension only dulwich refuses (partialClone)
                raise open_error(folder, e) from e
            repo.refs = DictRefsContainer(refs)
            return closing(repo)

    return LocalClient


def _LocalClient(*, thin_packs: bool) -> LocalGitClient:
    return _local_client_class()(thin_packs=thin_packs)
