"""The repository-format fixtures (fixtures/repos/formats/), made ready for a test.

Each fixture holds the same GTO registry in one object format, ref store or layout (the
manifest fixtures/repos/formats.json says which, and how to open it). git cannot commit a
path named `.git`, empty folders or absolute paths that must point into a test's folder, so
the committed form differs from the repository in three ways, all undone here:

* a path component `.git` is stored as `_dot_git_`;
* absolute paths (linked work trees, `clone` remotes) are stored as `@FIXTURE_ROOT@`;
* empty folders git needs (`refs/tags`, `objects/pack`, ...) are listed in the manifest.

    path = materialise("reftable-sha1", tmp_path)   # the folder to pass as -r
    env = fixture_env("git-dir-env", tmp_path)      # GIT_DIR/GIT_WORK_TREE, absolute
    normalise(output, "sha256-loose")               # SHA-256 ids -> the baseline's SHA-1 ids

Rebuild the fixtures with fixtures/repos/make_format_repos.py (it uses this module too).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STORED = FIXTURES / "repos" / "formats"
MANIFEST = FIXTURES / "repos" / "formats.json"
EXPECTED = FIXTURES / "expected" / "formats"
STORED_DOT_GIT = "_dot_git_"
ROOT_PLACEHOLDER = "@FIXTURE_ROOT@"
BASELINE = "sha1-baseline"


def manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The whole manifest: `fixtures` (name -> entry), `ids` (format -> key -> object id)."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def entry(name: str, path: Path = MANIFEST) -> dict[str, Any]:
    """One fixture's manifest entry: open, git_dir, object_format, ref_storage, expect, ..."""
    fixtures: dict[str, dict[str, Any]] = manifest(path)["fixtures"]
    if name not in fixtures:
        raise KeyError(f"no format fixture {name!r}; known: {', '.join(sorted(fixtures))}")
    return fixtures[name]


def names(path: Path = MANIFEST) -> list[str]:
    """Every fixture name, in the manifest's order (the baseline first)."""
    return list(manifest(path)["fixtures"])


def materialise(
    name: str, tmp_path: Path, stored: Path = STORED, manifest_path: Path = MANIFEST
) -> Path:
    """Copy fixture `name` to `tmp_path/name`, restored; return the folder to open (`-r`).

    The copy is writable and independent of the committed fixture. Paths that git keeps
    absolute are made to point into the copy.
    """
    info = entry(name, manifest_path)
    root = tmp_path / name
    if root.exists():
        raise FileExistsError(f"{root} exists: materialise each fixture once per folder")
    source = stored / name
    if not source.is_dir():
        raise FileNotFoundError(f"{source}: build it with fixtures/repos/make_format_repos.py")
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        target = root / "/".join(".git" if p == STORED_DOT_GIT else p for p in rel.split("/"))
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    root.mkdir(parents=True, exist_ok=True)
    for rel in info["empty_dirs"]:
        (root / rel).mkdir(parents=True, exist_ok=True)
    absolute = str(root.resolve())
    for rel in info["files_with_root"]:
        file = root / rel
        file.write_text(
            file.read_text(encoding="utf-8").replace(ROOT_PLACEHOLDER, absolute),
            encoding="utf-8",
        )
    opened: Path = root / info["open"]
    return opened


def fixture_env(name: str, tmp_path: Path, manifest_path: Path = MANIFEST) -> dict[str, str]:
    """The environment variables fixture `name` needs (GIT_DIR, GIT_WORK_TREE), absolute.

    Empty for every fixture but git-dir-env. Paths point into `tmp_path/name`, where
    materialise() put the copy.
    """
    root = (tmp_path / name).resolve()
    env: dict[str, str] = entry(name, manifest_path)["env"]
    return {key: str(root / value) for key, value in env.items()}


def normalise(text: str, name: str, manifest_path: Path = MANIFEST) -> str:
    """`text` with fixture `name`'s object ids replaced by the baseline's (SHA-1) ids.

    Full ids (64 hex) and 7-hex short ids of every commit, tag object and artifacts.yaml
    blob of the registry are mapped, so output from a SHA-256 fixture compares equal to the
    baseline's expected output. Identity for SHA-1 fixtures.
    """
    data = manifest(manifest_path)
    fmt = data["fixtures"][name]["object_format"]
    if fmt == "sha1":
        return text
    ids, baseline = data["ids"][fmt], data["ids"]["sha1"]
    mapping = {ids[key]: baseline[key] for key in ids}
    mapping.update({ids[key][:7]: baseline[key][:7] for key in ids})
    pattern = re.compile(r"\b(" + "|".join(sorted(mapping, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda m: mapping[m.group(1)], text)


@contextlib.contextmanager
def environ(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `values` set, as they were afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_gto(
    args: Sequence[str], repo: str | Path, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    """`gto ARGS -r REPO` in this process, with `env` set: (exit code, stdout, stderr)."""
    from gto.cli import main

    out, err = io.StringIO(), io.StringIO()
    with environ(env or {}), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([*args, "-r", str(repo)])
    return code, out.getvalue(), err.getvalue()
