"""Benchmark gto against synthetic GTO registries built with dulwich.

    python bench/bench.py [--sizes 10000,50000,200000] [--runs 5]
                          [--modes no-cache,cold,warm] [--rebuild] [--build-only]

Each registry is a bare repository under bench/out/<size>/ holding one pack and a
`packed-refs` file; it is built once and reused until --rebuild. Timings are the
wall time of `python -m gto ...` subprocesses, beside git reading the same tag
objects; the Markdown table goes to stdout, progress and warnings to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zlib import crc32

from dulwich.object_format import DEFAULT_OBJECT_FORMAT as OBJECT_FORMAT
from dulwich.objects import Blob, Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.pack import pack_header_chunks, pack_object_chunks, write_pack_index_v2
from dulwich.repo import Repo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

N_ARTIFACTS = 50
TARGET = "model-07"
DEPRECATED = ("model-48", "model-49")
STAGES = ("dev", "staging", "prod")
STAGE_WEIGHTS = (5, 3, 2)
SPEC_EVERY = 50  # every SPEC_EVERY-th commit also rewrites artifacts.yaml
TAG_TYPE = Tag.type_num
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


def build_history(n_commits: int, size: int) -> tuple[list[ShaFile], list[ObjectID]]:
    """A linear history on main; returns all objects and the commit ids in order."""
    readme = Blob.from_string(b"Synthetic GTO registry for benchmarks.\n")
    objects: list[ShaFile] = [readme]
    commits: list[ObjectID] = []
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


def plan_tags(size: int, commits: Sequence[bytes], rng: random.Random) -> list[_PlannedTag]:
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


def tag_object(name: str, commit: bytes, time: int, message: str) -> bytes:
    """The raw annotated tag object dulwich's `Tag` would write (UTC tagger time)."""
    return b"object %s\ntype commit\ntag %s\ntagger %s %d +0000\n\n%s\n" % (
        commit,
        name.encode(),
        IDENTITY,
        time,
        message.encode(),
    )


def write_raw_pack(pack_dir: Path, objects: list[tuple[int, bytes, bytes]]) -> None:
    """Write (type number, id, raw bytes) objects as one undeltified pack and its v2 index.

    Builds on dulwich's own object and index writers, but from raw bytes: going through
    `ShaFile` objects costs several times more at 200,000 tags.
    """
    hasher = hashlib.sha1()
    entries: list[tuple[bytes, int, int | None]] = []
    tmp = pack_dir / "tmp.pack"
    with open(tmp, "wb") as f:

        def write(data: bytes) -> int:
            hasher.update(data)
            return f.write(data)

        offset = 0
        for chunk in pack_header_chunks(len(objects)):
            offset += write(chunk)
        for type_num, hex_id, raw in objects:
            chunks = list(pack_object_chunks(type_num, [raw], OBJECT_FORMAT))
            entries.append((bytes.fromhex(hex_id.decode()), offset, crc32(b"".join(chunks))))
            for chunk in chunks:
                offset += write(chunk)
        checksum = hasher.digest()
        f.write(checksum)
    entries.sort()
    with open(pack_dir / "tmp.idx", "wb") as f:
        write_pack_index_v2(f, entries, checksum)
    for ext in (".pack", ".idx"):  # git names packs after their checksum
        os.replace(pack_dir / f"tmp{ext}", pack_dir / f"pack-{checksum.hex()}{ext}")


def build_repo(path: Path, size: int, seed: int = 7) -> None:
    """Write a bare GTO registry with `size` annotated tags to `path` (must not exist)."""
    history, commits = build_history(commit_count(size), size)
    objects: list[tuple[int, bytes, bytes]] = [
        (obj.type_num, bytes(obj.id), obj.as_raw_string()) for obj in history
    ]
    refs: list[bytes] = [b"%s refs/heads/main\n" % commits[-1]]
    for k, planned in enumerate(plan_tags(size, commits, random.Random(seed))):
        raw = tag_object(planned.name, planned.commit, EPOCH + k + 1, planned.message)
        tag_id = hashlib.sha1(b"tag %d\0%s" % (len(raw), raw)).hexdigest().encode()
        objects.append((TAG_TYPE, tag_id, raw))
        refs.append(b"%s refs/tags/%s\n^%s\n" % (tag_id, planned.name.encode(), planned.commit))
    Repo.init_bare(str(path), mkdir=True, default_branch=b"main").close()
    write_raw_pack(path / "objects" / "pack", objects)
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

MODES = ("no-cache", "cold", "warm")
CACHE_HOME = OUT / "cache"  # XDG_CACHE_HOME of every timed gto run; gto's cache is in gto/


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mib: float
    returncode: int
    stderr: str


@dataclass(frozen=True)
class Timing:
    median: float
    max_rss_mib: float


@dataclass(frozen=True)
class Command:
    """A gto command timed at one size, the git floor beside it, and its targets."""

    label: str
    args: tuple[str, ...]
    floor: str  # key of the git floor in `floor_commands`
    target_s: float | None = None
    target_mib: float | None = None


@dataclass
class Row:
    size: int
    command: Command
    target_s: float | None
    gto: dict[str, Timing]  # mode -> timing
    floor: Timing | None


def clear_cache() -> None:
    shutil.rmtree(CACHE_HOME / "gto", ignore_errors=True)


def gto_env(mode: str) -> dict[str, str]:
    """The environment of a timed gto run; bytecode may be written (warm-up runs do)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE",)}
    env["XDG_CACHE_HOME"] = str(CACHE_HOME)
    env.pop("GTO_NO_CACHE", None)
    if mode == "no-cache":
        env["GTO_NO_CACHE"] = "1"
    return env


def run_once(argv: list[str], env: dict[str, str]) -> Sample:
    """Run `argv` from the project root through `LAUNCHER`; wall time and peak RSS."""
    with tempfile.TemporaryFile() as err:
        launcher = [sys.executable, "-S", "-c", LAUNCHER, *argv]
        out = subprocess.run(
            launcher, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, check=True
        )
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    seconds, maxrss, returncode = out.stdout.split()
    rss_unit = 2**20 if sys.platform == "darwin" else 2**10  # ru_maxrss: bytes vs KiB
    return Sample(float(seconds), int(maxrss) / rss_unit, int(returncode), stderr)


def measure(label: str, argv: list[str], runs: int, mode: str | None = None) -> Timing:
    """Median wall time and peak RSS of `runs` runs; warns on a non-zero exit.

    A gto `mode` sets the environment: `no-cache` and `warm` runs (and git's) follow one
    untimed warm-up run, which fills the cache for `warm`; every `cold` run starts with
    gto's cache folder removed.
    """
    env = gto_env(mode or "warm")
    if mode == "cold":
        samples = []
        for _ in range(runs):
            clear_cache()
            samples.append(run_once(argv, env))
    else:
        samples = [run_once(argv, env) for _ in range(runs + 1)][1:]
    failed = next((s for s in samples if s.returncode != 0), None)
    if failed is not None:
        lines = failed.stderr.strip().splitlines() or [""]
        first = lines[-1] if lines[0].startswith("Traceback") else lines[0]
        print(f"WARNING: {label} exited {failed.returncode}: {first}", file=sys.stderr)
    times = [s.seconds for s in samples]
    timing = Timing(statistics.median(times), max(s.max_rss_mib for s in samples))
    tag = f" [{mode}]" if mode else ""
    print(f"  {label}{tag}: median {timing.median:.3f} s, min {min(times):.3f} s, "
          f"{timing.max_rss_mib:.1f} MiB", file=sys.stderr)  # fmt: skip
    return timing


def floor_commands(git: str, repo: Path, ref: str) -> dict[str, list[str]]:
    """git reading the same tag objects as the gto command: all, one artifact's, one."""
    base = [git, "-C", str(repo), "for-each-ref", f"--format={GIT_FORMAT}"]
    return {
        "all tags": [*base, "refs/tags"],
        "artifact": [*base, f"refs/tags/{TARGET}@*", f"refs/tags/{TARGET}#*"],
        "one ref": [*base, f"refs/tags/{ref}"],
    }


def commands_for(size: int, ref: str) -> list[Command]:
    """The timed gto commands with the targets of issue 14 (None: no target at this size)."""
    show_s = {10_000: 0.3, 50_000: 1.2}.get(size)
    history_s = 1.5 if size == 50_000 else None
    rss = 80.0 if size == 50_000 else None
    check_s = 0.3 if size == 200_000 else None
    return [
        Command("gto show", ("show",), "all tags", show_s, rss),
        Command("gto history", ("history",), "all tags", history_s, rss),
        Command(f"gto show {TARGET}", ("show", TARGET), "artifact"),
        Command(f"gto history {TARGET}", ("history", TARGET), "artifact"),
        Command(f"gto check-ref {ref}", ("check-ref", ref), "one ref", check_s),
    ]


def bench_size(size: int, repo: Path, runs: int, modes: list[str], git: str | None) -> list[Row]:
    """Every command at one registry size, in every mode, with its git floor."""
    print(f"registry of {size} tags", file=sys.stderr)
    gto = [sys.executable, "-m", "gto"]
    ref = pick_assignment(repo, TARGET)
    floors: dict[str, Timing] = {}
    if git is not None:
        for key, argv in floor_commands(git, repo, ref).items():
            floors[key] = measure(f"git floor ({key})", argv, runs)
    rows = []
    for command in commands_for(size, ref):
        argv = [*gto, *command.args, "-r", str(repo)]
        timings = {mode: measure(command.label, argv, runs, mode) for mode in modes}
        rows.append(Row(size, command, command.target_s, timings, floors.get(command.floor)))
    return rows


def link_linear_targets(rows: list[Row]) -> None:
    """200k `gto show` may grow at most linearly from the 50k figure (4x its median)."""
    base = {r.command.label: r for r in rows if r.size == 50_000}
    for row in rows:
        if row.size == 200_000 and row.command.label == "gto show" and "gto show" in base:
            timings = base["gto show"].gto
            mode = "warm" if "warm" in timings else next(iter(timings))
            row.target_s = 4 * timings[mode].median


def _cell(value: float | None, target: float | None, digits: int) -> str:
    """A number, marked with ✗ when it misses its target."""
    if value is None:
        return "-"
    over = " ✗" if target is not None and value > target else ""
    return f"{value:.{digits}f}{over}"


def markdown(rows: list[Row], modes: list[str], help_timing: Timing) -> str:
    """One row per (size, command): target, time per mode, git floor, then the same for RSS."""
    times = [f"{m} s" for m in modes]
    sizes = [f"{m} MiB" for m in modes]
    head = ["tags", "command", "target s", *times, "git floor s"]
    head += ["target MiB", *sizes, "git floor MiB", "git floor reads"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(head) - 3) + "---|"]
    for row in rows:
        c = row.command
        floor = row.floor
        cells = [
            f"{row.size:,}",
            f"`{c.label}`",
            _cell(row.target_s, None, 2),
            *(_cell(row.gto[m].median, row.target_s, 3) for m in modes),
            _cell(floor.median if floor else None, None, 3),
            _cell(c.target_mib, None, 0),
            *(_cell(row.gto[m].max_rss_mib, c.target_mib, 1) for m in modes),
            _cell(floor.max_rss_mib if floor else None, None, 1),
            c.floor,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(
        f"| - | `gto --help` | 0.15 | {_cell(help_timing.median, 0.15, 3)} |"
        + " |" * (len(head) - 4)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,50000,200000", help="comma-separated tag counts")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command and mode")
    parser.add_argument("--modes", default=",".join(MODES),
                        help="comma-separated subset of no-cache,cold,warm")  # fmt: skip
    parser.add_argument("--rebuild", action="store_true", help="rebuild cached registries")
    parser.add_argument("--build-only", action="store_true", help="build, do not time")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    modes = [m for m in MODES if m in args.modes.split(",")]
    if min(sizes, default=0) < 100 or args.runs < 1:
        parser.error("every size must be at least 100 and --runs at least 1")
    if not modes or set(args.modes.split(",")) - set(MODES):
        parser.error(f"--modes takes a comma-separated subset of {','.join(MODES)}")
    repos = {size: ensure_repo(size, args.rebuild) for size in sizes}
    if args.build_only:
        return 0
    git = os.environ.get("GTO_BENCH_GIT") or shutil.which("git")
    rows = [row for size in sizes for row in bench_size(size, repos[size], args.runs, modes, git)]
    link_linear_targets(rows)
    help_timing = measure("gto --help", [sys.executable, "-m", "gto", "--help"], args.runs)
    clear_cache()
    print(markdown(rows, modes, help_timing))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
