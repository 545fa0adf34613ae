"""`gto __complete`: what a shell should offer at the cursor.

The shell scripts (gto.cli.completion_scripts) stay small and call back into gto on each
TAB, so commands and options come from gto's own argparse parser and never drift,
and artifact names, versions and stages come from the registry in the current folder
(or `-r PATH`). Registry words are read from tag names and `artifacts.yaml` only: no
tag object is read, so a TAB stays quick on large registries. A remote `-r URL` is
never contacted.

The answer is a mode line (`words`, `files` or `dirs`: let the shell complete paths)
followed by the candidate words, one per line.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gto.exceptions import GTOException

# (kind, repo, artifact) -> words: `artifacts`, `versions`, `stages` or `tags` of a repository.
RegistryWords = Callable[[str, str, "str | None"], list[str]]

# Positionals (by metavar) and options (by dest) whose values come from the registry.
_POSITIONAL_WORDS = {"NAME": "artifacts", "VERSION": "versions", "STAGE": "stages"}
_OPTION_WORDS = {"stage": "stages"}
_PATH_OPTIONS = {"repo": "dirs", "path": "files"}
_SHORTCUT_COMMANDS = {"show", "describe"}
_BASH_SAFE = frozenset("_-+=:,./@#%^")


@dataclass
class _Line:
    """What the words before the cursor say: command, options given, positionals."""

    parser: argparse.ArgumentParser
    command: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    positionals: list[str] = field(default_factory=list)
    pending: argparse.Action | None = None
    lost: bool = False  # a word that is no command: offer nothing


def split_line(line: str) -> tuple[list[str], str]:
    """Words of a command line cut at the cursor, and the word being typed.

    >>> split_line("gto show 'ch")
    (['gto', 'show'], 'ch')
    >>> split_line("gto show ")
    (['gto', 'show'], '')
    """
    for closing in ("", '"', "'"):
        try:
            words = shlex.split(line + closing)
        except ValueError:
            continue
        if closing or not line or not line[-1].isspace():
            return words[:-1], words[-1] if words else ""
        return words, ""
    return line.split(), ""


def _subcommands(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise AssertionError("gto's parser has subcommands")


def _visible_commands(parser: argparse.ArgumentParser) -> list[str]:
    """Commands listed in --help, with their aliases; hidden helpers are left out."""
    sub = _subcommands(parser)
    shown = {sub.choices[a.dest] for a in sub._choices_actions}
    return sorted(name for name, command in sub.choices.items() if command in shown)


def _option(parser: argparse.ArgumentParser, name: str) -> argparse.Action | None:
    return parser._option_string_actions.get(name)


def _read(top: argparse.ArgumentParser, words: Sequence[str]) -> _Line:
    line = _Line(top)
    for word in words:
        if line.pending is not None:
            line.options[line.pending.dest] = word
            line.pending = None
        elif word.startswith("-") and word != "-":
            name, eq, value = word.partition("=")
            action = _option(line.parser, name)
            if action is not None and action.nargs != 0:
                if eq:
                    line.options[action.dest] = value
                else:
                    line.pending = action
        elif line.command is None:
            command = _subcommands(top).choices.get(word)
            if command is None:
                line.lost = True
                break
            line.command, line.parser = word, command
        else:
            line.positionals.append(word)
    return line


@dataclass(frozen=True)
class Completion:
    mode: str
    words: tuple[str, ...] = ()

    def text(self) -> str:
        return "\n".join((self.mode, *self.words))


def complete(
    top: argparse.ArgumentParser,
    words: Sequence[str],
    current: str,
    registry_words: RegistryWords,
) -> Completion:
    """Candidates for `current`, given the `words` after the program name."""
    line = _read(top, words)
    if line.lost:
        return Completion("words")
    repo = line.options.get("repo", ".")
    artifact = line.positionals[0] if line.positionals else None
    prefix = ""
    action = line.pending
    if action is None and current.startswith("--") and "=" in current:
        name, _, current = current.partition("=")
        action, prefix = _option(line.parser, name), f"{name}="
        if action is None:
            return Completion("words")
    if action is None and current.startswith("-"):
        options = [o for a in line.parser._actions for o in a.option_strings]
        return _matching(sorted(options), current)
    if action is None and line.command is None:
        return _matching(_visible_commands(top), current)
    if action is None:
        positionals = [a for a in line.parser._actions if not a.option_strings]
        if len(line.positionals) >= len(positionals):
            return Completion("words")
        action = positionals[len(line.positionals)]
        kind = _POSITIONAL_WORDS.get(str(action.metavar))
        if action.metavar == "REF" and line.command == "check-ref":
            kind = "tags"
        if kind == "artifacts" and line.command in _SHORTCUT_COMMANDS:
            kind = "shortcuts" if "@" in current or "#" in current else kind
    else:
        if action.dest in _PATH_OPTIONS:
            return Completion(_PATH_OPTIONS[action.dest])
        kind = _OPTION_WORDS.get(action.dest)
        if action.dest == "version" and line.command in ("assign", "promote"):
            kind = "versions"
    if action.choices is not None:
        return _matching([str(c) for c in action.choices], current, prefix)
    if kind is None:
        return Completion("words")
    if kind == "shortcuts":
        return _matching(_shortcuts(current, repo, registry_words), current)
    return _matching(registry_words(kind, repo, artifact), current, prefix)


def _shortcuts(current: str, repo: str, registry_words: RegistryWords) -> list[str]:
    """`NAME@latest`, `NAME@greatest`, `NAME@vX.Y.Z` or `NAME#STAGE`, once `@` or `#` is typed."""
    mark = "@" if "@" in current else "#"
    name = current.partition(mark)[0]
    if mark == "@":
        words = ["greatest", "latest", *registry_words("versions", repo, name)]
    else:
        words = registry_words("stages", repo, name)
    return [f"{name}{mark}{word}" for word in words]


def _matching(words: Sequence[str], current: str, prefix: str = "") -> Completion:
    return Completion("words", tuple(prefix + w for w in words if w.startswith(current)))


def _safe(lister: RegistryWords) -> RegistryWords:
    """A registry lister that offers nothing, instead of failing, outside a readable registry."""

    def words(kind: str, repo: str, artifact: str | None) -> list[str]:
        try:
            return lister(kind, repo, artifact)
        except GTOException:
            return []

    return words


def answer(top: argparse.ArgumentParser, args: Sequence[str], lister: RegistryWords) -> str:
    """The reply to `gto __complete SHELL ...`.

    bash passes its command line up to the cursor and its own current word: bash splits
    words at `=` and `:` too, so candidates lose what bash keeps as separate words.
    zsh and fish pass the words already split (program name first), then the current one.
    """
    shell, *rest = args or [""]
    bash_word = None
    if shell == "bash":
        words, current = split_line(rest[0] if rest else "")
        bash_word = rest[1] if len(rest) > 1 else None
    else:
        words, current = list(rest[:-1]), rest[-1] if rest else ""
    result = complete(top, words[1:], current, _safe(lister))
    if shell == "bash" and result.mode == "words":
        cut = len(current) - len(bash_word) if bash_word and current.endswith(bash_word) else 0
        result = Completion("words", tuple(_bash_escape(w[cut:]) for w in result.words))
    return result.text()


def _bash_escape(word: str) -> str:
    """bash inserts candidates as typed text: `!` (history) and other specials get a backslash.

    >>> print(_bash_escape("churn#prod!#2"))
    churn#prod\\!#2
    """
    return "".join(c if c.isalnum() or c in _BASH_SAFE else f"\\{c}" for c in word)
