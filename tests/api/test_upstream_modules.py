"""The modules DVC imports from upstream GTO: gto.constants, gto.tag and gto.base.

Expected values were observed by running upstream GTO 1.10.1 on the same tags
(see the README, "Using gto with DVC"); where gto deliberately differs, the test
says so.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import warnings
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import upstream_constants
from builders import (
    EPOCH,
    BuiltRepo,
    Commit,
    Lightweight,
    Tag,
    build_registry,
    make_tag,
    pack_everything,
)

from gto import base, constants
from gto.constants import Action, VersionSort
from gto.exceptions import InvalidTagName, MissingArg, UnknownAction, ValidationError
from gto.tag import GitTag, find, parse_name, parse_tag
from gto.tag import Tag as ParsedGitTag

# --- gto.constants ------------------------------------------------------------------

FULLNAMES = [
    ("dir/sub:name", ("dir/sub:", "name")),
    ("name", (None, "name")),
    ("dir/sub/dvc.yaml:name", ("dir/sub/dvc.yaml:", "name")),
    ("path/to:model", ("path/to:", "model")),
    ("some/Other_Folder:some/model", ("some/Other_Folder:", "some/model")),
    ("dir/:x", ("dir/:", "x")),
    ("./dir:x", ("./dir:", "x")),
    ("../up:x", ("../up:", "x")),
    ("dir.with.dots:x", ("dir.with.dots:", "x")),
    ("dvc.yaml:model", ("dvc.yaml:", "model")),
    ("m", (None, "m")),
    ("1", (None, "1")),
    ("Model_X", (None, "Model_X")),
    ("a/b/c", (None, "a/b/c")),
]
NOT_FULLNAMES = [
    "a:b:c", ":x", "x:", "_x", "-model", "model-", "m/", "/m", "a model", "model@1", "dir=x", "",
    "a@b:c", "name\n",
]  # fmt: skip


@pytest.mark.parametrize(("value", "groups"), FULLNAMES, ids=[v for v, _ in FULLNAMES])
def test_fullname_re_groups_dvc_reads(value: str, groups: tuple[str | None, str]) -> None:
    match = constants.fullname_re.match(value)
    assert match is not None
    assert (match.group("dirname"), match.group("name")) == groups
    dirname = match.group("dirname")
    assert dirname is None or dirname.rstrip(constants.SEPARATOR_IN_NAME) == (groups[0] or "")[:-1]


@pytest.mark.parametrize("value", NOT_FULLNAMES)
def test_fullname_re_refuses(value: str) -> None:
    assert constants.fullname_re.match(value) is None


# DVC's own lists (tests/func/artifacts/test_artifacts.py) plus upstream's observations.
VALID = ["1", "m", "nn", "m1", "1nn", "model-prod", "model-prod-v1", "Model_X", "a/b", "x" * 300]
INVALID = [
    "", "m/", "/m", "###", "@@@", "a model", "-model", "model-", "model@1", "model#1",
    "@namespace/model", "_x", "dir/sub:name", "a:b:c",
]  # fmt: skip


@pytest.mark.parametrize("value", VALID)
def test_assert_name_is_valid_accepts(value: str) -> None:
    assert constants.assert_name_is_valid(value) is None  # type: ignore[func-returns-value]


@pytest.mark.parametrize("value", INVALID)
def test_assert_name_is_valid_raises_validation_error(value: str) -> None:
    with pytest.raises(ValidationError) as info:
        constants.assert_name_is_valid(value)
    # gto's wording: upstream also says "must be of len >= 2", yet accepts "m".
    assert info.value.message == (
        f"Invalid value '{value}'. Only letters, numbers, '_', '-', '/' are allowed. "
        "Value must start and end with a letter or a number."
    )


def test_assert_fullname_is_valid() -> None:
    assert constants.assert_fullname_is_valid("dir/sub:name") is None  # type: ignore[func-returns-value]
    with pytest.raises(ValidationError):
        constants.assert_fullname_is_valid("a:b:c")


def test_constant_values() -> None:
    assert (constants.SEPARATOR_IN_NAME, constants.SEPARATOR_IN_TAG) == (":", "=")
    assert [
        constants.ACTION, constants.ARTIFACT, constants.COMMIT, constants.COUNTER, constants.NAME,
        constants.PATH, constants.REF, constants.STAGE, constants.TAG, constants.TYPE,
        constants.VERSION,
    ] == [
        "action", "artifact", "commit", "counter", "name", "path", "ref", "stage", "tag", "type",
        "version",
    ]  # fmt: skip
    assert (constants.ASSIGNMENTS_PER_VERSION, constants.VERSIONS_PER_STAGE) == (-1, 1)
    assert [a.value for a in Action] == [
        "create", "deprecate", "deregister", "register", "assign", "unassign",
    ]  # fmt: skip
    assert VersionSort.SemVer is VersionSort.SEMVER  # type: ignore[comparison-overlap]
    assert VersionSort.Timestamp is VersionSort.TIMESTAMP  # type: ignore[comparison-overlap]
    assert [s.value for s in VersionSort] == ["semver", "timestamp"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a" * 40, True),
        ("A" * 40, True),
        ("0123456789abcdef0123456789abcdef01234567", True),
        ("abc", False),
        ("g" * 40, False),
        ("a" * 41, False),
        ("v1.0.0", False),
        ("a" * 40 + "\n", False),
    ],
)
def test_is_hexsha(value: str, expected: bool) -> None:
    assert constants.is_hexsha(value) is expected


def test_names_and_tags() -> None:
    assert constants.mark_artifact_unregistered("model") == "*model"
    assert constants.name_to_tag("dir/sub:name") == "dir/sub=name"
    assert constants.tag_to_name("dir/sub=name") == "dir/sub:name"


S = constants.Shortcut


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("model", S("model")),
        ("model@v1.0.0", S("model", version="v1.0.0", shortcut=True)),
        ("model@latest", S("model", latest=True, shortcut=True)),
        ("model@greatest", S("model", latest=True, shortcut=True)),
        ("model#prod", S("model", stage="prod", shortcut=True)),
        ("dir/sub:name#prod", S("dir/sub:name", stage="prod", shortcut=True)),
        ("model@v1", S("model@v1")),
        ("model@1.0.0", S("model@1.0.0")),
        ("a:b:c#prod", S("a:b:c#prod")),
        ("model#prod#1", S("model#prod#1")),
    ],
)
def test_parse_shortcut(value: str, expected: constants.Shortcut) -> None:
    assert constants.parse_shortcut(value) == expected


# --- gto.tag ------------------------------------------------------------------------

DAY = 86400
T0 = EPOCH


def _tags_repo(path: Path) -> tuple[BuiltRepo, dict[str, str]]:
    """The tags of upstream's probe repository: times chosen so that name order,
    time order and SemVer order all differ. Returns the repo and tag object ids."""
    repo = build_registry(
        path,
        [
            Commit("c1", {"f.txt": "one\n"}),
            Commit("c2", {"f.txt": "two\n"}, at=DAY),
            Commit("c3", {"f.txt": "three\n"}, at=2 * DAY),
            Lightweight("model@v9.9.9", "c3"),
            Lightweight("model#prod#9", "c1"),
        ],
    )
    c1, c2, c3 = (repo.commits[c] for c in ("c1", "c2", "c3"))
    spec = [
        ("model@v0.0.1", c1, "reg 0.0.1\n", 31, 5 * 3600 + 45 * 60),
        ("model@v1.0.0", c3, "reg 1.0.0\n", 32, -7 * 3600),
        ("model@v0.0.2", c2, "reg 0.0.2\n", 33, 0),
        ("model@v2.0.0-rc.1", c1, "reg rc\n", 34, 0),
        ("model#prod#1", c2, "assign prod\n", 35, 0),
        ("model#dev#2", c3, "assign dev\n", 36, 0),
        ("model#prod#3", c3, "assign prod 2\n", 37, 0),
        ("model#prod!#4", c3, "unassign prod\n", 38, 0),
        ("model@v0.0.2!", c2, "deregister 0.0.2\n", 39, 0),
        ("model@deprecated", c3, "deprecate\n", 40, 0),
        ("models@v5.0.0", c1, "other name\n", 14, 0),
        ("model/x@v3.0.0", c1, "slash name\n", 15, 0),
        ("dir/sub=name@v1.2.3", c2, "monorepo\n", 16, 0),
        ("dir/sub=name#prod#1", c2, "monorepo prod\n", 17, 0),
        ("name@v0.1.0", c1, "plain name\n", 18, 0),
        ("release-1", c1, "not gto\n", 19, 0),
        ("model#staging", c1, "simple stage\n", 41, 0),
        ("model@v1.1.0", c3, "multi\nline message\n", 42, 2 * 3600),
    ]
    ids = {
        name: make_tag(repo, name, target, message, time=T0 + day * DAY, tz=tz)
        for name, target, message, day, tz in spec
    }
    return repo, ids


ALL = [
    "models@v5.0.0", "model/x@v3.0.0", "dir/sub=name@v1.2.3", "dir/sub=name#prod#1",
    "name@v0.1.0", "model@v0.0.1", "model@v1.0.0", "model@v0.0.2", "model@v2.0.0-rc.1",
    "model#prod#1", "model#dev#2", "model#prod#3", "model#prod!#4", "model@v0.0.2!",
    "model@deprecated", "model#staging", "model@v1.1.0",
]  # fmt: skip
MODEL = ALL[5:]
REGISTER = [
    "models@v5.0.0", "model/x@v3.0.0", "dir/sub=name@v1.2.3", "name@v0.1.0", "model@v0.0.1",
    "model@v1.0.0", "model@v0.0.2", "model@v2.0.0-rc.1", "model@v1.1.0",
]  # fmt: skip
ASSIGN = ["dir/sub=name#prod#1", "model#prod#1", "model#dev#2", "model#prod#3", "model#staging"]

# find's filters and the names upstream 1.10.1 returned for them, in its order.
FIND = [
    pytest.param({}, ALL, id="all"),
    pytest.param({"name": "model"}, MODEL, id="name"),
    pytest.param({"name": "models"}, ["models@v5.0.0"], id="name-models"),
    pytest.param({"name": "model/x"}, ["model/x@v3.0.0"], id="name-slash"),
    pytest.param({"name": "nope"}, [], id="name-unknown"),
    pytest.param(
        {"name": "dir/sub:name"}, ["dir/sub=name@v1.2.3", "dir/sub=name#prod#1"], id="monorepo"
    ),
    pytest.param({"name": "dir/sub=name"}, [], id="tag-form-is-no-name"),
    pytest.param({"name": "model", "version": "v0.0.1"}, ["model@v0.0.1"], id="version"),
    pytest.param(
        {"name": "model", "version": "v0.0.2"},
        ["model@v0.0.2", "model@v0.0.2!"],
        id="version-dereg",
    ),
    pytest.param({"name": "model", "version": "0.0.1"}, [], id="version-without-v"),
    pytest.param({"name": "model", "version": "v9.9.9"}, [], id="lightweight-only"),
    pytest.param(
        {"name": "model", "stage": "prod"},
        ["model#prod#1", "model#prod#3", "model#prod!#4"],
        id="stage",
    ),
    pytest.param({"name": "model", "stage": "dev"}, ["model#dev#2"], id="stage-dev"),
    pytest.param({"name": "model", "stage": "staging"}, ["model#staging"], id="stage-simple"),
    pytest.param(
        {"name": "dir/sub:name", "stage": "prod"}, ["dir/sub=name#prod#1"], id="monorepo-stage"
    ),
    pytest.param(
        {"stage": "prod"},
        ["dir/sub=name#prod#1", "model#prod#1", "model#prod#3", "model#prod!#4"],
        id="stage-any-artifact",
    ),
    pytest.param({"version": "v1.0.0"}, ["model@v1.0.0"], id="version-any-artifact"),
    pytest.param({"name": "model", "version": "v0.0.1", "stage": "prod"}, [], id="both"),
    pytest.param({"action": Action.CREATE}, [], id="create"),
    pytest.param({"action": Action.DEPRECATE}, ["model@deprecated"], id="deprecate"),
    pytest.param({"action": Action.DEREGISTER}, ["model@v0.0.2!"], id="deregister"),
    pytest.param({"action": Action.REGISTER}, REGISTER, id="register"),
    pytest.param({"action": Action.ASSIGN}, ASSIGN, id="assign"),
    pytest.param({"action": Action.UNASSIGN}, ["model#prod!#4"], id="unassign"),
    pytest.param(
        {"action": frozenset({Action.REGISTER, Action.DEREGISTER}), "name": "model"},
        [
            "model@v0.0.1",
            "model@v1.0.0",
            "model@v0.0.2",
            "model@v2.0.0-rc.1",
            "model@v0.0.2!",
            "model@v1.1.0",
        ],
        id="action-set",
    ),
    pytest.param(
        {"action": Action.ASSIGN, "name": "model", "stage": "prod"},
        ["model#prod#1", "model#prod#3"],
        id="action-and-stage",
    ),
    # Upstream raises TypeError for a plain string; gto reads it as the Action.
    pytest.param({"action": "unassign"}, ["model#prod!#4"], id="action-string"),
]


@pytest.fixture
def tags_repo(tmp_path: Path) -> tuple[BuiltRepo, dict[str, str]]:
    return _tags_repo(tmp_path / "repo")


@pytest.mark.parametrize(("filters", "names"), FIND)
def test_find(
    tags_repo: tuple[BuiltRepo, dict[str, str]], filters: dict[str, object], names: list[str]
) -> None:
    repo, _ = tags_repo
    assert [t.name for t in find(scm=repo.path, **filters)] == names  # type: ignore[call-overload]


def test_find_returns_the_tag_objects_as_git_stores_them(
    tags_repo: tuple[BuiltRepo, dict[str, str]],
) -> None:
    repo, ids = tags_repo
    found = {t.name: t for t in find(scm=repo.path)}
    assert found["model@v0.0.1"] == GitTag(
        name="model@v0.0.1",
        hexsha=ids["model@v0.0.1"],
        target=repo.commits["c1"],
        tagger_name="Test Tagger",
        tagger_email="tagger@example.com",
        tag_time=T0 + 31 * DAY,
        tag_time_offset=20700,
        message="reg 0.0.1\n",
    )
    assert (found["model@v1.0.0"].tag_time_offset, found["model@v1.1.0"].tag_time_offset) == (
        -25200,
        7200,
    )
    assert found["model@v1.1.0"].message == "multi\nline message\n"
    assert found["dir/sub=name@v1.2.3"].target == repo.commits["c2"]


def test_find_keeps_tags_of_tags_and_trees_unpeeled(tmp_path: Path) -> None:
    repo = build_registry(tmp_path / "repo", [Commit("c1", {"f": "x"})])
    inner = make_tag(repo, "inner", repo.commits["c1"], time=T0 + 1)
    outer = make_tag(repo, "m@v1.0.0", inner, time=T0 + 2)
    tree = repo[repo.commits["c1"].encode()].tree.decode()  # type: ignore[attr-defined]
    make_tag(repo, "t@v1.0.0", tree, message="", time=T0 + 3)
    found = find(scm=repo.path)
    assert [(t.name, t.hexsha, t.target, t.message) for t in found] == [
        ("m@v1.0.0", outer, inner, "Tag m@v1.0.0"),
        ("t@v1.0.0", found[1].hexsha, tree, ""),
    ]


def test_find_orders_one_second_as_replay_does(tmp_path: Path) -> None:
    """Kinds (deprecations, version events, stage events), counters as numbers, then
    names; upstream ordered one second by name alone (`a#prod#10` before `a#prod#9`)."""
    spec: list[object] = [Commit("c1")]
    names = ["b@v1.0.0", "a@v2.0.0", "c@v0.1.0", "a@v1.0.0", "a#prod#10", "a#prod#9"]
    spec += [Tag(n, "c1") for n in [*names, "a@deprecated", "a#dev!#11", "a#dev"]]
    repo = build_registry(tmp_path / "repo", spec)  # type: ignore[arg-type]
    assert [t.name for t in find(scm=repo.path)] == [
        "a@deprecated", "a@v1.0.0", "a@v2.0.0", "b@v1.0.0", "c@v0.1.0",
        "a#dev", "a#prod#9", "a#prod#10", "a#dev!#11",
    ]  # fmt: skip


def test_find_created_tags(tmp_path: Path) -> None:
    repo = build_registry(tmp_path / "repo", [Commit("c1"), Tag("x@created", "c1")])
    assert [t.name for t in find(scm=repo.path)] == ["x@created"]
    # Upstream crashes with KeyError: 'action' here (quirk Q12).
    assert [t.name for t in find(scm=repo.path, action=Action.REGISTER)] == []
    assert [t.name for t in find(scm=repo.path, action=Action.CREATE)] == ["x@created"]


class ScmrepoGit:
    """What DVC passes as `scm=`: gto reads only `root_dir`."""

    def __init__(self, root_dir: str) -> None:
        self.root_dir = root_dir


def test_find_accepts_what_dvc_passes_a_path_and_a_dulwich_repo(
    tags_repo: tuple[BuiltRepo, dict[str, str]],
) -> None:
    repo, _ = tags_repo
    names = [t.name for t in find(name="model", stage="dev", scm=ScmrepoGit(repo.path))]
    assert names == ["model#dev#2"]
    assert [t.name for t in find(name="model", stage="dev", scm=repo)] == names
    assert [t.name for t in find(name="model", stage="dev", scm=Path(repo.path))] == names
    sub = Path(repo.path, "sub")
    sub.mkdir()
    assert [t.name for t in find(name="model", stage="dev", scm=str(sub))] == names


def test_find_filters_given_tags(tags_repo: tuple[BuiltRepo, dict[str, str]]) -> None:
    repo, _ = tags_repo
    by_name = {t.name: t for t in find(scm=repo.path)}
    subset = [by_name["model@v1.0.0"], by_name["model@v0.0.1"], by_name["models@v5.0.0"]]
    assert [t.name for t in find(scm=repo.path, tags=subset)] == [
        "models@v5.0.0",
        "model@v0.0.1",
        "model@v1.0.0",
    ]
    assert [t.name for t in find(name="model", scm=repo.path, tags=subset)] == [
        "model@v0.0.1",
        "model@v1.0.0",
    ]
    assert len(find(scm=repo.path, tags=[])) == len(ALL)  # empty means all


def test_find_errors(tags_repo: tuple[BuiltRepo, dict[str, str]]) -> None:
    repo, _ = tags_repo
    with pytest.raises(MissingArg, match=r"^'scm' is required$"):
        find(name="model")
    with pytest.raises(NotImplementedError, match=r"^Unknown sort: by_name$"):
        find(scm=repo.path, sort="by_name")
    with pytest.raises(UnknownAction, match=r"^Unknown action 'promote' was requested$"):
        find(scm=repo.path, action="promote")
    with pytest.raises(TypeError, match=r"^Cannot open a repository from int: pass its path$"):
        find(scm=5)  # type: ignore[call-overload]


def _open_pack_files(folder: Path) -> list[str]:
    """Files under `folder` this process holds open or mapped (Linux's /proc)."""
    held = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines()]
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone already
            held.append(os.readlink(f"/proc/self/fd/{fd}"))
    return sorted({path for path in held if path.startswith(str(folder))})


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs Linux's /proc")
def test_find_closes_what_it_opens(tmp_path: Path) -> None:
    """DVC's tests turn an unclosed pack file into an error (a ResourceWarning at collection)."""
    repo = build_registry(
        tmp_path / "repo",
        [Commit("c1"), *(Tag(f"m@v1.0.{n}", "c1", at=n, message="x" * 200) for n in range(20))],
    )
    pack_everything(repo, deltify=True)  # deltas are read through dulwich's own pack reader
    repo.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(find(name="m", scm=ScmrepoGit(str(tmp_path / "repo")))) == 20
        assert _open_pack_files(tmp_path) == []
        gc.collect()
    assert [w.message for w in caught if issubclass(w.category, ResourceWarning)] == []


PARSED = [
    ("models@v5.0.0", Action.REGISTER, "models", "v5.0.0", None),
    ("dir/sub=name@v1.2.3", Action.REGISTER, "dir/sub:name", "v1.2.3", None),
    ("dir/sub=name#prod#1", Action.ASSIGN, "dir/sub:name", None, "prod"),
    ("model@v2.0.0-rc.1", Action.REGISTER, "model", "v2.0.0-rc.1", None),
    ("model#prod#1", Action.ASSIGN, "model", None, "prod"),
    ("model#prod!#4", Action.UNASSIGN, "model", None, "prod"),
    ("model@v0.0.2!", Action.DEREGISTER, "model", "v0.0.2", None),
    ("model@v1.0.0!#5", Action.DEREGISTER, "model", "v1.0.0", None),
    ("model@deprecated", Action.DEPRECATE, "model", None, None),
    ("model#staging", Action.ASSIGN, "model", None, "staging"),
    ("model#prod!", Action.UNASSIGN, "model", None, "prod"),
    ("x=y@v1.0.0", Action.REGISTER, "x:y", "v1.0.0", None),
    # Upstream raises a pydantic error for `@created`; gto parses it.
    ("model@created", Action.CREATE, "model", None, None),
]


def _git_tag(name: str, time: int = 1_700_000_000, offset: int = 0) -> GitTag:
    return GitTag(name, "0" * 40, "1" * 40, "T", "t@e", time, offset, "m")


@pytest.mark.parametrize(("name", "action", "artifact", "version", "stage"), PARSED)
def test_parse_tag(
    name: str, action: Action, artifact: str, version: str | None, stage: str | None
) -> None:
    tag = _git_tag(name)
    parsed = parse_tag(tag)
    assert parsed == ParsedGitTag(
        action=action,
        name=artifact,
        created_at=datetime(2023, 11, 14, 22, 13, 20, tzinfo=timezone.utc),
        tag=tag,
        version=version,
        stage=stage,
    )
    assert parsed.tag is tag


def test_parse_tag_keeps_the_offset() -> None:
    parsed = parse_tag(_git_tag("m@v1.0.0", offset=20700))
    assert parsed.created_at == datetime(
        2023, 11, 15, 3, 58, 20, tzinfo=timezone(timedelta(seconds=20700))
    )
    assert parsed.created_at.utcoffset() == timedelta(hours=5, minutes=45)
    assert parse_tag(_git_tag("m@v1.0.0")).created_at.tzinfo is timezone.utc


@pytest.mark.parametrize("name", ["release-1", "model", "a:b@v1.0.0", "model@v1.0"])
def test_parse_tag_refuses(name: str) -> None:
    with pytest.raises(InvalidTagName, match=f"^Cannot parse tag name '{name}'$"):
        parse_tag(_git_tag(name))


R, D, A, U = Action.REGISTER, Action.DEREGISTER, Action.ASSIGN, Action.UNASSIGN
NAMES: list[tuple[str, dict[str, object]]] = [
    ("model@v1.0.0", {"name": "model", "version": "v1.0.0", "action": R}),
    ("model@v1.0.0!", {"name": "model", "version": "v1.0.0", "action": D}),
    ("model#prod#1", {"name": "model", "stage": "prod", "action": A, "counter": 1}),
    ("model#prod!#2", {"name": "model", "stage": "prod", "action": U, "counter": 2}),
    ("model#prod", {"name": "model", "stage": "prod", "action": A}),
    ("model@deprecated", {"name": "model", "action": Action.DEPRECATE}),
    ("model@deprecated#3", {"name": "model", "action": Action.DEPRECATE, "counter": 3}),
    ("dir/sub=name@v1.2.3", {"name": "dir/sub:name", "version": "v1.2.3", "action": R}),
    ("model@created", {"name": "model"}),
    ("model@v1.0.0-rc.1+b.2", {"name": "model", "version": "v1.0.0-rc.1+b.2", "action": R}),
]


@pytest.mark.parametrize(("name", "fields"), NAMES, ids=[n for n, _ in NAMES])
def test_parse_name(name: str, fields: dict[str, object]) -> None:
    assert parse_name(name) == fields
    assert parse_name(name, raise_on_fail=False) == fields
    assert list(parse_name(name)) == list(fields)  # the key order too


@pytest.mark.parametrize("name", ["dir/sub:name@v1.2.3", "release-1", "model@v1.0"])
def test_parse_name_refuses(name: str) -> None:
    assert parse_name(name, raise_on_fail=False) == {}
    with pytest.raises(InvalidTagName):
        parse_name(name)


# --- gto.base.sort_versions ----------------------------------------------------------


def _d(version: str | None, ts: int, label: str) -> dict[str, object]:
    return {"version": version, "created_at": ts, "id": label}


def _ids(items: list[dict[str, object]]) -> list[object]:
    return [item["id"] for item in items]


SORTS = [
    pytest.param(
        ["v1.0.0", "v1.0.0-rc.1", "v0.9.0", "v1.0.0-rc.10", "v1.0.0-rc.2"],
        {},
        ["v1.0.0", "v1.0.0-rc.10", "v1.0.0-rc.2", "v1.0.0-rc.1", "v0.9.0"],
        id="precedence",
    ),
    pytest.param(["1.0.0", "v2.0.0", "v0.5.0"], {}, ["v2.0.0", "v0.5.0", "1.0.0"], id="no-v-last"),
    pytest.param(["abc", "v1.0.0"], {}, ["v1.0.0", "abc"], id="invalid-last"),
    pytest.param(["v1", "v2.0.0"], {}, ["v2.0.0", "v1"], id="short-last"),
    pytest.param(["a" * 40, "v2.0.0"], {}, ["v2.0.0", "a" * 40], id="hexsha-last"),
    pytest.param(
        ["v1.0.0", "v2.0.0", "abc", "xyz"],
        {"ascending": True},
        ["v1.0.0", "v2.0.0", "abc", "xyz"],
        id="ascending-keeps-semver-first",
    ),
    # Upstream raises TypeError comparing None with None; gto sorts None lowest.
    pytest.param([None, "v1.0.0", None, "abc"], {}, ["v1.0.0", "abc", None, None], id="none"),
]


@pytest.mark.parametrize(("versions", "options", "expected"), SORTS)
def test_sort_versions(
    versions: list[str | None], options: dict[str, object], expected: list[str | None]
) -> None:
    items = [{"version": v, "created_at": 0} for v in versions]
    result = base.sort_versions(items, **options)  # type: ignore[arg-type]
    assert [item["version"] for item in result] == expected


def test_sort_versions_ties_come_out_reversed_as_upstream() -> None:
    same = [_d("v1.0.0", 1, "a"), _d("v1.0.0", 2, "b"), _d("v1.0.0", 3, "c")]
    assert _ids(base.sort_versions(same)) == ["c", "b", "a"]
    assert _ids(base.sort_versions(same, ascending=True)) == ["a", "b", "c"]
    builds = [_d("v1.0.0+b", 1, "b"), _d("v1.0.0+a", 1, "a"), _d("v1.0.0", 1, "n")]
    assert _ids(base.sort_versions(builds)) == ["n", "a", "b"]
    assert _ids(base.sort_versions(builds, ascending=True)) == ["b", "a", "n"]


def test_sort_versions_by_time() -> None:
    items = [_d(None, 1, "a"), _d("v1.0.0", 2, "b"), _d(None, 3, "c")]
    assert _ids(base.sort_versions(items, sort=VersionSort.Timestamp)) == ["c", "b", "a"]
    assert _ids(base.sort_versions(items, sort="timestamp", ascending=True)) == ["a", "b", "c"]
    ties = [_d("v1.0.0", 1, "a"), _d("v2.0.0", 1, "b"), _d("v3.0.0", 1, "c")]
    assert _ids(base.sort_versions(ties, sort=VersionSort.Timestamp)) == ["c", "b", "a"]


def test_sort_versions_reads_keys_and_attributes() -> None:
    keyed = [{"v": "v1.0.0", "t": 1}, {"v": "v2.0.0", "t": 0}]
    assert base.sort_versions(keyed, version="v", timestamp="t") == [keyed[1], keyed[0]]
    tags = [parse_tag(_git_tag(name)) for name in ["m@v1.0.0", "m#prod", "m@v1.10.0"]]
    assert [t.tag.name for t in base.sort_versions(tags)] == ["m@v1.10.0", "m@v1.0.0", "m#prod"]
    with pytest.raises(KeyError, match="version"):
        base.sort_versions([{"created_at": 1}])
    with pytest.raises(NotImplementedError, match=r"^Can sort dicts or objects with a 'version'"):
        base.sort_versions([1, 2])


def test_dvc_latest(tags_repo: tuple[BuiltRepo, dict[str, str]]) -> None:
    """DVC's `get_rev`: the greatest SemVer among the artifact's tags (deregistrations too)."""
    repo, _ = tags_repo
    tags = find(name="model", scm=ScmrepoGit(repo.path))
    ordered = base.sort_versions(parse_tag(t) for t in tags)
    assert [t.tag.name for t in ordered][:6] == [
        "model@v2.0.0-rc.1", "model@v1.1.0", "model@v1.0.0", "model@v0.0.2!", "model@v0.0.2",
        "model@v0.0.1",
    ]  # fmt: skip
    # Upstream drops the other tags of a generator; gto keeps them last, newest first.
    assert [t.tag.name for t in ordered][6:] == [
        "model#staging", "model@deprecated", "model#prod!#4", "model#prod#3", "model#dev#2",
        "model#prod#1",
    ]  # fmt: skip
    assert ordered[0].tag.target == repo.commits["c1"]
    registered = [parse_tag(t) for t in find(name="model", action=Action.REGISTER, scm=repo.path)]
    by_time = base.sort_versions(registered, sort=VersionSort.Timestamp)
    assert [t.tag.name for t in by_time] == [
        "model@v1.1.0", "model@v2.0.0-rc.1", "model@v0.0.2", "model@v1.0.0", "model@v0.0.1",
    ]  # fmt: skip


def test_name_re() -> None:
    assert [bool(constants.name_re.match(v)) for v in ["m", "model-1", "dir/sub:name", "m/"]] == [
        True,
        True,
        False,
        False,
    ]


# --- gto.constants' patterns, against what upstream 1.10.1's matched ---------------


def _recorded() -> dict[str, Any]:
    with open(Path(__file__).parent / "upstream" / "gto_1_10_1_constants.json") as f:
        recorded: dict[str, Any] = json.load(f)
    return recorded


def test_constants_patterns_match_what_upstreams_match() -> None:
    """Every pattern on every sample: same match, span and named groups."""
    recorded = _recorded()["samples"]
    ours = upstream_constants.probe(constants, upstream_constants.SAMPLES)
    assert sorted(ours) == sorted(recorded)
    hexsha_64 = "0123456789abcdef" * 4
    expected_hexsha = recorded["git_hexsha_re"]["match"]
    assert expected_hexsha.pop(hexsha_64) is None  # upstream: 40 digits only
    assert ours["git_hexsha_re"]["match"].pop(hexsha_64) == {"groups": {}, "span": [0, 64]}
    for key in recorded:
        assert ours[key] == recorded[key], key


def test_constants_patterns_refuse_a_trailing_newline() -> None:
    """Upstream's compiled patterns end with `$`, which matches before a final newline;
    gto's end with `\\Z` (README, deliberate differences). The fragments agree."""
    recorded = _recorded()["with_newline"]
    ours = upstream_constants.probe(constants, upstream_constants.WITH_NEWLINE)
    for key in upstream_constants.COMPILED:
        assert ours[key]["group_names"] == recorded[key]["group_names"]
        assert set(ours[key]["match"].values()) == {None}, key
    for key in ("check_string_is_valid", "check_string_is_valid(tag_re)"):
        assert set(ours[key].values()) == {False}
    for key in [*upstream_constants.FRAGMENTS, "counter"]:
        assert ours[key] == recorded[key], key
