"""gto on every repository format and layout: the baseline's answers, or one line saying why not.

Each fixture of fixtures/repos/formats/ (tests/format_fixtures.py) holds one registry, in
an object format (SHA-1, SHA-256), a ref store (files, reftable) or a layout (linked work
tree, alternates, submodule, GIT_DIR, partial clone, many packs, index v1, deltas...).
`show`, `history` and `check-ref` must print what they print for the plain SHA-1 baseline
(SHA-256 ids mapped back by `normalise`); `register`, `assign` and `deprecate --delete`
must leave the same registry, and a repository git reads afterwards (`git fsck`, through
GTO_TEST_REAL_GIT). git 2.39 cannot read reftable: those stacks are checked by gto's own
reader and, for SHA-1 tables, by dulwich's. What gto cannot read is refused in one line
by every command, changing nothing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from dulwich.repo import Repo
from format_fixtures import (
    EXPECTED,
    entry,
    fixture_env,
    manifest,
    materialise,
    normalise,
    run_gto,
)
from servers import REAL_GIT, run_git

from gto.git.reftable_stack import ReftableStack
from gto.git.repo import GitRepo

MANIFEST = manifest()
ALL = list(MANIFEST["fixtures"])  # the baseline first
EXPECT = {name: MANIFEST["fixtures"][name]["expect"] for name in ALL}
READS = [n for n in ALL if EXPECT[n] in ("same", "missing-blob", "read-only")]
WRITES = [n for n in ALL if EXPECT[n] in ("same", "missing-blob")]
REFUSED = [n for n in ALL if EXPECT[n] == "refused"]
COMMANDS: dict[str, list[str]] = MANIFEST["expected_commands"]
WRITER = {
    "GIT_COMMITTER_NAME": "Wanda Writer",
    "GIT_COMMITTER_EMAIL": "wanda@example.com",
    "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+0000",
}
# The writes every writable fixture gets, in order; {C5} is a commit id of the fixture's
# object format ({C5:7}: its short form).
WRITE_COMMANDS = [
    ["register", "churn"],
    ["assign", "churn", "--version", "v1.1.0", "--stage", "prod"],
    ["register", "clicks", "{C5:7}", "--version", "v0.1.0"],
    ["assign", "clicks", "{C5}", "--stage", "dev"],
    ["deprecate", "segment", "v0.3.0", "prod"],
    ["deprecate", "churn", "v1.0.0", "--delete"],
]
AFTER_WRITES = [
    ["show"],
    ["show", "churn"],
    ["show", "clicks"],
    ["history"],
    ["history", "segment"],
]
# Every command a user may run on a repository gto must refuse (none may change it).
EVERY_COMMAND = [
    *COMMANDS.values(),
    ["show", "-A"],
    ["stages"],
    ["describe", "churn"],
    ["doctor"],
    *WRITE_COMMANDS,
    ["annotate", "newart", "--commit"],
    ["remove", "clicks", "--commit"],
]

Run = tuple[int, str, str]


def gto(args: Sequence[str], repo: Path, env: Mapping[str, str] | None = None) -> Run:
    return run_gto(args, repo, env)


def open_repo(repo: Path, env: Mapping[str, str]) -> GitRepo:
    """The repository as gto opens it with the fixture's GIT_DIR and GIT_WORK_TREE."""
    return GitRepo.open(repo, git_dir=env.get("GIT_DIR"), work_tree=env.get("GIT_WORK_TREE"))


def with_ids(args: Sequence[str], object_format: str) -> list[str]:
    ids: dict[str, str] = MANIFEST["ids"][object_format]
    return [arg.replace("{C5:7}", ids["C5"][:7]).replace("{C5}", ids["C5"]) for arg in args]


def files_of(root: Path) -> dict[str, str]:
    """Every file under `root` (relative path -> sha256 of its bytes)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def git(repo: Path, env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_git(repo, env, *args)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("formats")


@pytest.fixture(scope="module")
def baseline_writes(folder: Path) -> dict[str, Any]:
    """What the writes print on the SHA-1 baseline, what the registry reads like afterwards."""
    repo = materialise("sha1-baseline", folder / "baseline")
    writes = [gto(with_ids(args, "sha1"), repo, WRITER) for args in WRITE_COMMANDS]
    after = [gto(args, repo) for args in AFTER_WRITES]
    with GitRepo.open(repo) as opened:
        tags = opened.tag_names()
    return {"writes": writes, "after": after, "tags": tags}


# Reads


@pytest.mark.parametrize("name", READS)
def test_reads_give_the_baselines_answers(folder: Path, name: str) -> None:
    repo = materialise(name, folder / "reads")
    env = fixture_env(name, folder / "reads")
    wrong = {}
    # Twice: the second pass reads the tag cache the first one wrote (SHA-256 ids and
    # reftable stacks go through the same fast paths: one artifact's refs, cached tags).
    for attempt in ("first", "cached"):
        for filename, args in COMMANDS.items():
            code, out, err = gto(args, repo, env)
            expected = (EXPECTED / filename).read_text()
            if (code, err, normalise(out, name)) != (0, "", expected):
                wrong[attempt, filename] = (code, err, normalise(out, name))
    assert wrong == {}


def test_full_and_short_sha256_ids_name_commits(tmp_path: Path) -> None:
    repo = materialise("sha256-packed", tmp_path)
    ids: dict[str, str] = MANIFEST["ids"]["sha256"]
    code, out, _ = gto(["show", "churn@v1.1.0", "--ref"], repo)
    assert (code, out) == (0, "churn@v1.1.0\n")
    code, out, _ = gto(["check-ref", "churn@v1.0.0", "--json"], repo)
    assert code == 0 and ids["C2"] in out and len(ids["C2"]) == 64
    for revision in (ids["C6"], ids["C6"][:7], ids["C6"][:50], "HEAD", "main"):
        code, out, err = gto(["register", "newart", revision, "--version", "v9.0.0"], repo, WRITER)
        assert (code, err) == (0, ""), revision
        with GitRepo.open(repo) as opened:
            (tag,) = opened.read_tags(["newart@v9.0.0"])
        assert tag.commit == ids["C6"]
        assert gto(["deprecate", "newart", "v9.0.0", "--delete"], repo)[0] == 0


def test_nothing_found_only_in_an_empty_registry(tmp_path: Path) -> None:
    """The defect: a SHA-256 registry printed "Nothing found" and exit 0."""
    assert "Nothing found" not in gto(["show"], materialise("sha256-loose", tmp_path))[1]
    Repo.init(str(tmp_path / "empty"), mkdir=True, object_format="sha256").close()
    assert gto(["show"], tmp_path / "empty") == (0, "Nothing found in the current workspace\n", "")


# Writes


def check_refs_with_git(repo: Path, env: Mapping[str, str], name: str) -> None:
    """git's own fsck is clean, and git lists exactly the tags gto lists."""
    fsck = git(repo, env, "fsck", "--strict", "--no-dangling")
    assert (fsck.returncode, fsck.stdout, fsck.stderr) == (0, "", ""), name
    listing = git(
        repo, env, "for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags"
    )
    with open_repo(repo, env) as opened:
        ours = {tag: opened.refs.get(f"refs/tags/{tag}".encode()) for tag in opened.tag_names()}
    assert dict(line.split(" ") for line in listing.stdout.splitlines()) == ours


def check_reftable(repo: Path, name: str) -> None:
    """gto's reader checks every table; dulwich (SHA-1 tables only) lists the same tags;
    the tags gto wrote carry their peeled commit, as git writes them."""
    info = entry(name)
    stack = ReftableStack(repo / "reftable", object_format=info["object_format"])
    stack.verify()
    refs = {r.name: r for r in stack.refs_starting(b"refs/tags/")}
    with GitRepo.open(repo) as opened:
        assert sorted(refs) == [f"refs/tags/{tag}" for tag in opened.tag_names()]
        for tag in ("churn@v1.1.1", "churn#prod#6", "clicks@v0.1.0"):
            (record,) = opened.read_tags([tag])
            assert refs[f"refs/tags/{tag}"].peeled == record.commit
    assert len(stack.tables()) <= 4
    if info["object_format"] == "sha1":
        with Repo(str(repo)) as dul:
            theirs = {k.decode(): v.decode() for k, v in dul.get_refs().items()}
        assert {k: v for k, v in theirs.items() if k.startswith("refs/tags/")} == {
            name: ref.object_id for name, ref in refs.items()
        }


@pytest.mark.parametrize("name", WRITES)
def test_writes_leave_the_baselines_registry(
    folder: Path, baseline_writes: dict[str, Any], name: str
) -> None:
    repo = materialise(name, folder / "writes")
    env = fixture_env(name, folder / "writes")
    fmt = entry(name)["object_format"]
    writes = [gto(with_ids(args, fmt), repo, {**WRITER, **env}) for args in WRITE_COMMANDS]
    assert writes == baseline_writes["writes"]
    after = [gto(args, repo, env) for args in AFTER_WRITES]
    assert [(c, normalise(o, name), e) for c, o, e in after] == baseline_writes["after"]
    with open_repo(repo, env) as opened:
        assert opened.tag_names() == baseline_writes["tags"]
    if entry(name)["ref_storage"] == "reftable":
        check_reftable(repo, name)
    elif REAL_GIT:
        check_refs_with_git(repo, env, name)


def test_annotate_commits_in_a_sha256_reftable_repository(tmp_path: Path) -> None:
    repo = materialise("reftable-sha256", tmp_path)
    before = ReftableStack(repo / "reftable").get("refs/heads/main")
    assert gto(["annotate", "newart", "--type", "model", "--commit"], repo, WRITER)[0] == 0
    head = ReftableStack(repo / "reftable").get("refs/heads/main")
    assert before is not None and head is not None and len(head.object_id or "") == 64
    with GitRepo.open(repo) as opened:
        assert opened.head() == head.object_id
        assert opened.parents(head.object_id or "") == (before.object_id,)
    code, out, _ = gto(["describe", "newart", "--rev", "HEAD"], repo)
    assert (code, out) == (0, '{\n    "type": "model"\n}\n')


def test_annotate_commits_in_a_sha256_work_tree(tmp_path: Path) -> None:
    repo = materialise("sha256-loose", tmp_path)
    assert gto(["annotate", "newart", "--commit"], repo, WRITER)[0] == 0
    if REAL_GIT:
        fsck = git(repo, {}, "fsck", "--strict", "--no-dangling")
        assert (fsck.returncode, fsck.stderr) == (0, "")
        status = git(repo, {}, "status", "--porcelain")
        assert (status.returncode, status.stdout) == (0, "")
        assert "newart" in git(repo, {}, "show", "HEAD:artifacts.yaml").stdout


# Refusals


@pytest.mark.parametrize("name", REFUSED)
def test_what_gto_cannot_read_is_refused_by_every_command(tmp_path: Path, name: str) -> None:
    repo = materialise(name, tmp_path)
    reason = {
        "unknown-extension": "the extension extensions.somefuturething is not supported",
        "sha256-format-version-0": (
            "extensions.objectformat needs core.repositoryformatversion = 1, and it is 0 "
            "(git refuses such a repository too)"
        ),
    }[name]
    before = files_of(tmp_path)
    for args in EVERY_COMMAND:
        code, out, err = gto(with_ids(args, "sha1"), repo, WRITER)
        assert (code, out, err) == (1, "", f"❌ Cannot read the Git repo in '{repo}': {reason}\n")
    assert files_of(tmp_path) == before


def test_a_compat_object_format_repository_is_read_but_never_written(tmp_path: Path) -> None:
    repo = materialise("sha256-compat-object-format", tmp_path)
    before = files_of(tmp_path)
    reason = (
        "extensions.compatObjectFormat = sha1 is not supported for writing: git keeps a sha1 "
        "name for every new object, and gto cannot"
    )
    for args in [*WRITE_COMMANDS, ["annotate", "newart", "--commit"]]:
        code, out, err = gto(with_ids(args, "sha256"), repo, WRITER)
        assert (code, out) == (1, ""), args
        assert err == f"❌ Cannot write to the Git repo in '{repo}': {reason}\n"
    assert files_of(tmp_path) == before


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ("[core]\n\trepositoryformatversion = 2\n", "repository format version 2 is not supported"),
        (
            "[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectFormat = sha3\n",
            "the object format sha3 is not supported (only sha1 and sha256 are)",
        ),
        (
            "[core]\n\trepositoryformatversion = 1\n[extensions]\n\trefStorage = tables\n",
            "the ref storage tables is not supported (only files and reftable are)",
        ),
        (
            "[core]\n\trepositoryformatversion = 0\n[extensions]\n\trefStorage = reftable\n",
            "extensions.refstorage needs core.repositoryformatversion = 1",
        ),
        ("[core\n\tbare = true\n", "bad config line 1 in '"),
    ],
)
def test_formats_gto_does_not_know_are_named(tmp_path: Path, config: str, reason: str) -> None:
    repo = materialise("sha1-baseline", tmp_path)
    (repo / ".git" / "config").write_text(config)
    for args in (["show"], ["check-ref", "churn@v1.0.0"], ["register", "churn"]):
        code, out, err = gto(args, repo, WRITER)
        assert (code, out) == (1, "") and err.count("\n") == 1
        assert err.startswith(f"❌ Cannot read the Git repo in '{repo}': {reason}")


def test_what_format_0_ignores_is_ignored(tmp_path: Path) -> None:
    """git ignores unknown extensions in a format-0 repository; so does gto."""
    repo = materialise("sha1-baseline", tmp_path)
    with (repo / ".git" / "config").open("a") as f:
        f.write("[extensions]\n\tsomeFutureThing = true\n")
    code, out, _ = gto(["show"], repo)
    assert (code, out) == (0, (EXPECTED / "show.txt").read_text())


def test_a_damaged_reftable_is_named_by_every_command(tmp_path: Path) -> None:
    repo = materialise("reftable-sha1", tmp_path)
    (table,) = [p for p in (repo / "reftable").glob("*.ref") if "0x000000000002" in p.name]
    data = bytearray(table.read_bytes())
    data[-1] ^= 1  # the footer's CRC
    table.write_bytes(bytes(data))
    for args in (["show"], ["history"], ["check-ref", "churn@v1.0.0"], ["register", "churn"]):
        code, out, err = gto(args, repo, WRITER)
        assert (code, out) == (1, "")
        assert err == (
            f"❌ damaged reftable '{table}': footer is missing or its CRC-32 does not match "
            "(truncated or damaged)\n"
        )


# Layouts


def test_a_partial_clones_missing_blob_is_one_line(tmp_path: Path) -> None:
    repo = materialise("partial-clone", tmp_path)
    blob = MANIFEST["ids"]["sha1"]["blob:C4:artifacts.yaml"]
    line = (
        f"❌ Blob {blob} is not in this partial clone, and gto does not fetch from its promisor "
        f"remote 'origin': run `git cat-file -e {blob}` (git fetches it), then run gto again\n"
    )
    for args in (["show", "-A"], ["history", "-A"]):
        assert gto(args, repo) == (1, "", line)


@pytest.mark.parametrize(
    ("git_dir", "work_tree", "path"),
    [
        ("meta.git", "work", "."),  # relative to the folder gto runs in, as git takes them
        ("../meta.git", None, "work"),  # no GIT_WORK_TREE: that folder is the work tree
    ],
)
def test_git_dir_and_work_tree_from_the_environment(
    tmp_path: Path, git_dir: str, work_tree: str | None, path: str
) -> None:
    materialise("git-dir-env", tmp_path)
    root = tmp_path / "git-dir-env"
    env = {"GIT_DIR": git_dir, **({"GIT_WORK_TREE": work_tree} if work_tree else {})}
    code, out, _ = gto(["show"], root / path, env)
    assert (code, out) == (0, (EXPECTED / "show.txt").read_text())
    assert gto(["describe", "clicks"], root / path, env)[0] == 0  # from the work tree's file
    assert gto(["show"], root / "work")[0] == 1  # without them: not a repository


def test_doctor_reports_a_stale_reftable_lock(tmp_path: Path) -> None:
    repo = materialise("reftable-sha1", tmp_path)
    (repo / "reftable" / "tables.list.lock").write_bytes(b"")
    os.utime(repo / "reftable" / "tables.list.lock", (0, 0))  # a killed writer's, long ago
    code, out, _ = gto(["doctor"], repo)
    assert code == 1 and "reftable/tables.list.lock" in out


@pytest.mark.parametrize("object_format", ["sha1", "sha256"])
def test_a_reftable_delete_is_one_table(tmp_path: Path, object_format: str) -> None:
    """`--delete` of a version and its stage tags adds one table at one update index, in one
    tables.list update: a kill leaves every tag or none (one by one, four tables would)."""
    repo = materialise(f"reftable-{object_format}", tmp_path)
    stack = repo / "reftable" / "tables.list"
    last = int(stack.read_text().split()[-1].split("-")[1], 16)
    related = ["churn@v1.1.0", "churn#dev#3", "churn#staging#4", "churn#staging!#5"]
    code, out, _ = gto(["deprecate", "churn", "v1.1.0", "--delete"], repo, WRITER)
    assert (code, [line for line in out.splitlines() if line.startswith("Deleted")]) == (
        0,
        [f"Deleted git tag '{name}'" for name in related],
    )
    assert stack.read_text().split()[-1].startswith(f"0x{last + 1:012x}-0x{last + 1:012x}-")
    with GitRepo.open(repo) as opened:
        assert set(related) & set(opened.tag_names()) == set()


def test_a_reftable_delete_that_cannot_be_whole_deletes_nothing(tmp_path: Path) -> None:
    from gto.exceptions import TagNotFound
    from gto.git.write import delete_tags_at_once

    repo = materialise("reftable-sha1", tmp_path)
    before = files_of(repo)
    with GitRepo.open(repo) as opened, pytest.raises(TagNotFound, match="churn#nope#9"):
        delete_tags_at_once(opened, ["churn@v1.1.0", "churn#dev#3", "churn#nope#9"])
    assert files_of(repo) == before


def test_doctor_reports_a_reftable_table_lock(tmp_path: Path) -> None:
    """A compaction killed while it held a table's lock leaves `<table>.lock` behind."""
    repo = materialise("reftable-sha1", tmp_path)
    table = (repo / "reftable" / "tables.list").read_text().split()[0]
    lock = repo / "reftable" / f"{table}.lock"
    lock.write_bytes(b"")
    os.utime(lock, (0, 0))
    code, out, _ = gto(["doctor"], repo)
    assert (code, f"rm reftable/{table}.lock" in out) == (1, True)


def test_a_stale_reftable_lock_stops_writes_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stack has one lock for every ref: a counter does not move on past it (it would
    find every counter locked), and no tag object is written for a ref that cannot be."""
    monkeypatch.setattr("gto.git.write.LOCK_TIMEOUT", 0.2)
    monkeypatch.setattr("gto.git.refs_reftable.LOCK_TIMEOUT", 0.2)
    repo = materialise("reftable-sha256", tmp_path)
    lock = repo / "reftable" / "tables.list.lock"
    lock.write_bytes(b"")
    before = files_of(tmp_path)
    line = (
        f"❌ Cannot lock '{repo / 'reftable' / 'tables.list'}': '{lock}' exists. If no other "
        "git process is running, remove that file and try again\n"
    )
    for args in WRITE_COMMANDS[:3]:
        assert gto(with_ids(args, "sha256"), repo, WRITER) == (1, "", line)
    assert files_of(tmp_path) == before
    lock.unlink()
    assert gto(["assign", "churn", "--version", "v1.1.0", "--stage", "prod"], repo, WRITER)[0] == 0
