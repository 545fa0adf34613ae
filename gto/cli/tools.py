"""`doctor`, and the hidden helpers `parse-tag` and `print-state`."""

from __future__ import annotations

import argparse

from gto.cli.options import Output, Subcommands, command, repo_option, verification, verify_options
from gto.exceptions import WrongArgs
from gto.render.terminal import emoji

__all__ = ["add_doctor", "add_parse_tag", "add_print_state"]


RULE = "-" * 33


def _run_doctor(args: argparse.Namespace) -> Output:
    from dataclasses import asdict

    from gto.api import commands
    from gto.render.text import render_json

    verify = verification(args) or None
    if args.json:
        problems = commands.diagnose(args.repo, all_commits=args.all_commits, verify=verify)
        issues = {"issues": [asdict(p) for p in problems]}
        return render_json(issues), 1 if commands.failing(problems) else 0
    report = commands.doctor(args.repo, all_commits=args.all_commits, verify=verify)
    lines = [f"{emoji('🪴 ')} GTO Version: {report.version}", RULE, *report.settings, RULE]
    for problem in report.problems:
        tags = f" [{', '.join(problem.tags)}]" if problem.tags else ""
        notice = not commands.failing([problem])  # a recorded override: reported, not failing
        lines.append(f"{emoji('⚠️ ' if notice else '❌ ')}{problem.message}{tags}")
    if report.healthy:
        lines.append(f"{emoji('✅ ')} No issues found")
    return "\n".join(lines), 0 if report.healthy else 1


def add_doctor(sub: Subcommands) -> None:
    p = command(
        sub,
        "doctor",
        "Check the configuration and the registry: unreadable or lightweight GTO tags, two "
        "versions on one commit, counters going backwards, broken artifacts.yaml, tags that "
        "break .gto's promotion rules. Exit 1 when problems are found.",
        "  gto doctor\n  gto doctor --json -r path/to/repo   # for CI\n"
        "  gto doctor --rules-ref origin/main   # promotion rules as main has them",
        _run_doctor,
    )
    repo_option(p)
    verify_options(p, flag=False)
    p.add_argument(
        "-A", "--all-commits", action="store_true", help="also check artifacts.yaml in every commit"
    )
    p.add_argument("--json", action="store_true", help="print the problems as JSON")


def _run_parse_tag(args: argparse.Namespace) -> str | None:
    from gto.api import commands
    from gto.render.text import render_json

    parsed = commands.parse_tag(args.name).to_dict()
    if args.key is None:
        return render_json(parsed)
    if args.key not in parsed:
        raise WrongArgs(f"Tag '{args.name}' has no '{args.key}'")
    return render_json(parsed[args.key])


def add_parse_tag(sub: Subcommands) -> None:
    p = command(
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
    from gto.api import commands
    from gto.render.text import render_json

    return render_json(commands.state(args.repo))


def add_print_state(sub: Subcommands) -> None:
    p = command(
        sub,
        "print-state",
        "Dump the replayed state as JSON (for debugging).",
        "  gto print-state -r path/to/repo",
        _run_print_state,
        hidden=True,
    )
    repo_option(p)
