"""The commands that change artifacts.yaml: annotate and remove."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gto.cli.options import Subcommands, command, repo_option

if TYPE_CHECKING:
    from gto.api.commands import IndexChange

__all__ = ["add_annotate", "add_remove"]


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


def _index_report(change: IndexChange) -> str:
    if not change.changed:
        return "Nothing to change in `artifacts.yaml`"
    lines = ["Updated `artifacts.yaml`"]
    if change.pushed:
        lines += [
            "Running `git commit` and `git push`",
            "Successfully pushed a new commit to remote.",
        ]
    elif change.commit:
        lines.append("Running `git commit`")
    return "\n".join(lines)


def add_annotate(sub: Subcommands) -> None:
    p = command(
        sub,
        "annotate",
        "Create or update an artifact's entry in artifacts.yaml.",
        "  gto annotate churn --type model --path models/churn.pkl --must-exist\n"
        "  gto annotate churn --label ml --label tabular -d 'Churn classifier'\n"
        "  gto annotate churn --type model --commit   # commit artifacts.yaml too",
        _run_annotate,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    repo_option(p)
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


def add_remove(sub: Subcommands) -> None:
    p = command(
        sub,
        "remove",
        "Remove an artifact's entry from artifacts.yaml.",
        "  gto remove churn\n  gto remove churn --commit",
        _run_remove,
    )
    p.add_argument("artifact", metavar="NAME", help="artifact name")
    repo_option(p)
    p.add_argument("--commit", action="store_true", help="commit the change to artifacts.yaml")
    p.add_argument("--push", action="store_true", help="commit and push the change")
