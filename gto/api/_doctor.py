"""`gto doctor`: the configuration gto sees, and the problems in the registry itself, as data.

The command line renders the report; the library prints nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from gto.session import RepoLike, Session, opened
from gto.settings import current

__all__ = ["DoctorReport", "Problem", "diagnose", "doctor"]


@dataclass(frozen=True)
class DoctorReport:
    """What `gto doctor` found: gto's version, the environment-only settings (as upstream
    lists them), and the problems; none means the registry is healthy."""

    version: str
    settings: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def healthy(self) -> bool:
        return not self.problems


def doctor(repo: RepoLike, *, all_commits: bool = False) -> DoctorReport:
    """The configuration gto sees and every problem in the registry."""
    settings = tuple(env_config_lines(current().environ))
    return DoctorReport(__version__, settings, tuple(diagnose(repo, all_commits=all_commits)))


def diagnose(repo: RepoLike, *, all_commits: bool = False) -> list[Problem]:
    """Every problem found; an empty list means the registry is healthy."""
    with opened(repo) as session:
        return _diagnose(session, all_commits)


def _diagnose(session: Session, all_commits: bool) -> list[Problem]:
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
