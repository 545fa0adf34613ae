"""The write path as a library: gto.api.commands.write on real repositories, read back with dulwich.

Every test fixes the tagger and the clock through GIT_COMMITTER_* (as a user or a
CI job would), so tag objects, events and outputs are exact.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from builders import (
    EPOCH,
    build_registry,
    init_repo,
    make_lightweight_tag,
    make_tag,
    pack_everything,
    refs,
    tag_names,
)
from dulwich.config import ConfigFile
from dulwich.objects import Commit, ObjectID, Tag
from dulwich.refs import Ref
from dulwich.repo import Repo
from servers import become_origin, dulwich_http_server, git_daemon, set_remote

from gto.api.commands import (
    Assign,
    Deprecate,
    Deregister,
    Outcome,
    Register,
    Unassign,
    WriteOptions,
    bumps,
    write,
)
from gto.core.events import Assignment, Deprecation, Deregistration, Registration, Unassignment
from gto.core.tags import parse_tag
from gto.core.versions import Bump
from gto.exceptions import GTOException, IdentityNotFound, PushError
from gto.git.repo import GitRepo
from gto.session import Session

NAME, EMAIL = "Tess Tagger", "tess@example.com"
UTC = timezone.utc


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, UTC)


@pytest.fixture
def built(tmp_path: Path, clock: Callable[[int], None]) -> Iterator[tuple[Path, dict[str, str]]]:
    """A work tree with three commits on main (c1 <- c2 <- c3) and a side branch."""
    path = tmp_path / "repo"
    repo = build_registry(
        path,
        [
            ("commit", "c1", {"a.txt": "a"}, 0),
            ("commit", "c2", {"b.txt": "b"}, 10),
            ("commit", "c3", {"c.txt": "c"}, 20),
            ("commit", "f1", {"f.txt": "f"}, 30, "feature", None, 0, ("c1",)),
        ],
    )
    repo.close()
    yield path, repo.commits


def read_tag(path: Path, name: str) -> Tag:
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/" + name.encode())]]
    assert isinstance(tag, Tag)
    return tag


def target(path: Path, name: str) -> str:
    tag = read_tag(path, name)
    assert tag.object[0] is Commit
    return tag.object[1].decode()


def events_read_back(path: Path) -> dict[str, Any]:
    """tag -> event, as gto's reader replays them."""
    with GitRepo.open(path) as git:
        registry = Session(git).registry()
        return {
            e.tag: e
            for artifact in registry.artifacts.values()
            for e in artifact.events()
            if hasattr(e, "tag")
        }


def fails(call: Callable[[], object], message: str, path: Path) -> None:
    """`call` raises a GTOException with exactly `message`, and no ref changed."""
    before = refs(path)
    with pytest.raises(GTOException) as error:
        call()
    assert error.value.message == message
    assert refs(path) == before


# Tag objects: identity, time, message


def test_register_writes_an_annotated_tag(path: Path, commits: dict[str, str]) -> None:
    outcome = write(str(path), Register("m"), WriteOptions())

    tag = read_tag(path, "m@v0.0.1")
    assert tag.name == b"m@v0.0.1"
    assert tag.object == (Commit, commits["c3"].encode())
    assert tag.tagger == f"{NAME} <{EMAIL}>".encode()
    assert (tag.tag_time, tag.tag_timezone) == (EPOCH + 1000, 0)
    assert tag.message == b"Registering artifact m version v0.0.1"
    assert outcome.created == [
        Registration(
            artifact="m",
            created_at=at(1000),
            author=NAME,
            author_email=EMAIL,
            message="Registering artifact m version v0.0.1",
            commit_hexsha=commits["c3"],
            tag="m@v0.0.1",
            version="v0.0.1",
        )
    ]
    assert outcome.deleted == [] and outcome.pushed is False


def test_events_read_back_equal_the_returned_events(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[Callable[[], Outcome]] = [
        lambda: write(str(path), Register("m", ref="HEAD~1"), WriteOptions(message="first")),
        lambda: write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions()),
        lambda: write(str(path), Assign("m", "dev", ref="HEAD"), WriteOptions()),
        lambda: write(
            str(path), Assign("m", "dev", ref="feature", skip_registration=True), WriteOptions()
        ),
        lambda: write(str(path), Unassign("m", "prod", version="v0.0.1"), WriteOptions()),
        lambda: write(str(path), Deregister("m", version="v0.0.2"), WriteOptions()),
        lambda: write(str(path), Deprecate("m"), WriteOptions()),
    ]
    created = []
    for second, step in enumerate(steps):
        monkeypatch.setenv("GIT_COMMITTER_DATE", f"@{EPOCH + 2000 + second} +0545")
        created += step().created
    read_back = events_read_back(path)
    assert sorted(read_back) == sorted(e.tag for e in created)
    for event in created:
        assert read_back[event.tag] == event
        assert read_back[event.tag].created_at.utcoffset() == timedelta(hours=5, minutes=45)


@pytest.mark.parametrize(
    ("date", "expected_time", "expected_offset"),
    [
        ("2022-08-26T10:42:43+05:45", 1661489863, 20700),
        ("@1660000123 -0700", 1660000123, -7 * 3600),
        ("Fri, 26 Aug 2022 10:42:43 +0200", 1661503363, 7200),
    ],
)
def test_git_committer_date_sets_the_tag_time(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    date: str,
    expected_time: int,
    expected_offset: int,
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", date)
    (event,) = write(str(path), Register("m"), WriteOptions()).created
    tag = read_tag(path, "m@v0.0.1")
    assert (tag.tag_time, tag.tag_timezone) == (expected_time, expected_offset)
    assert event.created_at == datetime.fromtimestamp(
        expected_time, timezone(timedelta(seconds=expected_offset))
    )
    assert event.created_at.utcoffset() == timedelta(seconds=expected_offset)


def test_without_git_committer_date_the_tag_time_is_now(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GIT_COMMITTER_DATE")
    before = int(time.time())
    write(str(path), Register("m"), WriteOptions())
    after = int(time.time())
    assert before <= read_tag(path, "m@v0.0.1").tag_time <= after


def test_a_bad_git_committer_date_writes_nothing(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", "yesterday")
    fails(
        lambda: write(str(path), Register("m"), WriteOptions()),
        "Invalid GIT_COMMITTER_DATE 'yesterday': use '@1660000000 +0000', "
        "'Thu, 07 Apr 2005 22:13:13 +0200' or '2005-04-07T22:13:13+02:00'",
        path,
    )


def _set_user(config_path: Path, name: str, email: str) -> None:
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config = ConfigFile.from_path(str(config_path)) if config_path.exists() else ConfigFile()
    config.set((b"user",), b"name", name.encode())
    config.set((b"user",), b"email", email.encode())
    config.path = str(config_path)
    config.write_to_path(str(config_path))


@pytest.mark.parametrize(
    ("env", "repo_user", "global_user", "expected"),
    [
        pytest.param(True, True, True, b"Tess Tagger <tess@example.com>", id="env-wins"),
        pytest.param(False, True, True, b"Repo User <repo@example.com>", id="repo-config"),
        pytest.param(False, False, True, b"Global User <global@example.com>", id="global"),
    ],
)
def test_tagger_identity_precedence(
    path: Path,
    monkeypatch: pytest.MonkeyPatch,
    env: bool,
    repo_user: bool,
    global_user: bool,
    expected: bytes,
) -> None:
    if not env:
        monkeypatch.delenv("GIT_COMMITTER_NAME")
        monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    if repo_user:
        _set_user(path / ".git" / "config", "Repo User", "repo@example.com")
    if global_user:
        _set_user(Path(os.environ["HOME"]) / ".gitconfig", "Global User", "global@example.com")
    (event,) = write(str(path), Register("m"), WriteOptions()).created
    assert read_tag(path, "m@v0.0.1").tagger == expected
    assert f"{event.author} <{event.author_email}>".encode() == expected


def test_author_arguments_override_the_tagger(path: Path) -> None:
    (event,) = write(
        str(path), Register("m"), WriteOptions(author="API Caller", author_email="api@example.com")
    ).created
    assert read_tag(path, "m@v0.0.1").tagger == b"API Caller <api@example.com>"
    assert (event.author, event.author_email) == ("API Caller", "api@example.com")


def test_no_identity_is_one_clear_error(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    monkeypatch.delenv("GIT_COMMITTER_EMAIL")
    before = refs(path)
    with pytest.raises(IdentityNotFound) as error:
        write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions())
    assert error.value.message == (
        "Cannot find who is tagging: set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL, "
        "or run `git config --global user.name NAME` and `git config --global user.email EMAIL`"
    )
    assert refs(path) == before


def test_message_option(path: Path) -> None:
    write(str(path), Register("m"), WriteOptions(message="Ship it\n\nwith a body"))
    assert read_tag(path, "m@v0.0.1").message == b"Ship it\n\nwith a body"


# register


@pytest.mark.parametrize(
    ("ref", "label"),
    [
        ("HEAD", "c3"),
        ("main", "c3"),
        ("refs/heads/main", "c3"),
        ("feature", "f1"),
        ("HEAD~1", "c2"),
        ("HEAD~2", "c1"),
        ("main^", "c2"),
        ("release", "c2"),  # an annotated non-GTO tag
        ("light", "c1"),  # a lightweight tag
        ("FULL:c2", "c2"),
        ("SHORT:c1", "c1"),
    ],
)
def test_register_resolves_refs(path: Path, commits: dict[str, str], ref: str, label: str) -> None:
    with Repo(str(path)) as repo:
        make_tag(repo, "release", commits["c2"])
        make_lightweight_tag(repo, "light", commits["c1"])
    if ref.startswith("FULL:"):
        ref = commits[ref[5:]]
    elif ref.startswith("SHORT:"):
        ref = commits[ref[6:]][:7]
    (event,) = write(str(path), Register("m", ref=ref, version="v1.0.0"), WriteOptions()).created
    assert event.commit_hexsha == commits[label]
    assert target(path, "m@v1.0.0") == commits[label]


def test_register_in_a_packed_repo(path: Path, commits: dict[str, str]) -> None:
    write(str(path), Register("m", ref="HEAD~1"), WriteOptions())
    with Repo(str(path)) as repo:
        pack_everything(repo)
    write(str(path), Register("m", ref="HEAD"), WriteOptions())
    assert tag_names(path) == ["m@v0.0.1", "m@v0.0.2"]
    assert target(path, "m@v0.0.2") == commits["c3"]


def test_register_bumps_the_greatest_version(
    path: Path, commits: dict[str, str], clock: Callable[[int], None]
) -> None:
    write(str(path), Register("m", ref="HEAD~2", version="v1.2.3"), WriteOptions())
    clock(1001)
    write(
        str(path), Register("m", ref="feature", version="v0.9.0"), WriteOptions()
    )  # newer, but smaller
    clock(1002)
    (event,) = write(str(path), Register("m", ref="HEAD~1"), WriteOptions()).created
    assert event.version_name == "v1.2.4"
    assert event.tag == "m@v1.2.4"


@pytest.mark.parametrize(
    ("bump", "expected"),
    [
        ((), "v1.3.5"),
        (("patch",), "v1.3.5"),
        (("minor",), "v1.4.0"),
        (("major",), "v2.0.0"),
    ],
)
def test_register_bump_flags(path: Path, bump: tuple[Bump, ...], expected: str) -> None:
    write(str(path), Register("m", ref="HEAD~1", version="v1.3.4"), WriteOptions())
    (event,) = write(str(path), Register("m", bump=bump), WriteOptions()).created
    assert event.version_name == expected


def test_register_bump_drops_the_prerelease(path: Path) -> None:
    write(str(path), Register("m", ref="HEAD~1", version="v1.0.0-rc.1"), WriteOptions())
    (event,) = write(str(path), Register("m"), WriteOptions()).created
    assert event.version_name == "v1.0.1"


def test_register_first_version(path: Path) -> None:
    (event,) = write(str(path), Register("m"), WriteOptions()).created
    assert (event.tag, event.version_name) == ("m@v0.0.1", "v0.0.1")


def test_register_bump_skips_a_deregistered_version(
    path: Path, clock: Callable[[int], None]
) -> None:
    # Upstream fails here with "tag 'm@v0.0.2' already exists" (quirk Q9).
    write(str(path), Register("m", ref="HEAD~2"), WriteOptions())
    write(str(path), Register("m", ref="HEAD~1"), WriteOptions())
    clock(1001)
    write(str(path), Deregister("m", version="v0.0.2"), WriteOptions())
    (event,) = write(str(path), Register("m", ref="HEAD"), WriteOptions()).created
    assert event.version_name == "v0.0.3"


def test_register_with_a_dirname(path: Path) -> None:
    (event,) = write(str(path), Register("some/folder:some/model"), WriteOptions()).created
    assert tag_names(path) == ["some/folder=some/model@v0.0.1"]
    assert event.artifact == "some/folder:some/model"
    assert read_tag(path, event.tag).message == (
        b"Registering artifact some/folder:some/model version v0.0.1"
    )


def test_register_incremental(path: Path) -> None:
    with Repo(str(path)) as repo:
        make_lightweight_tag(repo, "m#prod#4", repo.head().decode())
    (event,) = write(str(path), Register("m"), WriteOptions(simple="false")).created
    assert event.tag == "m@v0.0.1#5"
    assert parse_tag(event.tag).counter == 5


def test_register_again_after_deregistration_needs_an_incremental_tag(
    path: Path, clock: Callable[[int], None]
) -> None:
    write(str(path), Register("m"), WriteOptions())
    clock(1001)
    write(str(path), Deregister("m", version="v0.0.1"), WriteOptions())
    clock(1002)
    fails(
        lambda: write(str(path), Register("m"), WriteOptions()),
        "tag 'm@v0.0.1' already exists",
        path,
    )
    (event,) = write(str(path), Register("m"), WriteOptions(simple="false")).created
    assert event.tag == "m@v0.0.1#1"
    version = Session(GitRepo.open(path)).registry().artifacts["m"].find_version("v0.0.1")
    assert version is not None and version.is_active


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda p: write(
                p, Register("m", version="v1.0.0", bump=bumps(False, True, False)), WriteOptions()
            ),
            "Need to specify either version or single bump argument",
        ),
        (
            lambda p: write(p, Register("m", bump=bumps(True, True, False)), WriteOptions()),
            "Need to specify either version or single bump argument",
        ),
        (
            lambda p: write(p, Register("m", bump=bumps(False, True, False)), WriteOptions()),
            "Can't apply bump, because this is the first version being registered",
        ),
        (
            lambda p: write(p, Register("m", version="1.2.3"), WriteOptions()),
            "Supplied version '1.2.3' cannot be parsed",
        ),
        (
            lambda p: write(p, Register("m", version="v1"), WriteOptions()),
            "Supplied version 'v1' cannot be parsed",
        ),
        (
            lambda p: write(p, Register("m", ref="nope", version="v1.0.0"), WriteOptions()),
            "Ref 'nope' was not found in the repository history",
        ),
        (
            lambda p: write(p, Register("m", ref="HEAD~9"), WriteOptions()),
            "Ref 'HEAD~9' was not found in the repository history",
        ),
        (
            lambda p: write(p, Register("-m"), WriteOptions()),
            "Invalid value '-m'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (
            lambda p: write(p, Register("m"), WriteOptions(simple="maybe")),  # type: ignore[arg-type]
            "Invalid value for '--simple': Only one of ['auto', 'true', 'false'] is allowed",
        ),
    ],
    ids=[
        "version-and-bump",
        "two-bumps",
        "first-bump",
        "unparsable-version",
        "short-version",
        "unknown-ref",
        "too-far-back",
        "invalid-name",
        "bad-simple",
    ],
)
def test_register_refusals(path: Path, call: Callable[[str], object], message: str) -> None:
    fails(lambda: call(str(path)), message, path)


def test_register_refuses_a_taken_version_or_commit(path: Path) -> None:
    write(str(path), Register("m", ref="HEAD~1", version="v1.0.0"), WriteOptions())
    fails(
        lambda: write(str(path), Register("m", ref="HEAD", version="v1.0.0"), WriteOptions()),
        "Version 'v1.0.0' already was registered.",
        path,
    )
    fails(
        lambda: write(str(path), Register("m", ref="HEAD~1"), WriteOptions()),
        "'m' is already registered in this commit with version 'v1.0.0'",
        path,
    )
    fails(
        lambda: write(str(path), Register("m", ref="HEAD~1", version="v2.0.0"), WriteOptions()),
        "'m' is already registered in this commit with version 'v1.0.0'",
        path,
    )
    fails(
        lambda: write(
            str(path), Register("m", ref="HEAD~1", version="v2.0.0"), WriteOptions(force=True)
        ),
        "For this REF you can only register v1.0.0",
        path,
    )
    # Another artifact may use the commit and the version name.
    (event,) = write(
        str(path), Register("other", ref="HEAD~1", version="v1.0.0"), WriteOptions()
    ).created
    assert event.tag == "other@v1.0.0"


def test_register_in_an_empty_repo(tmp_path: Path, clock: Callable[[int], None]) -> None:
    init_repo(tmp_path / "empty").close()
    fails(
        lambda: write(str(tmp_path / "empty"), Register("m"), WriteOptions()),
        "Ref 'HEAD' was not found: the repository has no commits yet; make a first commit",
        tmp_path / "empty",
    )


def test_register_in_a_bare_repo(tmp_path: Path, clock: Callable[[int], None]) -> None:
    repo = build_registry(tmp_path / "bare.git", [("commit", "c1")], bare=True)
    repo.close()
    (event,) = write(str(tmp_path / "bare.git"), Register("m"), WriteOptions()).created
    assert target(tmp_path / "bare.git", "m@v0.0.1") == repo.commits["c1"]
    assert event.tag == "m@v0.0.1"


# assign


def test_assign_by_version(
    path: Path, commits: dict[str, str], clock: Callable[[int], None]
) -> None:
    write(str(path), Register("m", ref="HEAD~2"), WriteOptions())
    clock(1001)
    outcome = write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions())
    assert outcome.created == [
        Assignment(
            artifact="m",
            created_at=at(1001),
            author=NAME,
            author_email=EMAIL,
            message="Assigning stage prod to artifact m version v0.0.1",
            commit_hexsha=commits["c1"],
            tag="m#prod#1",
            version="v0.0.1",
            stage="prod",
        )
    ]
    assert target(path, "m#prod#1") == commits["c1"]
    assert (
        read_tag(path, "m#prod#1").message == b"Assigning stage prod to artifact m version v0.0.1"
    )


def test_assign_by_ref_registers_first(path: Path, commits: dict[str, str]) -> None:
    write(str(path), Register("m", ref="HEAD~2", version="v1.0.0"), WriteOptions())
    outcome = write(str(path), Assign("m", "dev", ref="HEAD~1"), WriteOptions())
    registration, assignment = outcome.created
    assert isinstance(registration, Registration) and isinstance(assignment, Assignment)
    assert (registration.tag, registration.version) == ("m@v1.0.1", "v1.0.1")
    assert registration.message == "Registering artifact m version v1.0.1"
    assert (assignment.tag, assignment.version, assignment.stage) == ("m#dev#1", "v1.0.1", "dev")
    assert target(path, "m@v1.0.1") == target(path, "m#dev#1") == commits["c2"]


def test_assign_by_ref_names_the_new_version(path: Path) -> None:
    registration, assignment = write(
        str(path), Assign("m", "dev", ref="HEAD", name_version="v3.0.0"), WriteOptions()
    ).created
    assert (registration.tag, assignment.tag) == ("m@v3.0.0", "m#dev#1")
    assert assignment.message == "Assigning stage dev to artifact m version v3.0.0"


def test_assign_by_ref_uses_the_version_there(path: Path) -> None:
    write(str(path), Register("m", ref="HEAD", version="v1.0.0"), WriteOptions())
    (assignment,) = write(str(path), Assign("m", "dev", ref="main"), WriteOptions()).created
    assert assignment.version_name == "v1.0.0"
    # Upstream refuses even the same name (quirk Q10); gto accepts it.
    (again,) = write(
        str(path), Assign("m", "prod", ref="HEAD", name_version="v1.0.0"), WriteOptions()
    ).created
    assert again.tag == "m#prod#2"
    fails(
        lambda: write(
            str(path), Assign("m", "qa", ref="HEAD", name_version="v2.0.0"), WriteOptions()
        ),
        "Can't register 'v2.0.0', since 'v1.0.0' is registered already at this ref",
        path,
    )


def test_assign_with_skip_registration(path: Path, commits: dict[str, str]) -> None:
    (assignment,) = write(
        str(path), Assign("m", "dev", ref="HEAD~1", skip_registration=True), WriteOptions()
    ).created
    assert (assignment.tag, assignment.version_name) == ("m#dev#1", commits["c2"])
    assert assignment.message == f"Assigning stage dev to artifact m version {commits['c2']}"
    assert tag_names(path) == ["m#dev#1"]
    artifact = Session(GitRepo.open(path)).registry().artifacts["m"]
    (version,) = artifact.versions
    assert (version.version, version.is_registered) == (commits["c2"], False)
    assert list(version.stages) == ["dev"]


def test_register_a_commit_with_unregistered_assignments(
    path: Path, commits: dict[str, str], clock: Callable[[int], None]
) -> None:
    write(str(path), Assign("m", "dev", ref="HEAD", skip_registration=True), WriteOptions())
    clock(1001)
    (event,) = write(
        str(path), Register("m"), WriteOptions()
    ).created  # HEAD has no *registered* version
    assert (event.tag, event.commit_hexsha) == ("m@v0.0.1", commits["c3"])
    artifact = Session(GitRepo.open(path)).registry().artifacts["m"]
    (version,) = artifact.versions
    assert version.version == "v0.0.1"
    assert list(version.stages) == ["dev"]  # the assignment moved onto the new version
    fails(
        lambda: write(
            str(path), Assign("m", "dev", ref="HEAD", skip_registration=True), WriteOptions()
        ),
        "Version 'v0.0.1' is already in stage 'dev'. "
        "Use the '--force' flag to create a new Git tag nevertheless.",
        path,
    )


def test_assign_counter_is_one_sequence_per_artifact(
    path: Path, clock: Callable[[int], None]
) -> None:
    with Repo(str(path)) as repo:
        head = repo.head().decode()
        make_lightweight_tag(repo, "m#prod#7", head)  # lightweight tags count
        make_tag(repo, "other#dev#20", head)  # other artifacts don't
        make_tag(repo, "m2#dev#30", head)
    write(str(path), Register("m"), WriteOptions(simple="false"))  # m@v0.0.1#8
    names = []
    for second, stage in enumerate(["dev", "staging", "prod", "dev"]):
        clock(1001 + second)
        (event,) = write(
            str(path), Assign("m", stage, version="v0.0.1"), WriteOptions(force=True)
        ).created
        names.append(event.tag)
    assert names == ["m#dev#9", "m#staging#10", "m#prod#11", "m#dev#12"]


def test_assign_simple(path: Path, clock: Callable[[int], None]) -> None:
    write(str(path), Register("m"), WriteOptions())
    (event,) = write(
        str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions(simple="true")
    ).created
    assert event.tag == "m#prod"
    clock(1001)
    fails(
        lambda: write(
            str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions(simple=True, force=True)
        ),
        "tag 'm#prod' already exists",
        path,
    )


def test_assign_twice_needs_force(path: Path, clock: Callable[[int], None]) -> None:
    write(str(path), Register("m"), WriteOptions())
    write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions())
    clock(1001)
    fails(
        lambda: write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions()),
        "Version 'v0.0.1' is already in stage 'prod'. "
        "Use the '--force' flag to create a new Git tag nevertheless.",
        path,
    )
    fails(
        lambda: write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions()),
        "Version 'v0.0.1' is already in stage 'prod'. "
        "Use the '--force' flag to create a new Git tag nevertheless.",
        path,
    )
    (forced,) = write(
        str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions(force=True)
    ).created
    assert forced.tag == "m#prod#2"
    clock(1002)
    write(str(path), Unassign("m", "prod", version="v0.0.1"), WriteOptions())
    clock(1003)
    (again,) = write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions()).created
    assert again.tag == "m#prod#4"


def test_assign_a_deregistered_version(path: Path, clock: Callable[[int], None]) -> None:
    write(str(path), Register("m"), WriteOptions())
    clock(1001)
    write(str(path), Deregister("m", version="v0.0.1"), WriteOptions())
    (event,) = write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions()).created
    assert event.tag == "m#prod#1"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda p: write(p, Assign("m", "prod", version="v9.9.9"), WriteOptions()),
            "Version 'v9.9.9' is not registered",
        ),
        (
            lambda p: write(p, Assign("m", "prod", version="9.9.9"), WriteOptions()),
            "Version '9.9.9' is not valid. Example of valid version: 'v1.0.0'",
        ),
        (
            lambda p: write(p, Assign("nobody", "prod", version="v0.0.1"), WriteOptions()),
            "Version 'v0.0.1' is not registered",
        ),
        (
            lambda p: write(p, Assign("m", "prod", version="v0.0.1", ref="HEAD"), WriteOptions()),
            "One and only one of (version, ref) must be specified.",
        ),
        (
            lambda p: write(
                p, Assign("m", "prod", version="v0.0.1", skip_registration=True), WriteOptions()
            ),
            "You either need to supply version name or skip registration",
        ),
        (
            lambda p: write(
                p,
                Assign("m", "prod", ref="HEAD", name_version="v2.0.0", skip_registration=True),
                WriteOptions(),
            ),
            "You either need to supply version name or skip registration",
        ),
        (
            lambda p: write(p, Assign("m", "pr od", version="v0.0.1"), WriteOptions()),
            "Invalid value 'pr od'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (
            lambda p: write(p, Assign("m", "prod", ref="unknown"), WriteOptions()),
            "Ref 'unknown' was not found in the repository history",
        ),
        (
            lambda p: write(p, Assign("m", "prod", ref="HEAD", name_version="v1"), WriteOptions()),
            "Supplied version 'v1' cannot be parsed",
        ),
        (
            lambda p: write(
                p, Assign("m", "prod", ref="HEAD", name_version="v0.0.1"), WriteOptions()
            ),
            "Version 'v0.0.1' already was registered.",
        ),
        (
            lambda p: write(p, Assign("m@", "prod", ref="HEAD"), WriteOptions()),
            "Invalid value 'm@'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
    ],
    ids=[
        "unknown-version",
        "invalid-version",
        "unknown-artifact",
        "version-and-ref",
        "version-and-sr",
        "name-version-and-sr",
        "invalid-stage",
        "unknown-ref",
        "invalid-new-version",
        "taken-new-version",
        "invalid-name",
    ],
)
def test_assign_refusals(path: Path, call: Callable[[str], object], message: str) -> None:
    write(str(path), Register("m", ref="HEAD~2"), WriteOptions())
    fails(lambda: call(str(path)), message, path)


def test_assign_failing_after_its_registration_leaves_no_tag(path: Path) -> None:
    with Repo(str(path)) as repo:
        make_lightweight_tag(repo, "m#prod", repo.head().decode())
    # The registration tag is written, then the simple assignment tag clashes.
    fails(
        lambda: write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions(simple="true")),
        "tag 'm#prod' already exists",
        path,
    )
    assert tag_names(path) == ["m#prod"]


def test_allowed_stages(path: Path) -> None:
    (path / ".gto").write_text("stages: [dev, prod]\n")
    write(str(path), Register("m"), WriteOptions())
    message = "Allowed stages are: '['dev', 'prod']'"
    fails(
        lambda: write(str(path), Assign("m", "qa", version="v0.0.1"), WriteOptions()), message, path
    )
    fails(lambda: write(str(path), Assign("m", "qa", ref="HEAD~1"), WriteOptions()), message, path)
    fails(
        lambda: write(str(path), Unassign("m", "qa", version="v0.0.1"), WriteOptions()),
        message,
        path,
    )
    (event,) = write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions()).created
    assert event.tag == "m#prod#1"


def test_allowed_stages_from_the_environment(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTO_STAGES", '["staging"]')
    fails(
        lambda: write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions()),
        "Allowed stages are: '['staging']'",
        path,
    )


# unassign


@pytest.fixture
def staged(path: Path, clock: Callable[[int], None]) -> Path:
    """m@v0.0.1 on c1 in dev and prod, m@v0.0.2 on c2 in prod."""
    write(str(path), Register("m", ref="HEAD~2"), WriteOptions())  # 1000
    clock(1010)
    write(str(path), Assign("m", "dev", version="v0.0.1"), WriteOptions())  # m#dev#1
    clock(1020)
    write(str(path), Assign("m", "prod", version="v0.0.1"), WriteOptions())  # m#prod#2
    clock(1030)
    write(str(path), Assign("m", "prod", ref="HEAD~1"), WriteOptions())  # m@v0.0.2, m#prod#3
    clock(1040)
    return path


def test_unassign(staged: Path, commits: dict[str, str]) -> None:
    outcome = write(str(staged), Unassign("m", "prod", version="v0.0.1"), WriteOptions())
    assert outcome.created == [
        Unassignment(
            artifact="m",
            created_at=at(1040),
            author=NAME,
            author_email=EMAIL,
            message="Unassigning stage 'prod' to artifact 'm' version 'v0.0.1'",
            commit_hexsha=commits["c1"],
            tag="m#prod!#4",
            version="v0.0.1",
            stage="prod",
        )
    ]
    assert read_tag(staged, "m#prod!#4").message == (
        b"Unassigning stage 'prod' to artifact 'm' version 'v0.0.1'"
    )
    version = Session(GitRepo.open(staged)).registry().artifacts["m"].find_version("v0.0.1")
    assert version is not None
    assert [s for s, vstage in version.stages.items() if vstage.is_active] == ["dev"]


def test_unassign_simple_and_repeated(staged: Path, clock: Callable[[int], None]) -> None:
    (event,) = write(
        str(staged), Unassign("m", "dev", version="v0.0.1"), WriteOptions(simple="true")
    ).created
    assert event.tag == "m#dev!"
    clock(1041)
    # Upstream writes another tag here without --force (quirk Q6); gto asks for it.
    fails(
        lambda: write(str(staged), Unassign("m", "dev", version="v0.0.1"), WriteOptions()),
        "Stage 'dev' of version 'v0.0.1' is unassigned already. "
        "Use the '--force' flag to create a new Git tag nevertheless.",
        staged,
    )
    (forced,) = write(
        str(staged), Unassign("m", "dev", version="v0.0.1"), WriteOptions(force=True)
    ).created
    assert forced.tag == "m#dev!#4"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nobody", "v0.0.1", "prod"), "Cannot find artifact 'nobody'"),
        (("m", "v9.9.9", "prod"), "Version 'v9.9.9' of artifact 'm' is not found"),
        (
            ("m", "0.0.1", "prod"),
            "Version '0.0.1' is not valid. Example of valid version: 'v1.0.0'",
        ),
        (("m", "v0.0.2", "dev"), "Stage 'dev' is not assigned to a version 'v0.0.2'"),
        (
            ("m", "v0.0.2", "-dev"),
            "Invalid value '-dev'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
    ],
)
def test_unassign_refusals(staged: Path, args: tuple[str, str, str], message: str) -> None:
    name, version, stage = args
    fails(
        lambda: write(str(staged), Unassign(name, stage, version), WriteOptions()), message, staged
    )


def test_unassign_delete(staged: Path, clock: Callable[[int], None]) -> None:
    write(str(staged), Unassign("m", "prod", version="v0.0.1"), WriteOptions())  # m#prod!#4 at 1040
    clock(1050)
    write(str(staged), Assign("m", "prod", version="v0.0.1"), WriteOptions())  # m#prod#5
    clock(1060)
    outcome = write(
        str(staged), Unassign("m", "prod", version="v0.0.1", delete=True), WriteOptions()
    )
    assert outcome.created == []
    assert outcome.deleted == ["m#prod#2", "m#prod!#4", "m#prod#5"]  # oldest first
    assert tag_names(staged) == ["m#dev#1", "m#prod#3", "m@v0.0.1", "m@v0.0.2"]


# deregister


def test_deregister(staged: Path, commits: dict[str, str]) -> None:
    outcome = write(str(staged), Deregister("m", version="v0.0.1"), WriteOptions())
    assert outcome.created == [
        Deregistration(
            artifact="m",
            created_at=at(1040),
            author=NAME,
            author_email=EMAIL,
            message="Deregistering artifact m version v0.0.1",
            commit_hexsha=commits["c1"],
            tag="m@v0.0.1!",
            version="v0.0.1",
        )
    ]
    assert target(staged, "m@v0.0.1!") == commits["c1"]
    version = Session(GitRepo.open(staged)).registry().artifacts["m"].find_version("v0.0.1")
    assert version is not None and not version.is_active


def test_deregister_incremental(staged: Path) -> None:
    (event,) = write(
        str(staged), Deregister("m", version="v0.0.2"), WriteOptions(simple="false")
    ).created
    assert event.tag == "m@v0.0.2!#4"


def test_deregister_refusals(staged: Path, commits: dict[str, str]) -> None:
    fails(
        lambda: write(str(staged), Deregister("nobody", version="v0.0.1"), WriteOptions()),
        "Cannot find artifact 'nobody'",
        staged,
    )
    fails(
        lambda: write(str(staged), Deregister("m", version="v0.0.9"), WriteOptions()),
        "Version 'v0.0.9' of artifact 'm' is not found",
        staged,
    )
    write(str(staged), Deregister("m", version="v0.0.1"), WriteOptions())
    fails(
        lambda: write(str(staged), Deregister("m", version="v0.0.1"), WriteOptions()),
        f"The version at ref '{commits['c1']}' was deregistered already",
        staged,
    )
    with Repo(str(staged)) as repo:
        make_tag(repo, "m@v5.0.0!", commits["c3"], time=EPOCH + 1)
    fails(
        lambda: write(str(staged), Deregister("m", version="v5.0.0"), WriteOptions()),
        f"The version at ref '{commits['c3']}' is not registered",
        staged,
    )


def test_deregister_delete(staged: Path, clock: Callable[[int], None]) -> None:
    outcome = write(str(staged), Deregister("m", version="v0.0.1", delete=True), WriteOptions())
    assert outcome.deleted == ["m@v0.0.1", "m#dev#1", "m#prod#2"]
    assert tag_names(staged) == ["m#prod#3", "m@v0.0.2"]


def test_deregister_delete_of_a_deregistered_version_needs_force(
    staged: Path, clock: Callable[[int], None], commits: dict[str, str]
) -> None:
    write(str(staged), Deregister("m", version="v0.0.1"), WriteOptions())  # 1040
    clock(1050)
    fails(
        lambda: write(str(staged), Deregister("m", version="v0.0.1", delete=True), WriteOptions()),
        f"The version at ref '{commits['c1']}' was deregistered already",
        staged,
    )
    outcome = write(
        str(staged), Deregister("m", version="v0.0.1", delete=True), WriteOptions(force=True)
    )
    assert outcome.deleted == ["m@v0.0.1", "m#dev#1", "m#prod#2", "m@v0.0.1!"]


# deprecate


def test_deprecate(staged: Path, commits: dict[str, str], clock: Callable[[int], None]) -> None:
    outcome = write(str(staged), Deprecate("m"), WriteOptions())
    # On the commit of the artifact's latest event: m#prod#3 on c2.
    assert outcome.created == [
        Deprecation(
            artifact="m",
            created_at=at(1040),
            author=NAME,
            author_email=EMAIL,
            message="Deprecating artifact 'm'",
            commit_hexsha=commits["c2"],
            tag="m@deprecated",
        )
    ]
    assert target(staged, "m@deprecated") == commits["c2"]
    assert not Session(GitRepo.open(staged)).registry().artifacts["m"].is_active
    clock(1041)
    fails(
        lambda: write(str(staged), Deprecate("m"), WriteOptions()),
        "Artifact was deprecated already",
        staged,
    )
    fails(
        lambda: write(str(staged), Deprecate("m", delete=True), WriteOptions()),
        "Artifact was deprecated already",
        staged,
    )
    fails(
        lambda: write(str(staged), Deprecate("m"), WriteOptions(simple="true", force=True)),
        "Can't use 'force' with 'simple=True'",
        staged,
    )
    (forced,) = write(str(staged), Deprecate("m"), WriteOptions(force=True)).created
    assert forced.tag == "m@deprecated#4"
    # A registration revives it.
    clock(1042)
    write(str(staged), Register("m", ref="HEAD"), WriteOptions())
    assert Session(GitRepo.open(staged)).registry().artifacts["m"].is_active


def test_deprecate_at_a_ref_and_unknown_artifacts(path: Path, commits: dict[str, str]) -> None:
    fails(
        lambda: write(str(path), Deprecate("nobody"), WriteOptions()),
        "Cannot find artifact 'nobody'",
        path,
    )
    fails(
        lambda: write(str(path), Deprecate("nobody", delete=True), WriteOptions(force=True)),
        "Cannot find artifact 'nobody'",
        path,
    )
    (event,) = write(str(path), Deprecate("nobody"), WriteOptions(force=True)).created
    assert (event.tag, event.commit_hexsha) == ("nobody@deprecated#1", commits["c3"])
    write(str(path), Register("m", ref="HEAD~2"), WriteOptions())
    (event,) = write(str(path), Deprecate("m", ref="feature"), WriteOptions(simple="false")).created
    assert (event.tag, event.commit_hexsha) == ("m@deprecated#1", commits["f1"])


def test_deprecate_delete(staged: Path, clock: Callable[[int], None]) -> None:
    write(str(staged), Register("other", ref="HEAD"), WriteOptions())
    write(str(staged), Unassign("m", "dev", version="v0.0.1"), WriteOptions())  # m#dev!#4 at 1040
    clock(1050)
    write(str(staged), Deprecate("m"), WriteOptions(simple="false"))  # m@deprecated#5
    clock(1060)
    outcome = write(str(staged), Deprecate("m", delete=True), WriteOptions(force=True))
    assert outcome.deleted == [
        "m@v0.0.1",
        "m#dev#1",
        "m#prod#2",
        "m@v0.0.2",
        "m#prod#3",
        "m#dev!#4",
        "m@deprecated#5",
    ]
    assert tag_names(staged) == ["other@v0.0.1"]


# Push


@pytest.fixture(
    params=[
        "path",
        pytest.param("http", marks=pytest.mark.server),
        pytest.param("git-daemon", marks=pytest.mark.server),
    ]
)
def origin(request: pytest.FixtureRequest, path: Path, tmp_path: Path) -> Iterator[Path]:
    """A bare repository served as the work tree's origin, main pushed; yields the bare repo."""
    bare = tmp_path / "srv" / "remote.git"
    init_repo(bare, bare=True).close()
    with _served(request.param, bare) as url:
        become_origin(path, url)
        yield bare


@contextlib.contextmanager
def _served(kind: str, bare: Path) -> Iterator[str]:
    """The URL `bare` is served at: a plain path, dulwich's HTTP server or git daemon."""
    if kind == "http":
        with dulwich_http_server(bare) as url:
            yield url
    elif kind == "git-daemon":
        with git_daemon(bare.parent) as base:
            yield f"{base}/{bare.name}"
    else:
        yield str(bare)


def remote_tags(bare: Path) -> dict[Ref, ObjectID]:
    with Repo(str(bare)) as repo:
        return repo.refs.as_dict(Ref(b"refs/tags"))


def test_push_created_tags(path: Path, origin: Path) -> None:
    outcome = write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions(push=True))
    assert outcome.pushed is True
    assert [e.tag for e in outcome.created] == ["m@v0.0.1", "m#prod#1"]
    local = refs(path)
    assert remote_tags(origin) == {
        Ref(b"m@v0.0.1"): local[Ref(b"refs/tags/m@v0.0.1")],
        Ref(b"m#prod#1"): local[Ref(b"refs/tags/m#prod#1")],
    }
    with Repo(str(origin)) as repo:
        tag = repo[remote_tags(origin)[Ref(b"m#prod#1")]]
        assert isinstance(tag, Tag)
        assert tag.message == b"Assigning stage prod to artifact m version v0.0.1"


def test_push_deleted_tags(path: Path, origin: Path, clock: Callable[[int], None]) -> None:
    write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions(push=True))
    write(str(path), Register("other"), WriteOptions(push=True))
    clock(1001)
    outcome = write(
        str(path), Deregister("m", version="v0.0.1", delete=True), WriteOptions(push=True)
    )
    assert outcome.deleted == ["m@v0.0.1", "m#prod#1"] and outcome.pushed
    assert set(remote_tags(origin)) == {b"other@v0.0.1"}
    assert tag_names(path) == ["other@v0.0.1"]


def test_rejected_push_rolls_the_tag_back(
    path: Path, origin: Path, commits: dict[str, str]
) -> None:
    with Repo(str(origin)) as repo:
        theirs = make_tag(repo, "m@v0.0.1", commits["c1"], message="theirs")
    before = refs(path)
    with pytest.raises(PushError) as error:
        write(str(path), Register("m", ref="HEAD"), WriteOptions(push=True))
    assert "refs/tags/m@v0.0.1 already exists there with another target" in error.value.message
    assert "\n" not in error.value.message
    assert refs(path) == before
    assert remote_tags(origin) == {b"m@v0.0.1": theirs.encode()}


def test_failed_push_of_deletions_restores_every_tag(path: Path, origin: Path) -> None:
    # The remote lacks the tags, so deleting them there fails: none is deleted here. The
    # deletions are pushed in the order they are made, the version tag last.
    write(str(path), Assign("m", "prod", ref="HEAD"), WriteOptions())
    before = refs(path)
    with pytest.raises(PushError, match=r"Cannot delete refs/tags/m#prod#1 on .*no such ref"):
        write(str(path), Deregister("m", version="v0.0.1", delete=True), WriteOptions(push=True))
    assert refs(path) == before


def test_push_without_origin_writes_nothing(path: Path) -> None:
    fails(
        lambda: write(str(path), Register("m"), WriteOptions(push=True)),
        "No remote 'origin' configured: add it with `git remote add origin URL` "
        "(or set remote.origin.url in .git/config)",
        path,
    )


@pytest.mark.server
def test_push_to_an_empty_remote_sends_the_history(
    path: Path, tmp_path: Path, commits: dict[str, str]
) -> None:
    bare = tmp_path / "empty.git"
    init_repo(bare, bare=True).close()
    with dulwich_http_server(bare) as url:
        set_remote(path, url)
        write(str(path), Register("m", ref="HEAD~1"), WriteOptions(push=True))
    with Repo(str(bare)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/m@v0.0.1")]]
        assert isinstance(tag, Tag)
        commit = repo[tag.object[1]]
        assert isinstance(commit, Commit)
        assert commit.id.decode() == commits["c2"]
        assert repo[commit.parents[0]].id.decode() == commits["c1"]
        assert sorted(e.path for e in repo.object_store.iter_tree_contents(commit.tree)) == [
            b"a.txt",
            b"b.txt",
        ]
