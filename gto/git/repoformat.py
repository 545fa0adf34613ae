"""What a repository's format asks of its readers: git's `core.repositoryformatversion` rules.

A repository says in its config which object format (`extensions.objectFormat`: SHA-1
or SHA-256) and which ref store (`extensions.refStorage`: files or reftable) it uses,
and which other extensions a reader must understand. git refuses a repository with an
extension it does not know; so does gto, in one line naming it, for every command:
reading such a repository as if it were an ordinary one could give a wrong answer.

The config is read here without dulwich (reads never import it), by git's syntax:
sections, subsections, quoted values, escapes, comments, continuation lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from gto.exceptions import RepoError

__all__ = [
    "FORMATS",
    "REF_STORES",
    "RepoFormat",
    "UnsupportedRepo",
    "parse_config",
    "read_config",
    "repo_format",
]

# Object formats and ref stores gto reads and writes.
FORMATS = {"sha1": 40, "sha256": 64}
REF_STORES = ("files", "reftable")
# Extensions git honours in a format-0 repository too (git's setup.c), and those that
# only format 1 allows; any other in format 1 is unknown (format 0 ignores it, as git does).
_V0_EXTENSIONS = {"noop", "preciousobjects", "partialclone", "worktreeconfig"}
_V1_EXTENSIONS = {
    "noop-v1",
    "objectformat",
    "compatobjectformat",
    "refstorage",
    "relativeworktrees",
}

_SECTION = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\\n]|\\.)*)")?\s*\]')
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9-]*)\s*(=?)")
_ESCAPES = {"n": "\n", "t": "\t", "b": "\b", "\\": "\\", '"': '"'}
_TRUE = {"true", "yes", "on", "1"}


class UnsupportedRepo(RepoError):
    """A repository gto cannot read correctly (or, `writing`, cannot write correctly)."""

    def __init__(self, path: str, what: str, *, writing: bool = False) -> None:
        verb = "write to" if writing else "read"
        super().__init__(f"Cannot {verb} the Git repo in '{path}': {what}")


@dataclass(frozen=True)
class RepoFormat:
    """The parts of the repository format that decide how gto reads and writes it."""

    object_format: str = "sha1"
    ref_storage: str = "files"
    worktree_config: bool = False  # config.worktree counts too (extensions.worktreeConfig)
    read_only: str | None = None  # why writes are refused (they would break the repository)

    @property
    def id_length(self) -> int:
        """Hex characters of an object id: 40 (SHA-1) or 64 (SHA-256)."""
        return FORMATS[self.object_format]


def _value(text: str, line_number: int, path: str) -> tuple[str, bool]:
    """A value's text (quotes and escapes resolved, comment dropped); True if it continues."""
    out: list[str] = []
    quoted = False
    pending = ""  # unquoted whitespace, kept only if more text follows
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            if i + 1 == len(text):
                out.append(pending)
                return "".join(out), True
            escaped = _ESCAPES.get(text[i + 1])
            if escaped is None:
                raise ValueError(f"bad config line {line_number} in '{path}'")
            out.append(pending + escaped)
            pending = ""
            i += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "#;":
            break
        elif not quoted and char.isspace():
            pending += char if out else ""
        else:
            out.append(pending + char)
            pending = ""
        i += 1
    if quoted:
        raise ValueError(f"bad config line {line_number} in '{path}'")
    return "".join(out), False


def parse_config(text: str, path: str = "config") -> dict[str, list[str]]:
    """A git config file -> `section.key` or `section.subsection.key` -> its values.

    Section and key names are lowercased (git's names are case-insensitive), subsections
    kept as written; a key alone on its line is `true`.

    Raises:
        ValueError: a line git would refuse (`bad config line 3 in 'path'`).

    >>> parse_config('[core]\\n\\tbare = false ; a comment\\n[remote "o"]\\nurl = "a b"\\n')
    {'core.bare': ['false'], 'remote.o.url': ['a b']}
    """
    values: dict[str, list[str]] = {}
    section: str | None = None
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number].strip()
        number += 1
        header = _SECTION.match(line)
        if header is not None:
            name = header[1].lower()
            if header[2] is not None:  # else `[section.subsection]`, git's old form
                name += "." + re.sub(r"\\(.)", r"\1", header[2])
            section, line = name, line[header.end() :].strip()
        if not line or line[0] in "#;":
            continue
        key = _KEY.match(line)
        if section is None or key is None or (key.end() < len(line) and not key[2]):
            raise ValueError(f"bad config line {number} in '{path}'")
        if not key[2]:
            raw, more = "true", False
        else:
            raw, more = _value(line[key.end() :], number, path)
            while more and number < len(lines):
                number += 1
                rest, more = _value(lines[number - 1], number, path)
                raw += rest
        values.setdefault(f"{section}.{key[1].lower()}", []).append(raw)
    return values


def read_config(path: str) -> dict[str, list[str]]:
    """`parse_config` of the file at `path`; empty when there is none.

    Raises:
        ValueError: a line git would refuse.
        RepoError: the file cannot be read.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8", "surrogateescape")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as e:
        raise RepoError(f"Cannot read the Git repo's config '{path}': {e.strerror or e}") from e
    return parse_config(text, path)


def _last(config: dict[str, list[str]], key: str) -> str | None:
    found = config.get(key)
    return found[-1] if found else None


def repo_format(config: dict[str, list[str]], path: str) -> RepoFormat:
    """The format the repository's config declares, if gto can read it.

    Raises:
        UnsupportedRepo: a format version above 1, an extension gto does not know (or
            one that format 0 does not allow), an object format or ref store gto does
            not support.
    """
    version_text = _last(config, "core.repositoryformatversion") or "0"
    try:
        version = int(version_text)
    except ValueError:
        raise UnsupportedRepo(
            path, f"core.repositoryformatversion = {version_text} is not a number"
        ) from None
    if version not in (0, 1):
        raise UnsupportedRepo(
            path, f"repository format version {version} is not supported (only 0 and 1 are)"
        )
    extensions = {
        key.partition(".")[2]: values[-1]
        for key, values in config.items()
        if key.startswith("extensions.") and key.count(".") == 1
    }
    for name in sorted(extensions):
        if name in _V0_EXTENSIONS:
            continue
        if name not in _V1_EXTENSIONS:
            if version == 1:
                raise UnsupportedRepo(path, f"the extension extensions.{name} is not supported")
        elif version == 0:
            raise UnsupportedRepo(
                path,
                f"extensions.{name} needs core.repositoryformatversion = 1, and it is 0 "
                "(git refuses such a repository too)",
            )
    worktree_config = (extensions.get("worktreeconfig") or "").lower() in _TRUE
    if version == 0:
        return RepoFormat(worktree_config=worktree_config)
    object_format = extensions.get("objectformat", "sha1").lower()
    if object_format not in FORMATS:
        raise UnsupportedRepo(
            path, f"the object format {object_format} is not supported (only sha1 and sha256 are)"
        )
    ref_storage = extensions.get("refstorage", "files").lower()
    if ref_storage not in REF_STORES:
        raise UnsupportedRepo(
            path, f"the ref storage {ref_storage} is not supported (only files and reftable are)"
        )
    compat = extensions.get("compatobjectformat")
    read_only = None
    if compat is not None:
        read_only = (
            f"extensions.compatObjectFormat = {compat} is not supported for writing: git keeps "
            f"a {compat} name for every new object, and gto cannot"
        )
    return RepoFormat(object_format, ref_storage, worktree_config, read_only)
