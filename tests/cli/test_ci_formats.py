"""check-ref --format github|gitlab|json: exact files, injections, limits, rollback target.

The registry has a multi-line tag message and one that tries to inject outputs into
each format; golden files are in fixtures/expected/ci/ (random delimiters shown as
GTO_EOF_<n>).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from builders import build_registry
from github_files import DELIMITER, normalise_delimiters, parse_outputs

from gto.cli import main
from gto.core.ci_view import ref_fields
from gto.exceptions import CIOutputError
from gto.render.ci import GITLAB_DOTENV_LIMIT, render_github_outputs, render_gitlab_dotenv

MULTI_LINE = "Promote v1.1.0 to prod\n\nApproved-by: QA team\n"
INJECTION = (
    "Roll back\nversion=v6.6.6\nis_gto=false\nEOF\nGTO_VERSION=v6.6.6\n"
    "| injected | row |\n<script>alert(1)</script> [link](https://example.com)"
)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    repo = build_registry(
        tmp_path / "repo",
        [
            ("commit", "c1", {"artifacts.yaml": "churn: {type: model}\n"}),
            ("commit", "c2", {"model.txt": "2"}, 10),
            ("tag", "churn@v1.0.0", "c1", 100, "Registering churn v1.0.0"),
            ("tag", "churn@v1.1.0", "c2", 200, None, 2 * 3600),
            ("tag", "churn#prod#1", "c1", 300),
            ("tag", "churn#prod#2", "c2", 400, MULTI_LINE),
            ("tag", "churn#prod#3", "c1", 500, INJECTION),
            ("tag", "churn#prod!#4", "c1", 600),
            ("tag", "release-1", "c2", 700),
        ],
    )
    repo.close()
    return tmp_path / "repo"


REFS = {
    "registration": "churn@v1.0.0",
    "multi-line": "refs/tags/churn#prod#2",
    "injection": "churn#prod#3",
    "unassignment": "churn#prod!#4",
    "branch": "refs/heads/main",
}


@pytest.fixture
def github_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    outputs, summary = tmp_path / "github_output", tmp_path / "step_summary"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return outputs, summary


@pytest.mark.parametrize("case", REFS)
def test_github_files(
    case: str,
    github_env: tuple[Path, Path],
    run: Callable[..., tuple[int, str, str]],
    golden: Callable[[str, str], None],
) -> None:
    outputs, summary = github_env
    outputs.write_text("earlier=kept\n")  # a previous step's outputs stay: the file is appended
    assert run("check-ref", REFS[case], "--format", "github") == (0, "", "")
    text = outputs.read_text()
    assert text.startswith("earlier=kept\n")
    golden(f"ci/{case}.github-output.txt", normalise_delimiters(text))
    golden(f"ci/{case}.github-summary.md", summary.read_text() if summary.exists() else "")


@pytest.mark.parametrize("case", REFS)
@pytest.mark.parametrize("fmt", ["gitlab", "json"])
def test_printed_formats(
    case: str,
    fmt: str,
    run: Callable[..., tuple[int, str, str]],
    golden: Callable[[str, str], None],
) -> None:
    code, out, err = run("check-ref", REFS[case], "--format", fmt)
    assert (code, err) == (0, "")
    golden(f"ci/{case}.{'gitlab.env' if fmt == 'gitlab' else 'json'}", out)


def test_injection_stays_inside_the_message(
    github_env: tuple[Path, Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    outputs, _ = github_env
    run("check-ref", "churn#prod#3", "--format", "github")
    parsed = parse_outputs(outputs.read_text())
    assert parsed["message"] == INJECTION
    assert (parsed["is_gto"], parsed["version"], parsed["previous_version"]) == (
        "true",
        "v1.0.0",
        "v1.1.0",
    )
    assert json.loads(parsed["json"])["message"] == INJECTION
    _, out, _ = run("check-ref", "churn#prod#3", "--format", "gitlab")
    dotenv = dict(line.split("=", 1) for line in out.splitlines())
    assert (dotenv["GTO_VERSION"], dotenv["GTO_IS_GTO"]) == ("v1.0.0", "true")
    assert len(out.splitlines()) == 13


def test_delimiters_are_random_and_fresh(
    github_env: tuple[Path, Path], run: Callable[..., tuple[int, str, str]]
) -> None:
    outputs, _ = github_env
    run("check-ref", "churn#prod#2", "--format", "github")
    run("check-ref", "churn#prod#2", "--format", "github")
    markers = DELIMITER.findall(outputs.read_text())
    assert len(markers) == 4 and len(set(markers)) == 2  # each used to open and close


def test_a_delimiter_found_in_the_value_is_replaced() -> None:
    fields = {**ref_fields(None), "message": "a\nGTO_EOF_1\nb"}
    markers = iter(["GTO_EOF_1", "GTO_EOF_2"])
    text = render_github_outputs(fields, lambda: next(markers))
    assert "message<<GTO_EOF_2\na\nGTO_EOF_1\nb\nGTO_EOF_2\n" in text


def test_stdout_when_the_variables_are_unset(
    run: Callable[..., tuple[int, str, str]], golden: Callable[[str, str], None]
) -> None:
    code, out, err = run("check-ref", "churn#prod#2", "--format", "github")
    assert (code, err) == (0, "")
    golden("ci/multi-line.github-stdout.txt", normalise_delimiters(out))


def test_unwritable_output_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run: Callable[..., tuple[int, str, str]]
) -> None:
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "missing" / "out"))
    code, out, err = run("check-ref", "churn#prod#2", "--format", "github")
    missing = tmp_path / "missing" / "out"
    assert (code, out) == (1, "")
    assert err == f"❌ Cannot write to GITHUB_OUTPUT ({missing}): No such file or directory\n"


@pytest.mark.parametrize("earlier", ["earlier=kept\n", None], ids=["appended", "new"])
@pytest.mark.parametrize(
    ("summary", "reason"),
    [
        pytest.param("missing/summary", "No such file or directory", id="unopenable"),
        pytest.param("/dev/full", "No space left on device", id="full"),
    ],
)
def test_a_summary_that_cannot_be_written_leaves_the_outputs_as_they_were(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    run: Callable[..., tuple[int, str, str]],
    earlier: str | None,
    summary: str,
    reason: str,
) -> None:
    """Nothing half-written: both files are opened before either is written, and a failed
    write takes back what was appended (a file made by the command is removed)."""
    if summary == "/dev/full" and not os.path.exists(summary):
        pytest.skip("no /dev/full on this system")
    outputs = tmp_path / "github_output"
    if earlier is not None:
        outputs.write_text(earlier)
    target = summary if summary.startswith("/") else str(tmp_path / summary)
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", target)
    assert run("check-ref", "churn#prod#2", "--format", "github") == (
        1,
        "",
        f"❌ Cannot write to GITHUB_STEP_SUMMARY ({target}): {reason}\n",
    )
    assert (outputs.read_text() if outputs.exists() else None) == earlier


def test_gitlab_report_fits_5_kb() -> None:
    message = "x" * 4000 + "\n" + "é" * 3000
    fields = {**ref_fields(None), "is_gto": True, "message": message}
    text = render_gitlab_dotenv(fields)
    assert len(text.encode()) <= GITLAB_DOTENV_LIMIT
    assert len(text.encode()) > GITLAB_DOTENV_LIMIT - 20  # the longest message that fits
    lines = dict(line.split("=", 1) for line in text.splitlines())
    kept = json.loads(lines["GTO_JSON"])["message"]
    assert kept.endswith("…") and message.startswith(kept[:-1])
    assert lines["GTO_MESSAGE"] == kept.replace("\n", " ")


def test_fields_over_the_limit_are_refused() -> None:
    fields = {**ref_fields(None), "tagger": "t" * GITLAB_DOTENV_LIMIT, "message": "m"}
    with pytest.raises(CIOutputError, match="GitLab dotenv report would be over its limit"):
        render_gitlab_dotenv(fields)


def test_github_outputs_fit_1_mb() -> None:
    fields = {**ref_fields(None), "message": "line\n" * 300_000}
    text = render_github_outputs(fields, lambda: "GTO_EOF_" + "0" * 32)
    assert 990_000 < len(text.encode()) <= 1_000_000
    assert json.loads(parse_outputs(text)["json"])["message"].endswith("…")


# --- the rollback target -------------------------------------------------------------


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """prod: v1 -> v2 -> v1 (rollback) -> v1 unassigned -> v3 -> v2 -> v2 deregistered."""
    repo = build_registry(
        tmp_path / "history",
        [
            ("commit", "c1"),
            ("commit", "c2", {"f": "2"}, 1),
            ("commit", "c3", {"f": "3"}, 2),
            ("commit", "c4", {"f": "4"}, 3),
            ("tag", "m@v1.0.0", "c1", 10),
            ("tag", "m@v2.0.0", "c2", 20),
            ("tag", "m#prod#1", "c1", 30),
            ("tag", "m#dev#2", "c2", 35),
            ("tag", "m#dev#3", "c1", 35),
            ("tag", "m#prod#4", "c2", 40),
            ("tag", "m#prod#5", "c1", 50),
            ("tag", "m#prod!#6", "c1", 60),
            ("tag", "m@v3.0.0", "c3", 70),
            ("tag", "m#prod#7", "c3", 80),
            ("tag", "m#prod#8", "c2", 81),
            ("tag", "m@v2.0.0!", "c2", 90),
            ("tag", "m#prod#9", "c4", 100),
            ("tag", "m#prod#10", "c1", 200),  # later tags never count
        ],
    )
    repo.close()
    return tmp_path / "history"


@pytest.mark.parametrize(
    ("tag", "previous"),
    [
        pytest.param("m#prod#1", None, id="first-assignment"),
        pytest.param("m#dev#2", None, id="other-stage-does-not-count"),
        pytest.param("m#dev#3", "v2.0.0", id="same-second-in-replay-order"),
        pytest.param("m#prod#4", "v1.0.0", id="promotion"),
        pytest.param("m#prod#5", "v2.0.0", id="rollback"),
        pytest.param("m#prod!#6", "v1.0.0", id="unassignment-holder-before"),
        pytest.param("m#prod#7", "v2.0.0", id="after-unassignment"),
        pytest.param("m#prod#8", "v3.0.0", id="newer-assignment"),
        pytest.param("m#prod#9", "v3.0.0", id="deregistered-version-skipped"),
        pytest.param("m@v3.0.0", None, id="not-a-stage-event"),
    ],
)
def test_previous_version(history: Path, tag: str, previous: str | None) -> None:
    from gto.api.commands import ref_report

    assert ref_report(str(history), tag).previous_version == previous


def test_not_gto_refs_exit_0(
    history: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for ref in ("refs/heads/main", "no-such-tag", "m@created", "refs/tags/m@v9.9.9"):
        assert main(["check-ref", ref, "--format", "json", "-r", str(history)]) == 0
        assert json.loads(capsys.readouterr().out)["is_gto"] is False
