"""gto/core: pure (no I/O, clock, environment, dulwich), and its `>>>` examples run as tests."""

from __future__ import annotations

import ast
import doctest
import importlib
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "gto" / "core"
MODULES = sorted(p.stem for p in CORE.glob("*.py") if p.stem != "__init__")
# Modules that reach outside the process, and the names that read the clock or environment.
FORBIDDEN_MODULES = {"dulwich", "subprocess", "os", "sys", "time", "socket", "pathlib", "shutil"}
FORBIDDEN_CALLS = {
    ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today"),
}  # fmt: skip
FORBIDDEN_NAMES = {"open", "print", "input", "__import__"}


def test_the_core_has_its_modules() -> None:
    assert MODULES == ["asof", "diff", "promotion", "promotion_rules", "when"]


@pytest.mark.parametrize("name", MODULES)
def test_pure(name: str) -> None:
    tree = ast.parse((CORE / f"{name}.py").read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0] for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }  # fmt: skip
    attributes = {
        (node.value.id, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    }
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
    assert imported & FORBIDDEN_MODULES == set()
    assert attributes & FORBIDDEN_CALLS == set()
    assert names & FORBIDDEN_NAMES == set()


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(f"gto.core.{name}"))
    assert (result.failed, result.attempted > 0) == (0, True)
