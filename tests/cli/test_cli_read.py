"""Every read command on the demo registry, compared with golden files byte for byte.

The golden files were checked against upstream GTO 1.10.1's output on the same
repository; the README lists the deliberate differences (commit rows in history,
one row per unregistered commit).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from gto.cli import main

CASES = [
    "show",
    "show --json",
    "show --plain",
    "show --name",
    "show -d",
    "show --ro",
    "show --sort semver",
    "show --vs -1",
    "show -a",
    "show churn",
    "show churn --json",
    "show churn --plain",
    "show churn --vs -1",
    "show churn --av 1 --vs -1",
    "show churn --sort semver",
    "show churn@greatest",
    "show churn@latest --ref",
    "show churn@v3.0.0",
    "show churn#prod",
    "show churn#prod --ref",
    "show churn#dev",
    "show churn#dev --json",
    "show churn#dev --plain",
    "show churn#dev --stage",
    "show churn#dev --vs -1",
    "show churn#prod --vs -1",
    "show churn#prod --vs -1 --json",
    "show churn#staging --version",
    "show churn --version",
    "show churn --stage",
    "show churn --ref",
    "show cv-class",
    "show cv-class -d",
    "show cv-class --ro",
    "show cv-class --json",
    "show cv-class#dev",
    "show segment",
    "show segment#staging",
    "show awesome-model",
    "show old-model",
    "show old-model -d",
    "show annotated",
    "show annotated --json",
    "show churn#nostage",
    "show --format markdown",
    "show churn --format markdown",
    "show cv-class -d --format markdown",
    "show --format plain",
    "history",
    "history --json",
    "history --plain",
    "history --asc",
    "history churn",
    "history churn --asc",
    "history churn --json",
    "history cv-class",
    "history old-model",
    "history annotated",
    "history -A",
    "history --format markdown",
    "history churn --format json",
    "history nonexistent",
    "check-ref churn#prod#3",
    "check-ref refs/tags/churn#prod#3 --json",
    "check-ref churn@v3.0.0 --json",
    "check-ref churn@v3.0.0",
    "check-ref awesome-model#prod!#2",
    "check-ref awesome-model#prod!#2 --json",
    "check-ref cv-class@v0.1.12!",
    "check-ref cv-class@v0.1.12! --json",
    "check-ref cv-class#dev#3 --json",
    "check-ref old-model@deprecated",
    "check-ref old-model@deprecated --json",
    "check-ref segment#staging --json",
    "check-ref churn#prod#3 --name",
    "check-ref churn#prod#3 --version",
    "check-ref churn#prod#3 --stage",
    "check-ref churn#prod#3 --event",
    "check-ref old-model@deprecated --version",
    "check-ref release-2022",
    "check-ref segment@v9.9.9",
    "check-ref no-such-tag@v1.0.0",
    "check-ref awesome-model#prod!#2 --format json",
    "check-ref cv-class#dev#3 --format gitlab",
    "check-ref release-2022 --format json",
    "check-ref segment@v9.9.9 --format gitlab",
    "stages",
    "stages --used",
    "stages --allowed",
    "stages --allowed --json",
    "stages --json",
    "describe churn",
    "describe segment",
    "describe annotated",
    "describe annotated --custom",
    "describe churn --path",
    "describe churn --type",
    "describe churn@latest",
    "describe cv-class#prod",
    "describe old-model",
    "describe nonexistent",
    "print-state",
    "parse-tag churn#prod!#3",
    "parse-tag x@created",
    "parse-tag churn@v1.0.0 --key version",
]

ERRORS = [
    ("show nonexistent", "❌ Cannot find artifact 'nonexistent'\n"),
    ("show m1@v1", "❌ Cannot find artifact 'm1@v1'\n"),
    # A well-formed shortcut of no artifact names the artifact, as upstream 1.10.1 does.
    ("show nope@v1.0.0", "❌ Cannot find artifact 'nope'\n"),
    ("show nope#prod", "❌ Cannot find artifact 'nope'\n"),
    ("show sub/dir:nope@latest", "❌ Cannot find artifact 'sub/dir:nope'\n"),
    (
        "show churn@v9",
        "❌ Invalid version 'v9' in 'churn@v9': versions are 'v' and MAJOR.MINOR.PATCH, "
        "as in 'churn@v1.0.0'; or use 'churn@latest'\n",
    ),
    (
        "show churn@3.0.0",
        "❌ Invalid version '3.0.0' in 'churn@3.0.0': versions start with 'v', "
        "as in 'churn@v3.0.0'\n",
    ),
    (
        "show churn#prod#3",
        "❌ 'churn#prod#3' is a tag name, not a shortcut: 'gto check-ref churn#prod#3' tells "
        "what it did; 'gto show churn#prod' shows the version in it\n",
    ),
    (
        "show churn#prod@v1",
        "❌ Invalid shortcut 'churn#prod@v1': use NAME@vX.Y.Z, NAME@latest, NAME@greatest "
        "or NAME#STAGE\n",
    ),
    (
        "show churn#-x",
        "❌ Invalid stage '-x' in 'churn#-x': Invalid value '-x'. Only letters, numbers, '_', "
        "'-', '/' are allowed. Value must start and end with a letter or a number.\n",
    ),
    ("show --version", "❌ Cannot apply --version\n"),
    ("show churn --name", "❌ Cannot apply --name\n"),
    ("show --json --plain", "❌ Only one output format allowed\n"),
    ("show --json --format markdown", "❌ Only one output format allowed\n"),
    ("show --format table --plain", "❌ Only one output format allowed\n"),
    ("history --plain --format markdown", "❌ Only one output format allowed\n"),
    (
        "check-ref churn#prod#3 --json --format json",
        "❌ Only one output formatting flags is allowed\n",
    ),
    ("check-ref churn#prod#3 --json --name", "❌ Only one output formatting flags is allowed\n"),
    ("stages --allowed --used", '❌ Either "allowed" or "used" can be set\n'),
    ("parse-tag bad", "❌ Cannot parse tag name 'bad'\n"),
    ("describe churn --type --path", "❌ Can output one key only\n"),
]


def _name(case: str) -> str:
    return case.replace(" ", "_").replace("/", "%2F") + ".txt"


@pytest.fixture
def demo(fixture_repo: Callable[[str], Path]) -> Path:
    return fixture_repo("demo")


@pytest.mark.parametrize("case", CASES)
def test_read_commands(
    case: str, demo: Path, capsys: pytest.CaptureFixture[str], golden: Callable[[str, str], None]
) -> None:
    args = case.split()
    assert main([*args, "-r", str(demo)] if args[0] != "parse-tag" else args) == 0
    out, err = capsys.readouterr()
    assert err == ""
    golden(f"demo/{_name(case)}", out)


@pytest.mark.parametrize(("case", "message"), ERRORS)
def test_errors(case: str, message: str, demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.split()
    assert main([*args, "-r", str(demo)] if args[0] != "parse-tag" else args) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("", message)


def test_emojis_off(
    demo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTO_EMOJIS", "false")
    assert main(["check-ref", "churn#prod#3", "-r", str(demo)]) == 0
    assert capsys.readouterr().out == (
        ' Stage "prod" was assigned to version "v3.0.0" of artifact "churn"\n'
    )


def test_json_outputs_parse(demo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["show", "--json", "-r", str(demo)])
    registry = json.loads(capsys.readouterr().out)
    assert registry["churn"] == {
        "version": "v3.1.0",
        "stage": {"dev": "v3.1.0", "prod": "v3.0.0", "staging": "v3.1.0"},
        "registered": True,
        "active": True,
    }


def test_subfolder_and_work_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-bare clone read from a folder inside it shows the same registry."""
    from dulwich import porcelain

    source = Path(__file__).resolve().parents[2] / "fixtures" / "repos" / "demo.git"
    clone = tmp_path / "clone"
    porcelain.clone(str(source), str(clone), errstream=io.BytesIO()).close()
    (clone / "models").mkdir(exist_ok=True)
    assert main(["show", "-r", str(clone / "models")]) == 0
    from_clone = capsys.readouterr().out
    assert main(["show", "-r", str(source)]) == 0
    assert capsys.readouterr().out == from_clone


def test_yaml_values_json_lacks_are_written_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Dates, !!binary and !!set in `custom` print as ISO dates, base64 and lists, where
    upstream fails with 'Serialisation is not implemented'."""
    from builders import init_repo, make_commit

    yaml = "mm:\n  custom:\n    d: 2024-01-02\n    t: 2024-01-02 10:00:00\n"
    yaml += "    b: !!binary aGVsbG8=\n    s: !!set {b, a}\n"
    make_commit(init_repo(tmp_path / "repo"), {"artifacts.yaml": yaml})
    assert main(["describe", "mm", "--custom", "-r", str(tmp_path / "repo")]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "d": "2024-01-02",
        "t": "2024-01-02T10:00:00",
        "b": "aGVsbG8=",
        "s": ["a", "b"],
    }


def test_not_a_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "-r", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"❌ No Git repo found in '{tmp_path}'\n"
    assert main(["show", "-r", str(tmp_path / "missing")]) == 1
    assert capsys.readouterr().err == f"❌ No Git repo found in '{tmp_path / 'missing'}'\n"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["show", "--sort", "alphabet"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'alphabet'" in capsys.readouterr().err
