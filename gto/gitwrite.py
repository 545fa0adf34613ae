"""Write to a git repository with dulwich: annotated tags, small commits and pushes.

The write half of the adapter (gitrepo.py reads). Strings go in and come out; bytes
stay here. dulwich builds the objects; gitfiles writes them, and the refs, through
git's lock files, so a concurrent writer (another gto, or git itself) either wins
cleanly or makes the call fail, and a full disk or a kill never leaves half a file.
Every failure a user can cause becomes a GTOException.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import os
import re
import stat
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

from dulwich.client import (
    GitClient,
    HTTPProxyUnauthorized,
    HTTPUnauthorized,
    LocalGitClient,
    get_transport_and_path,
)
from dulwich.config import ConfigFile
from dulwich.errors import GitProtocolError, NotGitRepository, NotTreeError
from dulwich.graph import can_fast_forward
from dulwich.index import (
    ConflictedIndexEntry,
    IndexChecksumWriter,
    IndexEntry,
    index_entry_from_stat,
    write_index_dict,
)
from dulwich.object_store import (
    MemoryObjectStore,
    OverlayObjectStore,
    commit_tree_changes,
    tree_lookup_path,
)
from dulwich.objects import ZERO_SHA, Blob, Commit, ObjectID, ShaFile, Tag, Tree
from dulwich.pack import UnpackedObject
from dulwich.refs import Ref, check_ref_format
from dulwich.repo import Repo

from gto import gitfiles
from gto.exceptions import (
    GTOException,
    IdentityNotFound,
    InvalidTagName,
    PushError,
    RefNotFound,
    RepoError,
    TagExists,
    TagNotFound,
    WrongArgs,
)
from gto.gitrepo import GitRepo, is_ref_name

__all__ = [
    "Identity",
    "InvalidDate",
    "RefBusy",
    "UnstorableTagName",
    "check_tag_name",
    "commit_files",
    "create_tag",
    "delete_tag",
    "find_identity",
    "now",
    "push",
    "restore_tag",
    "undo_commit",
    "user_configs",
]

_T = TypeVar("_T")
_TAGS = "refs/tags/"
# git waits 100 ms for a ref lock by default; 8 writers on 2 slow cores need longer.
_LOCK_TIMEOUT = 5.0
_FILE = stat.S_IFREG | 0o644
_EXECUTABLE = stat.S_IFREG | 0o755
_NO_IDENTITY = (
    "Cannot find who is tagging: set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL, "
    "or run `git config --global user.name NAME` and `git config --global user.email EMAIL`"
)
# GIT_COMMITTER_DATE forms git accepts (date.c): its own "@seconds +hhmm" (the "@" may
# be left out for 9+ digits), ISO 8601 and RFC 2822; without an offset, local time.
_RAW_DATE = re.compile(r"(?=@|\d{9})@?(\d+)(?:\s+([+-]\d{4}))?")
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)
# user:password@ in URLs, also inside error texts from the transport.
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")


class InvalidDate(GTOException):
    """GIT_COMMITTER_DATE is set to something git would refuse too."""

    def __init__(self, value: str) -> None:
        super().__init__(
            f"Invalid GIT_COMMITTER_DATE '{value}': use '@1660000000 +0000', "
            "'Thu, 07 Apr 2005 22:13:13 +0200' or '2005-04-07T22:13:13+02:00'"
        )


@dataclass(frozen=True)
class Identity:
    """Who writes a tag or a commit: the tagger, or the author and committer."""

    name: str
    email: str


# Identity


def find_identity(git: GitRepo, environ: Mapping[str, str]) -> Identity:
    """The committer identity git itself would use, each field looked up on its own.

    Order: GIT_COMMITTER_NAME/EMAIL, the repository's config, ~/.gitconfig, then
    $XDG_CONFIG_HOME/git/config (git reads the XDG file first, so ~/.gitconfig wins).
    HOME comes from `environ`, so a test or an embedding program controls it. Unlike
    git, gto never guesses an identity from the user and host names.

    Raises:
        IdentityNotFound: a name or an email is found nowhere.
    """
    configs = [_repo_config(git), *user_configs(environ)]
    fields = []
    for env_var, key in (("GIT_COMMITTER_NAME", b"name"), ("GIT_COMMITTER_EMAIL", b"email")):
        value = environ.get(env_var) or _config_value(configs, key)
        if not value:
            raise IdentityNotFound(_NO_IDENTITY)
        fields.append(value)
    return Identity(*fields)


def _repo_config(git: GitRepo) -> ConfigFile:
    try:
        return git.dulwich_repo.get_config()
    except (OSError, ValueError) as e:
        raise RepoError(f"Cannot read the repository's git config: {e}") from e


def user_configs(environ: Mapping[str, str]) -> list[ConfigFile]:
    """The user's config files that exist, the one that wins first."""
    home = environ.get("HOME")
    xdg = environ.get("XDG_CONFIG_HOME") or (os.path.join(home, ".config") if home else None)
    paths = [os.path.join(home, ".gitconfig")] if home else []
    if xdg:
        paths.append(os.path.join(xdg, "git", "config"))
    configs = []
    for path in paths:
        try:
            configs.append(ConfigFile.from_path(path))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as e:
            raise RepoError(f"Cannot read git config '{path}': {e}") from e
    return configs


def _config_value(configs: Sequence[ConfigFile], key: bytes) -> str | None:
    """The first non-empty `user.<key>` in `configs`."""
    for config in configs:
        try:
            value = config.get((b"user",), key)
        except KeyError:
            continue
        if value:
            return value.decode("utf-8", "replace")
    return None


def _signature(who: Identity) -> bytes:
    """`Name <email>`, without the characters that would break the header (git drops them)."""
    crud = str.maketrans("", "", "<>\n")
    return f"{who.name.translate(crud).strip()} <{who.email.translate(crud).strip()}>".encode()


# Time


def now(environ: Mapping[str, str]) -> tuple[int, int]:
    """(unix seconds, UTC offset in seconds) for a new tag or commit, as git picks them.

    GIT_COMMITTER_DATE wins (so tests and scripts get reproducible objects); otherwise
    the current time in the local offset.

    >>> now({"GIT_COMMITTER_DATE": "2005-04-07T22:13:13+02:00"})
    (1112904793, 7200)

    Raises:
        InvalidDate: GIT_COMMITTER_DATE is set but is none of git's formats.
    """
    value = environ.get("GIT_COMMITTER_DATE")
    if not value:
        seconds = int(time.time())
        return seconds, _local_offset(seconds)
    text = value.strip()
    try:
        if match := _RAW_DATE.fullmatch(text):
            return _with_offset(int(match[1]), match[2])
        if match := _ISO_DATE.fullmatch(text):
            year, month, day, hour, minute, second = (int(x) for x in match.groups("0")[:6])
            moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
            return _from_wall_clock(moment, match[7])
        parsed = email.utils.parsedate_tz(text)
        if parsed is not None:
            moment = datetime(*parsed[:6], tzinfo=timezone.utc)
            offset = parsed[9]
            if offset is None:
                return _from_wall_clock(moment, None)
            return int(moment.timestamp()) - offset, offset
    except (ValueError, OverflowError) as e:
        raise InvalidDate(value) from e
    raise InvalidDate(value)


def _local_offset(seconds: int) -> int:
    return time.localtime(seconds).tm_gmtoff


def _parse_offset(text: str) -> int:
    """`+0200`, `-05:30` or `Z` -> seconds east of UTC."""
    if text == "Z":
        return 0
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if minutes >= 60:
        raise ValueError(f"bad offset {text}")
    offset = hours * 3600 + minutes * 60
    return -offset if text[0] == "-" else offset


def _with_offset(seconds: int, offset: str | None) -> tuple[int, int]:
    return seconds, _local_offset(seconds) if offset is None else _parse_offset(offset)


def _from_wall_clock(moment: datetime, offset: str | None) -> tuple[int, int]:
    """A wall-clock time (held in a UTC datetime) read in `offset`, or in local time."""
    if offset is None:
        seconds = int(time.mktime(moment.replace(tzinfo=None).timetuple()))
        return seconds, _local_offset(seconds)
    seconds_east = _parse_offset(offset)
    return int((moment - timedelta(seconds=seconds_east)).timestamp()), seconds_east


# Refs

# The longest part of a ref name between '/': file systems allow 255 bytes per name,
# and a ref update also needs room for `<part>.lock`.
_MAX_REF_PART = 250


class UnstorableTagName(InvalidTagName):
    """A tag name that git cannot store as a ref; refused before anything is written."""

    def __init__(self, name: str, reason: str) -> None:
        GTOException.__init__(
            self, f"Cannot create tag '{name}': Git does not allow {reason} in a tag name"
        )


def _ref_problem(name: str) -> str | None:
    """What git-check-ref-format refuses in refs/tags/<name>, in words; None if nothing.

    >>> _ref_problem("../x=m@v1.0.0")
    "'..'"
    """
    # Surrogates stand for undecodable bytes in a command line argument.
    bad = next(
        (c for c in name if c in " ~^:?*[\\\x7f" or c < " " or "\ud800" <= c <= "\udfff"), None
    )
    parts = name.split("/")
    checks = [
        (not name, "an empty name"),
        (bad is not None, f"the character {bad!r}"),
        ("@{" in name, "'@{'"),
        (".." in name, "'..'"),
        ("//" in name, "'//'"),
        (name.startswith("/"), "a leading '/'"),
        (name.endswith("/"), "a trailing '/'"),
        (name.endswith("."), "a trailing '.'"),
        (any(p.startswith(".") for p in parts), "a part starting with '.'"),
        (any(p.endswith(".lock") for p in parts), "a part ending with '.lock'"),
        (
            any(len(p.encode("utf-8", "surrogatepass")) > _MAX_REF_PART for p in parts),
            f"more than {_MAX_REF_PART} bytes between two '/'",
        ),
    ]
    return next((reason for failed, reason in checks if failed), None)


def check_tag_name(name: str) -> None:
    """Refuse a tag name git cannot store, so a command can check before it writes.

    Raises:
        UnstorableTagName: the name breaks git's ref name rules or is too long.
    """
    problem = _ref_problem(name)
    if problem is None and not check_ref_format(Ref(f"{_TAGS}{name}".encode())):
        problem = "this name"
    if problem is not None:
        raise UnstorableTagName(name, problem)


def _tag_ref(name: str) -> str:
    check_tag_name(name)
    return f"{_TAGS}{name}"


class RefBusy(RepoError):
    """A ref's lock file exists: another writer is at work, or one was killed while at it."""

    def __init__(self, path: str, lock_path: str) -> None:
        super().__init__(
            f"Cannot lock '{path}': '{lock_path}' exists. If no other git process is running, "
            "remove that file and try again"
        )


def _relative(git: GitRepo, path: str) -> str:
    """`path` relative to the repository's root (its work tree, or itself when bare)."""
    relative = os.path.relpath(path, git.root)
    return path if relative.startswith("..") else relative


def _write_error(git: GitRepo, what: str, error: OSError) -> RepoError:
    """One line naming the part that cannot be written (objects, refs, a file) and where."""
    where = os.fsdecode(error.filename) if error.filename else str(git.root)
    reason = error.strerror or str(error)
    return RepoError(f"Cannot write {what} to '{_relative(git, where)}': {reason}")


def _store(git: GitRepo, obj: ShaFile) -> bool:
    """Write `obj` as a loose object; False if it was there already."""
    try:
        oid = obj.id.decode("ascii")
        return gitfiles.write_object(git.objects_dir, oid, obj.as_legacy_object())
    except OSError as e:
        raise _write_error(git, "objects", e) from e


def _locked(git: GitRepo, action: Callable[[], _T], *, wait: bool = True) -> _T:
    """Run a ref update, waiting while another writer holds the ref's lock file.

    When the lock goes away the other writer has finished, so a retry sees its result.
    Without `wait`, a held lock fails at once (a counter then moves on to the next one).
    """
    deadline = time.monotonic() + _LOCK_TIMEOUT
    delay = 0.001
    while True:
        try:
            return action()
        except gitfiles.RefLocked as e:
            if not wait or time.monotonic() > deadline:
                raise RefBusy(e.path, e.lock_path) from e
        except ValueError as e:  # a damaged packed-refs
            raise RepoError(f"Cannot read packed-refs: {e}") from e
        except OSError as e:
            raise _write_error(git, "refs", e) from e
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def _wait_for_lock(git: GitRepo, path: str, *, wait: bool = True) -> None:
    """Wait while the ref file `path` is locked, before writing any object meant for it.

    A lock file left by a killed writer would otherwise fail the ref update only after
    the objects were written; checking first leaves the repository as it was.
    """
    lock = f"{path}.lock"

    def check() -> None:
        if os.path.lexists(lock):
            raise gitfiles.RefLocked(path, lock)

    _locked(git, check, wait=wait)


def _tag_exists(git: GitRepo, ref: str) -> bool:
    return os.path.lexists(git.ref_path(ref)) or gitfiles.read_ref(git.commondir, ref) is not None


def create_tag(
    git: GitRepo,
    name: str,
    commit: str,
    message: str,
    tagger: Identity,
    when: tuple[int, int],
    *,
    wait: bool = True,
) -> str:
    """Write an annotated tag on `commit` and create refs/tags/<name>; return the tag id.

    The message is stored as given (upstream 1.10.1 writes no trailing newline). The ref
    is created only if no tag of that name exists, loose or packed, annotated or
    lightweight; the check and the creation happen under the ref's lock file, so of
    several concurrent writers exactly one succeeds. Without `wait`, a locked name
    fails at once with RefBusy.

    Raises:
        TagExists: the tag exists (or was created meanwhile by someone else).
        RefBusy: the tag's lock file exists (after waiting, unless `wait` is False).
        RefNotFound: `commit` is not a commit of this repository.
    """
    repo = git.dulwich_repo
    ref = _tag_ref(name)
    target = ObjectID(commit.encode())
    try:
        kind, _ = repo.object_store.get_raw(target)
    except (KeyError, ValueError) as e:
        raise RefNotFound(commit) from e
    if kind != Commit.type_num:
        raise RefNotFound(commit)
    if _locked(git, lambda: _tag_exists(git, ref)):
        raise TagExists(name)
    _locked(git, lambda: gitfiles.make_ref_folders(git.commondir, ref))
    _wait_for_lock(git, git.ref_path(ref), wait=wait)
    tag = Tag()
    tag.name = name.encode()
    tag.object = (Commit, target)
    tag.tagger = _signature(tagger)
    tag.tag_time, tag.tag_timezone = when
    tag.message = message.encode()
    # When the ref cannot be made, the object stays, unreferenced (git gc prunes it):
    # another writer may have made the very same object (same name, tagger, second
    # and message) and be about to point its ref at it.
    _store(git, tag)
    # No reflog: git keeps none for tags.
    created = _locked(
        git, lambda: gitfiles.create_ref(git.commondir, ref, tag.id.decode()), wait=wait
    )
    if not created:
        raise TagExists(name)
    return tag.id.decode("ascii")


def delete_tag(git: GitRepo, name: str) -> str:
    """Remove refs/tags/<name>, loose and packed; objects stay (git gc's business).

    Returns the object id the tag pointed to, so `restore_tag` can undo the deletion.

    Raises:
        TagNotFound: there is no such tag (or someone else deleted it meanwhile).
    """
    ref = _tag_ref(name)
    old = _locked(git, lambda: gitfiles.read_ref(git.commondir, ref))
    if old is None:
        raise TagNotFound(name)
    if not _locked(git, lambda: gitfiles.delete_ref(git.commondir, ref, old)):
        if not _locked(git, lambda: _tag_exists(git, ref)):
            raise TagNotFound(name)
        raise RepoError(f"Tag '{name}' changed while it was being deleted; try again")
    return old


def restore_tag(git: GitRepo, name: str, object_id: str) -> None:
    """Point refs/tags/<name> at `object_id` again after `delete_tag` (a rollback)."""
    ref = _tag_ref(name)
    if not _locked(git, lambda: gitfiles.create_ref(git.commondir, ref, object_id)):
        raise TagExists(name)


# Commits


def _tree_path(path: str) -> bytes:
    parts = path.split("/")
    if any(part in ("", ".", "..") or part.lower() == ".git" for part in parts):
        raise WrongArgs(
            f"Cannot commit '{path}': use a path relative to the repository root, "
            "without '.', '..' or '.git' parts"
        )
    return path.encode()


@dataclass(frozen=True)
class _Head:
    """Where HEAD leads: the ref a commit moves (a branch, or HEAD itself when detached)."""

    ref: str
    path: str
    commit: str | None


def _head(git: GitRepo) -> _Head:
    branch = git.current_branch()
    if branch is None:
        path = os.path.join(git.controldir, "HEAD")
        return _Head("HEAD", path, git.head())
    if not is_ref_name(branch.encode()):
        raise RepoError(f"HEAD points to '{branch}', which is not a branch name")
    commit = _locked(git, lambda: gitfiles.read_ref(git.commondir, branch))
    return _Head(branch, git.ref_path(branch), commit)


def commit_files(
    git: GitRepo,
    changes: Mapping[str, bytes | None],
    message: str,
    author: Identity,
    when: tuple[int, int],
) -> str:
    """Commit `changes` (path -> content, None deletes) on top of HEAD; return the commit id.

    Only those paths change: the new tree is HEAD's tree with them replaced, so other
    dirty or staged files are neither committed nor touched (deleting a path HEAD does
    not have changes nothing). The branch HEAD points at (or HEAD itself when detached;
    an unborn branch gets a root commit) moves by compare-and-swap. `author` is also the
    committer; a trailing newline is added to the message, as `git commit -m` does.

    In a work tree the files and then the index get the new content before the branch
    moves, so a kill at any moment leaves at worst the change staged, never its revert;
    if the branch cannot move, they get the old content back.

    Raises:
        RepoError: the branch moved while committing, a path clashes with a folder, or
            the repository cannot be written.
        WrongArgs: a path is not a plain relative path.
    """
    repo = git.dulwich_repo
    head = _head(git)
    _wait_for_lock(git, head.path)
    tree = None
    if head.commit is not None:
        parent = repo[ObjectID(head.commit.encode())]
        if not isinstance(parent, Commit):
            raise RepoError(f"HEAD points to {head.commit}, which is not a commit")
        tree = parent.tree
    new_objects = MemoryObjectStore()
    entries: dict[str, tuple[int, ObjectID] | None] = {}
    for path, content in changes.items():
        current = _tree_entry(repo, tree, _tree_path(path), path)
        if content is None:
            if current is not None:
                entries[path] = None
            continue
        blob = Blob.from_string(content)
        new_objects.add_object(blob)
        entries[path] = (current if current in (_FILE, _EXECUTABLE) else _FILE, blob.id)
    new = Commit()
    new.tree = commit_tree_changes(
        OverlayObjectStore([new_objects, repo.object_store], add_store=new_objects),
        tree if tree is not None else Tree(),
        [(path.encode(), *(entry or (None, None))) for path, entry in entries.items()],
    )
    new.parents = [] if head.commit is None else [ObjectID(head.commit.encode())]
    new.author = new.committer = _signature(author)
    new.author_time = new.commit_time = when[0]
    new.author_timezone = new.commit_timezone = when[1]
    new.message = message.encode() if message.endswith("\n") else f"{message}\n".encode()
    for oid in list(new_objects):
        _store(git, new_objects[oid])
    _store(git, new)  # left unreferenced if the branch cannot move (see create_tag)
    undo = _check_out(git, {path: _content(repo, entry) for path, entry in entries.items()})
    try:
        moved = _locked(
            git,
            lambda: gitfiles.update_ref(
                head.path, git.commondir, head.ref, head.commit, new.id.decode()
            ),
        )
        if not moved:
            raise RepoError(
                f"'{head.ref}' moved while committing; nothing was committed, run the command again"
            )
    except BaseException:
        undo()
        raise
    return new.id.decode("ascii")


def undo_commit(git: GitRepo, commit: str, paths: Iterable[str]) -> None:
    """Take back a `commit_files` commit that could not be pushed.

    The branch moves back to the parent (compare-and-swap), then `paths` get the
    parent's content in the work tree and index again.
    """
    repo = git.dulwich_repo
    head = _head(git)
    made = repo[ObjectID(commit.encode())]
    assert isinstance(made, Commit)
    parent = made.parents[0] if made.parents else None
    contents: dict[str, tuple[int, bytes] | None] = {}
    for path in paths:
        contents[path] = None
        if parent is not None:
            parent_commit = repo[parent]
            assert isinstance(parent_commit, Commit)
            with contextlib.suppress(KeyError):  # the parent did not have the file
                entry = tree_lookup_path(
                    repo.object_store.__getitem__, parent_commit.tree, _tree_path(path)
                )
                contents[path] = _content(repo, entry)
    if parent is None:
        undone = _locked(git, lambda: gitfiles.delete_ref(git.commondir, head.ref, commit))
    else:
        undone = _locked(
            git,
            lambda: gitfiles.update_ref(
                head.path, git.commondir, head.ref, commit, parent.decode()
            ),
        )
    if not undone:
        raise RepoError(f"'{head.ref}' moved; commit {commit} was kept")
    _check_out(git, contents)


def _content(repo: Repo, entry: tuple[int, ObjectID] | None) -> tuple[int, bytes] | None:
    """(mode, content) of a tree entry (None: the path is absent)."""
    if entry is None:
        return None
    blob = repo.object_store[entry[1]]
    assert isinstance(blob, Blob)
    return entry[0], blob.as_raw_string()


def _tree_entry(repo: Repo, tree: ObjectID | None, key: bytes, path: str) -> int | None:
    """The mode of `key` in `tree` (None: absent); a folder in the way is an error."""
    if tree is None:
        return None
    try:
        mode, _ = tree_lookup_path(repo.object_store.__getitem__, tree, key)
    except KeyError:
        return None
    except NotTreeError as e:
        raise RepoError(f"Cannot commit '{path}': a parent of it is a file in HEAD") from e
    if stat.S_ISDIR(mode):
        raise RepoError(f"Cannot commit '{path}': it is a folder in HEAD") from None
    return mode


def _check_out(
    git: GitRepo, contents: Mapping[str, tuple[int, bytes] | None]
) -> Callable[[], None]:
    """Give `contents` (path -> (mode, content), None: absent) to the work tree, then the index.

    Returns what puts both back as they were. A bare repository has neither: nothing to do.
    """
    if git.workdir is None:
        return lambda: None
    root = str(git.workdir)
    index_path = os.path.join(git.controldir, "index")
    try:
        old_index = Path(index_path).read_bytes()
    except FileNotFoundError:
        old_index = None
    except OSError as e:
        raise _write_error(git, "the index", e) from e
    old_files = {path: _read_worktree(root, path) for path in contents}
    try:
        for path, content in contents.items():
            _put(git, root, path, content)
        index = git.dulwich_repo.open_index() if old_index is not None else None
        entries = dict(index.items()) if index is not None else {}
        for path, content in contents.items():
            key = path.encode()
            if content is None:
                entries.pop(key, None)
                continue
            blob = Blob.from_string(content[1])
            full = os.path.join(root, path)
            entries[key] = index_entry_from_stat(os.lstat(full), blob.id, content[0])
        _write_index(git, index_path, entries, old_index)
    except BaseException:
        _restore(git, root, old_files, index_path, old_index)
        raise

    def undo() -> None:
        _restore(git, root, old_files, index_path, old_index)

    return undo


def _read_worktree(root: str, path: str) -> tuple[int, bytes] | None:
    full = os.path.join(root, path)
    try:
        mode = os.lstat(full).st_mode
        if not stat.S_ISREG(mode):
            return None
        with open(full, "rb") as f:
            return mode & 0o777, f.read()
    except OSError:
        return None


def _put(git: GitRepo, root: str, path: str, content: tuple[int, bytes] | None) -> None:
    """One work tree file written whole (through a temporary file) or removed."""
    git.worktree_path(path)  # never through a symlink to outside the work tree
    full = os.path.join(root, path)
    try:
        if content is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(full)
            _remove_empty_parents(root, full)
            return
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if os.path.islink(full):
            os.unlink(full)
        mode = 0o755 if content[0] == _EXECUTABLE else None
        gitfiles.write_atomically(full, content[1], mode)
    except OSError as e:
        raise _write_error(git, "the work tree", e) from e


def _write_index(
    git: GitRepo,
    index_path: str,
    entries: Mapping[bytes, IndexEntry | ConflictedIndexEntry],
    old: bytes | None,
) -> None:
    """Write the index under git's `index.lock` (its cache extensions are left out: git
    rebuilds them)."""
    version = int.from_bytes(old[4:8], "big") if old and old[:4] == b"DIRC" else None
    buffer = io.BytesIO()
    writer = IndexChecksumWriter(buffer)
    write_index_dict(writer, entries, version=version)
    writer.write_checksum()
    _write_locked(git, "the index", index_path, buffer.getvalue())


def _write_locked(git: GitRepo, what: str, path: str, data: bytes) -> None:
    try:
        with gitfiles.LockFile(path) as lock:
            lock.commit(data)
    except gitfiles.RefLocked as e:
        raise RefBusy(e.path, e.lock_path) from e
    except OSError as e:
        raise _write_error(git, what, e) from e


def _restore(
    git: GitRepo,
    root: str,
    files: Mapping[str, tuple[int, bytes] | None],
    index_path: str,
    index: bytes | None,
) -> None:
    """Best effort: the index, then the files, as they were (a full disk may refuse)."""
    with contextlib.suppress(GTOException, OSError):
        if index is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(index_path)
        else:
            _write_locked(git, "the index", index_path, index)
    for path, content in files.items():
        with contextlib.suppress(GTOException):
            if content is None:
                _put(git, root, path, None)
            else:
                _put(git, root, path, (_EXECUTABLE if content[0] & 0o111 else _FILE, content[1]))


def _remove_empty_parents(root: str, target: str) -> None:
    folder = os.path.dirname(target)
    while os.path.abspath(folder) != os.path.abspath(root):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)


# Push


def _safe(text: str) -> str:
    """One line, with any credentials in URLs removed."""
    return " ".join(_USERINFO.sub("", text).split())


def _remote_url(repo: Repo, remote: str) -> str:
    """remote.<name>.pushurl, else remote.<name>.url, as git picks the push URL."""
    config = repo.get_config()
    for key in (b"pushurl", b"url"):
        try:
            return config.get((b"remote", remote.encode()), key).decode("utf-8")
        except KeyError:
            continue
    raise PushError(
        f"No remote '{remote}' configured: add it with `git remote add {remote} URL` "
        f"(or set remote.{remote}.url in .git/config)"
    )


Connect = Callable[[str], tuple[GitClient, str]]


def push(
    git: GitRepo,
    refspecs: Sequence[tuple[str | None, str]],
    remote: str = "origin",
    *,
    url: str | None = None,
    connect: Connect | None = None,
) -> None:
    """Push `(local ref, remote ref)` pairs to `remote` (or to `url`); a None local ref deletes.

    `url` bypasses the repository's config: a remote's cache (gto.remote) pushes to the
    URL it was given, whose credentials are never written to disk. `connect` makes the
    client for a URL (gto.transport: with timeouts and a size limit); by default one
    configured by the repository's git config.

    Like `git push` without --force: an existing remote tag is never moved and a branch
    only fast-forwards. Those checks happen before anything is sent, and if one fails
    nothing is pushed. Refs already at the wanted value are left alone.

    Raises:
        PushError: no such remote, a local ref is missing, the push was refused or
            the remote cannot be reached (the message never shows credentials).
    """
    repo = git.dulwich_repo
    if url is None:
        url = _remote_url(repo, remote)
    wanted: dict[Ref, ObjectID] = {}
    for local, remote_ref in refspecs:
        try:
            value = ZERO_SHA if local is None else repo.refs[Ref(local.encode())]
        except KeyError as e:
            raise PushError(f"Cannot push '{local}': no such ref in the local repository") from e
        wanted[Ref(remote_ref.encode())] = value

    def update_refs(remote_refs: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        for ref, value in wanted.items():
            _check_update(repo, url, ref, remote_refs.get(ref), value)
        return wanted

    def pack_data(
        have: AbstractSet[ObjectID],
        want: AbstractSet[ObjectID],
        *,
        ofs_delta: bool = False,
        progress: Callable[[bytes], None] | None = None,
    ) -> tuple[int, Iterator[UnpackedObject]]:
        """What dulwich's client asks for; gto shows no progress."""
        return repo.generate_pack_data(set(have), set(want), ofs_delta=ofs_delta)

    try:
        if connect is None:
            client, path = get_transport_and_path(
                url, config=repo.get_config_stack(), operation="push"
            )
        else:
            client, path = connect(url)
        try:
            if isinstance(client, LocalGitClient):
                _check_checked_out(path, url, wanted)
            result = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data)
        finally:
            client.close()
    except GTOException:  # PushError, or a transport's limit
        raise
    except (
        GitProtocolError,
        HTTPUnauthorized,
        HTTPProxyUnauthorized,
        NotGitRepository,
        OSError,
        ValueError,
    ) as e:
        raise PushError(_safe(f"Cannot push to {url}: {e}")) from e
    refused = [
        f"{ref.decode('utf-8', 'replace')}: {error}"
        for ref, error in (result.ref_status or {}).items()
        if error is not None
    ]
    if refused:
        raise PushError(_safe(f"Push to {url} was refused: {'; '.join(refused)}"))


_DENY_OFF = frozenset({"ignore", "warn", "false", "no", "off", "0"})


def _check_checked_out(path: str, url: str, wanted: Mapping[Ref, ObjectID]) -> None:
    """Refuse to move a branch checked out in a work tree of a repository on this machine.

    A git server refuses that itself (receive.denyCurrentBranch, default "refuse"): the
    work tree and index would no longer match the branch. A local path or file:// URL
    is written by dulwich directly, so the same rule is applied here; tags are never
    checked out, so pushing them stays allowed.
    """
    branches = [ref for ref in wanted if ref.startswith(b"refs/heads/")]
    if not branches:
        return
    try:
        target = Repo(path)
    except (NotGitRepository, OSError):
        return  # the push itself reports it
    with target:
        try:
            deny = target.get_config().get(b"receive", b"denyCurrentBranch")
        except KeyError:
            deny = b"refuse"
        if deny.decode("utf-8", "replace").strip().lower() in _DENY_OFF:
            return
        checked_out = _checked_out_branches(target)
    for ref in branches:
        if ref in checked_out:
            raise PushError(
                _safe(
                    f"Push to {url} was refused: {ref.decode('utf-8', 'replace')} is checked "
                    "out in its work tree (git's receive.denyCurrentBranch); push to a bare "
                    "repository, or check out another branch there"
                )
            )


def _checked_out_branches(repo: Repo) -> set[Ref]:
    """The branches HEAD names in the repository's work tree and its linked work trees."""
    folders = [] if repo.bare else [Path(repo.controldir())]
    common = Path(repo.commondir())
    if common != Path(repo.controldir()) and not repo.get_config().get_boolean(
        b"core", b"bare", False
    ):
        folders.append(common)  # `path` is a linked work tree; the main one counts too
    linked = common / "worktrees"
    if linked.is_dir():
        folders.extend(linked.iterdir())
    heads: list[bytes] = []
    for folder in folders:
        with contextlib.suppress(OSError):
            heads.append((folder / "HEAD").read_bytes())
    return {Ref(head[len(b"ref: ") :].strip()) for head in heads if head.startswith(b"ref: ")}


def _check_update(repo: Repo, url: str, ref: Ref, old: ObjectID | None, new: ObjectID) -> None:
    """git push's own refusals, made before anything is sent."""
    name = ref.decode("utf-8", "replace")
    if new == ZERO_SHA:
        if old is None:
            raise PushError(_safe(f"Cannot delete {name} on {url}: the remote has no such ref"))
        return
    if old is None or old == new:
        return
    if ref.startswith(_TAGS.encode()):
        raise PushError(
            _safe(f"Push to {url} was refused: {name} already exists there with another target")
        )
    try:
        fast_forward = can_fast_forward(repo, old, new)
    except KeyError:
        fast_forward = False
    if not fast_forward:
        raise PushError(
            _safe(
                f"Push to {url} was refused: {name} has commits there that are not here "
                "(fetch and merge first)"
            )
        )
