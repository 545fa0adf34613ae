"""Characters a terminal obeys rather than shows, and text with them escaped.

Tag names, annotations and messages come from whoever can push: an escape sequence in
one could rewrite the screen, or a title, when printed. Renderers escape them
(gto.render), and a remote's cache refuses ref names that hold them (gto.remote.cache).
"""

from __future__ import annotations

import re

__all__ = ["terminal_safe"]

# What a terminal obeys rather than shows: C0 controls but the line break, DEL, C1
# controls, line and paragraph separators, and the bidirectional overrides that make
# text read differently from how it is stored ("Trojan Source").
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    r"""`text` with control characters escaped (line breaks stay).

    >>> terminal_safe("churn\x1b[2J\u202eprod\n")
    'churn\\x1b[2J\\u202eprod\n'
    """
    return _CONTROL.sub(lambda m: m[0].encode("unicode_escape").decode("ascii"), text)
