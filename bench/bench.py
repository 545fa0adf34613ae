"""Benchmark gto against synthetic GTO registries built with dulwich.

    python bench/bench.py [--sizes 10000,50000] [--runs 5] [--rebuild]

Each registry is a bare repository under bench/out/<size>/ holding one pack and a
`packed-refs` file; it is built once and reused until --rebuild. Timings are the
wall time of `python -m gto ...` subprocesses; the Markdown table goes to stdout,
progress and warnings to stderr.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from dulwich.objects import Blob, Commit, ShaFile, Tag, Tree
from dulwich.pack import write_pack
from dulwich.repo import Repo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

N_ARTIFACTS = 50
TARGET = "model-07"
DEPRECATED = ("model-48", "model-49")
STAGES = ("dev", "staging", "prod")
STAGE_WEIGHTS = (5, 3, 2)
SPEC_EVERY = 50  # every SPEC_EVERY-th commit also rewrites artifacts.yaml
IDENTITY = b"GTO Bench <bench@example.com>"
EPOCH = 1_700_000_000
PACKED_REFS_HEADER = b"# pack-refs with: peeled fully-peeled sorted \n"
GIT_FORMAT = "%(refname) %(taggername) %(taggerdate:iso) %(subject) %(*objectname)"
# Runs the measured command and prints "seconds ru_maxrss exit-code". A child's
# ru_maxrss starts at its forker's RSS (vfork: its peak), so the fork happens from
# this small fresh interpreter rather than from the benchmark process itself.
LAUNCHER = """
import os, sys, time
argv = sys.argv[1:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        print(exc, file=sys.stderr)
    os._exit(127)
_, status, usage = os.wait4(pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


# --- building ---------------------------------------------------------------


@dataclass
class _Artifact:
    """Registry state of one artifact while tags are planned."""

    name: str
    semver: tuple[int, int, int] = (0, 0, 0)
    versions: dict[str, bytes] = field(default_factory=dict)  # active version -> commit
    commit_version: dict[bytes, str] = field(default_factory=dict)  # ever registered
    stages: dict[str, bytes] = field(default_factory=dict)  # stage -> assigned commit
    counter: int = 0


@dataclass(frozen=True)
class _PlannedTag:
    name: str
    commit: bytes
    message: str


def commit_count(size: int) -> int:
    """Commits on main: 1,000 for 10k tags, 2,000 for 50k, size/10 below 10k."""
    return max(1, min(size // 10, 1000 + max(0, size - 10_000) // 40))


def artifact_names() -> list[str]:
    return [f"model-{i:02d}" for i in range(N_ARTIFACTS)]


def artifacts_yaml(revision: int) -> bytes:
    """The artifacts.yaml listing every artifact; descriptions carry the revision."""
    lines = []
    for name in artifact_names():
        lines += [
            f"{name}:",
            "  type: model",
            f"  path: models/{name}.pkl",
            f"  description: Synthetic {name}, revision {revision}",
        ]
    return ("\n".join(lines) + "\n").encode()


def build_history(n_commits: int, size: int) -> tuple[list[ShaFile], list[bytes]]:
    """A linear history on main; returns all objects and the commit ids in order."""
    readme = Blob.from_string(b"Synthetic GTO registry for benchmarks.\n")
    objects: list[ShaFile] = [readme]
    commits: list[bytes] = []
    spec = readme
    for i in range(n_commits):
        message = f"Step {i}\n"
        if i % SPEC_EVERY == 0:
            spec = Blob.from_string(artifacts_yaml(i // SPEC_EVERY))
            objects.append(spec)
            message = f"Step {i}: update artifacts.yaml\n"
        step = Blob.from_string(b"step %d\n" % i)
        data = Tree()
        data.add(b"step.txt", 0o100644, step.id)
        root = Tree()
        root.add(b"README.md", 0o100644, readme.id)
        root.add(b"artifacts.yaml", 0o100644, spec.id)
        root.add(b"data", 0o040000, data.id)
        commit = Commit()
        commit.tree = root.id
        commit.parents = commits[-1:]
        commit.author = commit.committer = IDENTITY
        commit.author_time = commit.commit_time = EPOCH + i * size // n_commits
        commit.author_timezone = commit.commit_timezone = 0
        commit.message = message.encode()
        objects += [step, data, root, commit]
        commits.append(commit.id)
    return objects, commits


def _register(art: _Artifact, commit: bytes, rng: random.Random) -> _PlannedTag:
    major, minor, patch = art.semver
    roll = rng.random()
    if not art.versions and not art.commit_version:
        art.semver = (0, 1, 0)
    elif roll < 0.05:
        art.semver = (major + 1, 0, 0)
    elif roll < 0.20:
        art.semver = (major, minor + 1, 0)
    else:
        art.semver = (major, minor, patch + 1)
    version = "v{}.{}.{}".format(*art.semver)
    art.versions[version] = commit
    art.commit_version[commit] = version
    return _PlannedTag(
        f"{art.name}@{version}", commit, f"Registering artifact {art.name} version {version}"
    )


def _assign(art: _Artifact, commit: bytes, rng: random.Random) -> _PlannedTag:
    roll = rng.random()
    active = list(art.versions.values())
    if roll < 0.6:
        target = active[-1]
    elif roll < 0.9:
        target = rng.choice(active[-5:])
    else:
        target = commit
    stage = rng.choices(STAGES, STAGE_WEIGHTS)[0]
    art.counter += 1
    art.stages[stage] = target
    version = art.commit_version.get(target, target.decode()[:7])
    return _PlannedTag(
        f"{art.name}#{stage}#{art.counter}",
        target,
        f"Assigning stage {stage} to artifact {art.name} version {version}",
    )


def _unassign(art: _Artifact, rng: random.Random) -> _PlannedTag:
    stage = rng.choice(sorted(art.stages))
    target = art.stages.pop(stage)
    art.counter += 1
    version = art.commit_version.get(target, target.decode()[:7])
    return _PlannedTag(
        f"{art.name}#{stage}!#{art.counter}",
        target,
        f"Unassigning stage {stage} from artifact {art.name} version {version}",
    )


def _deregister(art: _Artifact, rng: random.Random) -> _PlannedTag:
    version = rng.choice(list(art.versions)[:-1])  # never the latest version
    target = art.versions.pop(version)
    return _PlannedTag(
        f"{art.name}@{version}!",
        target,
        f"Deregistering artifact {art.name} version {version}",
    )


def plan_tags(size: int, commits: list[bytes], rng: random.Random) -> list[_PlannedTag]:
    """`size` tags in time order: tag k points at or before commit k*commits/size.

    About 41% registrations, 50% assignments, 5% unassignments, 4% deregistrations
    (an impossible choice falls back to a possible one), then the deprecations.
    """
    arts = [_Artifact(name) for name in artifact_names()]
    deprecations = [a for a in arts if a.name in DEPRECATED]
    planned: list[_PlannedTag] = []
    for k in range(size - len(deprecations)):
        art = rng.choice(arts)
        commit = commits[k * len(commits) // size]
        roll = rng.random()
        if roll >= 0.96 and len(art.versions) >= 2:
            planned.append(_deregister(art, rng))
        elif roll >= 0.91 and art.stages:
            planned.append(_unassign(art, rng))
        elif (roll >= 0.41 and art.versions) or commit in art.commit_version:
            planned.append(_assign(art, commit, rng))
        else:
            planned.append(_register(art, commit, rng))
    planned += [
        _PlannedTag(f"{a.name}@deprecated", commits[-1], f"Deprecating artifact {a.name}")
        for a in deprecations
    ]
    return planned


def build_repo(path: Path, size: int, seed: int = 7) -> None:
    """Write a bare GTO registry with `size` annotated tags to `path` (must not exist)."""
    objects, commits = build_history(commit_count(size), size)
    refs: list[bytes] = [b"%s refs/heads/main\n" % commits[-1]]
    for k, planned in enumerate(plan_tags(size, commits, random.Random(seed))):
        tag = Tag()
        tag.name = planned.name.encode()
        tag.object = (Commit, planned.commit)
        tag.tagger = IDENTITY
        tag.tag_time = EPOCH + k + 1
        tag.tag_timezone = 0
        tag.message = planned.message.encode() + b"\n"
        objects.append(tag)
        refs.append(b"%s refs/tags/%s\n^%s\n" % (tag.id, tag.name, planned.commit))
    repo = Repo.init_bare(str(path), mkdir=True, default_branch=b"main")
    try:
        pack_dir = Path(repo.object_store.pack_dir)
        checksum, _ = write_pack(str(pack_dir / "tmp"), objects, repo.object_format)
    finally:
        repo.close()
    for ext in (".pack", ".idx"):  # git names packs after their checksum
        os.replace(pack_dir / f"tmp{ext}", pack_dir / f"pack-{checksum.hex()}{ext}")
    refs.sort(key=lambda entry: entry.split(b" ", 1)[1].split(b"\n", 1)[0])
    (path / "packed-refs").write_bytes(PACKED_REFS_HEADER + b"".join(refs))


def ensure_repo(size: int, rebuild: bool) -> Path:
    """The cached registry for `size`, built (atomically, via a temp dir) if needed."""
    path = OUT / str(size)
    if path.exists() and not rebuild:
        print(f"reusing {path}", file=sys.stderr)
        return path
    shutil.rmtree(path, ignore_errors=True)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        start = time.perf_counter()
        build_repo(Path(tmp) / "repo", size)
        os.replace(Path(tmp) / "repo", path)
    print(f"built {path} ({size} tags) in {time.perf_counter() - start:.2f} s", file=sys.stderr)
    return path


def pick_assignment(repo: Path, artifact: str) -> str:
    """A stage-assignment tag of `artifact` from the middle of its history."""
    prefix = f" refs/tags/{artifact}#"
    names = [
        line.split(" refs/tags/", 1)[1]
        for line in (repo / "packed-refs").read_text().splitlines()
        if prefix in line and "!" not in line
    ]
    if not names:
        raise SystemExit(f"{repo}: no assignment tags for {artifact}")
    return names[len(names) // 2]


# --- timing -----------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mb: float
    returncode: int
    stderr: str


@dataclass(frozen=True)
class Row:
    command: str
    tags: str
    median: float
    minimum: float
    max_rss_mb: float


def run_once(argv: list[str]) -> Sample:
    """Run `argv` from the project root through `LAUNCHER`; wall time and peak RSS."""
    with tempfile.TemporaryFile() as err:
        launcher = [sys.executable, "-S", "-c", LAUNCHER, *argv]
        # Installed packages run from bytecode; let the warm-up run write it for gto too.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        out = subprocess.run(
            launcher, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, check=True
        )
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    seconds, maxrss, returncode = out.stdout.split()
    rss_unit = 2**20 if sys.platform == "darwin" else 2**10  # ru_maxrss: bytes vs KiB
    return Sample(float(seconds), int(maxrss) / rss_unit, int(returncode), stderr)


def measure(label: str, tags: str, argv: list[str], runs: int) -> Row:
    """One warm-up run, then `runs` timed runs; warns on a non-zero exit."""
    print(f"timing {label} ({tags} tags)", file=sys.stderr)
    samples = [run_once(argv) for _ in range(runs + 1)][1:]
    failed = next((s for s in samples if s.returncode != 0), None)
    if failed is not None:
        lines = failed.stderr.strip().splitlines() or [""]
        first = lines[-1] if lines[0].startswith("Traceback") else lines[0]
        print(f"WARNING: {label} exited {failed.returncode}: {first}", file=sys.stderr)
    times = [s.seconds for s in samples]
    rss = max(s.max_rss_mb for s in samples)
    return Row(label, tags, statistics.median(times), min(times), rss)


def bench_size(size: int, repo: Path, runs: int, git: str | None) -> list[Row]:
    """The per-registry commands (gto and, if available, the git reference)."""
    gto = [sys.executable, "-m", "gto"]
    ref = pick_assignment(repo, TARGET)
    commands: list[tuple[str, list[str]]] = [
        ("gto show", ["show"]),
        (f"gto show {TARGET}", ["show", TARGET]),
        (f"gto history {TARGET}", ["history", TARGET]),
        (f"gto check-ref {ref}", ["check-ref", ref]),
    ]
    rows = [
        measure(label, str(size), [*gto, *args, "-r", str(repo)], runs) for label, args in commands
    ]
    if git is not None:
        argv = [git, "-C", str(repo), "for-each-ref", f"--format={GIT_FORMAT}", "refs/tags"]
        rows.append(measure("git for-each-ref (reference)", str(size), argv, runs))
    return rows


def markdown(rows: list[Row]) -> str:
    lines = ["| command | tags | median s | min s | max RSS MB |", "|---|---:|---:|---:|---:|"]
    lines += [
        f"| `{r.command}` | {r.tags} | {r.median:.3f} | {r.minimum:.3f} | {r.max_rss_mb:.1f} |"
        for r in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000", help="comma-separated tag counts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command")
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached registries")
    parser.add_argument("--build-only", action="store_true", help="build, do not time")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if min(sizes, default=0) < 100 or args.runs < 1:
        parser.error("every size must be at least 100 and --runs at least 1")
    repos = {size: ensure_repo(size, args.rebuild) for size in sizes}
    if args.build_only:
        return 0
    git = os.environ.get("GTO_BENCH_GIT") or shutil.which("git")
    rows = [row for size in sizes for row in bench_size(size, repos[size], args.runs, git)]
    rows.append(measure("gto --help", "-", [sys.executable, "-m", "gto", "--help"], args.runs))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
