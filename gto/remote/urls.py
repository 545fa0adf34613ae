"""Which `-r` values name a remote repository, and by which scheme it is reached."""

from __future__ import annotations

import os
import re

__all__ = ["SCHEMES", "is_remote", "scheme"]

SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git", "file"})
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP = re.compile(r"[^@/:\s]+@[^@/:\s]+:\S+")  # user@host:path, as git and ssh spell it


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
