"""The repository-format fixtures themselves: complete, restorable, and what they claim.

These tests check the test data of issue 10 (fixtures/repos/formats/, built by
fixtures/repos/make_format_repos.py), not gto's support for the formats (that is
tests/git/test_formats.py): the expected outputs are those of the SHA-1 baseline. git's
own checks (fsck, the refs it lists, the repositories it refuses) run only with
GTO_TEST_REAL_GIT.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from dulwich.object_format import SHA1
from dulwich.pack import PackData, load_pack_index
from dulwich.repo import Repo
from format_fixtures import (
    BASELINE,
    ROOT_PLACEHOLDER,
    STORED,
    STORED_DOT_GIT,
    entry,
    fixture_env,
    manifest,
    materialise,
    names,
    normalise,
)
from servers import REAL_GIT, run_git

from gto.cli import main

MANIFEST = manifest()
ALL = names()
GIT_READABLE = [n for n in ALL if MANIFEST["fixtures"][n]["git_can_read"]]
READ_BY_GTO_ONLY = [n for n in ALL if MANIFEST["fixtures"][n]["ref_storage"] == "reftable"]
# What git 2.39 refuses: the refused fixtures and compatObjectFormat's (gto reads that one).
GIT_REFUSES = [
    n for n in ALL if not MANIFEST["fixtures"][n]["git_can_read"] and n not in READ_BY_GTO_ONLY
]
_OFS_DELTA, _REF_DELTA = 6, 7


def _registry_refs(object_format: str) -> dict[str, str]:
    """refs/tags/* of the registry in one object format, from the manifest's ids."""
    ids: dict[str, str] = MANIFEST["ids"][object_format]
    return {f"refs/tags/{k[4:]}": v for k, v in ids.items() if k.startswith("tag:")}


def _git(path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_git(path, env, *args)


Shared = Callable[[str], tuple[Path, dict[str, str]]]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Shared:
    """One materialised copy per fixture for this module's tests, which only read it."""
    folder = tmp_path_factory.mktemp("formats")
    copies: dict[str, tuple[Path, dict[str, str]]] = {}

    def get(name: str) -> tuple[Path, dict[str, str]]:
        if name not in copies:
            copies[name] = (materialise(name, folder), fixture_env(name, folder))
        return copies[name]

    return get


def test_the_manifest_lists_every_stored_fixture() -> None:
    stored = sorted(p.name for p in STORED.iterdir() if p.is_dir())
    assert sorted(ALL) == stored
    assert ALL[0] == BASELINE


@pytest.mark.parametrize("name", ALL)
def test_materialise_restores_the_repository(shared: Shared, name: str) -> None:
    info: dict[str, Any] = entry(name)
    opened, env = shared(name)
    root = opened.parents[len(Path(info["open"]).parts) - 1]
    assert opened == root / info["open"] and opened.is_dir()
    assert (root / info["git_dir"] / "HEAD").is_file()
    assert (root / info["common_dir"] / "objects").is_dir()
    for path in root.rglob("*"):
        assert path.name != STORED_DOT_GIT
        if path.is_file():
            assert ROOT_PLACEHOLDER.encode() not in path.read_bytes(), path
    for rel in info["files_with_root"]:
        assert str(root.resolve()) in (root / rel).read_text()
    for rel in info["empty_dirs"]:
        assert (root / rel).is_dir()
    for value in env.values():
        assert Path(value).is_dir() and Path(value).is_relative_to(root.resolve())


def test_materialise_refuses_to_overwrite(tmp_path: Path) -> None:
    materialise(BASELINE, tmp_path)
    with pytest.raises(FileExistsError):
        materialise(BASELINE, tmp_path)


@pytest.mark.parametrize("filename", sorted(MANIFEST["expected_commands"]))
def test_the_baseline_gives_the_expected_output(
    shared: Shared, capsys: pytest.CaptureFixture[str], golden: Any, filename: str
) -> None:
    """What every other fixture must print too (after normalise()): today's gto on SHA-1."""
    repo, _ = shared(BASELINE)
    args = MANIFEST["expected_commands"][filename]
    capsys.readouterr()
    code = main([*args, "-r", str(repo)])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    golden(f"formats/{filename}", out)


def test_normalise_maps_sha256_ids_to_the_baselines() -> None:
    sha1, sha256 = MANIFEST["ids"]["sha1"], MANIFEST["ids"]["sha256"]
    assert sha1.keys() == sha256.keys()
    text = f'{{"commit_hexsha": "{sha256["C6"]}"}} {sha256["C2"][:7]} churn@v1.0.0'
    expected = f'{{"commit_hexsha": "{sha1["C6"]}"}} {sha1["C2"][:7]} churn@v1.0.0'
    assert normalise(text, "sha256-packed") == expected
    assert normalise(text, "deltas") == text


def test_every_fixture_holds_the_same_registry() -> None:
    """One commit list and one tag list for both formats; every fixture names one of them."""
    keys = set(MANIFEST["ids"]["sha1"])
    assert {k for k in keys if k.startswith("C")} == {f"C{i}" for i in range(1, 7)}
    assert len(_registry_refs("sha1")) == len(_registry_refs("sha256")) > 60
    for name in ALL:
        info = entry(name)
        assert info["object_format"] in MANIFEST["ids"]
        assert info["ref_storage"] in ("files", "reftable")


def test_dulwich_reads_the_sha1_reftable_stack_alike(shared: Shared) -> None:
    repo, _ = shared("reftable-sha1")
    tables = (repo / "reftable" / "tables.list").read_text().split()
    assert len(tables) == 3
    assert (repo / "HEAD").read_text() == "ref: refs/heads/.invalid\n"
    with Repo(str(repo)) as dul:
        refs = {k.decode(): v.decode() for k, v in dul.get_refs().items()}
    assert refs.pop("HEAD") == refs["refs/heads/main"] == MANIFEST["ids"]["sha1"]["C6"]
    assert refs.pop("refs/heads/main")
    assert refs == _registry_refs("sha1")  # refs/heads/scratch: deleted by a tombstone


def test_the_partial_clone_lacks_exactly_one_blob(shared: Shared) -> None:
    repo, _ = shared("partial-clone")
    missing = MANIFEST["ids"]["sha1"]["blob:C4:artifacts.yaml"]
    packs = sorted((repo / ".git" / "objects" / "pack").glob("*.idx"))
    assert packs and all(p.with_suffix(".promisor").is_file() for p in packs)
    held: set[str] = set()
    for idx in packs:
        index = load_pack_index(str(idx), SHA1)
        held |= {sha.decode() for sha in index}
        index.close()
    assert missing not in held
    assert MANIFEST["ids"]["sha1"]["blob:C5:artifacts.yaml"] in held
    assert not (repo / ".git" / "objects" / missing[:2] / missing[2:]).exists()


def test_the_deltas_fixture_has_both_delta_kinds(shared: Shared) -> None:
    repo, _ = shared("deltas")
    kinds: set[int] = set()
    for pack in (repo / "objects" / "pack").glob("*.pack"):
        with PackData(str(pack), SHA1) as data:
            kinds |= {obj.pack_type_num for obj in data.iter_unpacked()}
    assert {_OFS_DELTA, _REF_DELTA} <= kinds


def test_the_pack_index_is_version_1(shared: Shared) -> None:
    repo, _ = shared("pack-index-v1")
    (idx,) = (repo / "objects" / "pack").glob("*.idx")
    assert idx.read_bytes()[:4] != b"\377tOc"  # version 2 and later start with this magic


@pytest.mark.parametrize("name", GIT_READABLE)
def test_git_fsck_is_clean_and_git_sees_the_registry(shared: Shared, name: str) -> None:
    if not REAL_GIT:
        pytest.skip("needs the real git: run GTO_TEST_REAL_GIT=$(command -v git) python -m pytest")
    info = entry(name)
    repo, env = shared(name)
    fsck = _git(repo, env, "fsck", "--strict", "--no-dangling")
    assert (fsck.returncode, fsck.stdout, fsck.stderr) == (0, "", "")
    listing = _git(repo, env, "for-each-ref", "--format=%(refname) %(objectname)", "refs/tags")
    tags = dict(line.split(" ") for line in listing.stdout.splitlines())
    assert tags == _registry_refs(info["object_format"])
    head = _git(repo, env, "rev-parse", "HEAD").stdout.strip()
    assert head == MANIFEST["ids"][info["object_format"]]["C6"]


@pytest.mark.parametrize("name", GIT_REFUSES)
def test_git_2_39_refuses_what_it_cannot_read(shared: Shared, name: str) -> None:
    if not REAL_GIT:
        pytest.skip("needs the real git: run GTO_TEST_REAL_GIT=$(command -v git) python -m pytest")
    repo, env = shared(name)
    done = _git(repo, env, "rev-parse", "HEAD")
    assert done.returncode == 128
    assert "extension" in done.stderr
