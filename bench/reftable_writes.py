"""Cost per tag write as a repository's ref store grows: reftable (gto's) against loose refs.

    python bench/reftable_writes.py [N] [--dulwich]

Each write is what `gto register` does to the repository: one annotated tag object and
its ref, created only if absent (gto.git.write.create_tag), in a bare repository with
one commit. "warm" keeps one GitRepo open for all writes; "cold" opens a new one per
write, as each command does (without Python's start-up). `--dulwich` adds dulwich
1.2.21's own reftable writer (refs only), which never compacts. Prints the mean and
max milliseconds per write for each tenth of the run, and the tables left.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dulwich.objects import Blob, Commit, ObjectID, Tree
from dulwich.refs import Ref
from dulwich.repo import Repo

from gto.git.identity import Identity
from gto.git.repo import GitRepo
from gto.git.write import create_tag

WHO = Identity("Bench", "bench@example.com")


def make_repo(path: Path, reftable: bool) -> str:
    """A bare repository with one commit (files or reftable refs); its commit id."""
    repo = Repo.init_bare(str(path), mkdir=True)
    blob = Blob.from_string(b"x")
    tree = Tree()
    tree.add(b"x", 0o100644, blob.id)
    commit = Commit()
    commit.tree = tree.id
    commit.author = commit.committer = b"Bench <bench@example.com>"
    commit.author_time = commit.commit_time = 1_700_000_000
    commit.author_timezone = commit.commit_timezone = 0
    commit.message = b"c\n"
    for obj in (blob, tree, commit):
        repo.object_store.add_object(obj)
    repo.close()
    if reftable:
        config = path / "config"
        config.write_text(
            "[core]\n\trepositoryformatversion = 1\n\tbare = true\n"
            "[extensions]\n\trefStorage = reftable\n"
        )
        (path / "reftable").mkdir()
        (path / "reftable" / "tables.list").write_text("")
        (path / "HEAD").write_text("ref: refs/heads/.invalid\n")
    return commit.id.decode()


def run(name: str, n: int, write: Callable[[int], None], tables: Callable[[], int]) -> None:
    bucket = max(n // 10, 1)
    times: list[float] = []
    print(f"{name}:")
    for i in range(n):
        start = time.perf_counter()
        write(i)
        times.append(time.perf_counter() - start)
        if (i + 1) % bucket == 0:
            chunk = times[-bucket:]
            print(
                f"  writes {i + 2 - bucket:5d}-{i + 1:5d}: mean {1000 * statistics.mean(chunk):6.2f}"
                f" ms, max {1000 * max(chunk):6.2f} ms, tables {tables()}"
            )


def gto_writes(n: int, reftable: bool, cold: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "repo.git")
        commit = make_repo(path, reftable)
        warm = GitRepo.open(path)

        def write(i: int) -> None:
            if cold:
                with GitRepo.open(path) as git:
                    create_tag(git, f"model@v{i}.0.0", commit, "m", WHO, (1_700_000_000 + i, 0))
            else:
                create_tag(warm, f"model@v{i}.0.0", commit, "m", WHO, (1_700_000_000 + i, 0))

        def tables() -> int:
            listing = path / "reftable" / "tables.list"
            return len(listing.read_text().split()) if reftable else 0

        kind = "reftable" if reftable else "loose refs"
        run(f"gto, {kind}, {'new GitRepo per write' if cold else 'one GitRepo'}", n, write, tables)
        warm.close()


def dulwich_writes(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp, "repo")
        path.mkdir()
        repo = Repo.init(str(path), format=1)
        config = repo.get_config()
        config.set((b"extensions",), b"refStorage", b"reftable")
        config.write_to_path()
        refs = Repo(str(path)).refs

        def write(i: int) -> None:
            refs[Ref(b"refs/tags/model@v%d.0.0" % i)] = ObjectID(b"%040x" % (i + 1))

        def tables() -> int:
            return len((path / ".git" / "reftable" / "tables.list").read_text().split())

        run("dulwich 1.2.21 reftable (refs only)", n, write, tables)


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "2000"))
    gto_writes(n, reftable=False, cold=False)
    gto_writes(n, reftable=True, cold=False)
    gto_writes(n, reftable=True, cold=True)
    if "--dulwich" in sys.argv:
        dulwich_writes(n)


if __name__ == "__main__":
    main()
