"""Which `-r` values name a remote repository, by which scheme it is reached, and
whether a `scheme://` URL can be taken apart at all."""

from __future__ import annotations

import os
import re

from gto.exceptions import RemoteError

__all__ = ["SCHEMES", "InvalidURL", "check", "is_remote", "scheme"]

SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git", "file"})
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP = re.compile(r"[^@/:\s]+@[^@/:\s]+:\S+")  # user@host:path, as git and ssh spell it
# `[IPv6 address]` and an optional `:port`, nothing else, after the user info.
_BRACKETED = re.compile(r"\[([^\[\]]*)\](?::(.*))?")
# ssh would read `-user@host` as an option, as it would `-host`; git refuses both.
_DASHED_USER = "the user name starts with '-'"


class InvalidURL(RemoteError):
    """A `scheme://` URL that cannot be taken apart (its host or its port)."""

    def __init__(self, url: str, reason: str) -> None:
        from gto.remote.credentials import redact

        self.shown, self.reason = redact(url), reason
        super().__init__(f"Invalid URL '{self.shown}': {reason}")


def is_remote(location: str) -> bool:
    """Whether `-r` names a remote: URL-like (`scheme://`, `user@host:path`), not a local path.

    >>> is_remote("https://example.com/org/repo"), is_remote("git@example.com:org/repo.git")
    (True, True)
    >>> is_remote("path/to/repo")
    False
    """
    if os.path.exists(location):
        return False
    return bool(_URL.match(location) or _SCP.fullmatch(location))


def scheme(url: str) -> str:
    """`https`, `ssh`...; `user@host:path` is ssh.

    >>> scheme("HTTPS://example.com/r"), scheme("git@example.com:r.git")
    ('https', 'ssh')
    """
    match = _URL.match(url)
    return match[1].lower() if match else "ssh"


def _host_problem(host: str) -> str | None:
    """What is wrong with the `host[:port]` of a URL (after any `user@`), or None."""
    import ipaddress

    bracketed = _BRACKETED.fullmatch(host)
    if host.startswith("[") or "]" in host:
        if bracketed is None:
            return "an IPv6 host is written '[address]' or '[address]:port'"
        try:
            ipaddress.IPv6Address(bracketed[1])
        except ValueError:
            return f"'{bracketed[1]}' in brackets is not an IPv6 address"
        port = bracketed[2]
    else:
        if host.startswith("-"):  # git refuses it too: ssh would take it for an option
            return f"the host '{host.partition(':')[0]}' starts with '-'"
        port = host.rpartition(":")[2] if ":" in host else None
    # git and dulwich would read `ssh://host:x/y` as `user@host:path` to a host `ssh`.
    if port and not (re.fullmatch(r"[0-9]{1,5}", port) and 0 < int(port) < 65536):
        return f"the port '{port}' is not a number from 1 to 65535"
    return None


def check(url: str) -> None:
    """Refuse a `scheme://` URL whose host or port cannot be read (`http://[::1`,
    `ssh://host:22x/repo`), or whose host or ssh user name starts with `-` (an option to
    ssh): one line, before anything connects. `user@host:path` has no port.

    >>> check("ssh://git@[::1]:2222/repo.git")
    >>> try:
    ...     check("http://[::1/repo")
    ... except InvalidURL as e:
    ...     print(e)
    Invalid URL 'http://[::1/repo': an IPv6 host is written '[address]' or '[address]:port'

    Raises:
        InvalidURL: the URL, without credentials, and what is wrong with it.
    """
    from urllib.parse import urlsplit

    if not _URL.match(url):
        if _SCP.fullmatch(url) and url.startswith("-"):  # `-u@host:path`
            raise InvalidURL(url, _DASHED_USER)
        return
    try:
        parts = urlsplit(url)
    except ValueError as e:
        netloc = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0]
        reason = _host_problem(netloc.rpartition("@")[2]) or str(e)
        raise InvalidURL(url, reason) from None
    userinfo, _, host = parts.netloc.rpartition("@")
    problem = _host_problem(host)
    if problem is None and not parts.hostname and parts.scheme.lower() != "file":
        problem = "it names no host"
    if problem is None and userinfo.startswith("-") and "ssh" in parts.scheme.lower():
        problem = _DASHED_USER
    if problem is not None:
        raise InvalidURL(url, problem)
