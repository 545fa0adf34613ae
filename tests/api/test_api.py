"""gto.api is upstream GTO 1.10.1's API: the same functions, parameters and order, typed.

tests/upstream/gto_1_10_1_api.txt lists upstream's signatures (read with
inspect.signature from upstream 1.10.1). gto's own parameters come after them,
keyword-only. The behaviour tests call the functions positionally, the way
upstream's users do, and check the values and errors upstream gives.
"""

from __future__ import annotations

import inspect
import os
import re
import typing
from collections.abc import Callable
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path

import pytest
from builders import EPOCH, build_registry, init_repo, make_commit, make_lightweight_tag, make_tag
from dulwich.refs import Ref

import gto.api as api
from gto.api import commands
from gto.base import VersionSort, sort_versions
from gto.constants import Action
from gto.core.annotations import Annotation
from gto.core.events import (
    Assignment,
    CommitEvent,
    Creation,
    Deprecation,
    Deregistration,
    Registration,
    Unassignment,
)
from gto.exceptions import (
    ArtifactNotFound,
    InvalidVersion,
    MissingArg,
    RepoError,
    UnknownStage,
    VersionAlreadyRegistered,
    VersionExistsForCommit,
    VersionRequired,
    WrongArgs,
)

UPSTREAM = Path(__file__).parent / "upstream" / "gto_1_10_1_api.txt"


def upstream_signatures() -> dict[str, str]:
    lines = [line for line in UPSTREAM.read_text().splitlines() if not line.startswith("#")]
    return {line.split("(")[0]: line for line in lines}


def _default(value: object) -> str:
    return repr(value.value if isinstance(value, Enum) else value)


def upstream_part(name: str) -> str:
    """gto's signature, cut to the parameters that are not keyword-only, as the list has them."""
    params = inspect.signature(getattr(api, name)).parameters.values()
    shown = [
        p.name if p.default is p.empty else f"{p.name}={_default(p.default)}"
        for p in params
        if p.kind is not p.KEYWORD_ONLY
    ]
    return f"{name}({', '.join(shown)})"


@pytest.mark.parametrize("name", sorted(upstream_signatures()))
def test_upstream_signature(name: str) -> None:
    assert upstream_part(name) == upstream_signatures()[name]


@pytest.mark.parametrize("name", sorted(upstream_signatures()))
def test_typed_without_any_or_catch_all(name: str) -> None:
    function = getattr(api, name)
    kinds = {p.kind for p in inspect.signature(function).parameters.values()}
    assert inspect.Parameter.VAR_KEYWORD not in kinds
    assert inspect.Parameter.VAR_POSITIONAL not in kinds
    hints = typing.get_type_hints(function)
    assert "return" in hints
    assert all("Any" not in repr(hint) for hint in hints.values())


def test_gto_additions_are_keyword_only() -> None:
    extra = {
        name: [
            p.name
            for p in inspect.signature(getattr(api, name)).parameters.values()
            if p.kind is p.KEYWORD_ONLY
        ]
        for name in upstream_signatures()
    }
    signing = ["sign", "signing_key"]
    assert {name: params for name, params in extra.items() if params} == {
        "show": ["all_branches", "all_commits", "as_of", "verify"],
        "history": ["all_branches", "all_commits", "as_of", "verify"],
        "check_ref": ["as_of"],
        "describe": ["as_of"],
        "register": signing,
        "assign": signing,
        "unassign": signing,
        "deregister": signing,
        "deprecate": signing,
    }
    assert str(inspect.signature(api.annotate)).startswith(
        "(repo: 'Repo', name: 'str', type: 'str | None' = None, path: 'str | None' = None, "
        "must_exist: 'bool' = False, allow_same_path: 'bool' = False, "
        "labels: 'Iterable[str] | None' = None, description: 'str' = '', "
        "custom: 'object' = None, commit: 'bool' = False, push: 'bool' = False, *, "
    )


def test_public_names() -> None:
    typing_helpers = {"Iterable", "Literal", "TypeVar", "overload", "annotations"}
    public = {n for n in dir(api) if not n.startswith("_")} - typing_helpers
    assert public == set(api.__all__)
    functions = {n for n in public if inspect.isfunction(getattr(api, n))}
    assert functions == set(upstream_signatures()) | {"annotate", "remove", "diff"}
    assert "distinct" not in public  # funcy's, imported by upstream by accident


# --- behaviour ----------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path, clock: Callable[[int], None]) -> Path:
    """c1 <- c2 <- c3 on main (HEAD at c3)."""
    path = tmp_path / "repo"
    built = build_registry(
        path, [("commit", "c1", {"a": "a"}, 0), ("commit", "c2", {"b": "b"}, 10), ("commit", "c3")]
    )
    built.close()
    return path


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(EPOCH + seconds, timezone.utc)


def commit_of(path: Path, ref: str) -> str:
    from gto.git.repo import GitRepo

    with GitRepo.open(path) as git:
        return git.resolve(ref)


def test_write_functions_positionally_as_upstream(
    repo: Path, clock: Callable[[int], None], capsys: pytest.CaptureFixture[str]
) -> None:
    c1, c3 = commit_of(repo, "HEAD~2"), commit_of(repo, "HEAD")
    registered = api.register(repo, "churn", "HEAD~2", None, None, None, False, False, False,
                              False, False, True)  # fmt: skip
    assert registered == Registration(
        artifact="churn",
        created_at=at(1000),
        author="Tess Tagger",
        author_email="tess@example.com",
        message="Registering artifact churn version v0.0.1",
        commit_hexsha=c1,
        tag="churn@v0.0.1",
        version="v0.0.1",
    )
    clock(1001)
    assert api.register(repo, "churn", "HEAD", "v1.0.0").tag == "churn@v1.0.0"
    clock(1002)
    assigned = api.assign(repo, "churn", "prod", None, "HEAD~2")
    assert (type(assigned), assigned.tag, assigned.version) == (
        Assignment,
        "churn#prod#1",
        "v0.0.1",
    )
    clock(1003)
    # unassign(repo, name, ref, ...): the third argument names a commit, as upstream.
    unassigned = api.unassign(repo, "churn", "HEAD~2", None, "prod")
    assert unassigned is not None
    assert (type(unassigned), unassigned.tag, unassigned.version, unassigned.commit_hexsha) == (
        Unassignment,
        "churn#prod!#2",
        "v0.0.1",
        c1,
    )
    clock(1004)
    deregistered = api.deregister(repo, "churn", "HEAD")
    assert deregistered is not None
    assert (type(deregistered), deregistered.tag, deregistered.commit_hexsha) == (
        Deregistration,
        "churn@v1.0.0!",
        c3,
    )
    clock(1005)
    deprecated = api.deprecate(repo, "churn", "HEAD~1")
    assert deprecated is not None
    assert (type(deprecated), deprecated.tag, deprecated.created_at) == (
        Deprecation,
        "churn@deprecated",
        at(1005),
    )
    # stdout=True prints nothing from Python, as upstream's outside its own CLI.
    assert capsys.readouterr() == ("", "")


# Recorded by running upstream GTO 1.10.1: each kind of tag's event from `api.check_ref`,
# and `Commit`/`Creation` built directly: (tag, .event, str(event)).
UPSTREAM_EVENTS = [
    ("churn@v0.0.1", "registration", 'Version "v0.0.1" of artifact "churn" was registered'),
    ("churn#prod#1", "assignment",
     'Stage "prod" was assigned to version "v0.0.1" of artifact "churn"'),
    ("churn#prod!#2", "unassignment",
     'Stage "prod" was unassigned from version "v0.0.1" of artifact "churn"'),
    ("churn@v0.0.1!", "deregistration", 'Version "v0.0.1" of artifact "churn" was deregistered'),
    ("churn@deprecated", "deprecation", 'Artifact "churn" was deprecated'),
]  # fmt: skip


def test_events_have_upstreams_event_name_and_sentence(
    repo: Path, clock: Callable[[int], None]
) -> None:
    api.register(repo, "churn", "HEAD")
    writes: list[Callable[[], object]] = [
        lambda: api.assign(repo, "churn", "prod", version="v0.0.1"),
        lambda: api.unassign(repo, "churn", version="v0.0.1", stage="prod"),
        lambda: api.deregister(repo, "churn", version="v0.0.1"),
        lambda: api.deprecate(repo, "churn"),
    ]
    for seconds, write in enumerate(writes, start=1001):
        clock(seconds)
        write()
    found = [(tag, api.check_ref(repo, tag)) for tag, _, _ in UPSTREAM_EVENTS]
    assert [(tag, *((e.event, str(e)) for e in events)) for tag, events in found] == [
        (tag, (event, sentence)) for tag, event, sentence in UPSTREAM_EVENTS
    ]
    creation = Creation(artifact="churn", created_at=at(0), author="a", author_email="a@x",
                        message="m", commit_hexsha="0" * 40, tag="churn@created")  # fmt: skip
    commit = CommitEvent(artifact="churn", created_at=at(0), author="a", author_email="a@x",
                         message="m", commit_hexsha="0" * 40, version="v1.0.0", enrichments=(),
                         committer="c", committer_email="c@x")  # fmt: skip
    assert [(e.event, str(e)) for e in (creation, commit)] == [
        ("creation", 'Artifact "churn" was created'),
        ("commit", 'Artifact "churn" is annotated'),
    ]


def test_delete_returns_none(repo: Path, clock: Callable[[int], None]) -> None:
    api.register(repo, "m", "HEAD")
    clock(1001)
    api.assign(repo, "m", "dev", "v0.0.1")
    assert api.unassign(repo, "m", version="v0.0.1", stage="dev", delete=True) is None
    assert api.deregister(repo, "m", version="v0.0.1", delete=True) is None
    assert api.show(repo) == {}


ERRORS = [
    pytest.param(
        lambda r: api.register(r, "m", "HEAD", version="v0.0.1"),
        VersionExistsForCommit,
        "'m' is already registered in this commit with version 'v0.0.1'",
        id="register-again",
    ),
    pytest.param(
        lambda r: api.register(r, "m", "HEAD~1", version="v0.0.1"),
        VersionAlreadyRegistered,
        "Version 'v0.0.1' already was registered.",
        id="version-taken",
    ),
    pytest.param(
        lambda r: api.register(r, "m", "HEAD~1", version="1.0"),
        InvalidVersion,
        "Supplied version '1.0' cannot be parsed",
        id="bad-version",
    ),
    pytest.param(
        lambda r: api.assign(r, "m", "prod"),
        WrongArgs,
        "One and only one of (version, ref) must be specified.",
        id="assign-neither",
    ),
    pytest.param(
        lambda r: api.assign(r, "m", "prod", "v0.0.1", "HEAD"),
        WrongArgs,
        "One and only one of (version, ref) must be specified.",
        id="assign-both",
    ),
    pytest.param(
        lambda r: api.assign(r, "m", "prod", "v9.0.0"),
        WrongArgs,
        "Version 'v9.0.0' is not registered",
        id="assign-unregistered",
    ),
    pytest.param(
        lambda r: api.unassign(r, "m", version="v0.0.1"),
        MissingArg,
        "'stage' is required",
        id="unassign-no-stage",
    ),
    pytest.param(
        lambda r: api.unassign(r, "m", version="v0.0.1", stage="dev"),
        WrongArgs,
        "Stage 'dev' is not assigned to a version 'v0.0.1'",
        id="unassign-never-assigned",
    ),
    pytest.param(
        lambda r: api.unassign(r, "m", "HEAD", "v0.0.1", "dev"),
        WrongArgs,
        "One and only one of (version, ref) must be specified.",
        id="unassign-both",
    ),
    pytest.param(
        lambda r: api.deregister(r, "m", "HEAD~1"),
        VersionRequired,
        "No versions found for 'm'",
        id="deregister-unregistered-ref",
    ),
    pytest.param(
        lambda r: api.deregister(r, "m", version="v3.0.0"),
        VersionRequired,
        "Version 'v3.0.0' of artifact 'm' is not found",
        id="deregister-unknown-version",
    ),
    pytest.param(
        lambda r: api.deregister(r, "zz", version="v3.0.0"),
        ArtifactNotFound,
        "Cannot find artifact 'zz'",
        id="deregister-unknown-artifact",
    ),
    pytest.param(
        lambda r: api.deprecate(r, "zz"),
        ArtifactNotFound,
        "Cannot find artifact 'zz'",
        id="deprecate-unknown",
    ),
    pytest.param(
        lambda r: api.find_latest_version(r, "zz"),
        ArtifactNotFound,
        "Cannot find artifact 'zz'",
        id="latest-unknown",
    ),
    pytest.param(
        lambda r: api.show(r, "m", assignments_per_version=-5),
        WrongArgs,
        "'assignments_per_version' must be >= -1 (-1 means all), got -5",
        id="show-av",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS)
def test_errors_are_upstream_classes(
    repo: Path, call: Callable[[Path], object], error: type[Exception], message: str
) -> None:
    api.register(repo, "m", "HEAD")
    with pytest.raises(error) as info:
        call(repo)
    assert str(info.value) == message


def test_deprecated_twice_is_wrong_args(repo: Path, clock: Callable[[int], None]) -> None:
    api.register(repo, "m", "HEAD")
    clock(1001)
    api.deprecate(repo, "m")
    with pytest.raises(WrongArgs, match=r"^Artifact was deprecated already$"):
        api.deprecate(repo, "m")


def test_unknown_stage(repo: Path) -> None:
    (repo / ".gto").write_text("stages: [dev, prod]\n")
    with pytest.raises(UnknownStage, match=re.escape("Allowed stages are: '['dev', 'prod']'")):
        api.assign(repo, "m", "qa", ref="HEAD")


def test_reading_functions(repo: Path, clock: Callable[[int], None]) -> None:
    c2, c3 = commit_of(repo, "HEAD~1"), commit_of(repo, "HEAD")
    api.register(repo, "churn", "HEAD~1")
    clock(1001)
    api.register(repo, "churn", "HEAD")
    clock(1002)
    api.assign(repo, "churn", "prod", ref="HEAD")
    assert api.show(repo) == {
        "churn": {
            "version": "v0.0.2",
            "stage": {"prod": "v0.0.2"},
            "registered": True,
            "active": True,
        }
    }
    assert api.show(repo, table=True) == (
        [{"name": "churn", "latest": "v0.0.2", "#prod": "v0.0.2"}],
        "keys",
    )
    rows, keys = api.show(repo, "churn", False, table=True)
    assert keys == "keys"
    assert rows == [
        {"artifact": "churn", "version": "v0.0.2", "stage": "prod", "created_at": at(1001),
         "ref": "churn@v0.0.2"},
        {"artifact": "churn", "version": "v0.0.1", "stage": "", "created_at": at(1000),
         "ref": "churn@v0.0.1"},
    ]  # fmt: skip
    versions = api.show(repo, "churn#prod")
    listed = [
        (v["version"], v["commit_hexsha"], [s["stage"] for s in v["stages"]]) for v in versions
    ]
    assert listed == [("v0.0.2", c3, ["prod"])]
    assert [(h["event"], h["ref"]) for h in api.history(repo, "churn")] == [
        ("assignment", "churn#prod#1"),
        ("registration", "churn@v0.0.2"),
        ("registration", "churn@v0.0.1"),
        ("commit", c2),  # committed at EPOCH + 10
        ("commit", c3),  # at EPOCH
    ]
    history_rows, _ = api.history(repo, "churn", True, table=True, truncate_hexsha=True)
    assert [row["commit"] for row in history_rows] == [c3[:7], c2[:7], c2[:7], c3[:7], c3[:7]]
    latest = api.find_latest_version(repo, "churn")
    assert latest is not None and latest.version == "v0.0.2"
    assert [v.version for v in api.find_latest_version(repo, "churn", all=True)] == [
        "v0.0.2",
        "v0.0.1",
    ]
    # gto.base.sort_versions (DVC's) takes gto's own Version values too.
    latest_all = api.find_latest_version(repo, "churn", all=True)
    assert [v.version for v in sort_versions(latest_all, ascending=True)] == ["v0.0.1", "v0.0.2"]
    by_time = sort_versions(latest_all, sort=VersionSort.Timestamp)
    assert [(v.version, v.created_at) for v in by_time] == [
        ("v0.0.2", at(1001)),
        ("v0.0.1", at(1000)),
    ]
    in_prod = api.find_versions_in_stage(repo, "churn", "prod")
    assert in_prod is not None and [s.version for s in in_prod] == ["v0.0.2"]
    assert api.find_versions_in_stage(repo, "churn", "dev") is None
    assert api.get_stages(repo) == ["prod"]
    assert api.get_stages(repo, allowed=True) is None
    assert [e.tag for e in api.check_ref(repo, "churn#prod#1")] == ["churn#prod#1"]
    assert api.check_ref(repo, "nope") == []
    assert api.describe(repo, "churn") is None


def test_small_functions() -> None:
    assert api.parse_tag("dir/sub=clf#prod!#2") == {
        "name": "dir/sub:clf",
        "stage": "prod",
        "action": Action.UNASSIGN,
        "counter": 2,
    }
    assert api.parse_tag_name("release-1", raise_on_fail=False) == {}
    assert api.is_hexsha("a" * 40) is True
    assert api.mark_artifact_unregistered("m") == "*m"
    assert api.parse_shortcut("m#prod") == api.Shortcut("m", stage="prod", shortcut=True)


class ScmrepoGit:
    def __init__(self, root_dir: str) -> None:
        self.root_dir = root_dir


def test_repo_can_be_what_dvc_holds(repo: Path) -> None:
    api.register(repo, "m", "HEAD")
    assert list(api.show(ScmrepoGit(str(repo)))) == ["m"]
    assert list(api.show(repo.as_posix())) == ["m"]


def test_annotate_and_remove(repo: Path) -> None:
    assert api.annotate(repo, "m", "model", "a") == Annotation(type="model", path="a")
    assert api.describe(repo, "m") == Annotation(type="model", path="a")
    assert api.remove(repo, "m") is None  # type: ignore[func-returns-value]
    assert api.describe(repo, "m") is None


CALLER = """\
import gto.api

versions = gto.api.show("repo", "churn", registerd_only=True)
registry = gto.api.show("repo")
registry["churn"]["versoin"]
event = gto.api.register("repo", "churn", "HEAD")
event.tag.upper()
"""


def test_mypy_checks_a_caller(tmp_path: Path) -> None:
    """A misspelled keyword or key is a type error for the caller, not a runtime surprise."""
    mypy = pytest.importorskip("mypy.api")
    caller = tmp_path / "caller.py"
    caller.write_text(CALLER)
    out, _, code = mypy.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(caller)]
    )
    errors = [line.split(": error: ")[1] for line in out.splitlines() if ": error: " in line]
    # mypy's wording changes between versions; what each error is about does not.
    assert code == 1
    assert [
        [word for word in ('"registerd_only"', '"versoin"', "[call-overload]") if word in error]
        for error in sorted(errors)
    ] == [["[call-overload]"], ['"versoin"'], ['"registerd_only"', "[call-overload]"]]


def test_check_ref_gives_nothing_for_a_ref_gto_skips_and_refuses_damage(tmp_path: Path) -> None:
    """As upstream: [] for a ref re-pointed at another tag's object (as for a lightweight
    tag); `commands.ref_events` (what `gto check-ref` runs) says why. A missing tag
    object is damage, refused by both."""
    repo = init_repo(tmp_path / "repo")
    commit = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    make_tag(repo, "m@v1.0.0", commit, time=EPOCH + 1)
    make_tag(repo, "m#staging#1", commit, time=EPOCH + 2)
    lost = make_tag(repo, "m@v2.0.0", commit, time=EPOCH + 3)
    make_lightweight_tag(repo, "m@v3.0.0", commit)
    repo.refs[Ref(b"refs/tags/m#prod#2")] = repo.refs[Ref(b"refs/tags/m#staging#1")]
    repo.close()
    os.unlink(tmp_path / "repo" / ".git" / "objects" / lost[:2] / lost[2:])
    where = str(tmp_path / "repo")
    assert api.check_ref(where, "m#prod#2") == []
    assert api.check_ref(where, "m@v3.0.0") == commands.ref_events(where, "m@v3.0.0") == []
    renamed = (
        "Tag 'm#prod#2' is ignored: the tag object names 'm#staging#1', not the ref 'm#prod#2'"
    )
    with pytest.raises(RepoError, match=f"^{re.escape(renamed)}$"):
        commands.ref_events(where, "m#prod#2")
    for check in (api.check_ref, commands.ref_events):
        with pytest.raises(RepoError, match=r"^Tag 'm@v2.0.0' cannot be read: missing object$"):
            check(where, "m@v2.0.0")
        assert [e.tag for e in check(where, "m#staging#1")] == ["m#staging#1"]
