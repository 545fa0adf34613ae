"""`gto doctor`: the configuration gto sees, and the problems in the registry itself, as data.

The command line renders the report; the library prints nothing. Stage tags that break a
promotion rule of the rules ref are problems too (gto.api._verify); those whose
`GTO-Force` trailer overrides the rule are listed as notices, which do not fail doctor.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from gto import __version__
from gto.api._options import Verify
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
from gto.core.state import Registry
from gto.core.tags import TagRecord
from gto.exceptions import (
    GTOException,
    NoRulesRef,
    VersionExistsForCommit,
    WrongAnnotations,
)
from gto.git.repo import GitRepo
from gto.session import RepoLike, Session, opened
from gto.settings import current

__all__ = ["NOTICES", "DoctorReport", "Problem", "diagnose", "doctor", "failing"]

# Checks that are reported but do not make doctor fail: recorded, deliberate overrides.
NOTICES = frozenset({"promotion-forced"})


def failing(problems: Iterable[Problem]) -> bool:
    """Whether doctor fails (exit 1): some problem is not a mere notice."""
    return any(p.check not in NOTICES for p in problems)


@dataclass(frozen=True)
class DoctorReport:
    """What `gto doctor` found: gto's version, the environment-only settings (as upstream
    lists them), and the problems; none means the registry is healthy."""

    version: str
    settings: tuple[str, ...]
    problems: tuple[Problem, ...]

    @property
    def healthy(self) -> bool:
        return not failing(self.problems)


def doctor(
    repo: RepoLike, *, all_commits: bool = False, verify: Verify | None = None
) -> DoctorReport:
    """The configuration gto sees and every problem in the registry."""
    settings = tuple(env_config_lines(current().environ))
    problems = diagnose(repo, all_commits=all_commits, verify=verify)
    return DoctorReport(__version__, settings, tuple(problems))


def diagnose(
    repo: RepoLike, *, all_commits: bool = False, verify: Verify | None = None
) -> list[Problem]:
    """Every problem found; none (or notices only, see `failing`) means the registry is
    healthy. `verify` says where promotion rules and allowed signers are read."""
    with opened(repo) as session:
        return _diagnose(session, all_commits, verify or Verify())


def _diagnose(session: Session, all_commits: bool, verify: Verify) -> list[Problem]:
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
            problems += _rules(session, registry, verify)
    return problems


def _rules(session: Session, registry: Registry, verify: Verify) -> list[Problem]:
    """Promotion rules broken (gto.api._verify); rules or trust that cannot be read say so."""
    from gto.api._verify import rule_problems

    try:
        return rule_problems(session, registry, verify)
    except NoRulesRef as e:
        # A detached checkout: worth a problem only where rules are in use at all.
        return [Problem("promotion-rules", e.message)] if session.config.promotion.stages else []
    except GTOException as e:
        return [Problem("promotion-rules", e.message)]


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
