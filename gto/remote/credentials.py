"""Credentials for a server, and the one redactor every message goes through.

gto finds what git's `store` credential helper and curl read (the URL itself,
~/.git-credentials, ~/.netrc); helpers that are programs (a keychain, a manager)
would have to be run, which gto never does. Whatever holds a secret (a URL's
`user:password@`, a password, a token given as an http(s) URL's user name) is removed from
every message gto shows, by `redact` or by a `Credentials` value's `redact`. A user name
alone (`ssh://deploy@host`) is no secret: it goes with the URL's user info, and is never
cut out of other words (`deployment`).
"""

from __future__ import annotations

import netrc
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlparse, urlsplit

__all__ = ["Credentials", "redact"]

# user:password@ in URLs, also inside error texts from the transport.
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the `user:password@` part of URLs in it, nor any of `secrets`.

    >>> redact("Cannot reach https://bob:t0ken@example.com/repo")
    'Cannot reach https://example.com/repo'
    """
    text = _USERINFO.sub("", text)
    for secret in sorted(secrets, key=len, reverse=True):  # `u:pw` before the `pw` in it
        if secret:
            text = text.replace(secret, "***")
    return text


def _userinfo(url: str) -> str | None:
    """The `user:password` of a URL, redacted from messages even where a library quotes it
    (a user name alone is none: it would be cut out of any word that holds it)."""
    match = _USERINFO.search(url)
    return match[0][:-1] if match and ":" in match[0] else None


def _from_store(scheme: str, host: str, paths: Iterable[str]) -> tuple[str, str] | None:
    """The first `scheme://user:password@host` line of git's credential store files."""
    for path in paths:
        try:
            with open(path, "rb") as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            try:
                parts = urlparse(line.strip().decode("utf-8"))
            except ValueError:  # `https://[x`: git skips such a line, and so does gto
                continue
            wanted = parts.scheme == scheme and parts.hostname == host
            if wanted and parts.username and parts.password:
                return parts.username, parts.password
    return None


def _lookup(url: str, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(user, password) for an http(s) URL: from the URL, else ~/.git-credentials, else ~/.netrc."""
    parts = urlsplit(url)
    if parts.username is not None or parts.scheme not in ("http", "https") or not parts.hostname:
        return parts.username, parts.password
    home = environ.get("HOME") or os.path.expanduser("~")
    xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    stores = [os.path.join(home, ".git-credentials"), os.path.join(xdg, "git", "credentials")]
    try:
        found = _from_store(parts.scheme, parts.hostname, stores)
    except (OSError, UnicodeDecodeError, ValueError):
        found = None  # an unreadable store is no reason to fail: go on without it
    if found is not None:
        return found
    try:
        entry = netrc.netrc(environ.get("NETRC") or os.path.join(home, ".netrc")).authenticators(
            parts.hostname
        )
    except (OSError, netrc.NetrcParseError):
        entry = None
    if entry is not None and entry[0]:
        return entry[0], entry[2]
    return None, None


@dataclass(frozen=True)
class Credentials:
    """A URL, what it takes to reach it, and the secrets no message may show."""

    url: str  # as given
    user: str | None
    password: str | None

    @classmethod
    def find(cls, url: str, environ: Mapping[str, str]) -> Credentials:
        user, password = _lookup(url, environ)
        return cls(url, user, password)

    @property
    def secrets(self) -> list[str]:
        # A token may come as an http(s) URL's user name, without a password; an ssh or
        # git:// user name is a login, shown wherever the URL is.
        http = urlsplit(self.url).scheme.lower() in ("http", "https")
        token = None if self.password or not http else self.user
        return [s for s in (self.password, token, _userinfo(self.url)) if s]

    @property
    def shown(self) -> str:
        """The URL as messages show it."""
        return redact(self.url)

    @property
    def transport_url(self) -> str:
        """The URL with `user:password@` in it (http(s) URLs that have none yet), to connect."""
        parts = urlsplit(self.url)
        if self.user is None or parts.username is not None or parts.scheme not in ("http", "https"):
            return self.url
        password = f":{quote(self.password, safe='')}" if self.password else ""
        userinfo = quote(self.user, safe="") + password
        return parts._replace(netloc=f"{userinfo}@{parts.netloc}").geturl()

    def redact(self, text: str) -> str:
        """`text` without URL credentials, nor this URL's secrets."""
        return redact(text, self.secrets)
