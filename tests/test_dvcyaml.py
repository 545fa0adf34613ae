"""Annotations from the `artifacts:` sections of dvc.yaml files, beside artifacts.yaml.

The repository built here is shaped like the public example registry
(iterative/example-gto), which keeps its annotations in dvc.yaml.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from builders import Commit, Tag, build_registry, make_commit

from gto import api
from gto.cli import main
from gto.core.annotations import Annotation
from gto.core.dvcyaml import Annotations, dvc_folder, dvc_yaml_path, parse_dvc_yaml
from gto.core.yamlio import YamlError, load_yaml_key
from gto.exceptions import PathIsUsed, WrongArgs, WrongDvcYaml
from gto.git.repo import GitRepo

ROOT_DVC_YAML = """\
stages:
  train:
    cmd: python train.py
artifacts:
  churn:
    type: model
    path: models/churn.pkl
    desc: Churn model
    labels: [tabular, prod-ready]
    meta:
      framework: sklearn
  segment:
    type: model
    path: s3://mycorp/proj-ml/segm-model-2022-04-15.pt
  cv-class:
    type: model
    path: s3://mycorp/proj-ml/classif-v2.pt
"""
SUB_DVC_YAML = """\
artifacts:
  clf:
    type: model
    path: clf.pt
    desc: Classifier in a sub-folder
"""
ARTIFACTS_YAML = """\
churn:
  type: dataset
  path: data/other.csv
  description: from artifacts.yaml
extra:
  type: model
  path: extra.pkl
"""

CHURN = Annotation(
    type="model",
    path="models/churn.pkl",
    labels=("tabular", "prod-ready"),
    description="Churn model",
    custom={"framework": "sklearn"},
)
SEGMENT = Annotation(type="model", path="s3://mycorp/proj-ml/segm-model-2022-04-15.pt")
CV_CLASS = Annotation(type="model", path="s3://mycorp/proj-ml/classif-v2.pt")
CLF = Annotation(type="model", path="sub/dir/clf.pt", description="Classifier in a sub-folder")
CHURN_FROM_INDEX = Annotation(
    type="dataset", path="data/other.csv", description="from artifacts.yaml"
)
EXTRA = Annotation(type="model", path="extra.pkl")


# --- parsing ------------------------------------------------------------------------


def test_parse_root_dvc_yaml() -> None:
    assert parse_dvc_yaml(ROOT_DVC_YAML) == {
        "churn": CHURN,
        "segment": SEGMENT,
        "cv-class": CV_CLASS,
    }


A = Annotation
PARSE = [
    pytest.param("", "", {}, id="empty-file"),
    pytest.param("stages: {}\n", "", {}, id="no-artifacts"),
    pytest.param("artifacts:\n", "", {}, id="null-artifacts"),
    pytest.param("artifacts:\n  m:\n", "", {"m": Annotation()}, id="null-entry"),
    pytest.param("artifacts:\n  m: {path: ./x/../m.pkl}\n", "", {"m": A(path="m.pkl")}, id="norm"),
    pytest.param("artifacts:\n  m: {path: ../m}\n", "a/b", {"a/b:m": A(path="a/m")}, id="up"),
    pytest.param("artifacts:\n  m: {path: /abs/m}\n", "a", {"a:m": A(path="/abs/m")}, id="abs"),
    pytest.param("artifacts:\n  m: {path: 's3://b'}\n", "a", {"a:m": A(path="s3://b")}, id="s3"),
    # DVC allows any text for type and labels; gto's annotate rules are for what it writes.
    pytest.param(
        "artifacts:\n  m: {path: m, type: My Model, labels: [a b]}\n",
        "",
        {"m": Annotation(type="My Model", path="m", labels=("a b",))},
        id="free-text",
    ),
    # DVC rejects unknown keys; gto ignores them, as it does in artifacts.yaml.
    pytest.param(
        "artifacts:\n  m: {path: m, virtual: false, description: d}\n",
        "",
        {"m": Annotation(path="m")},
        id="unknown-keys",
    ),
    # IDs that cannot be names (DVC only warns; `${...}` is DVC templating) are left out.
    pytest.param(
        "artifacts:\n  _bad: {path: a}\n  ${name}: {path: b}\n  7: {path: c}\n  ok: {path: d}\n",
        "",
        {"ok": Annotation(path="d")},
        id="bad-ids",
    ),
    pytest.param(
        "artifacts:\n  m: {path: '${path}'}\n", "", {"m": Annotation(path="${path}")}, id="template"
    ),
    # Aliases elsewhere in the file are DVC's business and are not expanded.
    pytest.param(
        "x: &a {cmd: run}\nstages: {s: *a}\nartifacts:\n  m: {path: m}\n",
        "",
        {"m": Annotation(path="m")},
        id="aliases-elsewhere",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "folder", "expected"), PARSE)
def test_parse_dvc_yaml(text: str, folder: str, expected: dict[str, Annotation]) -> None:
    assert parse_dvc_yaml(text, folder) == expected


BAD = [
    pytest.param("artifacts: [a]\n", "it is not a mapping", id="list"),
    pytest.param("artifacts:\n  m: [a]\n", "an entry is not a mapping: ['a']", id="entry"),
    pytest.param("artifacts:\n  m: {path: 5}\n", "'path' is not a str: 5", id="path"),
    pytest.param("artifacts:\n  m: {type: [a]}\n", "'type' is not a str: ['a']", id="type"),
    pytest.param("artifacts:\n  m: {desc: 1}\n", "'desc' is not a str: 1", id="desc"),
    pytest.param("artifacts:\n  m: {labels: a}\n", "'labels' is not a list: 'a'", id="labels"),
    pytest.param(
        "artifacts:\n  m: {labels: [1]}\n", "'labels' is not a list of strings: [1]", id="label"
    ),
    pytest.param(
        "artifacts:\n  m: {path: a}\n  m: {path: b}\n",
        "duplicate key 'm' (line 3, column 3)",
        id="duplicate-id",
    ),
    pytest.param(
        "artifacts: {}\nartifacts: {}\n",
        "duplicate key 'artifacts' (line 2, column 12)",
        id="duplicate-section",
    ),
    pytest.param(
        "x: &a {path: m}\nartifacts:\n  m: *a\n",
        "aliases are not allowed (line 3, column 6)",
        id="alias-inside",
    ),
    pytest.param("- a\n", "the top level is not a mapping (line 1, column 1)", id="top-level"),
    pytest.param("artifacts: [\n", "while parsing a flow node", id="yaml"),
]


@pytest.mark.parametrize(("text", "reason"), BAD)
def test_parse_dvc_yaml_refuses(text: str, reason: str) -> None:
    with pytest.raises(WrongDvcYaml) as info:
        parse_dvc_yaml(text, "sub")
    assert info.value.message.startswith(
        f"sub/dvc.yaml: 'artifacts' doesn't conform to DVC's format: {reason}"
    )


def test_load_yaml_key_limits() -> None:
    with pytest.raises(YamlError, match=r"^f: too large: 12 bytes, over the limit of 10 bytes$"):
        load_yaml_key("artifacts: 1", "artifacts", what="f", limit=10)
    deep = "artifacts: " + "[" * 100 + "]" * 100
    with pytest.raises(YamlError, match=r"^f: nesting deeper than 64 levels"):
        load_yaml_key(deep, "artifacts", what="f")
    assert load_yaml_key("a: 1\n", "artifacts", what="f") is None


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("churn", ""),
        ("sub/dir:clf", "sub/dir"),
        ("sub:dir/clf", "sub"),
        ("./sub:clf", None),
        ("sub/:clf", None),
        ("../sub:clf", None),
        ("a/../b:clf", None),
        ("..:clf", None),
    ],
)
def test_dvc_folder(name: str, folder: str | None) -> None:
    assert dvc_folder(name) == folder
    if folder is not None:
        assert dvc_yaml_path(folder) == (f"{folder}/dvc.yaml" if folder else "dvc.yaml")


def test_annotations_artifacts_yaml_wins_and_lookups_read_one_file() -> None:
    reads: list[str] = []

    def dvc_file(folder: str) -> dict[str, Annotation]:
        reads.append(folder)
        return {"": parse_dvc_yaml(ROOT_DVC_YAML), "sub/dir": {"sub/dir:clf": CLF}}[folder]

    merged = Annotations(
        lambda: {"churn": CHURN_FROM_INDEX, "extra": EXTRA}, dvc_file, lambda: ["sub/dir", ""]
    )
    assert merged["sub/dir:clf"] == CLF
    assert merged.get("churn") == CHURN_FROM_INDEX
    assert merged.get("nope") is None
    assert reads == ["sub/dir", ""]
    assert dict(merged) == {
        "churn": CHURN_FROM_INDEX,
        "extra": EXTRA,
        "segment": SEGMENT,
        "cv-class": CV_CLASS,
        "sub/dir:clf": CLF,
    }
    assert reads == ["sub/dir", ""]  # each file once
    assert merged.index() == {"churn": CHURN_FROM_INDEX, "extra": EXTRA}


# --- in a repository ---------------------------------------------------------------


def example_gto(path: Path, *, index: bool = False, dvc: bool = True) -> Path:
    """dvc.yaml at the root and in sub/dir, tags as example-gto has them."""
    files: dict[str, str | bytes | None] = {
        "dvc.yaml": ROOT_DVC_YAML,
        "sub/dir/dvc.yaml": SUB_DVC_YAML,
        "models/churn.pkl": "model-bytes",
    }
    if dvc:
        files[".dvc/config"] = ""
    if index:
        files["artifacts.yaml"] = ARTIFACTS_YAML
    repo = build_registry(
        path,
        [
            Commit("c1", files),
            Tag("churn@v3.0.0", "c1", at=10),
            Tag("churn#prod#1", "c1", at=20),
            Tag("segment@v0.4.1", "c1", at=30),
            Tag("sub/dir=clf@v1.0.0", "c1", at=40),
            Tag("sub/dir=clf#dev#1", "c1", at=50),
        ],
    )
    repo.close()
    return path


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return example_gto(tmp_path / "example-gto")


DESCRIBE = [
    pytest.param("churn", CHURN, CHURN_FROM_INDEX, id="churn"),
    pytest.param("segment", SEGMENT, SEGMENT, id="segment"),
    pytest.param("cv-class", CV_CLASS, CV_CLASS, id="annotated-only"),
    pytest.param("sub/dir:clf", CLF, CLF, id="sub-folder"),
    pytest.param("extra", None, EXTRA, id="artifacts-yaml-only"),
    pytest.param("nope", None, None, id="unknown"),
    pytest.param("churn@latest", CHURN, CHURN_FROM_INDEX, id="shortcut"),
    pytest.param("sub/dir:clf#dev", CLF, CLF, id="sub-folder-shortcut"),
]


@pytest.mark.parametrize(("name", "dvc_only", "with_index"), DESCRIBE)
def test_describe(
    tmp_path: Path, name: str, dvc_only: Annotation | None, with_index: Annotation | None
) -> None:
    assert api.describe(example_gto(tmp_path / "a"), name) == dvc_only
    assert api.describe(example_gto(tmp_path / "b", index=True), name) == with_index


def test_describe_at_a_revision_and_in_a_bare_repo(tmp_path: Path) -> None:
    path = example_gto(tmp_path / "repo")
    repo = build_registry(tmp_path / "bare", [Commit("c1", {"sub/dir/dvc.yaml": SUB_DVC_YAML})])
    repo.close()
    with GitRepo.open(path) as git:
        first = git.head()
    make_commit_in(path, {"sub/dir/dvc.yaml": "artifacts:\n  clf: {path: new.pt}\n"})
    assert api.describe(path, "sub/dir:clf") == Annotation(path="sub/dir/new.pt")
    assert api.describe(path, "sub/dir:clf", rev=first) == CLF
    assert api.describe(path, "sub/dir:clf", rev="HEAD") == Annotation(path="sub/dir/new.pt")
    assert api.describe(tmp_path / "bare", "sub/dir:clf") == CLF


def make_commit_in(path: Path, files: dict[str, str | bytes | None]) -> None:
    from dulwich.repo import Repo

    with Repo(str(path)) as repo:
        make_commit(repo, files, message="change")


def test_the_work_tree_is_read(example: Path) -> None:
    (example / "dvc.yaml").write_text("artifacts:\n  churn: {path: edited.pkl}\n")
    (example / "new").mkdir()
    (example / "new/dvc.yaml").write_text("artifacts:\n  m: {path: m.pkl}\n")
    assert api.describe(example, "churn") == Annotation(path="edited.pkl")
    assert api.describe(example, "new:m") == Annotation(path="new/m.pkl")  # untracked, by name
    assert api.describe(example, "segment") is None


Run = Callable[..., tuple[int, str, str]]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_describe_prints_type_and_path(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "describe", "churn", "-r", str(example)) == (
        0,
        json.dumps(
            {
                "type": "model",
                "path": "models/churn.pkl",
                "labels": ["tabular", "prod-ready"],
                "description": "Churn model",
                "custom": {"framework": "sklearn"},
            },
            indent=4,
        )
        + "\n",
        "",
    )
    assert run(capsys, "describe", "churn", "--type", "-r", str(example)) == (0, "model\n", "")
    assert run(capsys, "describe", "sub/dir:clf", "--path", "-r", str(example)) == (
        0,
        "sub/dir/clf.pt\n",
        "",
    )


SHOW = """\
╒═════════════╤══════════╤════════╤═════════╕
│ name        │ latest   │ #dev   │ #prod   │
╞═════════════╪══════════╪════════╪═════════╡
│ churn       │ v3.0.0   │ -      │ v3.0.0  │
│ *cv-class   │ -        │ -      │ -       │
│ segment     │ v0.4.1   │ -      │ -       │
│ sub/dir:clf │ v1.0.0   │ v1.0.0 │ -       │
╘═════════════╧══════════╧════════╧═════════╛
"""


def test_show_lists_annotated_artifacts(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like artifacts.yaml's, a dvc.yaml's untagged artifacts show as `*name`."""
    assert run(capsys, "show", "-r", str(example)) == (0, SHOW, "")
    versions = api.show(example, "sub/dir:clf")
    assert [v["enrichments"][0]["enrichments"] for v in versions] == [
        [
            {
                "source": "gto",
                "artifact": {
                    "type": "model",
                    "path": "sub/dir/clf.pt",
                    "virtual": True,
                    "labels": [],
                    "description": "Classifier in a sub-folder",
                    "custom": None,
                },
            }
        ]
    ]


def test_only_dvc_projects_are_searched(tmp_path: Path) -> None:
    """Without `.dvc/` or a root dvc.yaml, gto does not walk the tree for dvc.yaml files."""
    path = tmp_path / "repo"
    repo = build_registry(path, [Commit("c1", {"sub/dir/dvc.yaml": SUB_DVC_YAML})])
    repo.close()
    assert api.show(path) == {}
    assert api.describe(path, "sub/dir:clf") == CLF  # a name still finds its file
    make_commit_in(path, {".dvc/config": ""})
    assert list(api.show(path)) == ["sub/dir:clf"]


def test_annotate_writes_artifacts_yaml_only(example: Path) -> None:
    before = (example / "dvc.yaml").read_text()
    assert api.annotate(example, "churn", labels=["new"]) == Annotation(
        type="model",
        path="models/churn.pkl",
        labels=("new", "prod-ready", "tabular"),
        description="Churn model",
        custom={"framework": "sklearn"},
    )
    assert (example / "dvc.yaml").read_text() == before
    assert (example / "artifacts.yaml").read_text() == (
        "churn:\n  custom:\n    framework: sklearn\n  description: Churn model\n  labels:\n"
        "  - new\n  - prod-ready\n  - tabular\n  path: models/churn.pkl\n  type: model\n"
    )


def test_annotate_checks_paths_against_dvc_yaml(example: Path) -> None:
    with pytest.raises(PathIsUsed) as info:
        api.annotate(example, "other", path="sub/dir/clf.pt")
    assert info.value.message == (
        "Provided path conflicts with 'sub/dir/clf.pt' ('model' 'sub/dir:clf')"
    )


def test_remove_refuses_dvc_yaml_entries(example: Path) -> None:
    with pytest.raises(WrongArgs) as info:
        api.remove(example, "sub/dir:clf")
    assert info.value.message == (
        "'sub/dir:clf' is annotated in sub/dir/dvc.yaml, which gto does not change: edit that file"
    )


def test_doctor_reports_a_bad_dvc_yaml(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_commit_in(example, {"sub/dir/dvc.yaml": "artifacts: [clf]\n"})
    code, out, _ = run(capsys, "doctor", "--json", "-r", str(example))
    assert (code, json.loads(out)) == (
        1,
        {
            "issues": [
                {
                    "check": "annotations",
                    "message": "sub/dir/dvc.yaml: 'artifacts' doesn't conform to DVC's format "
                    f"(commit {head_of(example)[:7]}): it is not a mapping",
                    "tags": [],
                }
            ]
        },
    )


def head_of(path: Path) -> str:
    with GitRepo.open(path) as git:
        head = git.head()
    assert head is not None
    return head
