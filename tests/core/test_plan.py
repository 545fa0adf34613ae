"""Write plans on hand-written events, like replay's tests: no git at all."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import cast

import pytest

from gto.core.events import Assignment, Deprecation, Registration, TagEvent, event_from_tag
from gto.core.plan import other_versions_at, plan
from gto.core.replay import replay
from gto.core.requests import (
    Assign,
    Deprecate,
    Deregister,
    NewTag,
    Plan,
    Register,
    Request,
    Simple,
    Unassign,
    WriteOptions,
    bumps,
    check_request,
    counter_taken,
    revision,
    rivals,
)
from gto.core.state import Artifact
from gto.core.tags import Action, CommitRecord, TagRecord
from gto.exceptions import (
    ArtifactNotFound,
    GTOException,
    InvalidVersion,
    RefNotFound,
    ValidationError,
    VersionAlreadyRegistered,
    VersionExistsForCommit,
    VersionIsOld,
    VersionNotFound,
    VersionRequired,
    WrongArgs,
)

T0 = datetime(2022, 8, 20, tzinfo=timezone.utc)
A, B, C = "a" * 40, "b" * 40, "c" * 40
NONE = WriteOptions()


def tag(name: str, commit: str, second: int) -> TagEvent:
    event = event_from_tag(
        TagRecord(name, commit, "Tagger", "t@x", T0 + timedelta(seconds=second), f"msg {name}")
    )
    assert event is not None
    return event


def churn(*extra: TagEvent) -> Artifact:
    """v3.0.0 on A in prod, v3.1.0 on B in dev; C has no version."""
    events = (
        tag("churn@v3.0.0", A, 10),
        tag("churn@v3.1.0", B, 20),
        tag("churn#prod#1", A, 30),
        tag("churn#dev#2", B, 40),
        *extra,
    )
    commits = {sha: CommitRecord(sha, "Au", "au@x", "Co", "co@x", T0, "c\n") for sha in (A, B, C)}
    artifact = replay(events, commits, {}).find_artifact("churn")
    assert artifact is not None
    return artifact


def names(decided: Plan) -> list[str]:
    return [t.tag_name(7) for t in decided.create]


@pytest.mark.parametrize(
    ("artifact", "request_", "options", "expected"),
    [
        pytest.param(None, Register("churn", commit=A), NONE, ["churn@v0.0.1"], id="first"),
        pytest.param(churn(), Register("churn", commit=C), NONE, ["churn@v3.1.1"], id="bump-patch"),
        pytest.param(
            churn(),
            Register("churn", commit=C, bump=bumps(False, True, False)),
            NONE,
            ["churn@v3.2.0"],
            id="bump-minor",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=C, version="v4.0.0"),
            WriteOptions(simple="false"),
            ["churn@v4.0.0#7"],
            id="counted-registration",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=A),
            WriteOptions(force=True),
            ["churn@v3.0.0"],
            id="force-again",
        ),
        pytest.param(
            churn(),
            Assign("churn", "prod", version="v3.1.0"),
            NONE,
            ["churn#prod#7"],
            id="assign",
        ),
        pytest.param(
            churn(),
            Assign("churn", "qa", ref="HEAD", commit=C),
            NONE,
            ["churn@v3.1.1", "churn#qa#7"],
            id="assign-registers-first",
        ),
        pytest.param(
            churn(),
            Assign("churn", "qa", ref="HEAD", commit=C, skip_registration=True),
            WriteOptions(simple=True),
            ["churn#qa"],
            id="assign-unregistered",
        ),
        pytest.param(
            churn(),
            Unassign("churn", "prod", version="v3.0.0"),
            NONE,
            ["churn#prod!#7"],
            id="unassign",
        ),
        pytest.param(
            churn(), Deregister("churn", version="v3.1.0"), NONE, ["churn@v3.1.0!"], id="deregister"
        ),
        pytest.param(
            churn(), Deprecate("churn", commit=C), NONE, ["churn@deprecated"], id="deprecate"
        ),
    ],
)
def test_plans(
    artifact: Artifact | None, request_: Request, options: WriteOptions, expected: list[str]
) -> None:
    decided = plan(artifact, request_, options)
    assert names(decided) == expected
    assert decided.delete == decided.deleted == ()


@pytest.mark.parametrize(
    ("artifact", "request_", "options", "error", "message"),
    [
        pytest.param(
            churn(),
            Register("churn", commit=A),
            NONE,
            VersionExistsForCommit,
            "'churn' is already registered in this commit with version 'v3.0.0'",
            id="registered-here",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=C, version="v3.0.0"),
            NONE,
            VersionAlreadyRegistered,
            "Version 'v3.0.0' already was registered.",
            id="version-elsewhere",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=A, version="v9.0.0"),
            WriteOptions(force=True),
            WrongArgs,
            "For this REF you can only register v3.0.0",
            id="other-name-for-the-commit",
        ),
        pytest.param(
            None,
            Register("churn", commit=A, bump=("major",)),
            NONE,
            WrongArgs,
            "Can't apply bump, because this is the first version being registered",
            id="first-bump",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=C, version="3.0"),
            NONE,
            InvalidVersion,
            "Supplied version '3.0' cannot be parsed",
            id="bad-version",
        ),
        pytest.param(
            churn(),
            Assign("churn", "prod", version="v3.0.0"),
            NONE,
            VersionIsOld,
            "Version 'v3.0.0' is already in stage 'prod'. "
            "Use the '--force' flag to create a new Git tag nevertheless.",
            id="already-in-stage",
        ),
        pytest.param(
            churn(),
            Assign("churn", "prod", version="v9.9.9"),
            NONE,
            VersionIsOld,
            "Version 'v9.9.9' is not registered",
            id="assign-unknown-version",
        ),
        pytest.param(
            churn(),
            Unassign("churn", "qa", version="v3.0.0"),
            NONE,
            VersionIsOld,
            "Stage 'qa' is not assigned to a version 'v3.0.0'",
            id="unassign-unassigned",
        ),
        pytest.param(
            churn(),
            Deregister("churn", version="v9.9.9"),
            NONE,
            VersionNotFound,
            None,
            id="deregister-unknown",
        ),
        pytest.param(
            churn(),
            Deregister("churn", ref="HEAD", commit=C),
            NONE,
            VersionRequired,
            None,
            id="deregister-no-version-at-ref",
        ),
        pytest.param(
            churn(),
            Register("churn", commit=C),
            WriteOptions(simple=cast(Simple, "maybe")),
            WrongArgs,
            "Invalid value for '--simple': Only one of ['auto', 'true', 'false'] is allowed",
            id="bad-simple",
        ),
        pytest.param(None, Deprecate("churn", commit=A), NONE, ArtifactNotFound, None, id="none"),
        pytest.param(
            churn(tag("churn@deprecated", B, 50)),
            Deprecate("churn", commit=A),
            NONE,
            VersionIsOld,
            "Artifact was deprecated already",
            id="deprecated-twice",
        ),
    ],
)
def test_refusals(
    artifact: Artifact | None,
    request_: Request,
    options: WriteOptions,
    error: type[GTOException],
    message: str | None,
) -> None:
    with pytest.raises(error) as raised:
        plan(artifact, request_, options)
    if message is not None:
        assert raised.value.message == message


def test_a_resolution_error_comes_where_the_commit_is_needed() -> None:
    missing = RefNotFound("nope")
    # Without the artifact, "not found" comes first, as upstream checks it first.
    with pytest.raises(ArtifactNotFound):
        plan(None, Deregister("churn", ref="nope", commit=missing), NONE)
    with pytest.raises(RefNotFound):
        plan(churn(), Deregister("churn", ref="nope", commit=missing), NONE)
    # An existing artifact's deprecation tags its latest event: HEAD is never needed.
    decided = plan(churn(), Deprecate("churn", commit=missing), NONE)
    assert [t.commit for t in decided.create] == [B]


def test_registration_checks_and_rebumps() -> None:
    (first,) = plan(churn(), Register("churn", commit=C), NONE).create
    assert (first.check, first.rebump, first.counted) == ("alone", True, False)
    assert first.message == "Registering artifact churn version v3.1.1"
    (named,) = plan(churn(), Register("churn", commit=C, version="v5.0.0"), NONE).create
    assert (named.check, named.rebump) == ("alone", False)
    (again,) = plan(churn(), Register("churn", commit=A), WriteOptions(force=True)).create
    assert (again.check, again.rebump) == (None, False)


def test_assignment_checks_for_repeats_unless_forced() -> None:
    (tag_,) = plan(churn(), Assign("churn", "qa", version="v3.1.0"), NONE).create
    assert (tag_.check, tag_.counted, tag_.stage, tag_.version) == (
        "not-repeated",
        True,
        "qa",
        "v3.1.0",
    )
    assert tag_.repeat.startswith("Version 'v3.1.0' is already in stage 'qa'.")
    (forced,) = plan(
        churn(), Assign("churn", "prod", version="v3.0.0"), WriteOptions(force=True)
    ).create
    assert forced.check is None
    assert forced.message == "Assigning stage prod to artifact churn version v3.0.0"


def test_deletions_take_version_tags_last_and_report_oldest_first() -> None:
    artifact = churn(tag("churn@v3.1.0!", B, 50), tag("churn#dev!#3", B, 60))
    decided = plan(
        artifact, Deregister("churn", version="v3.1.0", delete=True), WriteOptions(force=True)
    )
    assert decided.create == ()
    assert decided.delete == ("churn#dev!#3", "churn#dev#2", "churn@v3.1.0!", "churn@v3.1.0")
    assert decided.deleted == ("churn@v3.1.0", "churn#dev#2", "churn@v3.1.0!", "churn#dev!#3")
    everything = plan(churn(), Deprecate("churn", commit=A, delete=True), NONE)
    assert everything.delete[-2:] == ("churn@v3.1.0", "churn@v3.0.0")


def test_new_tags_become_events() -> None:
    when = T0 + timedelta(seconds=99)
    registration = NewTag("m", Action.REGISTER, A, "msg", version="v1.0.0", counted=True)
    assert registration.tag_name(4) == "m@v1.0.0#4"
    assert registration.event("m@v1.0.0#4", when, "Ann", "ann@x") == Registration(
        artifact="m",
        created_at=when,
        author="Ann",
        author_email="ann@x",
        message="msg",
        commit_hexsha=A,
        tag="m@v1.0.0#4",
        version="v1.0.0",
        counter=4,
    )
    assignment = NewTag("m", Action.ASSIGN, A, "msg", version="v1.0.0", stage="prod")
    event = assignment.event("m#prod", when, "Ann", "ann@x")
    assert isinstance(event, Assignment)
    assert (event.stage, event.version, event.counter) == ("prod", "v1.0.0", None)
    deprecation = NewTag("m", Action.DEPRECATE, A, "msg").event("m@deprecated", when, "A", "a@x")
    assert isinstance(deprecation, Deprecation)


@pytest.mark.parametrize(
    ("request_", "options", "samples"),
    [
        (Register("m"), NONE, ["m@v0.0.1"]),
        (Assign("m", "prod", version="v1.0.0"), NONE, ["m#prod#1"]),
        (Assign("m", "prod", ref="HEAD", name_version="v2.0.0"), NONE, ["m#prod#1", "m@v2.0.0"]),
        (Unassign("m", "prod", version="v1.0.0"), NONE, ["m#prod!#1"]),
        (Deregister("dir:m", version="v1.0.0"), NONE, ["dir=m@v1.0.0!"]),
        (Deprecate("m"), NONE, ["m@deprecated"]),
    ],
)
def test_check_request_gives_sample_tags(
    request_: Request, options: WriteOptions, samples: list[str]
) -> None:
    assert check_request(request_, options) == samples


@pytest.mark.parametrize(
    ("request_", "options", "error"),
    [
        (Register("a model"), NONE, ValidationError),
        (Register("m", version="v1.0.0", bump=("minor",)), NONE, WrongArgs),
        (Register("m", bump=("minor", "major")), NONE, WrongArgs),
        (Assign("m", "prod", version="v1.0.0", ref="HEAD"), NONE, WrongArgs),
        (Assign("m", "prod", version="v1.0.0", skip_registration=True), NONE, WrongArgs),
        (Unassign("m", "-prod", version="v1.0.0"), NONE, ValidationError),
        (Deprecate("m"), WriteOptions(force=True, simple="true"), WrongArgs),
    ],
)
def test_check_request_refusals(
    request_: Request, options: WriteOptions, error: type[GTOException]
) -> None:
    with pytest.raises(error):
        check_request(request_, options)


def test_revision_is_what_the_plan_may_need() -> None:
    assert revision(Register("m", "HEAD~1")) == "HEAD~1"
    assert revision(Assign("m", "prod")) == "HEAD"
    assert revision(Assign("m", "prod", version="v1.0.0")) is None
    assert revision(Unassign("m", "prod", version="v1.0.0")) is None
    assert revision(Deprecate("m")) == "HEAD"


def test_what_concurrent_writers_did() -> None:
    names_ = ["m#prod#3", "m#prod#5", "m#dev#4", "m#prod!#2", "other#prod#1"]
    assert counter_taken(names_, "m", 4, "m#prod#4")
    assert not counter_taken(names_, "m", 5, "m#prod#5")
    assert rivals("m#prod#6", "prod", names_, frozenset({"m#prod#3"})) == ["m#prod#5"]
    assert rivals("m#prod", "prod", names_, frozenset()) == []
    assert other_versions_at(churn(), A, "v3.0.0") == []
    assert other_versions_at(churn(), A, "v9.0.0") == ["v3.0.0"]
