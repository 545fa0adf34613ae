"""The command line: argparse only. `main(argv) -> int`, the one place where errors become text.

Each command module parses its options and calls gto.api; its text is printed here,
with control characters escaped. Imports of the library are lazy so that `gto --help`
starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from itertools import islice

from gto import __version__
from gto.cli import annotate, completion, diff, read, tools, write
from gto.cli.options import Formatter, Output, Parser, Subcommands, global_options
from gto.exceptions import GTOException
from gto.render.terminal import ProgressLine, emoji, error_line

__all__ = ["PROG", "build_parser", "main"]

PROG = "gto"

_OVERVIEW = """\
Git Tag Ops: an artifact registry in a Git repository, read and written without git.

Read the registry:
  show        Show the registry state, or the versions of one artifact
  history     Show the journal of events
  check-ref   Tell what a GTO tag means
  stages      List the stages
  describe    Print an artifact's annotation from artifacts.yaml
  diff        List what changed between two moments
  doctor      Check the configuration and the registry

Modify artifacts:
  register    Register a new version of an artifact
  assign      Assign a stage to a version (alias: promote)
  deprecate   Unassign a stage, deregister a version, or deprecate an artifact

Manage annotations (artifacts.yaml):
  annotate    Create or update an artifact's entry
  remove      Remove an artifact's entry

Shell:
  completion  Print a completion script for bash, zsh or fish

Hidden helpers: parse-tag, print-state, __complete (the completion scripts' callback).
"""

_EXAMPLES = """\
examples:
  gto show                          # the whole registry
  gto show churn#prod --ref         # the tag of the version in prod
  gto history churn
  gto check-ref "$GITHUB_REF" --json
  gto register churn --version v1.0.0
  gto assign churn --version v1.0.0 --stage prod
  gto COMMAND --help                # options and examples of a command
"""


def build_parser(command: str | None = None) -> Parser:
    """The parser of every command; with `command`, of that one alone, when it is one of
    them (a run parses one command, and building all fifteen costs it milliseconds)."""
    parser = Parser(
        prog=PROG,
        usage=f"{PROG} [-h] [--version] [-v] COMMAND [ARGS ...]",
        description=_OVERVIEW,
        epilog=_EXAMPLES,
        formatter_class=Formatter,
        # Otherwise `gto register m --ver v1.0.0` is taken as an ambiguous abbreviation
        # of the top-level --version/--verbose before the subcommand sees it.
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="version", version=f"{emoji('🪴 ')} GTO Version: {__version__}"
    )
    global_options(parser, default=False)
    sub = parser.add_subparsers(
        prog=PROG, metavar="COMMAND", parser_class=Parser, help=argparse.SUPPRESS
    )
    adders = [_COMMANDS[command]] if command in _COMMANDS else dict.fromkeys(_COMMANDS.values())
    for add in adders:
        add(sub)
    return parser


# Each command's parser builder, by the names it answers to, in the order of `--help`.
_COMMANDS: dict[str, Callable[[Subcommands], None]] = {
    "show": read.add_show,
    "history": read.add_history,
    "check-ref": read.add_check_ref,
    "stages": read.add_stages,
    "describe": read.add_describe,
    "diff": diff.add_diff,
    "doctor": tools.add_doctor,
    "register": write.add_register,
    "assign": write.add_assign,
    "promote": write.add_assign,
    "deprecate": write.add_deprecate,
    "annotate": annotate.add_annotate,
    "remove": annotate.add_remove,
    "completion": completion.add_completion,
    "parse-tag": tools.add_parse_tag,
    "print-state": tools.add_print_state,
}


def _command_word(words: Sequence[str]) -> str | None:
    """The command typed: the first word that is no option (the global ones take no value)."""
    return next((w for w in words if not w.startswith("-")), None)


# Lines written at once when a command's text comes line by line.
_BATCH = 2048
# What a shell reports for a program killed by SIGPIPE, as `git log | head` leaves git.
_EXIT_BROKEN_PIPE = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; GTO errors become one red line on stderr and exit 1.

    A reader that stops early (`gto history --json | head -1`) ends the command
    quietly, as it ends git: no traceback, exit code 141. Run as gto's own process
    (no `argv`), the command also runs without cyclic garbage collection and with big
    buffers given back at once; called from Python, the caller's process is untouched.
    """
    paused: contextlib.AbstractContextManager[None]
    if argv is None:  # the process is gto's own (`gto ...`, `python -m gto`)
        _unmap_big_buffers()
        paused = _collector_paused()
    else:  # a caller's process: its collector and allocator are left alone
        paused = contextlib.nullcontext()
    try:
        with paused:
            return _main(argv)
    except BrokenPipeError:
        _discard_stdout()
        return _EXIT_BROKEN_PIPE


# glibc's mallopt parameter M_MMAP_THRESHOLD, and the size from which blocks are mapped.
_M_MMAP_THRESHOLD, _MAPPED_FROM = -3, 128 * 1024


def _unmap_big_buffers() -> None:
    """Have glibc give big buffers back to the system as soon as they are freed.

    A command reads a few files of megabytes (packed-refs, the tag cache) and drops
    them. glibc maps such blocks, but raises its threshold to the size of the first one
    freed, so that the next ones come from its heap, where the small values made
    meanwhile keep them from being returned: a tenth of `gto show`'s memory at 50,000
    tags. Fixing the threshold keeps them mapped. Elsewhere (no glibc) nothing happens.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, _MAPPED_FROM)
    except (OSError, AttributeError):
        pass  # another C library


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the command runs: the process ends soon after.

    A registry makes hundreds of thousands of small values and few cycles: full
    collections over them took a third of `gto show` at 50,000 tags. What was made
    before it (the imports) is moved out of the collector's sight.
    """
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (tests capture it): nothing will be flushed to a pipe


def _main(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_word(words))
    if words[:1] == ["__complete"]:
        # The completion scripts' callback: hidden, and outside argparse, so that the
        # words it is handed (options included) are never parsed as its own options.
        print(completion.answer_completion(parser, words[1:]))
        return 0
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The command's own usage, not the top-level one (argparse would print that).
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    if hasattr(args, "repo"):
        from gto.api.commands import RepoSpec

        progress = ProgressLine(sys.stderr)  # the library reports, the CLI draws
        args.repo = RepoSpec(args.repo, cache=not args.no_cache, progress=progress)
    try:
        output: Output = args.run(args)
    except GTOException as exc:
        if args.traceback:
            raise
        print(error_line(exc.message, sys.stderr), file=sys.stderr)
        return 1
    output, code = output if isinstance(output, tuple) else (output, 0)
    if output is not None:
        _write(output)
    return code


def _write(text: str | Iterator[str]) -> None:
    """Print `text`, control characters escaped: repository content never drives the
    terminal. Lines (a long table, gto.render.text.column_lines, escaped there) are
    written in batches, so the table is never held whole."""
    if isinstance(text, str):
        from gto.render.text import terminal_safe

        print(terminal_safe(text))
    else:
        while batch := list(islice(text, _BATCH)):
            sys.stdout.write("\n".join(batch) + "\n")
    sys.stdout.flush()  # a closed pipe shows here, inside main, not at exit
