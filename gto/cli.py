"""The command line: argparse only. Each command parses, calls gto.api, and prints.

Imports of the library are lazy so that `gto --help` starts fast.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from gto import __version__
from gto.exceptions import GTOException, WrongArgs

PROG = "gto"


# What a command returns: text to print (or None), optionally with a non-zero exit code.
Output = str | None | tuple[str | None, int]


# The environment decides how text looks; this is the one place that reads it for that.
_FALSE = frozenset({"false", "f", "no", "n", "off", "0"})  # upstream's spellings of "off"


def _emoji(symbol: str) -> str:
    """Emojis are on unless GTO_EMOJIS says otherwise (env only, like upstream)."""
    value = next((v for k, v in os.environ.items() if k.upper() == "GTO_EMOJIS"), "true")
    return "" if value.strip().lower() in _FALSE else symbol


def _colour(stream: TextIO) -> bool:
    """Colour only on a terminal, by the no-color.org and force-color.org conventions.

    NO_COLOR (any non-empty value) turns it off, then FORCE_COLOR (non-empty) turns it
    on even into a pipe, then TERM=dumb turns it off (the order Python 3.13 uses).
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


# Progress appears only for transfers that take longer than this (seconds).
PROGRESS_DELAY = 1.0


class _Progress:
    """Transfer progress on stderr: only on a terminal, and only once a transfer takes a while."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream if stream.isatty() else None
        self._start: float | None = None
        self._shown = False

    def __call__(self, transfer: Any) -> None:
        if self._stream is None:
            return
        if transfer.text is None:  # the transfer is over
            if self._shown:
                self._stream.write("\n")
                self._stream.flush()
            self._start, self._shown = None, False
            return
        if self._start is None:
            self._start = time.monotonic()
        if time.monotonic() - self._start < PROGRESS_DELAY:
            return
        from gto.render import terminal_safe

        self._stream.write(f"\r\033[KFetching {transfer.url}: {terminal_safe(transfer.text)}")
        self._stream.flush()
        self._shown = True


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with one line, as argparse does, but never a traceback."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=32)


def _command(
    sub: argparse._SubParsersAction[_Parser],
    name: str,
    summary: str,
    examples: str,
    run: Callable[[argparse.Namespace], Output],
    *,
    aliases: Sequence[str] = (),
    hidden: bool = False,
) -> _Parser:
    # `help=` marks a command as listed (shell completion offers it); `gto --help` prints
    # the grouped list in _OVERVIEW instead of argparse's, so each command shows once.
    kwargs: dict[str, Any] = {} if hidden else {"help": summary}
    parser = sub.add_parser(
        name,
        aliases=list(aliases),
        description=summary,
        epilog="examples:\n" + examples,
        formatter_class=_Formatter,
        **kwargs,
    )
    parser.set_defaults(run=run, parser=parser)
    _global_options(parser, default=argparse.SUPPRESS)
    return parser


def _global_options(parser: argparse.ArgumentParser, default: Any) -> None:
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


def _repo_option(parser: argparse.ArgumentParser) -> None:
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
        help="with a URL: fetch into a temporary folder, not the cache (also GTO_NO_CACHE=1)",
    )


def _commits_options(parser: argparse.ArgumentParser) -> None:
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


def _one_of(args: argparse.Namespace, names: Sequence[str], message: str) -> str | None:
    chosen = [n for n in names if getattr(args, n)]
    if len(chosen) > 1:
        raise WrongArgs(message)
    return chosen[0] if chosen else None


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=["table", "plain", "json", "markdown"],
        help="output format; markdown: a table for job summaries and pull-request comments",
    )


def _output_format(args: argparse.Namespace, flags: Sequence[str]) -> str | None:
    """The one output flag given, `--format X` counting as `--X`; None for the table."""
    chosen = [name for name in flags if getattr(args, name)]
    if args.format is not None and args.format != "table":
        chosen.append(args.format)
    if len(set(chosen)) > 1 or (chosen and args.format == "table"):
        raise WrongArgs("Only one output format allowed")
    return chosen[0] if chosen else None


def _render_rows(rows: Sequence[Mapping[str, Any]], output: str | None) -> str:
    from gto.render import NOTHING_FOUND, render_table

    if output == "markdown":
        from gto.render_markdown import render_markdown_table

        return render_markdown_table(rows) if rows else NOTHING_FOUND
    return render_table(rows, plain=output == "plain")


# --- show --------------------------------------------------------------------------


def _run_show(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.render import render_json, render_lines

    output = _output_format(args, ["json", "plain", "name", "version", "stage", "ref"])
    options = {
        "all_branches": args.all_branches,
        "all_commits": args.all_commits,
        "registered_only": args.registered_only,
        "deprecated": args.deprecated,
        "assignments_per_version": args.assignments_per_version,
        "versions_per_stage": args.versions_per_stage,
        "sort": args.sort,
    }
    if output == "json":
        return render_json(api.show(args.repo, args.artifact, **options))
    rows, _ = api.show(args.repo, args.artifact, table=True, truncate_hexsha=True, **options)
    if output in ("name", "version", "stage", "ref"):
        # The registry table has a name column only; a version table has no name column.
        if (args.artifact is None) != (output == "name"):
            raise WrongArgs(f"Cannot apply --{output}")
        return render_lines([row[output] for row in rows]) if rows else None
    return _render_rows(rows, output)


def _add_show(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "show",
        "Show the registry state, or the versions of one artifact.",
        "  gto show                      # all artifacts, their latest versions and stages\n"
        "  gto show churn                # every version of churn\n"
        "  gto show churn@latest --ref   # the tag of the greatest version\n"
        "  gto show churn#prod --version # the version in prod\n"
        "  gto show --json -r path/to/repo\n"
        "  gto show -r https://github.com/org/repo   # a remote, without cloning it",
        _run_show,
    )
    p.add_argument(
        "artifact",
        nargs="?",
        metavar="NAME",
        help="artifact name or shortcut: NAME@latest, NAME@greatest, NAME@vX.Y.Z, NAME#STAGE",
    )
    _repo_option(p)
    _commits_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plain", action="store_true", help="print a plain table")
    p.add_argument("--name", action="store_true", help="print only the names")
    p.add_argument("--version", action="store_true", help="print only the versions")
    p.add_argument("--stage", action="store_true", help="print only the stages")
    p.add_argument("--ref", action="store_true", help="print only the refs (tags)")
    _format_option(p)
    p.add_argument(
        "--ro",
        "--registered-only",
        dest="registered_only",
        action="store_true",
        help="consider only registered versions when computing stages",
    )
    p.add_argument(
        "-d",
        "--deprecated",
        action="store_true",
        help="include deprecated artifacts and deregistered versions",
    )
    p.add_argument(
        "--av",
        "--assignments-per-version",
        dest="assignments_per_version",
        type=int,
        default=-1,
        metavar="N",
        help="stages kept per version (the oldest N), -1 for all [default: -1]",
    )
    p.add_argument(
        "--vs",
        "--versions-per-stage",
        dest="versions_per_stage",
        type=int,
        default=1,
        metavar="N",
        help="versions shown per stage, -1 for all [default: 1]",
    )
    p.add_argument(
        "--sort",
        choices=["timestamp", "semver"],
        default="timestamp",
        help="which version wins a stage: the latest assignment or the greatest "
        "version [default: timestamp]",
    )


# --- history -----------------------------------------------------------------------


def _run_history(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.render import render_json

    output = _output_format(args, ["json", "plain"])
    options = {
        "all_branches": args.all_branches,
        "all_commits": args.all_commits,
        "ascending": args.ascending,
    }
    if output == "json":
        return render_json(api.history(args.repo, args.artifact, **options))
    rows, _ = api.history(args.repo, args.artifact, table=True, truncate_hexsha=True, **options)
    return _render_rows(rows, output)


def _add_history(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "history",
        "Show the journal of events: registrations, stage changes, commits.",
        "  gto history                # every artifact, newest first\n"
        "  gto history churn --asc    # one artifact, oldest first\n"
        "  gto history churn --json",
        _run_history,
    )
    p.add_argument("artifact", nargs="?", metavar="NAME", help="artifact name")
    _repo_option(p)
    _commits_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plain", action="store_true", help="print a plain table")
    _format_option(p)
    p.add_argument(
        "--asc",
        "--ascending",
        dest="ascending",
        action="store_true",
        help="show the oldest events first",
    )


# --- check-ref ---------------------------------------------------------------------


def _run_check_ref(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.core.views import event_dict
    from gto.render import render_json

    output = _one_of(
        args,
        ["json", "name", "version", "stage", "event", "format"],
        "Only one output formatting flags is allowed",
    )
    if output == "format":
        from gto.ci_check import check_ref_for_ci

        return check_ref_for_ci(args.repo, args.ref, args.format, os.environ)
    events = api.check_ref(args.repo, args.ref)
    if not events:
        return None
    event = events[0]
    if output == "json":
        return render_json(event_dict(event, meta=False, kind=True))
    if output is not None:
        value = {
            "name": event.artifact,
            "version": event.version_name,
            "stage": event.stage_name,
            "event": event.kind,
        }[output]
        return value
    return f"{_emoji('✅ ')} {event.describe()}"


def _add_check_ref(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "check-ref",
        "Tell what a GTO tag means (for CI reacting to new tags).",
        "  gto check-ref churn#prod#3\n"
        '  gto check-ref "$GITHUB_REF" --json     # refs/tags/ is stripped\n'
        "  gto check-ref churn@v1.0.0 --version\n"
        '  gto check-ref "$GITHUB_REF" --format github   # step outputs and a job summary\n'
        '  gto check-ref "$CI_COMMIT_TAG" --format gitlab > gto.env   # a dotenv report',
        _run_check_ref,
    )
    p.add_argument("ref", metavar="REF", help="tag name, with or without refs/tags/")
    _repo_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--name", action="store_true", help="print the artifact name")
    p.add_argument("--version", action="store_true", help="print the version")
    p.add_argument("--stage", action="store_true", help="print the stage")
    p.add_argument("--event", action="store_true", help="print the event type")
    p.add_argument(
        "--format",
        choices=["github", "gitlab", "json"],
        help="every field for CI: github appends step outputs to $GITHUB_OUTPUT and a "
        "summary to $GITHUB_STEP_SUMMARY (printed when unset); gitlab prints a dotenv "
        "report; json prints one object with a schema version",
    )


# --- stages ------------------------------------------------------------------------


def _run_stages(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.render import render_json, render_lines

    stages = api.get_stages(args.repo, allowed=args.allowed, used=args.used)
    if args.json:
        return render_json(stages)
    return render_lines(stages) if stages else None


def _add_stages(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "stages",
        "List the stages: allowed by .gto, or in use.",
        "  gto stages            # allowed stages if configured, else those in use\n"
        "  gto stages --used --json",
        _run_stages,
    )
    _repo_option(p)
    p.add_argument("--allowed", action="store_true", help="stages allowed by the config")
    p.add_argument(
        "--used", action="store_true", help="stages currently assigned to an active version"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


# --- describe ----------------------------------------------------------------------


def _run_describe(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.core.annotations import annotation_json
    from gto.render import render_json

    key = _one_of(args, ["type", "path", "description"], "Can output one key only")
    if key is None and args.custom:
        key = "custom"
    annotation = api.describe(args.repo, args.artifact, rev=args.rev)
    if annotation is None:
        return None
    data = annotation_json(annotation)
    if key is None:
        return render_json(data)
    value = data.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else render_json(value)


def _add_describe(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "describe",
        "Print an artifact's annotation from artifacts.yaml as JSON.",
        "  gto describe churn\n"
        "  gto describe churn --path\n"
        "  gto describe churn#prod         # the annotation at the commit in prod\n"
        "  gto describe churn --rev v1.0   # at a commit, branch or tag",
        _run_describe,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name or shortcut")
    _repo_option(p)
    p.add_argument("--rev", help="read artifacts.yaml at this revision")
    p.add_argument("--type", action="store_true", help="print only the type")
    p.add_argument("--path", action="store_true", help="print only the path")
    p.add_argument("--description", action="store_true", help="print only the description")
    p.add_argument("--custom", action="store_true", help="print only the custom field")


# --- completion --------------------------------------------------------------------


def _run_completion(args: argparse.Namespace) -> str:
    from gto.completion_scripts import completion_script

    return completion_script(args.shell)


def _add_completion(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
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


# --- doctor, parse-tag, print-state -------------------------------------------------


def _run_doctor(args: argparse.Namespace) -> Output:
    from gto.doctor import doctor_json, doctor_report
    from gto.render import render_json

    if args.json:
        data, code = doctor_json(args.repo, all_commits=args.all_commits)
        return render_json(data), code
    return doctor_report(args.repo, all_commits=args.all_commits, emoji=_emoji)


def _add_doctor(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "doctor",
        "Check the configuration and the registry: unreadable or lightweight GTO tags, two "
        "versions on one commit, counters going backwards, broken artifacts.yaml. "
        "Exit 1 when problems are found.",
        "  gto doctor\n  gto doctor --json -r path/to/repo   # for CI",
        _run_doctor,
    )
    _repo_option(p)
    p.add_argument(
        "-A", "--all-commits", action="store_true", help="also check artifacts.yaml in every commit"
    )
    p.add_argument("--json", action="store_true", help="print the problems as JSON")


def _run_parse_tag(args: argparse.Namespace) -> str | None:
    from gto.core.tags import parse_tag
    from gto.render import render_json

    parsed = parse_tag(args.name).to_dict()
    if args.key is None:
        return render_json(parsed)
    if args.key not in parsed:
        raise WrongArgs(f"Tag '{args.name}' has no '{args.key}'")
    return render_json(parsed[args.key])


def _add_parse_tag(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "parse-tag",
        "Parse a GTO tag name into its parts (JSON).",
        "  gto parse-tag 'churn#prod#3'\n  gto parse-tag churn@v1.0.0 --key version",
        _run_parse_tag,
        hidden=True,
    )
    p.add_argument("name", metavar="TAG", help="tag name")
    p.add_argument("--key", help="print only this key")


def _run_print_state(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.core.views import state_dict
    from gto.render import render_json

    return render_json(state_dict(api._get_state(args.repo)))


def _add_print_state(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "print-state",
        "Dump the replayed state as JSON (for debugging).",
        "  gto print-state -r path/to/repo",
        _run_print_state,
        hidden=True,
    )
    _repo_option(p)


# --- writing commands --------------------------------------------------------------

_CREATED = {
    "registration": "registers version",
    "assignment": "assigns stage to version '{version}'",
    "unassignment": "unassigns stage from version '{version}'",
    "deregistration": "deregisters version",
    "deprecation": "deprecates artifact",
}


def _quote(tag: str) -> str:
    import shlex

    return shlex.quote(tag)


def _report(outcome: Any) -> str:
    """Upstream's messages: one per tag, then a push hint or the push result."""
    lines = []
    for event in outcome.created:
        what = _CREATED[event.kind].format(version=event.version_name)
        lines.append(f"Created git tag '{event.tag}' that {what}")
        if outcome.pushed:
            # Upstream quotes the tag in the hint only, not in the `Running` line.
            lines.append(f"Running `git push origin {event.tag}`")
            lines.append(f"Successfully pushed git tag {event.tag} on remote.")
        else:
            lines.append("To push the changes upstream, run:")
            lines.append(f"    git push origin {_quote(event.tag)}")
    for tag in outcome.deleted:
        lines.append(f"Deleted git tag '{tag}'")
        if outcome.pushed:
            lines.append(f"Running `git push --delete origin {tag}`")
            lines.append(f"Successfully deleted git tag {tag} on remote.")
        else:
            lines.append("To push the changes upstream, run:")
            lines.append(f"    git push --delete origin {_quote(tag)}")
    return "\n".join(lines)


def _write_options(parser: argparse.ArgumentParser, *, delete: bool = False) -> None:
    _repo_option(parser)
    parser.add_argument(
        "-m", "--message", help="tag message [default: a description of the action]"
    )
    parser.add_argument(
        "--simple",
        choices=["auto", "true", "false"],
        default="auto",
        help="write a simple tag (NAME@vX.Y.Z, NAME#STAGE) or an incremental one "
        "(NAME#STAGE#N) [default: auto, the action's usual form]",
    )
    parser.add_argument(
        "--force", action="store_true", help="create the tag even if the action would be a repeat"
    )
    if delete:
        parser.add_argument(
            "-d",
            "--delete",
            action="store_true",
            help="delete the related tags instead of creating a new one",
        )
    parser.add_argument(
        "--push", action="store_true", help="push the created (or deleted) tags to origin"
    )


def _options(args: argparse.Namespace) -> Any:
    from gto.api import commands

    return commands.WriteOptions(args.message, args.simple, args.force, args.push)


def _run_register(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    bump = commands.bumps(args.bump_major, args.bump_minor, args.bump_patch)
    request = commands.Register(args.artifact, args.ref, args.version, bump)
    return _report(commands.write(args.repo, request, _options(args)))


def _add_register(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "register",
        "Register a new version of an artifact (an annotated tag NAME@vX.Y.Z).",
        "  gto register churn                    # HEAD, the next patch version\n"
        "  gto register churn HEAD~2 --version v1.2.0\n"
        "  gto register churn main --bump-minor --push",
        _run_register,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    p.add_argument(
        "ref",
        nargs="?",
        default="HEAD",
        metavar="REF",
        help="commit to register: branch, tag, commit id, HEAD~N [default: HEAD]",
    )
    p.add_argument("--version", "--ver", dest="version", help="version name, e.g. v1.0.0")
    p.add_argument("--bump-major", action="store_true", help="bump the major version")
    p.add_argument("--bump-minor", action="store_true", help="bump the minor version")
    p.add_argument("--bump-patch", action="store_true", help="bump the patch version [default]")
    _write_options(p)


def _run_assign(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    # With a REF, --version names the version registered on the way (reference, 4.2).
    request = commands.Assign(
        args.artifact,
        args.stage,
        version=None if args.ref else args.version,
        ref=args.ref,
        name_version=args.version if args.ref else None,
        skip_registration=args.skip_registration,
    )
    return _report(commands.write(args.repo, request, _options(args)))


def _add_assign(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "assign",
        "Assign a stage to a version (an annotated tag NAME#STAGE#N).",
        "  gto assign churn --version v1.0.0 --stage prod\n"
        "  gto assign churn HEAD --stage dev      # registers HEAD first if needed\n"
        "  gto assign churn HEAD --stage dev --sr # no registration: an unregistered version\n"
        "  gto promote churn --version v1.0.0 --stage prod --push",
        _run_assign,
        aliases=["promote"],
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    p.add_argument(
        "ref", nargs="?", metavar="REF", help="commit whose version gets the stage [default: HEAD]"
    )
    p.add_argument("--stage", required=True, help="stage to assign")
    p.add_argument(
        "--version",
        "--ver",
        dest="version",
        help="version to assign; with REF, the name for a new registration",
    )
    p.add_argument(
        "--sr",
        "--skip-registration",
        dest="skip_registration",
        action="store_true",
        help="do not register REF as a version first",
    )
    _write_options(p)


def _run_deprecate(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    request: commands.Request
    if args.stage is not None:
        request = commands.Unassign(args.artifact, args.stage, args.version, delete=args.delete)
    elif args.version is not None:
        request = commands.Deregister(args.artifact, args.version, delete=args.delete)
    else:
        request = commands.Deprecate(args.artifact, args.ref, delete=args.delete)
    return _report(commands.write(args.repo, request, _options(args)))


def _add_deprecate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "deprecate",
        "Unassign a stage (NAME VERSION STAGE), deregister a version (NAME VERSION), "
        "or deprecate an artifact (NAME).",
        "  gto deprecate churn v1.0.0 prod         # tag churn#prod!#N\n"
        "  gto deprecate churn v1.0.0              # tag churn@v1.0.0!\n"
        "  gto deprecate churn                     # tag churn@deprecated\n"
        "  gto deprecate churn v1.0.0 --delete     # delete every tag of v1.0.0 instead",
        _run_deprecate,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    p.add_argument("version", nargs="?", metavar="VERSION", help="version (vX.Y.Z)")
    p.add_argument("stage", nargs="?", metavar="STAGE", help="stage to unassign")
    p.add_argument("--ref", help="commit for the @deprecated tag [default: the artifact's latest]")
    _write_options(p, delete=True)


def _run_annotate(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    change = commands.AnnotationChange(
        args.type,
        args.path,
        args.must_exist,
        args.allow_same_path,
        tuple(args.label),
        args.description,
        args.custom,
    )
    options = commands.WriteOptions(push=args.push)
    return _index_report(
        commands.annotate(args.repo, args.artifact, change, commit=args.commit, options=options)
    )


def _index_report(change: Any) -> str:
    lines = ["Updated `artifacts.yaml`"]
    if change.pushed:
        lines += [
            "Running `git commit` and `git push`",
            "Successfully pushed a new commit to remote.",
        ]
    elif change.commit:
        lines.append("Running `git commit`")
    return "\n".join(lines)


def _add_annotate(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "annotate",
        "Create or update an artifact's entry in artifacts.yaml.",
        "  gto annotate churn --type model --path models/churn.pkl --must-exist\n"
        "  gto annotate churn --label ml --label tabular -d 'Churn classifier'\n"
        "  gto annotate churn --type model --commit   # commit artifacts.yaml too",
        _run_annotate,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    _repo_option(p)
    p.add_argument("--type", help="artifact type")
    p.add_argument("--path", help="artifact path")
    p.add_argument(
        "-e",
        "--must-exist",
        action="store_true",
        help="check that the path is committed (a physical artifact)",
    )
    p.add_argument(
        "--allow-same-path",
        action="store_true",
        help="allow a path that overlaps another artifact's",
    )
    p.add_argument("--label", action="append", default=[], help="label to add (repeatable)")
    p.add_argument("-d", "--description", default="", help="artifact description")
    p.add_argument("-c", "--custom", help="custom value (stored as a string)")
    p.add_argument("--commit", action="store_true", help="commit the change to artifacts.yaml")
    p.add_argument("--push", action="store_true", help="commit and push the change")


def _run_remove(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    options = commands.WriteOptions(push=args.push)
    return _index_report(
        commands.remove(args.repo, args.artifact, commit=args.commit, options=options)
    )


def _add_remove(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(
        sub,
        "remove",
        "Remove an artifact's entry from artifacts.yaml.",
        "  gto remove churn\n  gto remove churn --commit",
        _run_remove,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    _repo_option(p)
    p.add_argument("--commit", action="store_true", help="commit the change to artifacts.yaml")
    p.add_argument("--push", action="store_true", help="commit and push the change")


# --- the parser and main -----------------------------------------------------------

_OVERVIEW = """\
Git Tag Ops: an artifact registry in a Git repository, read and written without git.

Read the registry:
  show        Show the registry state, or the versions of one artifact
  history     Show the journal of events
  check-ref   Tell what a GTO tag means
  stages      List the stages
  describe    Print an artifact's annotation from artifacts.yaml
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


def build_parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        usage=f"{PROG} [-h] [--version] [-v] COMMAND [ARGS ...]",
        description=_OVERVIEW,
        epilog=_EXAMPLES,
        formatter_class=_Formatter,
        # Otherwise `gto register m --ver v1.0.0` is taken as an ambiguous abbreviation
        # of the top-level --version/--verbose before the subcommand sees it.
        allow_abbrev=False,
    )
    parser.add_argument(
        "--version", action="version", version=f"{_emoji('🪴 ')} GTO Version: {__version__}"
    )
    _global_options(parser, default=False)
    sub = parser.add_subparsers(
        prog=PROG, metavar="COMMAND", parser_class=_Parser, help=argparse.SUPPRESS
    )
    for add in (
        _add_show,
        _add_history,
        _add_check_ref,
        _add_stages,
        _add_describe,
        _add_doctor,
        _add_register,
        _add_assign,
        _add_deprecate,
        _add_annotate,
        _add_remove,
        _add_completion,
        _add_parse_tag,
        _add_print_state,
    ):
        add(sub)
    return parser


def _one_line(message: str) -> str:
    """Control characters (a newline in a name, say) escaped, so an error stays one line."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message
    )


def _error(message: str, stream: TextIO) -> None:
    text = f"{_emoji('❌ ')}{_one_line(message)}"
    if _colour(stream):
        text = f"\033[31m{text}\033[0m"
    print(text, file=stream)


# What a shell reports for a program killed by SIGPIPE, as `git log | head` leaves git.
_EXIT_BROKEN_PIPE = 128 + 13


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; GTO errors become one red line on stderr and exit 1.

    A reader that stops early (`gto history --json | head -1`) ends the command
    quietly, as it ends git: no traceback, exit code 141.
    """
    try:
        return _main(argv)
    except BrokenPipeError:
        _discard_stdout()
        return _EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point stdout at /dev/null, so the flush at exit does not fail on the closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, io.UnsupportedOperation):
        pass  # not a real file (tests capture it): nothing will be flushed to a pipe


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["__complete"]:
        # The completion scripts' callback: hidden, and outside argparse, so that the
        # words it is handed (options included) are never parsed as its own options.
        from gto.complete import answer
        from gto.complete_words import registry_words
        from gto.render import terminal_safe

        print(terminal_safe(answer(parser, words[1:], registry_words)))
        return 0
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # The command's own usage, not the top-level one (argparse would print that).
        getattr(args, "parser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    if hasattr(args, "repo"):
        from gto.session import RepoSpec

        args.repo = RepoSpec(args.repo, cache=not args.no_cache, progress=_Progress(sys.stderr))
    try:
        output: Output = args.run(args)
    except GTOException as exc:
        if args.traceback:
            raise
        _error(exc.message, sys.stderr)
        return 1
    output, code = output if isinstance(output, tuple) else (output, 0)
    if output is not None:
        from gto.render import terminal_safe

        print(terminal_safe(output))  # repository content never drives the terminal
        sys.stdout.flush()  # a closed pipe shows here, inside main, not at exit
    return code
