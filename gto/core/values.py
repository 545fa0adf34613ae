"""Building frozen dataclasses fast, for the few places that make one per tag.

A frozen dataclass's `__init__` sets each field through `object.__setattr__`,
which costs about four times a plain object's; at 50,000 tags that was a tenth
of `gto show`. The values stay frozen: only their construction is shortcut.
"""

from __future__ import annotations

from typing import Any, TypeVar

_T = TypeVar("_T")


def build(cls: type[_T], **fields: Any) -> _T:
    """An instance of the frozen dataclass `cls` with exactly `fields` (every field given).

    >>> from gto.core.tags import ParsedTag, Action
    >>> build(ParsedTag, artifact="m", action=Action.DEPRECATE, version=None, stage=None,
    ...       counter=None) == ParsedTag("m", Action.DEPRECATE)
    True
    """
    value = object.__new__(cls)
    value.__dict__.update(fields)
    return value
