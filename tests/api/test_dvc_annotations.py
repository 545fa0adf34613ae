"""Annotations from the `artifacts:` sections of dvc.yaml files, beside artifacts.yaml,
read from repositories shaped like the public example registry (tests/dvc_example.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from builders import Commit, Tag, build_registry, make_commit
from dvc_example import (
    ARTIFACTS_YAML,
    CHURN,
    CHURN_FROM_INDEX,
    CLF,
    CV_CLASS,
    EXTRA,
    ROOT_DVC_YAML,
    SEGMENT,
    SUB_DVC_YAML,
)

from gto import api
from gto.cli import main
from gto.core.annotations import Annotation
from gto.exceptions import PathIsUsed, WrongArgs
from gto.git.repo import GitRepo

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


UNRELATED = [
    pytest.param({"other/dvc.yaml": "stages:\n  train:\n\tcmd: x\n"}, id="not-yaml"),
    pytest.param({"big/dvc.yaml": "stages:\n" + "  s: {cmd: x}\n" * 80_000}, id="too-large"),
    pytest.param({"other/dvc.yaml": b"stages: {cmd: \xff}\n"}, id="not-utf8"),
]


@pytest.mark.parametrize("files", UNRELATED)
def test_a_dvc_yaml_without_artifacts_never_breaks_a_read(
    example: Path, files: dict[str, str | bytes | None], capsys: pytest.CaptureFixture[str]
) -> None:
    """DVC's stages are DVC's business: a dvc.yaml gto cannot read and that has no
    `artifacts:` line annotates nothing (upstream 1.10.1 reads no dvc.yaml at all)."""
    make_commit_in(example, files)
    assert run(capsys, "show", "-r", str(example)) == (0, SHOW, "")
    assert run(capsys, "show", "churn", "--json", "-r", str(example))[0::2] == (0, "")
    assert run(capsys, "history", "-r", str(example))[0::2] == (0, "")
    assert run(capsys, "doctor", "-r", str(example))[0] == 0


def test_a_dvc_yaml_with_artifacts_that_is_not_yaml_is_named(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The line names the file and the YAML error, not the `artifacts:` section."""
    make_commit_in(
        example, {"other/dvc.yaml": "stages:\n  train:\n\tcmd: x\nartifacts:\n  m: {path: m}\n"}
    )
    assert run(capsys, "show", "-r", str(example)) == (
        1,
        "",
        f"❌ other/dvc.yaml cannot be read as YAML (commit {head_of(example)[:7]}): while "
        "scanning for the next token, found character that cannot start any token "
        "(line 3, column 1)\n",
    )
