"""`gto completion SHELL` prints a script; the script calls `gto __complete` on each TAB.

The candidates come from gto's own parser (gto.cli.complete) and, for names,
versions and stages, from the registry (gto.api.commands.registry_words).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from gto.cli.options import Subcommands, command

__all__ = ["add_completion", "answer_completion"]


def _run_completion(args: argparse.Namespace) -> str:
    from gto.cli.completion_scripts import completion_script

    return completion_script(args.shell)


def add_completion(sub: Subcommands) -> None:
    p = command(
        sub,
        "completion",
        "Print a shell completion script: commands, options, and the artifact names, "
        "versions and stages of the registry in the current folder (or -r PATH).",
        "  source <(gto completion bash)      # in ~/.bashrc\n"
        "  source <(gto completion zsh)       # in ~/.zshrc, after compinit\n"
        "  gto completion fish > ~/.config/fish/completions/gto.fish",
        _run_completion,
    )
    p.add_argument(
        "shell", choices=["bash", "zsh", "fish"], metavar="SHELL", help="bash, zsh or fish"
    )


def answer_completion(parser: argparse.ArgumentParser, words: Sequence[str]) -> str:
    """What `gto __complete ...` prints: a mode line, then the candidates."""
    from gto.api.commands import registry_words
    from gto.cli.complete import answer
    from gto.render.text import terminal_safe

    return terminal_safe(answer(parser, words, registry_words))
