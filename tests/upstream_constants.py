"""Upstream GTO's public patterns in `gto.constants`, probed on sample inputs.

`probe(module)` runs each pattern of a `gto.constants` module on every sample and
returns what it matched, as JSON-ready values. Run under upstream GTO 1.10.1 it
recorded `api/upstream/gto_1_10_1_constants.json`:

    /path/to/upstream-venv/bin/python tests/upstream_constants.py \
        > tests/api/upstream/gto_1_10_1_constants.json

`tests/api/test_upstream_modules.py` runs it on gto's module and compares. Only
behaviour is recorded (match or not, span, named groups), never the patterns' text.
"""

from __future__ import annotations

import json
import re
import sys
from types import ModuleType
from typing import Any

NAMES = [
    "a", "ab", "A1", "1", "a-b", "a_b", "a/b", "a--b", "a//b", "a/_-b", "-a", "a-", "_a",
    "a_", "/a", "a/", "a b", "a.b", "a:b", "a=b", "a@b", "a#b", "a!", "é", "aé", "", " ",
    "x" * 300,
]  # fmt: skip
FULLNAMES = [
    "dir:a", "d/e:a", "./d:a", "../d:a", "d.e:a", "d-_/.x:a", ":a", "d:", "d:e:a", "d=a",
    "d::a", "d-:a", "d :a", "d/e=a", "dir:-a", ".:a", "/:a",
]  # fmt: skip
VERSIONS = [
    "1.0.0", "0.0.1", "10.20.30", "01.0.0", "1.01.0", "1.0", "1.0.0.0", "1.0.0-rc.1",
    "1.0.0-0", "1.0.0-01", "1.0.0-0a", "1.0.0-a-b.c", "1.0.0-", "1.0.0+b.5", "1.0.0+",
    "1.0.0-rc.1+b.5", "1.0.0-rc..1", "v1.0.0", "1.0.0x", "x1.0.0",
]  # fmt: skip
TAGS = [
    "m@v1.0.0", "m@v1.0.0!", "m#prod#1", "m#prod!#2", "m#prod", "m#prod!", "m@deprecated",
    "m@created", "d=m@v1.0.0", "d/e.f=m#prod#3", "m@v1.0.0#1", "m@v1.0.0!#4", "m@1.0.0",
    "m@v1.0", "m@v01.0.0", "m@v1.0.0-rc.1+b.5", "m@deprecated!", "m@deprecated#3",
    "m@created#1", "m#prod#", "m#prod#x", "m#-prod#1", "m##1", "m@v1.0.0!!", "d:m@v1.0.0",
    "m@latest", "m@greatest", "m#prod#01", "m#prod#0", "=m@v1.0.0", "d==m@v1.0.0",
    "m#a/b#1", "m@", "m#", "m", "@v1.0.0", "m@v1.0.0 ", "m#prod#1#2",
]  # fmt: skip
SHORTCUTS = [
    "m@latest", "m@greatest", "m@v1.0.0", "m#prod", "d:m#prod", "d/e:m@latest", "d=m#prod",
    "m@v1", "m#prod#1", "m@latest!", "m@Latest", "m@v1.0.0!", "m#prod!",
]  # fmt: skip
HEXSHAS = [
    "0123456789abcdef0123456789abcdef01234567", "0123456789ABCDEF0123456789ABCDEF01234567",
    "0123456789abcdef0123456789abcdef0123456", "0123456789abcdef0123456789abcdef012345678",
    "0123456789abcdef0123456789abcdef0123456g", "0123456789abcdef" * 4, "0123456", "",
    "0123456789abcdef0123456789abcdef01234567 ",
]  # fmt: skip
COUNTERS = ["1", "0", "01", "12", "", "x", "1x", "-1"]
# Digits other than 0-9: `\d` takes them, `[0-9]` does not (U+0661 is an Arabic-Indic one).
OTHER_DIGITS = [
    "\u0661", "\u0661.0.0", "m@v\u0661.0.0", "m#prod#\u0661", "1\u0661.0.0", "m@v1\u0661.0.0",
    "1.0.0-1\u0661", "1.0.0-a\u0661", "1.0.0+\u0661",
]  # fmt: skip
# The samples every pattern is tried on; a trailing newline is tried separately
# (gto's patterns end with `\Z`, upstream's with `$`: README, deliberate differences).
SAMPLES = sorted(
    {*NAMES, *FULLNAMES, *VERSIONS, *TAGS, *SHORTCUTS, *HEXSHAS, *COUNTERS, *OTHER_DIGITS}
)
WITH_NEWLINE = [s + "\n" for s in ("a", "dir:a", "1.0.0", "m@v1.0.0", "m#prod", "1", HEXSHAS[0])]

COMPILED = [
    "name_re",
    "fullname_re",
    "tag_re",
    "shortcut_re",
    "git_hexsha_re",
    "fullname_in_tag_re",
]
FRAGMENTS = ["name", "dirname", "fullname", "semver", "fullname_in_tag"]


def _found(match: re.Match[str] | None) -> Any:
    if match is None:
        return None
    return {"span": list(match.span()), "groups": match.groupdict()}


def probe(constants: ModuleType, samples: list[str]) -> dict[str, Any]:
    """Each pattern of `constants` on each sample: compiled ones with `.match`, the
    string fragments with `re.fullmatch` and `re.match`, `counter` inside `(...)`."""
    result: dict[str, Any] = {}
    for attr in COMPILED:
        pattern = getattr(constants, attr)
        result[attr] = {
            "group_names": sorted(pattern.groupindex),
            "match": {s: _found(pattern.match(s)) for s in samples},
        }
    for attr in FRAGMENTS:
        fragment = getattr(constants, attr)
        result[attr] = {
            "group_names": sorted(re.compile(fragment).groupindex),
            "fullmatch": {s: _found(re.fullmatch(fragment, s)) for s in samples},
            "match": {s: _found(re.match(fragment, s)) for s in samples},
        }
    counter = re.compile(f"({constants.counter})")
    result["counter"] = {
        "group_names": sorted(counter.groupindex),
        "fullmatch": {s: _found(counter.fullmatch(s)) for s in samples},
    }
    result["check_string_is_valid"] = {s: constants.check_string_is_valid(s) for s in samples}
    result["check_string_is_valid(tag_re)"] = {
        s: constants.check_string_is_valid(s, regex=constants.tag_re) for s in samples
    }
    return result


if __name__ == "__main__":
    import gto.constants

    recorded = {
        "samples": probe(gto.constants, SAMPLES),
        "with_newline": probe(gto.constants, WITH_NEWLINE),
    }
    json.dump(recorded, sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")
