"""The core stays pure and the CLI starts light: checked by reading the imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import gto

GTO = Path(__file__).resolve().parent.parent / "gto"
CORE = [
    "core/tags",
    "core/versions",
    "core/events",
    "core/replay",
    "core/state",
    "core/annotations",
    "core/dvcyaml",
    "constants",
    "base",
    "core/config",
    "core/yamlio",
    "core/views",
    "render",
    "render_markdown",
    "render_ci",
    "core/ci_view",
    "completion_scripts",
    "exceptions",
]
FORBIDDEN = {"dulwich", "argparse", "tabulate", "subprocess", "git", "pygit2"}
ALLOWED_EXTRA = {"render": {"tabulate"}}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", CORE)
def test_core_modules_are_pure(module: str) -> None:
    forbidden = FORBIDDEN - ALLOWED_EXTRA.get(module, set())
    assert imported_modules(GTO / f"{module}.py") & forbidden == set()


def test_only_the_adapter_imports_dulwich() -> None:
    importers = {
        str(p.relative_to(GTO)) for p in GTO.rglob("*.py") if "dulwich" in imported_modules(p)
    }
    assert {name.split("/")[0] for name in importers} == {"git"}


def test_no_module_runs_programs() -> None:
    for path in GTO.rglob("*.py"):
        assert "subprocess" not in imported_modules(path), path.name
        assert "os.system" not in path.read_text(), path.name


def test_help_imports_no_library() -> None:
    code = (
        "import sys\n"
        "from gto.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dulwich', 'yaml', 'tabulate') or m in ('gto.api', 'gto.git.repo')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_version_satisfies_dvc_and_sorts_above_upstream() -> None:
    """DVC 3.x requires gto>=1.6.0,<2; upstream's last release is 1.10.1."""
    version = tuple(int(part) for part in gto.__version__.split("."))
    assert (1, 6, 0) <= version < (2,)
    assert version > (1, 10, 1)
