"""git's configuration files: the repository's, the user's and the system's.

Which files count, and in which order, is git's rule; where HOME and the XDG folders
are comes from the `environ` the caller passes (gto.settings), so a test or an
embedding program controls it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypeAlias

from gto.git.discover import Dulwich
from gto.git.errors import read_error

if TYPE_CHECKING:
    from dulwich.config import ConfigFile, StackedConfig

    from gto.git.repo import GitRepo

__all__ = ["Stack", "repo_config", "setting", "stack", "user_configs", "value"]

# What `stack` returns: dulwich's config files, searched in order.
Stack: TypeAlias = "StackedConfig"


def repo_config(dulwich: Dulwich) -> ConfigFile:
    """The repository's own `config` (empty when it has none), as dulwich parses it.

    Read from the file, without opening dulwich's Repo: that refuses extensions gto
    reads (partialClone, preciousObjects, noop). With extensions.worktreeConfig, a
    work tree's own `config.worktree` wins.
    """
    from dulwich.config import ConfigFile

    layout = dulwich.layout
    paths = [os.path.join(layout.commondir, "config")]
    if layout.format.worktree_config:
        paths.insert(0, os.path.join(layout.controldir, "config.worktree"))
    found = ConfigFile()
    for path in reversed(paths):  # the later file wins, as git reads them
        try:
            config = ConfigFile.from_path(path)
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as e:
            raise read_error("the repository's git config", e) from e
        for section in config.sections():
            for key, value in config.items(section):
                found.set(section, key, value)
    return found


def user_configs(environ: Mapping[str, str]) -> list[ConfigFile]:
    """The user's config files that exist, the one that wins first.

    ~/.gitconfig wins over $XDG_CONFIG_HOME/git/config (git reads the XDG file first).
    """
    from dulwich.config import ConfigFile

    home = environ.get("HOME")
    xdg = environ.get("XDG_CONFIG_HOME") or (os.path.join(home, ".config") if home else None)
    paths = [os.path.join(home, ".gitconfig")] if home else []
    if xdg:
        paths.append(os.path.join(xdg, "git", "config"))
    configs = []
    for path in paths:
        try:
            configs.append(ConfigFile.from_path(path))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as e:
            raise read_error(f"git config '{path}'", e) from e
    return configs


def stack(environ: Mapping[str, str], repo: GitRepo | None = None) -> StackedConfig:
    """What git reads for a command: the repository's config (if any), the user's, the system's.

    A remote's cache passes no repository: its config is data gto wrote, never settings.
    """
    from dulwich.config import ConfigFile, StackedConfig

    backends = ([repo_config(repo.dulwich)] if repo is not None else []) + user_configs(environ)
    if not environ.get("GIT_CONFIG_NOSYSTEM"):
        system = environ.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"
        with contextlib.suppress(OSError, ValueError):  # none, or unreadable: git goes on
            backends.append(ConfigFile.from_path(system))
    return StackedConfig(backends)


def value(configs: Sequence[ConfigFile], section: tuple[bytes, ...], key: bytes) -> str | None:
    """The first non-empty `section.key` in `configs`."""
    for config in configs:
        try:
            found = config.get(section, key)
        except KeyError:
            continue
        if found:
            return found.decode("utf-8", "replace")
    return None


def setting(environ: Mapping[str, str], repo: GitRepo | None, name: str) -> str | None:
    """One setting as git reads it for a command, `section.key` or `section.sub.key`
    (`gpg.ssh.allowedSignersFile`, `user.signingkey`); None when it is not set.

    Raises:
        RepoError: a config file cannot be read.
    """
    parts = name.split(".")
    section = (parts[0].encode(), *(p.encode() for p in parts[1:-1]))
    key = parts[-1].encode()
    try:
        found = stack(environ, repo).get(section, key)
    except KeyError:
        return None
    return found.decode("utf-8", "replace") if found else None
