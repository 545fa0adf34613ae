"""`gto diff WHEN [WHEN2]`: what changed in the registry between two moments."""

from __future__ import annotations

import argparse

from gto.cli.options import (
    Subcommands,
    Text,
    command,
    format_option,
    output_format,
    render_rows,
    repo_option,
    stage_options,
)

__all__ = ["NO_CHANGES", "add_diff"]

NO_CHANGES = "No changes"


def _run_diff(args: argparse.Namespace) -> Text:
    from gto.api import commands
    from gto.render.text import render_json

    output = output_format(args, ["json", "plain"])
    changes = commands.registry_diff(
        args.repo,
        args.since,
        args.until,
        assignments_per_version=args.assignments_per_version,
        versions_per_stage=args.versions_per_stage,
        sort=commands.VersionSort(args.sort),
    )
    if output == "json":
        return render_json(changes.to_dict())
    if changes.changes.is_empty:
        return NO_CHANGES
    return render_rows(changes.changes.rows(), output)


def add_diff(sub: Subcommands) -> None:
    p = command(
        sub,
        "diff",
        "List what changed between two moments: versions registered and deregistered, "
        "stage moves (stage: old -> new), deprecations, per artifact. Exit 0.",
        "  gto diff 2024-03-01 2024-03-08   # a week\n"
        "  gto diff '2 days ago'            # ... up to the registry now\n"
        "  gto diff v1.0.0 main --json      # refs: their commits' times\n"
        "  gto diff yesterday --format markdown   # for a change review",
        _run_diff,
    )
    p.add_argument("since", metavar="WHEN", help="from this moment: a date or time, or a ref")
    p.add_argument(
        "until",
        nargs="?",
        metavar="WHEN2",
        help="to this moment [default: the registry now, every tag counted]",
    )
    repo_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plain", action="store_true", help="print a plain table")
    format_option(p)
    stage_options(p)
