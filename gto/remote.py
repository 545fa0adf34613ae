"""Registries of repositories that are not cloned: `-r URL` reads a small local cache.

Upstream clones the whole repository on every call, but a registry needs only the
tags, the tagged commits and a few small files (`.gto`, artifacts.yaml). So gto keeps
one bare repository per remote under the user's cache folder and asks the server
only for what the cache lacks: the tag objects and commits (one commit deep and
without blobs, where the server supports shallow and partial fetches), then, in one
request, the few blobs a command reads. Its refs mirror the remote's tags and HEAD
exactly. A lock file serialises every change to a cache, so concurrent calls share
it safely. This is the only module that talks to servers; dulwich is imported on
first use, so `gto --help` stays fast.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import netrc
import os
import re
import shutil
import socket
import stat
import sys
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from gto import gitfiles, transport
from gto.exceptions import GTOException, RemoteError
from gto.gitrepo import is_ref_name
from gto.render import terminal_safe

if TYPE_CHECKING:
    from dulwich.client import DetermineWantsFunc, FetchPackResult, GitClient
    from dulwich.config import StackedConfig
    from dulwich.objects import ObjectID
    from dulwich.refs import Ref
    from dulwich.repo import Repo

    from gto.gitrepo import GitRepo

__all__ = ["Remote", "redact"]

_SCHEMES = frozenset({"http", "https", "git", "ssh", "git+ssh", "ssh+git", "file"})
_URL = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")
_TAGS = b"refs/tags/"
_HEADS = b"refs/heads/"
_PEELED = b"^{}"
_HEX40 = re.compile(rb"[0-9a-f]{40}")
_LOG = logging.getLogger("gto.remote")
# Commits and trees, no blobs: git's partial clone filter, honoured over protocol v2.
_FILTER = b"blob:none"
# `git fetch --unshallow` asks for this depth.
_WHOLE_HISTORY = 0x7FFFFFFF
# A cold fetch of a big registry can take minutes; a stuck lock should not wait forever.
_LOCK_TIMEOUT = 300.0
# Progress appears only for transfers that take longer than this (seconds).
_PROGRESS_DELAY = 1.0
# Each fetch that brings something adds a pack; past this many they are merged into one.
_MAX_PACKS = 50
_DULWICH_LOGGERS = ("dulwich", "dulwich.client", "dulwich.protocol", "dulwich.object_store")
_PACKED_REFS_HEADER = b"# pack-refs with: sorted \n"  # no peeled lines: readers peel themselves
# Words in transport errors (dulwich's, ssh's, the server's) that say what went wrong.
_UNREACHABLE = re.compile(
    r"connection refused|could not resolve|name or service not known|temporary failure in "
    r"name resolution|no route to host|network is unreachable|timed out|connection reset|"
    r"max retries exceeded|failed to establish",
    re.IGNORECASE,
)
_NOT_FOUND = re.compile(
    r"not found|no such repository|not exported|does not appear to be a git repository|"
    r"no such file|does not exist",
    re.IGNORECASE,
)
_DENIED = re.compile(r"permission denied|access denied|http resp 403|authentication", re.I)
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without the `user:password@` part of URLs in it, nor any of `secrets`.

    >>> redact("Cannot reach https://bob:t0ken@example.com/repo")
    'Cannot reach https://example.com/repo'
    """
    text = _USERINFO.sub("", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _scheme(url: str) -> str:
    match = _URL.match(url)
    return match[1].lower() if match else "ssh"  # user@host:path (see session.is_remote)


def _credentials(url: str, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(user, password) for an http(s) URL: from the URL, else ~/.git-credentials, else ~/.netrc.

    These are what git's `store` credential helper and curl read; helpers that are
    programs (a keychain, a manager) would have to be run, which gto never does.
    """
    parts = urlsplit(url)
    if parts.username is not None or parts.scheme not in ("http", "https") or not parts.hostname:
        return parts.username, parts.password
    from dulwich.client import get_credentials_from_store

    home = environ.get("HOME") or os.path.expanduser("~")
    xdg = environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
    stores = [os.path.join(home, ".git-credentials"), os.path.join(xdg, "git", "credentials")]
    try:
        for user, password in get_credentials_from_store(
            parts.scheme, parts.hostname, fnames=stores
        ):
            return user, password
    except (OSError, UnicodeDecodeError, ValueError):
        pass  # an unreadable store is no reason to fail: go on without it
    try:
        found = netrc.netrc(environ.get("NETRC") or os.path.join(home, ".netrc"))
        entry = found.authenticators(parts.hostname)
    except (OSError, netrc.NetrcParseError):
        entry = None
    if entry is not None and entry[0]:
        return entry[0], entry[2]
    return None, None


def _with_credentials(url: str, user: str | None, password: str | None) -> str:
    """`url` with `user:password@` in it (for http(s) URLs that have none yet)."""
    parts = urlsplit(url)
    if user is None or parts.username is not None or parts.scheme not in ("http", "https"):
        return url
    userinfo = quote(user, safe="") + (f":{quote(password, safe='')}" if password else "")
    return parts._replace(netloc=f"{userinfo}@{parts.netloc}").geturl()


def _cache_root(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/gto/remotes, ~/.cache/gto/remotes by default (XDG base directories)."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(environ.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base, "gto", "remotes")


# Cache ownership: a cache entry is used only if gto made it (marker, owner, real folder).

_MARKER = "gto-cache"
# What gto writes as the cache's git config; whatever else is found there is replaced
# unread: a cache's config must never choose a program to run or a place to write.
_CACHE_CONFIG = b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
# In a cache, these would make dulwich (or gto) read or write another repository.
_FOREIGN = (".git", "commondir", "gitdir", "objects/info/alternates")


class CacheRefused(RemoteError):
    """A cache folder (or file) gto did not make: it is neither used nor deleted."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"Refusing to use the cache '{path}': {reason}; gto neither uses nor deletes "
            "what it did not make (remove it yourself, or use --no-cache)"
        )


def _marker_text(url: str) -> bytes:
    return f"gto remote cache\nurl: {url}\n".encode()


def _check_owned(path: Path, st: os.stat_result, kind: str) -> None:
    """`path` (lstat `st`) is a real `kind` ("folder" or "file") of the current user."""
    if stat.S_ISLNK(st.st_mode):
        raise CacheRefused(path, "it is a symbolic link")
    is_kind = stat.S_ISDIR(st.st_mode) if kind == "folder" else stat.S_ISREG(st.st_mode)
    if not is_kind:
        raise CacheRefused(path, f"it is not a {kind}")
    if st.st_uid != os.geteuid():
        raise CacheRefused(path, f"it belongs to another user (uid {st.st_uid})")


def _make_cache_root(root: Path) -> None:
    """Create `gto/remotes` under the cache home; both must be real folders of ours."""
    root.parent.parent.mkdir(parents=True, exist_ok=True)
    for folder in (root.parent, root):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
        except OSError as e:
            raise RemoteError(f"Cannot create the cache folder '{folder}': {e.strerror}") from e
        _check_owned(folder, folder.lstat(), "folder")


def _check_cache(path: Path, url: str) -> bool:
    """Whether the cache entry `path` exists (False: gto may create it); refuse a foreign one.

    gto's own entry is a real folder of the current user holding gto's marker file,
    which names the URL the cache mirrors, and nothing that points elsewhere.
    """
    try:
        st = path.lstat()
    except FileNotFoundError:
        return False
    _check_owned(path, st, "folder")
    marker = path / _MARKER
    try:
        _check_owned(marker, marker.lstat(), "file")
        text = marker.read_bytes()
    except FileNotFoundError:
        raise CacheRefused(path, "it has no gto marker, so gto did not make it") from None
    except OSError as e:
        raise CacheRefused(path, f"its marker cannot be read ({e.strerror})") from e
    if text != _marker_text(url):
        raise CacheRefused(path, "its marker names another URL")
    for name in _FOREIGN:
        if os.path.lexists(path / name):
            raise CacheRefused(path, f"it holds '{name}', which gto never makes")
    return True


class _Lock:
    """An exclusive lock on one cache (flock on a side file), re-entrant within its owner.

    flock locks go away with the process, so a crashed gto never leaves a cache locked.
    """

    def __init__(self, path: Path, url: str) -> None:
        self.path = path
        self._url = url
        self._fd: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        if self._depth == 0:
            try:
                # Not through a symlink planted in its place (ELOOP), and only our own file.
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
            except OSError as e:
                if e.errno == errno.ELOOP:
                    raise CacheRefused(self.path, "it is a symbolic link") from e
                raise RemoteError(
                    f"Cannot create the cache lock '{self.path}': {e.strerror} (or use --no-cache)"
                ) from e
            try:
                _check_owned(self.path, os.fstat(fd), "file")
            except CacheRefused:
                os.close(fd)
                raise
            deadline = time.monotonic() + _LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        os.close(fd)
                        raise RemoteError(
                            f"Another gto has been using the cache of {self._url} for "
                            f"{_LOCK_TIMEOUT:.0f} s ('{self.path}' is locked); try again later"
                        ) from None
                    time.sleep(0.05)
            self._fd = fd
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            os.close(self._fd)  # closing the file releases the lock
            self._fd = None

    def release_all(self) -> None:
        while self._depth > 0:
            self.release()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()


class _Progress:
    """Transfer progress on stderr: only on a terminal, and only once a transfer takes a while."""

    def __init__(self, url: str, secrets: Sequence[str]) -> None:
        self._url = url
        self._secrets = secrets
        self._start = time.monotonic()
        self._stream = sys.stderr if sys.stderr.isatty() else None
        self._shown = False

    def __call__(self, message: bytes) -> None:
        if self._stream is None or time.monotonic() - self._start < _PROGRESS_DELAY:
            return
        lines = re.split(r"[\r\n]+", message.decode("utf-8", "replace").strip())
        text = terminal_safe(redact(lines[-1], self._secrets))
        self._stream.write(f"\r\033[KFetching {self._url}: {text}")
        self._stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._stream is not None and self._shown:
            self._stream.write("\n")
            self._stream.flush()


class _QuietDulwich(logging.Filter):
    """Drops dulwich's warning that a server ignores filters (gto copes) and redacts the rest."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "object filtering not recognized" in message:
            return False
        record.msg, record.args = redact(message, self._secrets), None
        return True


class _Wants:
    """dulwich's determine_wants for a fixed list of objects, whatever the refs."""

    def __init__(self, oids: list[ObjectID]) -> None:
        self._oids = oids

    def __call__(self, refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
        return self._oids


class _NoHaves:
    """A graph walker that claims nothing: the server then sends each wanted object whole.

    Used to fetch single blobs: with "have" lines the server may assume the blobs are
    here already (a partial cache has the commits, not their blobs) and send nothing.
    """

    shallow: set[ObjectID] = set()  # noqa: RUF012 - read-only: dulwich sends no shallow lines

    def __next__(self) -> None:
        return None

    def ack(self, sha: ObjectID) -> None:
        """The server's acknowledgements need no answer."""

    def nak(self) -> None:
        """Nor do its refusals."""


def _close(repo: Repo | None, lock: _Lock, temporary: str | None) -> None:
    if repo is not None:
        repo.close()
    lock.release_all()
    if temporary is not None:
        shutil.rmtree(temporary, ignore_errors=True)


class Remote:
    """The local cache of one remote repository: updated on open, extended on demand.

    `path` is a bare repository that GitRepo reads like any other. Reads take the
    lock only while they fetch; a writing command holds it from the first fetch to
    its push (`hold_lock`), so another call never mirrors away its unpushed tags.
    """

    def __init__(
        self,
        url: str,
        path: Path,
        lock: _Lock,
        temporary: str | None,
        environ: Mapping[str, str],
    ) -> None:
        self.url = redact(url)
        self.path = path
        self._user, self._password = _credentials(url, environ)
        # A token may come as the user name, without a password.
        token = None if self._password else self._user
        self._secrets = [s for s in (self._password, token, _userinfo(url)) if s]
        self._transport_url = _with_credentials(url, self._user, self._password)
        self._lock = lock
        self._temporary = temporary
        self._repo: Repo | None = None
        self._environ = environ
        self._limits = transport.Limits.from_environ(environ)
        self._meter = transport.Meter(self.url, self._limits)
        self._config: StackedConfig | None = None
        # Refs the server advertised under names git does not allow: never stored.
        self.skipped: list[str] = []
        self._finalizer = weakref.finalize(self, _close, None, lock, temporary)

    @classmethod
    def open(
        cls, url: str, *, environ: Mapping[str, str], cache: bool = True, hold_lock: bool = False
    ) -> Remote:
        """The cache of `url`, brought up to date with the remote's tags and HEAD.

        Without `cache`, a temporary folder is used and removed when the Remote is
        closed or garbage-collected.

        Raises:
            RemoteError: the URL is not supported, or the remote cannot be reached or read.
        """
        scheme = _scheme(url)
        if scheme not in _SCHEMES:
            raise RemoteError(
                f"Unsupported URL '{redact(url)}': use http(s)://, git://, ssh://, file:// "
                "or user@host:path"
            )
        if cache:
            root = _cache_root(environ)
            _make_cache_root(root)
            name = hashlib.sha256(redact(url).encode()).hexdigest()[:32]
            remote = cls(url, root / name, _Lock(root / f"{name}.lock", redact(url)), None, environ)
        else:
            temporary = tempfile.mkdtemp(prefix="gto-remote-")
            lock = _Lock(Path(temporary, "lock"), redact(url))
            remote = cls(url, Path(temporary, "repo"), lock, temporary, environ)
        remote._lock.acquire()
        try:
            remote._prepare()
            remote._update()
        except BaseException:
            remote.close()
            raise
        if not hold_lock:
            remote._lock.release()
        return remote

    def close(self) -> None:
        """Release the lock and the repository (and remove a temporary cache)."""
        self._finalizer.detach()
        _close(self._repo, self._lock, self._temporary)
        self._repo = None

    # The cache repository

    def _dulwich(self) -> Repo:
        if self._repo is None:
            from dulwich.repo import Repo

            self._repo = Repo(str(self.path))
            self._finalizer.detach()
            self._finalizer = weakref.finalize(
                self, _close, self._repo, self._lock, self._temporary
            )
        return self._repo

    def _prepare(self) -> None:
        """Check the cache is gto's own and tidy it, or make it (aside, then renamed in place).

        Under the lock, whatever a killed gto left in the cache goes: lock files and
        temporary files. The cache's git config is replaced, unread, by gto's own.
        """
        from dulwich.repo import Repo

        if self._temporary is None:
            exists = _check_cache(self.path, self.url)
        else:
            exists = self.path.is_dir()
        try:
            if exists and (self.path / "objects").is_dir() and (self.path / "HEAD").is_file():
                self._tidy()
                return
            if exists:  # gto's own, but damaged: made again
                shutil.rmtree(self.path)
            aside = Path(tempfile.mkdtemp(prefix=f"{self.path.name}.", dir=self.path.parent))
            try:
                Repo.init_bare(str(aside)).close()
                (aside / "config").write_bytes(_CACHE_CONFIG)
                (aside / "description").write_text(f"gto's cache of {self.url}\n")
                (aside / _MARKER).write_bytes(_marker_text(self.url))
                aside.rename(self.path)
            except BaseException:
                shutil.rmtree(aside, ignore_errors=True)
                raise
        except OSError as e:
            raise RemoteError(f"Cannot create the cache '{self.path}': {e.strerror or e}") from e

    def _tidy(self) -> None:
        """Remove a killed gto's debris from the cache, and put gto's own config back."""
        config = self.path / "config"
        if config.is_symlink() or not config.is_file() or config.read_bytes() != _CACHE_CONFIG:
            gitfiles.write_atomically(str(config), _CACHE_CONFIG, 0o644)
        debris = [p for p in self.path.glob("*.lock") if p.is_file()]
        debris += [p for p in (self.path / "objects" / "pack").glob("tmp*") if p.is_file()]
        debris += [p for p in (self.path / "objects").glob("??/tmp_obj_*") if p.is_file()]
        for root, _, files in os.walk(self.path / "refs"):
            debris += [Path(root, name) for name in files if name.endswith(".lock")]
        for path in debris:
            path.unlink(missing_ok=True)

    def _shallow(self) -> bool:
        return bool(self._dulwich().get_shallow())

    def _present(self, oids: Iterable[ObjectID]) -> set[ObjectID]:
        store = self._dulwich().object_store
        return {oid for oid in oids if oid in store}

    # Fetching

    def _update(self) -> None:
        """Fetch the tags and HEAD the cache lacks, then mirror the remote's refs exactly."""
        advertised: dict[Ref, ObjectID] = {}
        repo = self._dulwich()

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            advertised.clear()
            self.skipped.clear()
            for ref, oid in refs.items():
                if ref != b"HEAD" and (not ref.startswith(_TAGS) or ref.endswith(_PEELED)):
                    continue
                if _acceptable(ref) and _HEX40.fullmatch(oid or b""):
                    advertised[ref] = oid
                else:
                    self.skipped.append(_shown(ref))
            values = set(advertised.values())
            return sorted(values - self._present(values))

        # A cache that holds the whole history keeps it whole; otherwise one commit deep.
        complete = (self.path / "packed-refs").is_file() and not self._shallow()
        result = self._fetch(
            wants, depth=None if complete else 1, ref_prefix=[b"HEAD", _TAGS], filter_spec=_FILTER
        )
        self._mirror(advertised, result.symrefs)
        if self.skipped:
            names = ", ".join(self.skipped[:5]) + (", ..." if len(self.skipped) > 5 else "")
            _LOG.warning(
                "Skipped %d ref(s) advertised by %s whose names git does not allow: %s",
                len(self.skipped),
                self.url,
                names,
            )
        if repo.object_store.count_pack_files() > _MAX_PACKS:
            repo.object_store.repack()

    def fetch_blobs(self, blob_ids: Iterable[str]) -> None:
        """Fetch, in one request, the blobs among `blob_ids` that the cache lacks.

        Only servers that support partial fetches leave blobs out, and those (git's
        protocol v2) also hand out single objects by id.
        """
        from dulwich.objects import ObjectID

        wanted = {ObjectID(oid.encode("ascii")) for oid in blob_ids}
        if not wanted or not (wanted - self._present(wanted)):
            return
        with self._lock.held():
            missing = sorted(wanted - self._present(wanted))
            if missing:
                self._fetch_objects(missing)

    def deepen(self) -> bool:
        """Fetch the whole commit history behind the refs (no blobs); False if it is here already.

        Walking all commits (`-A`) or resolving `HEAD~3` needs more than the tagged commits.
        """
        with self._lock.held():
            if not self._shallow():
                return False
            repo = self._dulwich()
            heads = sorted(set(repo.refs.as_dict().values()))
            self._fetch(
                _Wants(heads),
                depth=_WHOLE_HISTORY,
                ref_prefix=[b"HEAD"],
                filter_spec=_FILTER,
            )
            return True

    def push(self, git: GitRepo, refspecs: Sequence[tuple[str | None, str]]) -> None:
        """Push refs of the cache to the remote (see gitwrite.push), credentials included."""
        from gto import gitwrite

        with self._lock.held():
            gitwrite.push(
                git,
                refspecs,
                url=self._transport_url,
                connect=lambda _: self._client(operation="push"),
            )

    def _client(self, thin_packs: bool = True, operation: str = "pull") -> tuple[GitClient, str]:
        """A client for the URL: transport settings from the user's own git config only."""
        with self._errors():
            if self._config is None:
                self._config = transport.user_config(self._environ)
            return transport.connect(
                self._transport_url,
                config=self._config,
                limits=self._limits,
                meter=self._meter,
                environ=self._environ,
                operation=operation,
                thin_packs=thin_packs,
            )

    def _fetch(
        self,
        wants: DetermineWantsFunc,
        *,
        depth: int | None,
        ref_prefix: Sequence[bytes],
        filter_spec: bytes,
    ) -> FetchPackResult:
        """One fetch into the cache; without shallow support on the server, a full-depth one."""
        from dulwich.errors import GitProtocolError

        client, path = self._client()
        progress = _Progress(self.url, self._secrets)
        try:
            with self._errors():
                try:
                    return client.fetch(
                        path, self._dulwich(), determine_wants=wants, progress=progress,
                        depth=depth, ref_prefix=ref_prefix, filter_spec=filter_spec,
                    )  # fmt: skip
                except GitProtocolError as e:
                    if depth is None or "shallow" not in str(e):
                        raise
                return client.fetch(
                    path, self._dulwich(), determine_wants=wants, progress=progress,
                    ref_prefix=ref_prefix, filter_spec=filter_spec,
                )  # fmt: skip
        finally:
            progress.done()
            client.close()

    def _fetch_objects(self, oids: list[ObjectID]) -> None:
        """Fetch objects by id, claiming to have nothing, into a new pack."""
        client, path = self._client(thin_packs=False)
        progress = _Progress(self.url, self._secrets)
        store = self._dulwich().object_store
        pack, commit, abort = store.add_pack()
        try:
            with self._errors():
                client.fetch_pack(
                    path,
                    _Wants(oids),
                    _NoHaves(),
                    pack.write,
                    progress=progress,
                    ref_prefix=[b"HEAD"],
                )
        except BaseException:
            abort()
            raise
        else:
            commit()
        finally:
            progress.done()
            client.close()

    def _mirror(self, advertised: Mapping[Ref, ObjectID], symrefs: Mapping[Ref, Ref]) -> None:
        """Make the cache's refs the remote's: its tags and HEAD, nothing else.

        packed-refs is replaced in one rename (readers see the old or the new set), then
        loose refs left by earlier writes go. Only HEAD's branch is kept, as in a clone.
        """
        from dulwich.refs import Ref

        refs: dict[bytes, bytes] = {ref: oid for ref, oid in advertised.items() if ref != b"HEAD"}
        head_oid = advertised.get(Ref(b"HEAD"))
        branch = symrefs.get(Ref(b"HEAD"))
        head: bytes
        if branch is not None and branch.startswith(_HEADS) and _acceptable(branch):
            head = b"ref: " + branch
            if head_oid is not None:
                refs[branch] = head_oid
        else:
            head = head_oid if head_oid is not None else b"ref: refs/heads/main"
        packed = _PACKED_REFS_HEADER + b"".join(
            oid + b" " + ref + b"\n" for ref, oid in sorted(refs.items())
        )
        try:
            for name, content in (("packed-refs", packed), ("HEAD", head + b"\n")):
                current = self.path / name
                if not current.is_file() or current.read_bytes() != content:
                    with gitfiles.LockFile(str(current)) as lock:  # debris went in _tidy
                        lock.commit(content)
            for folder in ("refs/tags", "refs/heads"):
                for root, _, files in os.walk(self.path / folder):
                    for file in files:
                        os.unlink(os.path.join(root, file))
        except (OSError, gitfiles.RefLocked) as e:
            raise RemoteError(f"Cannot update the cache '{self.path}': {e}") from e

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn what the transport raises into one line saying what to do, without credentials."""
        from dulwich.client import HTTPProxyUnauthorized, HTTPUnauthorized
        from dulwich.errors import GitProtocolError, NotGitRepository

        quiet = _QuietDulwich(self._secrets)
        # A logger's filters see only its own records, not its children's.
        loggers = [logging.getLogger(name) for name in _DULWICH_LOGGERS]
        for logger in loggers:
            logger.addFilter(quiet)
        try:
            yield
        except GTOException:
            raise
        except HTTPUnauthorized as e:
            raise RemoteError(self._auth_failed()) from e
        except HTTPProxyUnauthorized as e:
            raise RemoteError(f"The proxy refused the credentials for {self.url}") from e
        except NotGitRepository as e:
            raise RemoteError(f"Repository {self.url} was not found") from e
        except (GitProtocolError, OSError, ValueError, KeyError) as e:
            raise RemoteError(self._explain(e)) from e
        finally:
            for logger in loggers:
                logger.removeFilter(quiet)

    def _auth_failed(self) -> str:
        if self._user is None:
            return (
                f"Authentication failed for {self.url}: it needs credentials (in the URL, "
                "~/.git-credentials or ~/.netrc)"
            )
        return f"Authentication failed for {self.url}: the server refused the credentials"

    def _explain(self, error: Exception) -> str:
        text = redact(" ".join(str(error).split()), self._secrets)
        if isinstance(error, TimeoutError) or "timed out" in text.lower():
            return transport.TransferTimeout(self.url, self._limits.timeout).message
        if isinstance(error, OSError):
            network = isinstance(error, (ConnectionError, TimeoutError, socket.gaierror))
            if network or error.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
                return f"Cannot reach {self.url}: {error.strerror or text}"
            return f"Cannot fetch from {self.url} into the cache '{self.path}': {text}"
        if _UNREACHABLE.search(text):
            found = _ERRNO.search(text)
            reason = found[1].strip() if found else text
            return f"Cannot reach {self.url}: {reason}"
        if _NOT_FOUND.search(text):
            return f"Repository {self.url} was not found ({_clip(text)})"
        if _DENIED.search(text):
            return f"Access to {self.url} was denied ({_clip(text)})"
        return f"{self.url} does not answer like a Git server ({_clip(text or repr(error))})"


def _acceptable(ref: bytes) -> bool:
    """Whether a ref name from a server may be stored and shown: git's rules, UTF-8,
    nothing a terminal would obey (`refs/tags/../x`, escape sequences)."""
    if ref == b"HEAD":
        return True
    try:
        text = ref.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return is_ref_name(ref) and terminal_safe(text) == text


def _shown(ref: bytes) -> str:
    """A refused ref name, quoted and escaped for a one-line message."""
    return repr(terminal_safe(ref.decode("utf-8", "backslashreplace")))


def _userinfo(url: str) -> str | None:
    """The `user:password` of a URL, redacted from messages even where a library quotes it."""
    match = _USERINFO.search(url)
    return match[0][:-1] if match and len(match[0]) > 4 else None


def _clip(text: str, limit: int = 100) -> str:
    """A server's answer, cut short: an error is one line, not a web page."""
    return text if len(text) <= limit else text[: limit - 3] + "..."
