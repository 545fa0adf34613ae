"""The `>>>` examples in the core modules' docstrings are run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "core.tags",
    "core.skips",
    "core.versions",
    "core.annotations",
    "core.yamlio",
    "core.config",
    "render.markdown",
    "core.ci_view",
    "cli.complete",
    "constants",
    "tag",
    "base",
    "core.dvcyaml",
    "api._query",
    "core.plan",
    "core.requests",
    "core.flags",
    "core.controls",
    "core.when",
    "core.asof",
    "core.diff",
    "core.promotion_rules",
    "core.promotion",
    "git.client",
    "git.objects",
    "git.refs",
    "git.identity",
    "git.signature",
    "trust.sshwire",
    "trust.sshkeys",
    "trust.sshsig",
    "trust.allowed_signers",
    "remote.urls",
    "remote.credentials",
    "settings",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"gto.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
    assert result.attempted > 0
