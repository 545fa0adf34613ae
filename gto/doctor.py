"""`gto doctor`: print the environment configuration and check that the registry reads."""

from __future__ import annotations

import os
from collections.abc import Callable

from gto import __version__
from gto.config import env_config_lines

RULE = "-" * 33


def run_doctor(repo: str, *, all_commits: bool = False, emoji: Callable[[str], str]) -> str:
    """The doctor report; a broken config or registry raises its GTOException."""
    from gto.api import Session

    lines = [f"{emoji('🪴 ')} GTO Version: {__version__}", RULE]
    lines.extend(env_config_lines(os.environ))
    lines.append(RULE)
    session = Session.open(repo)
    session.config  # noqa: B018 - a broken .gto must fail here, before the registry
    session.registry(all_commits=all_commits)
    lines.append(f"{emoji('✅ ')} No issues found")
    return "\n".join(lines)
