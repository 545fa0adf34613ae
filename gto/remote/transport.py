"""Talking to a server: clients within limits, progress, and the one error translator.

Every fetch and push to a server goes through a `Transport`: its clients (gto.git.client)
wait at most GTO_REMOTE_TIMEOUT seconds for data and take at most GTO_REMOTE_MAX_SIZE
bytes in one command; transport settings come from the user's own git config and
environment (gto.settings), never from a repository; and whatever fails becomes one
line saying what to do, without credentials (`translating`).
"""

from __future__ import annotations

import errno
import logging
import re
import socket
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gto.exceptions import GTOException, PushError, RemoteError
from gto.git import client as git_client
from gto.git import config as git_config
from gto.git.errors import transfer_errors, transfer_kind
from gto.remote.credentials import Credentials, redact
from gto.remote.urls import InvalidURL, check
from gto.settings import Settings

if TYPE_CHECKING:
    from gto.git.config import Stack
    from gto.git.mirror import Connection
    from gto.git.repo import GitRepo
    from gto.git.upload_pack import V2Channel

__all__ = ["Progress", "Transfer", "Transport", "push_to_origin"]

_DULWICH_LOGGERS = ("dulwich", "dulwich.client", "dulwich.protocol", "dulwich.object_store")
# Words in transport errors (dulwich's, ssh's, the server's) that say what went wrong.
_UNREACHABLE = re.compile(
    r"connection refused|could not resolve|name or service not known|temporary failure in "
    r"name resolution|no route to host|network is unreachable|timed out|connection reset|"
    r"max retries exceeded|failed to establish",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(
    r"not found|no such repository|not exported|does not appear to be a git repository|"
    r"no such file|does not exist",
    re.IGNORECASE,
)
_DENIED = re.compile(r"permission denied|access denied|http resp 403|authentication", re.I)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


@dataclass(frozen=True)
class Transfer:
    """A transfer's progress, for the callback a caller passes in (the CLI draws it).

    `text` is the server's latest progress line, without credentials; None once the
    transfer is over.
    """

    url: str
    text: str | None


Progress = Callable[[Transfer], None]


class _QuietDulwich(logging.Filter):
    """Drops dulwich's warning that a server ignores filters (gto copes) and redacts the rest."""

    def __init__(self, redact: Callable[[str], str]) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "object filtering not recognized" in message:
            return False
        record.msg, record.args = self._redact(message), None
        return True


def _clip(text: str, limit: int = 100) -> str:
    """A server's answer, cut short: an error is one line, not a web page."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Transport:
    """The connections of one command to one URL (`credentials.url`)."""

    def __init__(
        self,
        credentials: Credentials,
        settings: Settings,
        *,
        cache: str = "",
        progress: Progress | None = None,
    ) -> None:
        self.credentials = credentials
        self.url = credentials.shown
        self._environ = settings.environ
        self._limits = settings.limits
        self._meter = git_client.Meter(self.url, self._limits)
        self._config: Stack | None = None
        self._cache = cache
        self._progress = progress

    def connect(self, *, thin_packs: bool = True, operation: str = "pull") -> Connection:
        """A client for the URL: transport settings from the user's own git config only."""
        with self.translating():
            if self._config is None:
                self._config = git_config.stack(self._environ)
            return git_client.connect(
                self.credentials.transport_url,
                config=self._config,
                limits=self._limits,
                meter=self._meter,
                environ=self._environ,
                operation=operation,
                thin_packs=thin_packs,
            )

    def open_v2(self) -> V2Channel | None:
        """A protocol v2 channel to the URL's upload-pack (gto.git.upload_pack), or None."""
        if self._config is None:
            self._config = git_config.stack(self._environ)
        from gto.git.channels import open_upload_pack_v2

        return open_upload_pack_v2(
            self.credentials.transport_url,
            config=self._config,
            limits=self._limits,
            meter=self._meter,
            environ=self._environ,
        )

    @contextmanager
    def reporting(self) -> Iterator[Callable[[str], None] | None]:
        """A progress callback for one transfer (redacted lines), and its end."""
        if self._progress is None:
            yield None
            return
        report = self._progress

        def line(message: str) -> None:
            lines = re.split(r"[\r\n]+", message.strip())
            report(Transfer(self.url, self.credentials.redact(lines[-1])))

        try:
            yield line
        finally:
            report(Transfer(self.url, None))

    @contextmanager
    def translating(self) -> Iterator[None]:
        """Turn what the transport raises into one line saying what to do, without credentials."""
        quiet = _QuietDulwich(self.credentials.redact)
        # A logger's filters see only its own records, not its children's.
        loggers = [logging.getLogger(name) for name in _DULWICH_LOGGERS]
        errors: tuple[type[Exception], ...] = (*transfer_errors(), KeyError)
        for logger in loggers:
            logger.addFilter(quiet)
        try:
            with git_client.timed_sockets(self._limits):
                yield
        except GTOException:
            raise
        except errors as e:
            raise RemoteError(self._explain(e)) from e
        finally:
            for logger in loggers:
                logger.removeFilter(quiet)

    def _explain(self, error: Exception) -> str:
        kind = transfer_kind(error)
        if kind == "unauthorized":
            return self._auth_failed()
        if kind == "proxy-unauthorized":
            return f"The proxy refused the credentials for {self.url}"
        if kind == "not-found":
            return f"Repository {self.url} was not found"
        text = self.credentials.redact(" ".join(str(error).split()))
        if git_client.is_timeout(error):
            return git_client.TransferTimeout(self.url, self._limits.timeout).message
        if isinstance(error, OSError):
            network = isinstance(error, (ConnectionError, TimeoutError, socket.gaierror))
            if network or error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return f"Cannot reach {self.url}: {error.strerror or text}"
            return f"Cannot fetch from {self.url} into the cache '{self._cache}': {text}"
        if _UNREACHABLE.search(text):
            found = _ERRNO.search(text)
            reason = found[1].strip() if found else text
            return f"Cannot reach {self.url}: {reason}"
        if _NOT_FOUND.search(text):
            return f"Repository {self.url} was not found ({_clip(text)})"
        if _DENIED.search(text):
            return f"Access to {self.url} was denied ({_clip(text)})"
        return f"{self.url} does not answer like a Git server ({_clip(text or repr(error))})"

    def _auth_failed(self) -> str:
        if self.credentials.user is None:
            return (
                f"Authentication failed for {self.url}: it needs credentials (in the URL, "
                "~/.git-credentials or ~/.netrc)"
            )
        return f"Authentication failed for {self.url}: the server refused the credentials"

    def push(self, git: GitRepo, refspecs: Sequence[tuple[str | None, str]]) -> None:
        """Push refs of `git` to the URL (see gto.git.push), credentials included."""
        from gto.git.push import push

        with git_client.timed_sockets(self._limits):
            push(
                git,
                refspecs,
                url=self.credentials.transport_url,
                connect=lambda _: self.connect(operation="push"),
                redact=self.credentials.redact,
                timeout=self._limits.timeout,
            )


def push_to_origin(
    git: GitRepo, refspecs: Sequence[tuple[str | None, str]], settings: Settings
) -> None:
    """Push refs of a local repository to its `origin` (push URL from its config).

    The transport settings are the repository's and the user's own: it is theirs.
    """
    from gto.git.push import push, remote_url

    config = git_config.stack(settings.environ, git)
    limits = settings.limits

    def connect(url: str) -> Connection:
        try:
            check(url)
        except InvalidURL as e:
            raise PushError(f"Cannot push to origin: invalid URL '{e.shown}': {e.reason}") from None
        meter = git_client.Meter(redact(url), limits)
        return git_client.connect(
            url,
            config=config,
            limits=limits,
            meter=meter,
            environ=settings.environ,
            operation="push",
        )

    with git_client.timed_sockets(limits):
        push(
            git,
            refspecs,
            url=remote_url(git),
            connect=connect,
            redact=redact,
            timeout=limits.timeout,
        )
