"""`.ci/run` runs the README's test command: the same extras installed, the same pytest call."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "python -m pytest" in line)
    assert command == (
        "$ pip install '.[tests,sign]' && GTO_TEST_REAL_GIT=$(command -v git) python -m pytest"
    )
    ci = (ROOT / ".ci" / "run").read_text()
    installs = re.findall(r"pip install --quiet \"\.\[([a-z,]+)\]\"", ci)
    assert installs == ["tests,sign"]  # the signing tests run in CI too
    assert 'export GTO_TEST_REAL_GIT="$real_git"' in ci
    assert "\npython -m pytest\n" in ci
