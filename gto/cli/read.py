"""The commands that read the registry: show, history, check-ref, stages, describe."""

from __future__ import annotations

import argparse

from gto.cli.options import (
    Subcommands,
    Text,
    as_of_option,
    command,
    commits_options,
    format_option,
    one_of,
    output_format,
    render_rows,
    repo_option,
    stage_options,
    verification,
    verify_options,
)
from gto.exceptions import VerificationFailed, WrongArgs
from gto.render.terminal import emoji

__all__ = ["add_check_ref", "add_describe", "add_history", "add_show", "add_stages"]


# --- show --------------------------------------------------------------------------


def _run_show(args: argparse.Namespace) -> Text:
    from gto import api
    from gto.render.text import render_json, render_lines

    output = output_format(args, ["json", "plain", "name", "version", "stage", "ref"])
    options = {
        "all_branches": args.all_branches,
        "all_commits": args.all_commits,
        "registered_only": args.registered_only,
        "deprecated": args.deprecated,
        "assignments_per_version": args.assignments_per_version,
        "versions_per_stage": args.versions_per_stage,
        "sort": args.sort,
        "as_of": args.as_of,
        "verify": verification(args),
    }
    if output == "json":
        return render_json(api.show(args.repo, args.artifact, **options))
    rows, _ = api.show(args.repo, args.artifact, table=True, truncate_hexsha=True, **options)
    if output in ("name", "version", "stage", "ref"):
        # The registry table has a name column only; a version table has no name column.
        if (args.artifact is None) != (output == "name"):
            raise WrongArgs(f"Cannot apply --{output}")
        return render_lines([row[output] for row in rows]) if rows else None
    return render_rows(rows, output)


def add_show(sub: Subcommands) -> None:
    p = command(
        sub,
        "show",
        "Show the registry state, or the versions of one artifact.",
        "  gto show                      # all artifacts, their latest versions and stages\n"
        "  gto show churn                # every version of churn\n"
        "  gto show churn@latest --ref   # the tag of the greatest version\n"
        "  gto show churn#prod --version # the version in prod\n"
        "  gto show --json -r path/to/repo\n"
        "  gto show -r https://github.com/org/repo   # a remote, without cloning it\n"
        "  gto show churn#prod --as-of 2024-03-03   # who was in prod then\n"
        "  gto show --verify                # each version and stage with its signature",
        _run_show,
    )
    p.add_argument(
        "artifact",
        nargs="?",
        metavar="NAME",
        help="artifact name or shortcut: NAME@latest, NAME@greatest, NAME@vX.Y.Z, NAME#STAGE",
    )
    repo_option(p)
    commits_options(p)
    as_of_option(p)
    verify_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plain", action="store_true", help="print a plain table")
    p.add_argument("--name", action="store_true", help="print only the names")
    p.add_argument("--version", action="store_true", help="print only the versions")
    p.add_argument("--stage", action="store_true", help="print only the stages")
    p.add_argument("--ref", action="store_true", help="print only the refs (tags)")
    format_option(p)
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
    stage_options(p)


# --- history -----------------------------------------------------------------------


def _run_history(args: argparse.Namespace) -> Text:
    from gto import api
    from gto.render.text import render_json

    output = output_format(args, ["json", "plain"])
    options = {
        "all_branches": args.all_branches,
        "all_commits": args.all_commits,
        "ascending": args.ascending,
        "as_of": args.as_of,
        "verify": verification(args),
    }
    if output == "json":
        return render_json(api.history(args.repo, args.artifact, **options))
    if output in (None, "plain"):
        from gto.render.text import column_lines

        columns = api.commands.history_columns(args.repo, args.artifact, **options)
        return column_lines(columns, plain=output == "plain")
    rows, _ = api.history(args.repo, args.artifact, table=True, truncate_hexsha=True, **options)
    return render_rows(rows, output)


def add_history(sub: Subcommands) -> None:
    p = command(
        sub,
        "history",
        "Show the journal of events: registrations, stage changes, commits.",
        "  gto history                # every artifact, newest first\n"
        "  gto history churn --asc    # one artifact, oldest first\n"
        "  gto history churn --json\n"
        "  gto history --as-of 'last friday'   # the journal up to then\n"
        "  gto history churn --verify         # who signed each tag",
        _run_history,
    )
    p.add_argument("artifact", nargs="?", metavar="NAME", help="artifact name")
    repo_option(p)
    commits_options(p)
    as_of_option(p)
    verify_options(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plain", action="store_true", help="print a plain table")
    format_option(p)
    p.add_argument(
        "--asc",
        "--ascending",
        dest="ascending",
        action="store_true",
        help="show the oldest events first",
    )


# --- check-ref ---------------------------------------------------------------------


def _run_check_ref(args: argparse.Namespace) -> str | None:
    from gto.api import commands
    from gto.render.text import render_json

    output = one_of(
        args,
        ["json", "name", "version", "stage", "event", "format"],
        "Only one output formatting flags is allowed",
    )
    verified = None
    verify = verification(args)
    if verify:
        verified = commands.verify_ref(args.repo, args.ref, verify=verify, as_of=args.as_of)
        if verified.failure is not None:
            raise VerificationFailed(verified.failure)
    if output == "format":
        from gto.cli.ci import check_ref_for_ci

        return check_ref_for_ci(args.repo, args.ref, args.format, as_of=args.as_of)
    if verified is not None:
        events = [] if verified.event is None else [verified.event]
    else:
        events = commands.ref_events(args.repo, args.ref, as_of=args.as_of)
    if not events:
        return None
    event = events[0]
    if output == "json":
        found = commands.event_json(event)
        return render_json(found if verified is None else {**found, **verified.to_dict()})
    if output is not None:
        value = {
            "name": event.artifact,
            "version": event.version_name,
            "stage": event.stage_name,
            "event": event.kind,
        }[output]
        return value
    lines = [f"{emoji('✅ ')} {event.describe()}"]
    if verified is not None and verified.signature is not None:
        lines.append(f"Signature: {verified.signature.reason}")
        if verified.forced is not None:
            lines.append(f"Promotion rules overridden: {verified.forced}")
    return "\n".join(lines)


def add_check_ref(sub: Subcommands) -> None:
    p = command(
        sub,
        "check-ref",
        "Tell what a GTO tag means (for CI reacting to new tags).",
        "  gto check-ref churn#prod#3\n"
        '  gto check-ref "$GITHUB_REF" --json     # refs/tags/ is stripped\n'
        "  gto check-ref churn@v1.0.0 --version\n"
        '  gto check-ref "$GITHUB_REF" --format github   # step outputs and a job summary\n'
        '  gto check-ref "$CI_COMMIT_TAG" --format gitlab > gto.env   # a dotenv report\n'
        '  gto check-ref "$GITHUB_REF" --verify --rules-ref origin/main   # exit 1: bad tag',
        _run_check_ref,
    )
    p.add_argument("ref", metavar="REF", help="tag name, with or without refs/tags/")
    repo_option(p)
    as_of_option(p)
    p.add_argument(
        "--verify",
        action="store_true",
        help="exit 1 (one line) when the tag's signature is bad or untrusted, or the tag "
        "breaks a promotion rule of .gto",
    )
    verify_options(p, flag=False)
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
    from gto.render.text import render_json, render_lines

    stages = api.get_stages(args.repo, allowed=args.allowed, used=args.used)
    if args.json:
        return render_json(stages)
    return render_lines(stages) if stages else None


def add_stages(sub: Subcommands) -> None:
    p = command(
        sub,
        "stages",
        "List the stages: allowed by .gto, or in use.",
        "  gto stages            # allowed stages if configured, else those in use\n"
        "  gto stages --used --json",
        _run_stages,
    )
    repo_option(p)
    p.add_argument("--allowed", action="store_true", help="stages allowed by the config")
    p.add_argument(
        "--used", action="store_true", help="stages currently assigned to an active version"
    )
    p.add_argument("--json", action="store_true", help="print JSON")


# --- describe ----------------------------------------------------------------------


def _run_describe(args: argparse.Namespace) -> str | None:
    from gto import api
    from gto.render.text import render_json

    key = one_of(args, ["type", "path", "description"], "Can output one key only")
    if key is None and args.custom:
        key = "custom"
    annotation = api.describe(args.repo, args.artifact, rev=args.rev, as_of=args.as_of)
    if annotation is None:
        return None
    data = api.commands.annotation_json(annotation)
    if key is None:
        return render_json(data)
    value = data.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else render_json(value)


def add_describe(sub: Subcommands) -> None:
    p = command(
        sub,
        "describe",
        "Print an artifact's annotation from artifacts.yaml as JSON.",
        "  gto describe churn\n"
        "  gto describe churn --path\n"
        "  gto describe churn#prod         # the annotation at the commit in prod\n"
        "  gto describe churn --rev v1.0   # at a commit, branch or tag\n"
        "  gto describe churn --as-of 2024-03-03   # as HEAD's branch had it then",
        _run_describe,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name or shortcut")
    repo_option(p)
    as_of_option(p)
    p.add_argument("--rev", help="read artifacts.yaml at this revision")
    p.add_argument("--type", action="store_true", help="print only the type")
    p.add_argument("--path", action="store_true", help="print only the path")
    p.add_argument("--description", action="store_true", help="print only the description")
    p.add_argument("--custom", action="store_true", help="print only the custom field")
