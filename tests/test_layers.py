"""The layers hold: checked by reading every module's imports and names.

git -> tags -> events -> state -> views -> text: gto.core is pure; gto.git alone talks
to dulwich; gto.remote decides, gto.git moves bytes; the CLI reaches the library only
through gto.api; the environment is read in gto.settings alone; no module needs a
POSIX-only (or Windows-only) module to import.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import gto

GTO = Path(__file__).resolve().parent.parent / "gto"
MODULES = sorted(GTO.rglob("*.py"))


def name_of(path: Path) -> str:
    parts = path.relative_to(GTO.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Dotted names of the modules `path` imports (relative imports resolved)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def tops(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def gto_imports(path: Path) -> set[str]:
    """The gto modules (and packages) `path` imports."""
    return {n for n in imports(path) if n.split(".")[0] == "gto" and _is_module(n)}


def _is_module(name: str) -> bool:
    base = GTO.parent.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def under(package: str) -> list[Path]:
    return [p for p in MODULES if name_of(p) == package or name_of(p).startswith(package + ".")]


@pytest.mark.parametrize("path", under("gto.core"), ids=name_of)
def test_the_core_is_pure(path: Path) -> None:
    """No git, no argparse or tabulate, no I/O, clock or environment; only core values."""
    forbidden = {"dulwich", "argparse", "tabulate", "subprocess", "os", "time", "socket", "io"}
    allowed = {"yaml"} if path.name == "yamlio.py" else set()
    assert tops(imports(path)) & (forbidden - allowed) == set()
    assert {
        n for n in gto_imports(path) if not n.startswith(("gto.core", "gto.exceptions"))
    } == set()
    clock = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}
    called = {
        (node.value.id, node.attr)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    assert called & clock == set(), "the caller hands in `now`"


def test_only_gto_git_imports_dulwich() -> None:
    importers = {name_of(p) for p in MODULES if "dulwich" in tops(imports(p))}
    assert importers and all(name.startswith("gto.git.") for name in importers)


@pytest.mark.parametrize(
    ("package", "not_below"),
    [
        ("gto.git", ("gto.remote", "gto.api", "gto.cli", "gto.session", "gto.render")),
        ("gto.remote", ("gto.api", "gto.cli", "gto.session", "gto.render")),
        ("gto.render", ("gto.git", "gto.remote", "gto.api", "gto.cli", "gto.session")),
        ("gto.trust", ("gto.remote", "gto.api", "gto.cli", "gto.session", "gto.render")),
    ],
)
def test_lower_layers_do_not_reach_up(package: str, not_below: tuple[str, ...]) -> None:
    for path in under(package):
        assert {n for n in gto_imports(path) if n.startswith(not_below)} == set(), path


def test_trust_reads_git_objects_only_through_the_signature_cut() -> None:
    """gto.trust parses keys and signatures itself; of gto.git it needs only where git cuts a
    tag object; and gto.git never needs gto.trust (a signer is a callback it is handed)."""
    for path in under("gto.trust"):
        assert {n for n in gto_imports(path) if n.startswith("gto.git")} <= {
            "gto.git",
            "gto.git.signature",
        }, path
    for path in under("gto.git"):
        assert {n for n in gto_imports(path) if n.startswith("gto.trust")} == set(), path


def test_only_sshcrypto_needs_cryptography_and_only_when_used() -> None:
    """The `sign` extra is optional: one module imports it, and nothing imports that module
    before a signature is made or an SSH signature checked."""
    importers = {name_of(p) for p in MODULES if "cryptography" in tops(imports(p))}
    assert importers == {"gto.trust.sshcrypto"}
    for path in MODULES:
        assert "gto.trust.sshcrypto" not in imports(path, top_level_only=True), path


def test_the_cli_uses_the_library_through_gto_api_only() -> None:
    allowed = ("gto.api", "gto.render", "gto.exceptions", "gto.cli")
    for path in under("gto.cli"):
        used = {n for n in gto_imports(path) if n != "gto"}
        assert {n for n in used if not n.startswith(allowed)} == set(), path
        assert "gto.api._" not in str(used), path  # nothing private of the API either


def test_nothing_reaches_past_the_git_facade() -> None:
    """Outside gto.git no code touches a GitRepo's dulwich handle (there is no other way in)."""
    for path in MODULES:
        if name_of(path).startswith("gto.git"):
            continue
        attributes = {
            node.attr
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)
        }
        assert not attributes & {"dulwich", "dulwich_repo"}, path


def test_the_environment_is_read_in_one_module() -> None:
    readers = set()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("environ", "environb", "getenv", "putenv")
                and isinstance(node.value, ast.Name)
                and node.value.id == "os"
            ):
                readers.add(name_of(path))
        assert "from os import environ" not in path.read_text()
    assert readers == {"gto.settings"}


def test_the_library_never_prints() -> None:
    """Only the CLI writes to the terminal; the library returns data and reports progress
    through the callback the CLI passes in."""
    for path in MODULES:
        if name_of(path).startswith("gto.cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            assert not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "print")
            assert not (
                isinstance(node, ast.Attribute)
                and node.attr in ("stdout", "stderr")
                and getattr(node.value, "id", "") == "sys"
            ), path


PLATFORM_ONLY = {"fcntl", "termios", "pwd", "grp", "resource", "msvcrt", "winreg", "_winapi"}


@pytest.mark.parametrize("path", MODULES, ids=name_of)
def test_no_platform_only_module_is_imported_unconditionally(path: Path) -> None:
    assert tops(imports(path, top_level_only=True)) & PLATFORM_ONLY == set()


def test_no_module_runs_programs() -> None:
    for path in MODULES:
        assert "subprocess" not in tops(imports(path)), path
        assert "os.system" not in path.read_text(), path


def test_modules_stay_small() -> None:
    """A module's name says its one job: none grows past about 400 lines."""
    sizes = {name_of(p): len(p.read_text().splitlines()) for p in MODULES}
    assert {name: size for name, size in sizes.items() if size > 400} == {}


def test_help_imports_no_library() -> None:
    code = (
        "import sys\n"
        "from gto.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dulwich', 'yaml', 'tabulate') or m.startswith(('gto.api', 'gto.git', 'gto.remote'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_reading_loads_no_writing_half(fixture_repo: Callable[[str], Path]) -> None:
    """`gto show` on an ordinary repository imports neither dulwich nor gto's writers."""
    code = (
        "import contextlib, io, sys\n"
        "from gto.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['show', '-r', sys.argv[1]]) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dulwich' or m in "
        "('gto.git.write', 'gto.git.transaction', 'gto.git.worktree', 'gto.remote.source')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(fixture_repo("demo"))],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "[]\n"


def test_version_satisfies_dvc_and_sorts_above_upstream() -> None:
    """DVC 3.x requires gto>=1.6.0,<2; upstream's last release is 1.10.1."""
    version = tuple(int(part) for part in gto.__version__.split("."))
    assert (1, 6, 0) <= version < (2,)
    assert version > (1, 10, 1)


def test_test_modules_import_no_test_module_of_another_folder() -> None:
    """`pytest tests/remote` alone must collect: pytest puts a test folder on sys.path only
    once it collects it, so helpers shared across folders live in tests/*.py modules."""
    tests = Path(__file__).resolve().parent
    crossing = {
        str(path.relative_to(tests)): sorted(
            name
            for name in imports(path)
            if name.startswith("test_") and not path.with_name(name.split(".")[0] + ".py").is_file()
        )
        for path in sorted(tests.rglob("test_*.py"))
    }
    assert {path: names for path, names in crossing.items() if names} == {}
