"""Build real git repositories with dulwich, for tests: no git binary, no mocks.

Every identity and clock is fixed, so the same calls give the same object ids.

    repo = init_repo(tmp_path / "repo")            # HEAD -> refs/heads/main
    c1 = make_commit(repo, {"artifacts.yaml": "churn: {}\\n"}, message="c1")
    make_tag(repo, "churn@v1.0.0", c1, time=EPOCH + 10)
    make_lightweight_tag(repo, "churn@v9.9.9", c1)
    pack_everything(repo)                          # like `git gc`: one pack + packed-refs

Scenario tests describe a whole repository at once with `build_registry`:

    repo = build_registry(tmp_path / "repo", [
        ("commit", "c1", {"artifacts.yaml": "churn: {type: model}\\n"}),
        ("commit", "c2"),                              # no file changes
        ("tag", "churn@v1.0.0", "c1", 10),             # annotated, at EPOCH + 10 s
        ("tag", "churn#prod#1", "c2", 20, "promote"),  # ... with a message
        ("lightweight", "churn@v0.0.1", "c1"),
        Commit("f1", branch="feature", parents=("c1",), at=30),  # steps as values: more options
        Tag("churn#dev#2", "f1", at=40, tz=5 * 3600 + 45 * 60),
    ])
    repo.commits["c1"]                               # label -> commit hexsha

Tuples are the step fields in order: ("commit", label, files, at, branch, message, tz,
parents), ("tag", name, target, at, message, tz, tagger) and ("lightweight", name, target).
A tag target (or a commit parent) is a commit label, or any object id (40 hex) for odd cases.
Commits are made at EPOCH + `at` seconds; commit and tag messages are stored as given,
except that a commit message gets git's trailing newline.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dulwich import objects
from dulwich.index import commit_tree, index_entry_from_stat
from dulwich.object_store import iter_tree_contents
from dulwich.objects import Blob, ObjectID
from dulwich.pack import pack_objects_to_data
from dulwich.refs import Ref
from dulwich.repo import Repo

EPOCH = 1_660_000_000
TAGGER = ("Test Tagger", "tagger@example.com")
AUTHOR = ("Test Author", "author@example.com")
COMMITTER = ("Test Committer", "committer@example.com")
BRANCH = "main"


@dataclass(frozen=True)
class Symlink:
    """A symbolic link to commit (mode 120000): its blob is `target`, as git stores it."""

    target: str


FileChanges = Mapping[str, "bytes | str | Symlink | None"]


def _identity(who: tuple[str, str]) -> bytes:
    return f"{who[0]} <{who[1]}>".encode()


def _bytes(text: bytes | str) -> bytes:
    return text.encode() if isinstance(text, str) else text


def init_repo(path: str | os.PathLike[str], bare: bool = False) -> Repo:
    """A new repo whose HEAD is the unborn branch `main` (user config is never read)."""
    os.makedirs(path, exist_ok=True)
    init = Repo.init_bare if bare else Repo.init
    return init(path, default_branch=BRANCH.encode())


def _branch_ref(branch: str) -> Ref:
    return Ref(f"refs/heads/{branch}".encode())


def _checked_out_branch(repo: Repo) -> bytes | None:
    """The ref HEAD points at (even if unborn), or None when HEAD is detached."""
    chain, _ = repo.refs.follow(Ref(b"HEAD"))
    return chain[1] if len(chain) > 1 else None


def make_commit(
    repo: Repo,
    files: FileChanges | None = None,
    message: str = "commit",
    time: int = EPOCH,
    tz: int = 0,
    branch: str = BRANCH,
    parents: Sequence[str] | None = None,
    author: tuple[str, str] = AUTHOR,
    committer: tuple[str, str] = COMMITTER,
) -> str:
    """Commit `files` (path -> content, None deletes) on top of `branch`; return the hexsha.

    The tree is the first parent's tree with `files` applied. `parents=None` means the
    branch head (none for a new branch); `parents=[]` forces a root commit. When the
    branch is checked out in a work tree, the files and the index follow, so the
    checkout stays clean.
    """
    ref = _branch_ref(branch)
    if parents is None:
        parents = [repo.refs[ref].decode()] if ref in repo.refs else []
    entries: dict[bytes, tuple[ObjectID, int]] = {}
    if parents:
        base_tree = repo.object_store[ObjectID(parents[0].encode())].tree  # type: ignore[attr-defined]
        for entry in iter_tree_contents(repo.object_store, base_tree):
            assert entry.path is not None and entry.sha is not None and entry.mode is not None
            entries[entry.path] = (entry.sha, entry.mode)
    for path, content in (files or {}).items():
        key = path.encode()
        if content is None:
            entries.pop(key, None)
        elif isinstance(content, Symlink):
            blob = Blob.from_string(content.target.encode())
            repo.object_store.add_object(blob)
            entries[key] = (blob.id, stat.S_IFLNK)
        else:
            blob = Blob.from_string(_bytes(content))
            repo.object_store.add_object(blob)
            entries[key] = (blob.id, stat.S_IFREG | 0o644)

    commit = objects.Commit()
    commit.tree = commit_tree(
        repo.object_store, [(path, sha, mode) for path, (sha, mode) in entries.items()]
    )
    commit.parents = [ObjectID(p.encode()) for p in parents]
    commit.author = _identity(author)
    commit.committer = _identity(committer)
    commit.author_time = commit.commit_time = time
    commit.author_timezone = commit.commit_timezone = tz
    commit.message = message.encode() if message.endswith("\n") else f"{message}\n".encode()
    repo.object_store.add_object(commit)
    repo.refs[ref] = commit.id
    if not repo.bare and _checked_out_branch(repo) == ref:
        _checkout(repo, files or {}, entries)
    return commit.id.decode()


def _checkout(
    repo: Repo, changes: FileChanges, entries: Mapping[bytes, tuple[ObjectID, int]]
) -> None:
    """Write the changed files and refresh their index entries (stat data included)."""
    index = repo.open_index()
    root = Path(repo.path)
    for path, content in changes.items():
        target = root / path
        key = path.encode()
        if content is None:
            target.unlink(missing_ok=True)
            for parent in target.relative_to(root).parents[:-1]:
                if any((root / parent).iterdir()):
                    break
                (root / parent).rmdir()
            if key in index:
                del index[key]
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            target.unlink(missing_ok=True)
            target.symlink_to(content.target)
        else:
            target.write_bytes(_bytes(content))
        sha, mode = entries[key]
        index[key] = index_entry_from_stat(os.lstat(target), sha, mode)
    index.write()


def make_tag(
    repo: Repo,
    name: str,
    target: str,
    message: str | bytes | None = None,
    time: int = EPOCH,
    tz: int = 0,
    tagger: tuple[str, str] = TAGGER,
) -> str:
    """An annotated tag `name` on `target` (any object id); returns the tag object id.

    The message is stored as given (bytes allow invalid utf-8); default "Tag NAME".
    """
    target_id = ObjectID(target.encode())
    tag = objects.Tag()
    tag.name = name.encode()
    tag.object = (type(repo.object_store[target_id]), target_id)
    tag.tagger = _identity(tagger)
    tag.tag_time = time
    tag.tag_timezone = tz
    tag.message = _bytes(f"Tag {name}" if message is None else message)
    repo.object_store.add_object(tag)
    repo.refs[Ref(f"refs/tags/{name}".encode())] = tag.id
    return tag.id.decode()


def make_lightweight_tag(repo: Repo, name: str, target: str) -> None:
    """A plain ref under refs/tags/, with no tag object."""
    repo.refs[Ref(f"refs/tags/{name}".encode())] = ObjectID(target.encode())


def pack_everything(repo: Repo, deltify: bool = False) -> None:
    """What `git gc` leaves: loose objects in a new pack, refs in packed-refs with peeled lines.

    `deltify=True` stores similar objects as deltas, as git does. Objects the refs point
    at must exist (peeling reads them).
    """
    store = repo.object_store
    if deltify:
        loose = [store[sha] for sha in store if store.contains_loose(sha)]
        count, records = pack_objects_to_data([(obj, None) for obj in loose], deltify=True)
        store.add_pack_data(count, records)
        for obj in loose:
            store.delete_loose_object(obj.id)
    else:
        store.pack_loose_objects()
    refs = {name: repo.refs[name] for name in repo.refs.allkeys() if name != b"HEAD"}
    lines = [b"# pack-refs with: peeled fully-peeled sorted \n"]
    for name in sorted(refs):
        lines.append(refs[name] + b" " + name + b"\n")
        obj = repo.object_store[refs[name]]
        if isinstance(obj, objects.Tag):
            while isinstance(obj, objects.Tag):
                obj = repo.object_store[obj.object[1]]
            lines.append(b"^" + obj.id + b"\n")
    Path(repo.controldir(), "packed-refs").write_bytes(b"".join(lines))
    for name in refs:
        Path(repo.controldir(), os.fsdecode(name)).unlink(missing_ok=True)


@dataclass(frozen=True)
class Commit:
    """A commit on `branch` at EPOCH + `at`, remembered as `label` (also its default message)."""

    label: str
    files: FileChanges = field(default_factory=dict)
    at: int = 0
    branch: str = BRANCH
    message: str | None = None
    tz: int = 0
    parents: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Tag:
    """An annotated tag on a commit label (or object id) at EPOCH + `at`."""

    name: str
    target: str
    at: int = 0
    message: str | None = None
    tz: int = 0
    tagger: tuple[str, str] = TAGGER


@dataclass(frozen=True)
class Lightweight:
    """A lightweight tag on a commit label (or object id)."""

    name: str
    target: str


Step = Commit | Tag | Lightweight
StepTuple = tuple[object, ...]


class BuiltRepo(Repo):
    """A dulwich Repo that also knows the hexsha of each labelled commit."""

    commits: dict[str, str]


def _step(spec: Step | StepTuple) -> Step:
    """Turn the compact tuple form into a step value."""
    if isinstance(spec, Commit | Tag | Lightweight):
        return spec
    kind, *args = spec
    kinds: dict[object, type[Commit] | type[Tag] | type[Lightweight]] = {
        "commit": Commit,
        "tag": Tag,
        "lightweight": Lightweight,
    }
    if kind not in kinds:
        raise ValueError(f"unknown step {spec!r}: use 'commit', 'tag' or 'lightweight'")
    return kinds[kind](*args)  # type: ignore[arg-type]


def build_registry(
    path: str | os.PathLike[str],
    spec: Iterable[Step | StepTuple],
    bare: bool = False,
    packed: bool = False,
) -> BuiltRepo:
    """Build a repository from `spec` steps, in order (see the module docstring).

    `packed=True` ends with `pack_everything`. The returned repo has loaded no pack,
    so dropping it without `close()` is safe; close it if you read objects through it.
    """
    commits: dict[str, str] = {}
    with init_repo(path, bare=bare) as repo:
        for step in map(_step, spec):
            if isinstance(step, Commit):
                commits[step.label] = make_commit(
                    repo,
                    step.files,
                    message=step.label if step.message is None else step.message,
                    time=EPOCH + step.at,
                    tz=step.tz,
                    branch=step.branch,
                    parents=None
                    if step.parents is None
                    else [commits.get(p, p) for p in step.parents],
                )
            elif isinstance(step, Tag):
                make_tag(
                    repo,
                    step.name,
                    commits.get(step.target, step.target),
                    message=step.message,
                    time=EPOCH + step.at,
                    tz=step.tz,
                    tagger=step.tagger,
                )
            else:
                make_lightweight_tag(repo, step.name, commits.get(step.target, step.target))
        if packed:
            pack_everything(repo)
    built = BuiltRepo(os.fspath(path))
    built.commits = commits
    return built


def refs(path: str | os.PathLike[str]) -> dict[Ref, ObjectID]:
    """Every ref of the repository at `path` (HEAD included, tags as tag object ids)."""
    with Repo(os.fspath(path)) as repo:
        return dict(repo.get_refs())


def tag_names(path: str | os.PathLike[str]) -> list[str]:
    """The tag names of the repository at `path`, sorted."""
    with Repo(os.fspath(path)) as repo:
        return sorted(name.decode() for name in repo.refs.as_dict(Ref(b"refs/tags")))


def tree_files(path: str | os.PathLike[str], commit: str) -> dict[str, bytes]:
    """path -> content of every file in the commit `commit` of the repository at `path`."""
    with Repo(str(path)) as repo:
        made = repo[ObjectID(commit.encode())]
        assert isinstance(made, objects.Commit)
        return {
            entry.path.decode(): repo[entry.sha].as_raw_string()
            for entry in repo.object_store.iter_tree_contents(made.tree)
            if entry.path is not None and entry.sha is not None
        }
