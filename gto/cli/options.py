"""What every command shares: the parser classes, the common options, table output.

Each command module (gto.cli.read, write, annotate, tools, completion) adds its
commands with `command`; a command's `run` returns the text to print (gto.cli.app
prints it).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from gto.exceptions import WrongArgs

if TYPE_CHECKING:
    from gto.api import Verify

__all__ = [
    "Formatter",
    "Output",
    "Parser",
    "Subcommands",
    "Text",
    "as_of_option",
    "command",
    "commits_options",
    "format_option",
    "global_options",
    "one_of",
    "output_format",
    "render_rows",
    "repo_option",
    "stage_options",
    "verification",
    "verify_options",
]

# What a command returns: text to print (or None; or a table's lines, already escaped for
# the terminal by gto.render.text, so that a long table is written as it is made),
# optionally with a non-zero exit code.
Text = str | Iterator[str] | None
Output = Text | tuple[Text, int]


class Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, as argparse does, but never a traceback.

    A command's positionals may come after its options (`gto register m --version v1.0.0
    HEAD~1`), as upstream takes them: argparse's intermixed parsing, for every parser but
    the top-level one (whose subcommand is a positional that takes all the words after it).
    Words after `--` are positionals, parsed the plain way (Python 3.11's intermixed
    parsing loses them: `register -- -a`).
    """

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        plain = self._subparsers is not None or args is None or "--" in args
        if self._intermixing or plain:
            return super().parse_known_args(args, namespace)
        self._intermixing = True  # the intermixed parse calls back in here (Python < 3.12)
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


# What `add_subparsers` returns: each command module adds its commands to it.
Subcommands: TypeAlias = "argparse._SubParsersAction[Parser]"


class Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def command(
    sub: Subcommands,
    name: str,
    summary: str,
    examples: str,
    run: Callable[[argparse.Namespace], Output],
    *,
    aliases: Sequence[str] = (),
    hidden: bool = False,
) -> Parser:
    # `help=` marks a command as listed (shell completion offers it); `gto --help` prints
    # the grouped list of gto.cli.app instead of argparse's, so each command shows once.
    kwargs: dict[str, Any] = {} if hidden else {"help": summary}
    parser = sub.add_parser(
        name,
        aliases=list(aliases),
        description=summary,
        epilog="examples:\n" + examples,
        formatter_class=Formatter,
        **kwargs,
    )
    parser.set_defaults(run=run, parser=parser)
    global_options(parser, default=argparse.SUPPRESS)
    return parser


def global_options(parser: argparse.ArgumentParser, default: Any) -> None:
    """-v and --traceback, before or after the command (`gto -v show`, `gto show -v`).

    After the command they default to SUPPRESS, so that they never reset a value
    given before it.
    """
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="more logging"
    )
    parser.add_argument(
        "--traceback", "--tb", action="store_true", default=default, help=argparse.SUPPRESS
    )


def repo_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-r",
        "--repo",
        default=".",
        metavar="PATH|URL",
        help="repository path, or the URL of a remote repository (https://, git://, ssh://, "
        "file://, user@host:path), read through a cache [default: .]",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="use no cache: parse every tag object anew, and fetch a URL into a temporary "
        "folder (also GTO_NO_CACHE=1)",
    )


def commits_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-a",
        "--all-branches",
        action="store_true",
        help="read artifacts.yaml from the heads of all local branches, not only HEAD",
    )
    parser.add_argument(
        "-A",
        "--all-commits",
        action="store_true",
        help="read artifacts.yaml from every commit on local branches",
    )


def stage_options(parser: argparse.ArgumentParser) -> None:
    """How stage holders are counted (`show`, `diff`)."""
    parser.add_argument(
        "--av",
        "--assignments-per-version",
        dest="assignments_per_version",
        type=int,
        default=-1,
        metavar="N",
        help="stages kept per version (the oldest N), -1 for all [default: -1]",
    )
    parser.add_argument(
        "--vs",
        "--versions-per-stage",
        dest="versions_per_stage",
        type=int,
        default=1,
        metavar="N",
        help="versions shown per stage, -1 for all [default: 1]",
    )
    parser.add_argument(
        "--sort",
        choices=["timestamp", "semver"],
        default="timestamp",
        help="which version wins a stage: the latest assignment or the greatest "
        "version [default: timestamp]",
    )


def as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        metavar="WHEN",
        help="as it was at WHEN: a date or time (2024-03-03, 2024-03-03T10:00:00+02:00, "
        "@1709452800, '2 weeks ago': any form `git log --until` reads) or a ref (its "
        "commit's time)",
    )


def verify_options(parser: argparse.ArgumentParser, *, flag: bool = True) -> None:
    """`--verify` (unless the command always verifies), and where trust is read from."""
    if flag:
        parser.add_argument(
            "--verify",
            action="store_true",
            help="check each tag's signature against the allowed signers (needs pip install "
            "'gto[sign]' for SSH signatures)",
        )
    parser.add_argument(
        "--rules-ref",
        metavar="REF",
        help="read .gto's promotion rules and signer files from REF [default: origin/HEAD if "
        "present, else HEAD]",
    )
    parser.add_argument(
        "--allowed-signers",
        metavar="PATH",
        help="allowed signers file (git's format) [default: GTO_ALLOWED_SIGNERS, .gto's "
        "allowed_signers, git's gpg.ssh.allowedSignersFile]",
    )


def verification(args: argparse.Namespace) -> Verify | Literal[False]:
    """Where `--verify` reads trust from (`--rules-ref`, `--allowed-signers`); False without
    `--verify` (a command without the flag, like doctor, always reads them).

    Raises:
        WrongArgs: `--rules-ref` or `--allowed-signers` without `--verify`: they would do nothing.
    """
    from gto.api import Verify

    if not getattr(args, "verify", True):
        if args.rules_ref is not None or args.allowed_signers is not None:
            raise WrongArgs("--rules-ref and --allowed-signers take effect with --verify only")
        return False
    return Verify(args.rules_ref, args.allowed_signers)


def one_of(args: argparse.Namespace, names: Sequence[str], message: str) -> str | None:
    chosen = [n for n in names if getattr(args, n)]
    if len(chosen) > 1:
        raise WrongArgs(message)
    return chosen[0] if chosen else None


def format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=["table", "plain", "json", "markdown"],
        help="output format; markdown: a table for job summaries and pull-request comments",
    )


def output_format(args: argparse.Namespace, flags: Sequence[str]) -> str | None:
    """The one output flag given, `--format X` counting as `--X`; None for the table."""
    chosen = [name for name in flags if getattr(args, name)]
    if args.format is not None and args.format != "table":
        chosen.append(args.format)
    if len(set(chosen)) > 1 or (chosen and args.format == "table"):
        raise WrongArgs("Only one output format allowed")
    return chosen[0] if chosen else None


def render_rows(rows: Sequence[Mapping[str, Any]], output: str | None) -> Text:
    from gto.render.text import NOTHING_FOUND, table_lines

    if output == "markdown":
        from gto.render.markdown import render_markdown_table

        return render_markdown_table(rows) if rows else NOTHING_FOUND
    return table_lines(rows, plain=output == "plain")
