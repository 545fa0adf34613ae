"""`gto doctor`: the configuration gto sees, and the problems in the registry itself."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from gto import __version__
from gto.core.checks import (
    Problem,
    assignments_to_deregistered,
    counters_going_backwards,
    orphaned_tags,
    stale_locks,
    unreadable_tags,
    versions_on_one_commit,
)
from gto.core.config import env_config_lines
from gto.core.events import event_from_tag
from gto.core.tags import TagRecord
from gto.exceptions import GTOException, VersionExistsForCommit, WrongAnnotations
from gto.git.repo import GitRepo
from gto.session import RepoLike, Session

RULE = "-" * 33


def diagnose(repo: RepoLike, *, all_commits: bool = False) -> list[Problem]:
    """Every problem found; an empty list means the registry is healthy."""
    session = Session.open(repo)
    try:
        session.config  # noqa: B018 - a broken .gto is the first problem to report
    except GTOException as e:
        return [Problem("config", e.message)]
    git = session.git
    problems: list[Problem] = []
    commits = session.discovery_commits(all_commits=all_commits)
    session.prefetch(commits)  # a remote's cache gets their artifacts.yaml in one request
    for commit in commits:
        try:
            dict(session.annotations_at(commit))  # artifacts.yaml and every dvc.yaml
        except WrongAnnotations as e:
            problems.append(Problem("annotations", e.message))  # names the commit itself
        except GTOException as e:
            problems.append(Problem("annotations", f"{e.message} (commit {commit[:7]})"))
    names = git.tag_names()
    records, skipped = _read_tags(git, names)
    events = [event for r in records if (event := event_from_tag(r)) is not None]
    problems += unreadable_tags(names, skipped)
    problems += versions_on_one_commit(events)
    problems += counters_going_backwards(events)
    problems += orphaned_tags(events)
    problems += stale_locks(git.lock_files())
    if not any(p.check == "annotations" for p in problems):
        try:
            registry = session.registry(events=events, all_commits=all_commits)
        except VersionExistsForCommit:
            pass  # reported above, with the tags involved
        except GTOException as e:
            problems.append(Problem("registry", e.message))
        else:
            problems += assignments_to_deregistered(registry)
    return problems


def _read_tags(git: GitRepo, names: list[str]) -> tuple[list[TagRecord], dict[str, str]]:
    """The readable tags, and why each other one is skipped.

    A damaged tag object (a corrupt loose object, a bad pack) fails the whole batch;
    then each tag is read on its own, so the damage becomes one problem naming its tag.
    """
    try:
        return git.read_tags(names), git.problem_tags(names)
    except GTOException:
        pass
    records: list[TagRecord] = []
    skipped: dict[str, str] = {}
    for name in names:
        try:
            records += git.read_tags([name])
            skipped.update(git.problem_tags([name]))
        except GTOException as e:
            skipped[name] = e.message
    return records, skipped


def doctor_report(
    repo: RepoLike, *, all_commits: bool = False, emoji: Callable[[str], str]
) -> tuple[str, int]:
    """The text report and exit code (1 when problems are found)."""
    lines = [f"{emoji('🪴 ')} GTO Version: {__version__}", RULE]
    lines.extend(env_config_lines(os.environ))
    lines.append(RULE)
    problems = diagnose(repo, all_commits=all_commits)
    for problem in problems:
        tags = f" [{', '.join(problem.tags)}]" if problem.tags else ""
        lines.append(f"{emoji('❌ ')}{problem.message}{tags}")
    if not problems:
        lines.append(f"{emoji('✅ ')} No issues found")
    return "\n".join(lines), 1 if problems else 0


def doctor_json(repo: RepoLike, *, all_commits: bool = False) -> tuple[dict[str, Any], int]:
    problems = diagnose(repo, all_commits=all_commits)
    return {"issues": [asdict(p) for p in problems]}, 1 if problems else 0
