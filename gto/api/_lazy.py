"""Names of a module imported when first used (PEP 562), so that `gto show` loads only
what it runs: the writers, doctor's checks, the other queries stay unread."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(
    module: str, sources: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `module`, whose names listed in `sources` (source
    module -> space-separated names) are imported from there when first used, then kept."""
    namespace = vars(sys.modules[module])
    where = {name: source for source, names in sources.items() for name in names.split()}

    def __getattr__(name: str) -> Any:
        source = where.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = namespace[name] = getattr(import_module(source), name)
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *where})

    return __getattr__, __dir__
