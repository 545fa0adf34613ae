"""Read `$GITHUB_OUTPUT` as the Actions runner reads it, and tame its random delimiters.

The runner takes a line as `key=value` when its first `=` comes before any `<<`, else
as `key<<DELIMITER`, followed by the value's lines up to a line equal to DELIMITER.
"""

from __future__ import annotations

import re

DELIMITER = re.compile(r"GTO_EOF_[0-9a-f]{32}")


def parse_outputs(text: str) -> dict[str, str]:
    """key -> value, exactly as a runner would set the step outputs (last one wins)."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    outputs: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        equals, heredoc = line.find("="), line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            outputs[line[:equals]] = line[equals + 1 :]
            index += 1
            continue
        assert heredoc > 0, f"not an output line: {line!r}"
        key, marker = line[:heredoc], line[heredoc + 2 :]
        end = lines.index(marker, index + 1)  # ValueError: an unterminated value
        outputs[key] = "\n".join(lines[index + 1 : end])
        index = end + 1
    return outputs


def normalise_delimiters(text: str) -> str:
    """Random delimiters -> GTO_EOF_<1>, <2>, ... in order of first appearance."""
    seen: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"GTO_EOF_<{len(seen) + 1}>")

    return DELIMITER.sub(name, text)
