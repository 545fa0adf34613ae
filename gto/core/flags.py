"""The one rule for yes/no words, wherever they come from (`.gto`, GTO_EMOJIS, GTO_NO_CACHE)."""

from __future__ import annotations

__all__ = ["FALSE", "TRUE", "parse_flag"]

TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
FALSE = frozenset({"0", "off", "f", "false", "n", "no"})


def parse_flag(text: str) -> bool | None:
    """True or False for the usual words (any case, spaces around ignored); None otherwise.

    >>> parse_flag(" Yes"), parse_flag("n"), parse_flag("maybe")
    (True, False, None)
    """
    word = text.strip().lower()
    if word in TRUE:
        return True
    return False if word in FALSE else None
