"""`-r URL` and `--push` with SHA-256 repositories and reftable stacks.

git 2.39's own server (`git daemon`) serves SHA-256 repositories over protocol v0 and v2
(`object-format=sha256`); gto's cache then becomes a SHA-256 repository. A repository on
this machine (`file://`, a path) is read and pushed to in-process, with gto's own ref
readers and writers, whatever its ref store. git 2.39 cannot serve reftable at all.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from format_fixtures import EXPECTED, manifest, materialise, normalise, run_gto
from servers import REAL_GIT, git_daemon, git_http_backend, set_remote

from gto.git.reftable_stack import ReftableStack
from gto.git.repo import GitRepo

MANIFEST = manifest()
WRITER = {
    "GIT_COMMITTER_NAME": "Wanda Writer",
    "GIT_COMMITTER_EMAIL": "wanda@example.com",
    "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+0000",
}
Server = Callable[[Path], contextlib.AbstractContextManager[str]]
READS = ["show.txt", "show_churn_--json.txt", "history.txt", "check-ref_churn#prod#2_--json.txt"]


def gto(
    args: Sequence[str], repo: str | Path, env: Mapping[str, str] = WRITER
) -> tuple[int, str, str]:
    return run_gto(args, repo, env)


def assert_reads_like_the_baseline(url: str, name: str) -> None:
    for filename in READS:
        args = MANIFEST["expected_commands"][filename]
        code, out, err = gto(args, url)
        assert (code, err) == (0, ""), filename
        assert normalise(out, name) == (EXPECTED / filename).read_text(), filename


def tags_of(path: Path) -> list[str]:
    with GitRepo.open(path) as git:
        return git.tag_names()


@pytest.mark.parametrize("server", [git_daemon, git_http_backend], ids=["daemon", "http"])
def test_a_sha256_repository_served_by_git(tmp_path: Path, server: Server) -> None:
    served = materialise("sha256-packed", tmp_path / "served")
    with server(tmp_path / "served") as base:
        url = f"{base}/sha256-packed/repo.git"
        assert_reads_like_the_baseline(url, "sha256-packed")
        assert gto(["history", "-A"], url)[0] == 0  # the whole history, fetched later
        before = tags_of(served)
        code, _, err = gto(["register", "churn"], url)
        assert code == 1
        assert err == (
            f"❌ Cannot push to {url}: gto pushes to servers with dulwich, which sends SHA-1 "
            "packs only; push SHA-256 repositories with git (git push)\n"
        )
        assert tags_of(served) == before
        assert gto(["show", "churn"], url)[1].count("v1.1.1") == 0  # taken back in the cache


@pytest.mark.parametrize("name", ["sha256-packed", "reftable-sha1", "reftable-sha256"])
def test_file_urls_of_every_format_read_and_write(tmp_path: Path, name: str) -> None:
    served = materialise(name, tmp_path / "served")
    url = served.as_uri()
    assert_reads_like_the_baseline(url, name)
    assert gto(["register", "churn"], url)[0] == 0
    assert gto(["deprecate", "churn", "v1.0.0", "--delete"], url)[0] == 0
    tags = tags_of(served)
    assert "churn@v1.1.1" in tags and "churn@v1.0.0" not in tags and "churn#dev#1" not in tags
    assert gto(["show", "churn"], url)[1] == gto(["show", "churn"], served)[1]
    if name.startswith("reftable"):
        ReftableStack(served / "reftable").verify()
    elif REAL_GIT:
        fsck = subprocess.run(
            [REAL_GIT, "fsck", "--strict", "--no-dangling"], cwd=served, capture_output=True
        )
        assert fsck.returncode == 0, fsck.stderr


def test_a_cache_follows_a_remote_made_again_in_another_format(tmp_path: Path) -> None:
    served = materialise("sha1-baseline", tmp_path / "one") / ".git"
    url = served.as_uri()
    assert gto(["show"], url)[1] == (EXPECTED / "show.txt").read_text()
    shutil.rmtree(served)
    shutil.copytree(materialise("sha256-packed", tmp_path / "two"), served)
    code, out, err = gto(["show", "churn", "--json"], url)
    assert (code, err) == (0, "")
    assert MANIFEST["ids"]["sha256"]["C2"] in out


@pytest.mark.parametrize("target", ["sha256-packed", "reftable-sha1", "reftable-sha256"])
def test_push_to_a_repository_on_this_machine(tmp_path: Path, target: str) -> None:
    """`--push` from a work tree to an `origin` on this machine, of any ref store."""
    fmt = MANIFEST["fixtures"][target]["object_format"]
    origin = materialise(target, tmp_path / "origin")
    work = materialise("sha256-loose" if fmt == "sha256" else "sha1-baseline", tmp_path / "w")
    set_remote(work, str(origin))
    code, out, err = gto(["register", "churn", "--push"], work)
    assert (code, err) == (0, "") and "Successfully pushed" in out
    code, out, err = gto(["deprecate", "churn", "v1.0.0", "--delete", "--push"], work)
    assert (code, err) == (0, "")
    assert tags_of(origin) == tags_of(work)
    with GitRepo.open(origin) as there, GitRepo.open(work) as here:
        assert there.read_tags(["churn@v1.1.1"]) == here.read_tags(["churn@v1.1.1"])
    if target.startswith("reftable"):
        stack = ReftableStack(origin / "reftable")
        stack.verify()
        ref = stack.get("refs/tags/churn@v1.1.1")
        assert ref is not None and ref.peeled == MANIFEST["ids"][fmt]["C6"]
    elif REAL_GIT:
        fsck = subprocess.run(
            [REAL_GIT, "fsck", "--strict", "--no-dangling"], cwd=origin, capture_output=True
        )
        assert fsck.returncode == 0, fsck.stderr


def test_a_push_between_object_formats_is_refused(tmp_path: Path) -> None:
    origin = materialise("sha256-packed", tmp_path / "origin")
    work = materialise("sha1-baseline", tmp_path / "w")
    set_remote(work, str(origin))
    before = tags_of(origin)
    code, _, err = gto(["register", "churn", "--push"], work)
    assert code == 1
    assert err == (
        f"❌ Cannot push to '{origin}': it stores sha256 objects, and this repository sha1 "
        "objects\n"
    )
    assert tags_of(origin) == before and "churn@v1.1.1" not in tags_of(work)
