"""A remote's cache: a bare repository of gto's own under the user's cache folder.

One per URL, at `$XDG_CACHE_HOME/gto/remotes/<hash>` (or a temporary folder for
--no-cache). gto uses a folder only if it made it: a real folder of the current user
holding gto's marker, which names the URL, and nothing that points elsewhere. Under
the lock (gto.remote.lock), what a killed gto left is removed and the config is
replaced, unread, by gto's own. Its refs mirror the remote's tags and HEAD exactly.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from gto.core.controls import terminal_safe
from gto.exceptions import RemoteError
from gto.git.files import RefLocked, write_atomically
from gto.git.mirror import Mirror
from gto.git.refs import TAGS, is_ref_name
from gto.git.refs_files import read_mirror, write_mirror
from gto.git.repoformat import FORMATS
from gto.remote.lock import CacheLock
from gto.settings import Settings

__all__ = ["Cache", "CacheRefused", "acceptable", "is_tag", "shown"]

_HEADS = "refs/heads/"


def _cache_root(environ: Mapping[str, str]) -> Path:
    """$XDG_CACHE_HOME/gto/remotes, ~/.cache/gto/remotes by default (XDG base directories)."""
    return Settings(environ).cache_home / "remotes"


# Cache ownership: a cache entry is used only if gto made it (marker, owner, real folder).

_MARKER = "gto-cache"
# What gto writes as the cache's git config, one per object format of the remote (a
# SHA-256 repository is mirrored in a SHA-256 cache). Anything else found there is never
# read: a cache's config must not choose a program to run or a place to write, and a
# cache whose object format gto did not write is made again.
_CACHE_CONFIGS = {
    "sha1": b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n",
    "sha256": b"[core]\n\trepositoryformatversion = 1\n\tfilemode = true\n\tbare = true\n"
    b"[extensions]\n\tobjectformat = sha256\n",
}
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
    uid = getattr(os, "geteuid", None)  # POSIX: the folder's owner is us; elsewhere the OS decides
    if uid is not None and st.st_uid != uid():
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


class Cache:
    """The cache folder of one URL (`shown`: the URL without credentials) and its lock."""

    def __init__(self, path: Path, url: str, lock: CacheLock, temporary: str | None) -> None:
        self.path = path
        self.url = url
        self.lock = lock
        self.temporary = temporary

    @classmethod
    def of(cls, url: str, environ: Mapping[str, str], *, cache: bool) -> Cache:
        """The cache of `url` (shown form), or a fresh temporary one without `cache`."""
        if not cache:
            temporary = tempfile.mkdtemp(prefix="gto-remote-")
            lock = CacheLock(Path(temporary, "lock"), url, _check_lock)
            return cls(Path(temporary, "repo"), url, lock, temporary)
        root = _cache_root(environ)
        _make_cache_root(root)
        name = hashlib.sha256(url.encode()).hexdigest()[:32]
        return cls(root / name, url, CacheLock(root / f"{name}.lock", url, _check_lock), None)

    def remove_temporary(self) -> None:
        if self.temporary is not None:
            shutil.rmtree(self.temporary, ignore_errors=True)

    def prepare(self) -> bool:
        """Check the cache is gto's own and tidy it, or make it (aside, then renamed in place);
        True when it was made.

        Under the lock, whatever a killed gto left in the cache goes: lock files and
        temporary files. The cache's git config is replaced, unread, by gto's own.
        """
        exists = self.path.is_dir() if self.temporary else _check_cache(self.path, self.url)
        try:
            whole = (self.path / "objects").is_dir() and (self.path / "HEAD").is_file()
            if exists and whole and self.object_format() is not None:
                self.tidy()
                return False
            if exists:  # gto's own, but damaged (or a config gto did not write): made again
                shutil.rmtree(self.path)
            aside = Path(tempfile.mkdtemp(prefix=f"{self.path.name}.", dir=self.path.parent))
            try:
                Mirror.init(str(aside))
                (aside / "config").write_bytes(_CACHE_CONFIGS["sha1"])
                (aside / "description").write_text(f"gto's cache of {self.url}\n")
                (aside / _MARKER).write_bytes(_marker_text(self.url))
                aside.rename(self.path)
            except BaseException:
                shutil.rmtree(aside, ignore_errors=True)
                raise
        except OSError as e:
            raise RemoteError(f"Cannot create the cache '{self.path}': {e.strerror or e}") from e
        return True

    def remake(self) -> None:
        """Make the cache again from nothing (the remote changed its object format)."""
        try:
            shutil.rmtree(self.path)
        except OSError as e:
            raise RemoteError(f"Cannot remove the cache '{self.path}': {e.strerror}") from e
        self.prepare()

    def discard_unfilled(self) -> None:
        """Remove a cache this call made when its first fetch failed (a remote that never
        answered): unless something was fetched into it, it is only the 56 KB of an empty
        repository. Called under the lock; a failure to remove it is no error."""
        try:
            fetched = (self.path / "packed-refs").exists() or any(
                next(folder.iterdir(), None) is not None
                for folder in (self.path / "objects").iterdir()
                if folder.name != "info"
            )
        except OSError:
            return
        if not fetched:
            shutil.rmtree(self.path, ignore_errors=True)

    def object_format(self) -> str | None:
        """The object format of the cache's config, if gto wrote it (else None)."""
        config = self.path / "config"
        try:
            if not config.is_symlink() and config.is_file():
                text = config.read_bytes()
                return next((fmt for fmt, ours in _CACHE_CONFIGS.items() if text == ours), None)
        except OSError:
            pass
        return None

    def settle_format(self, object_format: str) -> None:
        """Write gto's config for `object_format`: the first fetch from a SHA-256 remote
        turns the empty cache into a SHA-256 repository (dulwich rewrites its config)."""
        if self.object_format() != object_format:
            try:
                write_atomically(str(self.path / "config"), _CACHE_CONFIGS[object_format], 0o644)
            except OSError as e:
                raise RemoteError(f"Cannot update the cache '{self.path}': {e.strerror}") from e

    def tidy(self) -> None:
        """Remove a killed gto's debris from the cache."""
        debris = [p for p in self.path.glob("*.lock") if p.is_file()]
        debris += [p for p in (self.path / "objects" / "pack").glob("tmp*") if p.is_file()]
        debris += [p for p in (self.path / "objects").glob("??/tmp_obj_*") if p.is_file()]
        for root, _, files in os.walk(self.path / "refs"):
            debris += [Path(root, name) for name in files if name.endswith(".lock")]
        for path in debris:
            path.unlink(missing_ok=True)

    def mirror(
        self,
        advertised: Mapping[str, str],
        symrefs: Mapping[str, str],
        listed: Sequence[str] | None = None,
    ) -> None:
        """Make the cache's refs the remote's: its tags and HEAD, nothing else.

        Only HEAD's branch is kept, as in a clone (debris went in `tidy`). With `listed`
        (the ref prefixes the remote was asked for), only the tags under them are
        replaced: the cache keeps every other tag it has.
        """
        refs = {ref: oid for ref, oid in advertised.items() if ref != "HEAD"}
        if listed is not None:
            kept = read_mirror(str(self.path), FORMATS[self.object_format() or "sha1"])
            prefixes = tuple(listed)
            refs.update(
                (ref, oid)
                for ref, oid in kept.items()
                if ref.startswith(TAGS) and not ref.startswith(prefixes)
            )
        head_oid = advertised.get("HEAD")
        branch = symrefs.get("HEAD")
        if branch is not None and branch.startswith(_HEADS) and acceptable(branch):
            head = f"ref: {branch}"
            if head_oid is not None:
                refs[branch] = head_oid
        else:
            head = head_oid if head_oid is not None else "ref: refs/heads/main"
        try:
            write_mirror(str(self.path), refs, head)
        except (OSError, RefLocked) as e:
            raise RemoteError(f"Cannot update the cache '{self.path}': {e}") from e


def _check_lock(path: Path, st: os.stat_result) -> None:
    _check_owned(path, st, "file")


def acceptable(ref: str) -> bool:
    """Whether a ref name from a server may be stored and shown: git's rules, UTF-8,
    nothing a terminal would obey (`refs/tags/../x`, escape sequences)."""
    if ref == "HEAD":
        return True
    try:
        raw = ref.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 (surrogates)
        return False
    return is_ref_name(raw) and terminal_safe(ref) == ref


def shown(ref: str) -> str:
    """A refused ref name, quoted and escaped for a one-line message."""
    text = ref.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return repr(terminal_safe(text))


def is_tag(ref: str) -> bool:
    """Whether an advertised ref is one a cache keeps: HEAD, or a tag (not its peeled line)."""
    return ref == "HEAD" or (ref.startswith(TAGS) and not ref.endswith("^{}"))
