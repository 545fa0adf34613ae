"""The commands that change the registry: register, assign (promote), deprecate.

Each builds a request and the write options (gto.api.commands) and reports every
tag it created or deleted, in upstream's words.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from gto.cli.options import Subcommands, command, repo_option

if TYPE_CHECKING:
    from gto.api.commands import Outcome, WriteOptions

__all__ = ["add_assign", "add_deprecate", "add_register", "write_options"]

_CREATED = {
    "registration": "registers version",
    "assignment": "assigns stage to version '{version}'",
    "unassignment": "unassigns stage from version '{version}'",
    "deregistration": "deregisters version",
    "deprecation": "deprecates artifact",
}


def _report(outcome: Outcome) -> str:
    """Upstream's messages: one per tag, then a push hint or the push result."""
    lines = []
    for event in outcome.created:
        what = _CREATED[event.kind].format(version=event.version_name)
        lines.append(f"Created git tag '{event.tag}' that {what}")
        lines += _pushing(event.tag, "", "pushed", outcome.pushed)
    for tag in outcome.deleted:
        lines.append(f"Deleted git tag '{tag}'")
        lines += _pushing(tag, "--delete ", "deleted", outcome.pushed)
    return "\n".join(lines)


def _pushing(tag: str, flag: str, done: str, pushed: bool) -> list[str]:
    """What was pushed, or how to push it (upstream quotes the tag in the hint only)."""
    import shlex

    if pushed:
        return [
            f"Running `git push {flag}origin {tag}`",
            f"Successfully {done} git tag {tag} on remote.",
        ]
    return ["To push the changes upstream, run:", f"    git push {flag}origin {shlex.quote(tag)}"]


def write_options(parser: argparse.ArgumentParser, *, delete: bool = False) -> None:
    repo_option(parser)
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
        "--force",
        action="store_true",
        help="create the tag even if the action would be a repeat, or would break a .gto "
        "promotion rule that requires stages (recorded in the tag message)",
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
    parser.add_argument(
        "--sign",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sign the tags with an SSH key, as git does with gpg.format=ssh (needs "
        "pip install 'gto[sign]') [default: GTO_SIGN, else .gto's sign]",
    )
    parser.add_argument(
        "--signing-key",
        metavar="PATH",
        help="private key file to sign with [default: GTO_SIGNING_KEY, else git's user.signingkey]",
    )


def _options(args: argparse.Namespace) -> WriteOptions:
    from gto.api import commands

    return commands.WriteOptions(
        args.message,
        args.simple,
        args.force,
        args.push,
        sign=args.sign,
        signing_key=args.signing_key,
    )


def _run_register(args: argparse.Namespace) -> str | None:
    from gto.api import commands

    bump = commands.bumps(args.bump_major, args.bump_minor, args.bump_patch)
    request = commands.Register(args.artifact, args.ref, args.version, bump)
    return _report(commands.write(args.repo, request, _options(args)))


def add_register(sub: Subcommands) -> None:
    p = command(
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
    write_options(p)


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


def add_assign(sub: Subcommands) -> None:
    p = command(
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
    write_options(p)


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


def add_deprecate(sub: Subcommands) -> None:
    p = command(
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
    write_options(p, delete=True)
