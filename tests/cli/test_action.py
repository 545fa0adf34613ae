"""The composite action in action.yml, run step by step as a runner would, without GitHub.

The set-up uses the real git (GTO_TEST_REAL_GIT) to make what actions/checkout leaves
for a tag push: a shallow, tagless clone whose triggering tag is a lightweight ref to
the commit. The action's own fetch step runs that git too, as on a runner; its gto
steps run with a `git` that fails if called.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from builders import build_registry
from github_files import parse_outputs

ROOT = Path(__file__).resolve().parents[2]
REAL_GIT = os.environ.get("GTO_TEST_REAL_GIT")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
MESSAGE = "Promote v1.1.0\n\nversion=v6.6.6\nEOF\nis_gto=false"

pytestmark = pytest.mark.skipif(
    not REAL_GIT, reason="needs the real git (GTO_TEST_REAL_GIT) to set up a checkout"
)


def _git(*args: str, cwd: Path) -> str:
    assert REAL_GIT is not None
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
    done = subprocess.run(
        [REAL_GIT, *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


class Runner:
    """Runs a composite action's steps with bash, as the Actions runner does on Linux."""

    def __init__(self, action: Path, workspace: Path, temp: Path, git_bin: Path) -> None:
        self.spec: dict[str, Any] = yaml.safe_load((action / "action.yml").read_text())
        self.action, self.workspace, self.temp, self.git_bin = action, workspace, temp, git_bin

    def run(self, github: dict[str, str], inputs: dict[str, str]) -> dict[str, str]:
        context: dict[str, Any] = {"github": github, "steps": {}}
        context["inputs"] = {
            name: inputs.get(name, self._evaluate(str(spec.get("default", "")), context))
            for name, spec in self.spec["inputs"].items()
        }
        summary = self.temp / "step_summary"
        for number, step in enumerate(self.spec["runs"]["steps"]):
            assert step["shell"] == "bash"
            assert "${{" not in step["run"], "values must reach scripts through env"
            outputs = self.temp / f"output_{number}"
            outputs.write_text("")
            env = {
                **os.environ,
                "CI": "true",
                "GITHUB_ACTIONS": "true",
                "GITHUB_ACTION_PATH": str(self.action),
                "GITHUB_WORKSPACE": str(self.workspace),
                "GITHUB_OUTPUT": str(outputs),
                "GITHUB_STEP_SUMMARY": str(summary),
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
                **{f"GITHUB_{key.upper()}": value for key, value in github.items()},
                **{k: self._evaluate(str(v), context) for k, v in step.get("env", {}).items()},
            }
            if step["id"] == "fetch":  # the runner's git, for the one step that runs git
                env["PATH"] = f"{self.git_bin}{os.pathsep}{env['PATH']}"
            script = self.temp / f"step_{number}.sh"
            script.write_text(step["run"])
            subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env=env,
                check=True,
            )
            context["steps"][step["id"]] = {"outputs": parse_outputs(outputs.read_text())}
        return {
            name: self._evaluate(spec["value"], context)
            for name, spec in self.spec["outputs"].items()
        }

    @staticmethod
    def _evaluate(text: str, context: dict[str, Any]) -> str:
        """`${{ a.b.c }}` lookups, the only expressions the action may use."""

        def lookup(match: re.Match[str]) -> str:
            value: Any = context
            for part in match.group(1).split("."):
                value = value[part]
            assert isinstance(value, str), match.group(0)
            return value

        return EXPRESSION.sub(lookup, text)


@pytest.fixture
def action(tmp_path: Path) -> Path:
    """The action as GitHub downloads it: this repository's files, in a folder of their own."""
    folder = tmp_path / "action"
    folder.mkdir()
    for name in ("action.yml", "pyproject.toml", "setup.cfg", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, folder / name)
    shutil.copytree(ROOT / "gto", folder / "gto", ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_action_on_a_tag_push(tmp_path: Path, action: Path) -> None:
    origin = build_registry(
        tmp_path / "origin.git",
        [
            ("commit", "c1", {"artifacts.yaml": "churn: {type: model}\n"}),
            ("commit", "c2", {"model.txt": "2"}, 10),
            ("commit", "c3", {"model.txt": "3"}, 20),
            ("tag", "churn@v1.0.0", "c1", 100),
            ("tag", "churn@v1.1.0", "c2", 200),
            ("tag", "churn#prod#1", "c1", 300),
            ("tag", "churn#prod#2", "c2", 400, MESSAGE),
        ],
        bare=True,
    )
    origin.close()
    tagged = origin.commits["c2"]
    # What actions/checkout does for a tag push (fetch-depth 1, no tags).
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    _git("init", "--quiet", cwd=workspace)
    _git("remote", "add", "origin", (tmp_path / "origin.git").as_uri(), cwd=workspace)
    _git(
        "fetch", "--quiet", "--no-tags", "--depth=1", "origin",
        f"+{tagged}:refs/tags/churn#prod#2", cwd=workspace,
    )  # fmt: skip
    _git("checkout", "--quiet", "--force", "refs/tags/churn#prod#2", cwd=workspace)
    assert _git("cat-file", "-t", "churn#prod#2", cwd=workspace) == "commit"  # lightweight

    git_bin = tmp_path / "runner-bin"
    git_bin.mkdir()
    assert REAL_GIT is not None
    (git_bin / "git").symlink_to(REAL_GIT)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    runner = Runner(action, workspace, temp, git_bin)
    github = {
        "ref": "refs/tags/churn#prod#2",
        "ref_name": "churn#prod#2",
        "ref_type": "tag",
        "sha": tagged,
        "event_name": "push",
        "repository": "org/models",
    }
    outputs = runner.run(github, {"python": sys.executable})

    assert outputs == {
        "is_gto": "true",
        "event": "assignment",
        "name": "churn",
        "version": "v1.1.0",
        "stage": "prod",
        "tag": "churn#prod#2",
        "commit": tagged,
        "tagger": "Test Tagger",
        "tagger_email": "tagger@example.com",
        "created_at": "2022-08-08T23:13:20+00:00",
        "message": MESSAGE,
        "previous_version": "v1.0.0",
        "json": outputs["json"],
    }
    assert '"schema_version":1' in outputs["json"]
    summary = (temp / "step_summary").read_text()
    assert summary.startswith("### GTO: churn#prod#2\n")
    # The fetch made the tags annotated and kept the checkout shallow.
    assert _git("cat-file", "-t", "churn#prod#2", cwd=workspace) == "tag"
    assert _git("rev-parse", "--is-shallow-repository", cwd=workspace) == "true"

    # A push of a branch: not a GTO event, and the job goes on.
    on_branch = {**github, "ref": "refs/heads/main", "ref_type": "branch"}
    branch = runner.run(on_branch, {"python": sys.executable})
    assert branch["is_gto"] == "false"
    assert branch["version"] == ""
