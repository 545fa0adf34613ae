"""Registries of repositories that are not cloned: `-r URL` reads a small local cache.

Upstream clones the whole repository on every call, but a registry needs only the
tags, the tagged commits and a few small files (`.gto`, artifacts.yaml). So gto keeps
one bare repository per remote (gto.remote.cache) and asks the server only for what
the cache lacks: the tag objects and commits (one commit deep and without blobs, where
the server supports shallow and partial fetches) when it is opened, then, in one
request, the few blobs a command reads, through the cache's object store, whose
source a `Remote` is. Its refs mirror the remote's tags and HEAD exactly. The lock
serialises every change to a cache, so concurrent calls share it safely.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gto.exceptions import RemoteError
from gto.git.errors import ObjectFormatChanged
from gto.git.mirror import WHOLE_HISTORY, Connection, Mirror
from gto.git.refs import TAGS
from gto.git.repoformat import FORMATS
from gto.git.upload_pack import fetch_with_tags, ls_refs
from gto.remote.cache import Cache, acceptable, is_tag, shown
from gto.remote.credentials import Credentials, redact
from gto.remote.transport import Progress, Transport
from gto.remote.urls import SCHEMES, check, scheme
from gto.settings import Settings

if TYPE_CHECKING:
    from gto.git.repo import GitRepo

__all__ = ["Remote"]

_LOG = logging.getLogger("gto.remote")
# Each fetch that brings something adds a pack; past this many they are merged into one.
_MAX_PACKS = 50
# A remote's object ids: SHA-1 or SHA-256, by their length.
_FORMAT_OF = {length: name for name, length in FORMATS.items()}
_HEX = frozenset("0123456789abcdef")
# One transfer: (a client and its path, a progress callback) -> None.
Fetch = Callable[[Connection, Callable[[str], None] | None], None]


def _sha1_only(capabilities: Sequence[bytes]) -> bool:
    """Whether a v2 server names its objects by SHA-1 (it offers no other object format).

    >>> _sha1_only([b"fetch=shallow filter", b"object-format=sha256"])
    False
    """
    prefix = b"object-format="
    return all(line == prefix + b"sha1" for line in capabilities if line.startswith(prefix))


def _close(mirror: Mirror, cache: Cache) -> None:
    mirror.close()
    cache.lock.release_all()
    cache.remove_temporary()


class Remote:
    """The local cache of one remote repository: updated on open, extended on demand.

    `path` is a bare repository that GitRepo reads like any other, with this Remote as
    its object source. Reads take the lock only while they fetch; a writing command
    holds it from the first fetch to its push (`hold_lock`), so another call never
    mirrors away its unpushed tags.
    """

    def __init__(self, credentials: Credentials, cache: Cache, transport: Transport) -> None:
        self.url = credentials.shown
        self.path = cache.path
        self._cache = cache
        self._transport = transport
        self._mirror = Mirror(str(cache.path))
        # Refs the server advertised under names git does not allow: never stored.
        self.skipped: list[str] = []
        self._finalizer = weakref.finalize(self, _close, self._mirror, cache)

    @classmethod
    def open(
        cls,
        url: str,
        *,
        settings: Settings,
        cache: bool = True,
        hold_lock: bool = False,
        progress: Progress | None = None,
        tag_prefixes: Sequence[str] | None = None,
    ) -> Remote:
        """The cache of `url`, brought up to date with the remote's tags and HEAD.

        Without `cache`, a temporary folder is used and removed when the Remote is
        closed or garbage-collected. With `tag_prefixes` (`churn@`, `churn#`: one
        artifact's tags), only the tags whose names start with one of them are listed
        (protocol v2 `ls-refs` with `ref-prefix` arguments) and brought up to date; the
        cache's other tags stay as they are.

        Raises:
            RemoteError: the URL is not supported or malformed, or the remote cannot be
                reached or read.
        """
        if scheme(url) not in SCHEMES:
            raise RemoteError(
                f"Unsupported URL '{redact(url)}': use http(s)://, git://, ssh://, file:// "
                "or user@host:path"
            )
        check(url)
        credentials = Credentials.find(url, settings.environ)
        folder = Cache.of(credentials.shown, settings.environ, cache=cache)
        transport = Transport(credentials, settings, cache=str(folder.path), progress=progress)
        remote = cls(credentials, folder, transport)
        folder.lock.acquire()
        made = False
        try:
            made = folder.prepare()
            try:
                remote._update(tag_prefixes)
            except ObjectFormatChanged:  # the remote was made again in another object format
                remote._mirror.close()
                folder.remake()
                made = True
                remote._update(tag_prefixes)
        except BaseException:
            remote._mirror.close()
            if made and folder.temporary is None:
                folder.discard_unfilled()  # a remote that never answered leaves no folder
            remote.close()
            raise
        if not hold_lock:
            folder.lock.release()
        return remote

    def close(self) -> None:
        """Release the lock and the repository (and remove a temporary cache)."""
        self._finalizer.detach()
        _close(self._mirror, self._cache)

    # The object source of the cache's store (gto.git.store.ObjectSource)

    def fetch(self, oids: Sequence[str]) -> None:
        """Fetch, in one request, the objects among `oids` that the cache lacks.

        Only servers that support partial fetches leave blobs out, and those (git's
        protocol v2) also hand out single objects by id.
        """
        with self._cache.lock.held():
            missing = sorted(set(oids) - self._mirror.present(oids))
            if missing:

                def fetch(connection: Connection, report: Callable[[str], None] | None) -> None:
                    self._mirror.fetch_objects(connection, missing, report)

                self._transfer(fetch, thin_packs=False)

    def deepen(self) -> bool:
        """Fetch the whole commit history behind the refs (no blobs); False if it is here already.

        Walking all commits (`-A`) or resolving `HEAD~3` needs more than the tagged commits.
        """
        with self._cache.lock.held():
            if not self._mirror.shallow():
                return False
            heads = self._mirror.heads()

            def fetch(connection: Connection, report: Callable[[str], None] | None) -> None:
                self._mirror.fetch(
                    connection,
                    lambda refs: heads,
                    depth=WHOLE_HISTORY,
                    ref_prefix=["HEAD"],
                    progress=report,
                )

            self._transfer(fetch)
            return True

    def push(self, git: GitRepo, refspecs: Sequence[tuple[str | None, str]]) -> None:
        """Push refs of the cache to the remote (see gto.git.push), credentials included."""
        with self._cache.lock.held():
            self._transport.push(git, refspecs)

    # Fetching

    def _transfer(self, fetch: Fetch, *, thin_packs: bool = True) -> None:
        """Run `fetch(connection, progress)` with a fresh client, its errors translated."""
        connection = self._transport.connect(thin_packs=thin_packs)
        try:
            with self._transport.translating(), self._transport.reporting() as report:
                fetch(connection, report)
        finally:
            connection[0].close()

    def _check_format(self, advertised: Mapping[str, str]) -> None:
        """The remote's object ids must be of one format, the cache's (or the cache empty:
        the fetch then makes it a repository of the remote's format).

        Raises:
            RemoteError: ids of both lengths (no git server sends that).
            ObjectFormatChanged: the cache holds objects of the other format.
        """
        formats = {_FORMAT_OF[len(oid)] for oid in advertised.values()}
        if len(formats) > 1:
            raise RemoteError(f"{self.url} advertised SHA-1 and SHA-256 object names at once")
        if formats and formats != {self._mirror.object_format()} and not self._mirror.is_empty():
            raise ObjectFormatChanged

    def _update(self, tag_prefixes: Sequence[str] | None = None) -> None:
        """Fetch the tags and HEAD the cache lacks, then mirror the remote's refs exactly
        (with `tag_prefixes`, the remote's refs under those prefixes)."""
        advertised: dict[str, str] = {}
        listed = [TAGS] if tag_prefixes is None else [f"{TAGS}{p}" for p in tag_prefixes]

        def choose(refs: Mapping[str, str]) -> list[str]:
            advertised.clear()
            self.skipped.clear()
            for ref, oid in refs.items():
                if not is_tag(ref) or not (ref == "HEAD" or ref.startswith(tuple(listed))):
                    continue
                if acceptable(ref) and len(oid) in _FORMAT_OF and _HEX.issuperset(oid):
                    advertised[ref] = oid
                else:
                    self.skipped.append(shown(ref))
            self._check_format(advertised)
            values = set(advertised.values())
            return sorted(values - self._mirror.present(values))

        scope = None if tag_prefixes is None else listed
        fresh = not Path(self.path, "packed-refs").is_file()
        if fresh and self._first_fetch(listed, choose, advertised, scope):
            return
        # A cache that holds the whole history keeps it whole; otherwise one commit deep.
        complete = not fresh and not self._mirror.shallow()
        symrefs: dict[str, str] = {}

        def fetch(connection: Connection, report: Callable[[str], None] | None) -> None:
            found = self._mirror.fetch(
                connection,
                choose,
                depth=None if complete else 1,
                ref_prefix=["HEAD", *listed],
                progress=report,
            )
            symrefs.update(found)

        self._transfer(fetch)
        self._finish(advertised, symrefs, scope)

    def _first_fetch(
        self,
        listed: list[str],
        choose: Callable[[Mapping[str, str]], list[str]],
        advertised: Mapping[str, str],
        scope: list[str] | None,
    ) -> bool:
        """Fill a new cache in one pack: the tagged commits (one deep, no blobs) and, through
        `include-tag`, their tags (gto.git.upload_pack); False if the server cannot (no
        protocol v2), and dulwich's fetch does it.

        A cold read so moves less than a clone: a want per commit, not per tag.
        """
        with self._transport.translating():
            channel = self._transport.open_v2()
        if channel is None:
            return False
        if not _sha1_only(channel.capabilities) or self._mirror.object_format() != "sha1":
            channel.close()  # dulwich's fetch takes a SHA-256 remote's format (gto.remote.cache)
            return False
        try:
            with self._transport.translating(), self._transport.reporting() as report:
                listing = ls_refs(channel, ["HEAD", *listed])
                missing = set(choose(listing.refs))
                wanted = {listing.peeled.get(ref, oid) for ref, oid in advertised.items()}
                shown = None if report is None else (lambda b: report(b.decode("utf-8", "replace")))

                def fill(write: Callable[[bytes], object]) -> set[str]:
                    return fetch_with_tags(
                        channel,
                        wanted,
                        depth=1,
                        filter_spec=b"blob:none",
                        write_pack=write,
                        progress=shown,
                    )

                self._mirror.receive(fill)
        finally:
            channel.close()
        left = sorted(missing - self._mirror.present(missing))
        if left:  # tags that point at no commit the pack holds (a tag of a tree, say)

            def fetch(connection: Connection, report: Callable[[str], None] | None) -> None:
                self._mirror.fetch(
                    connection, lambda refs: left, depth=1, ref_prefix=["HEAD"], progress=report
                )

            self._transfer(fetch)
        self._finish(advertised, listing.symrefs, scope)
        return True

    def _finish(
        self, advertised: Mapping[str, str], symrefs: Mapping[str, str], listed: list[str] | None
    ) -> None:
        """Mirror what was advertised; warn about refused names; keep the packs few."""
        self._cache.settle_format(self._mirror.object_format())
        self._cache.mirror(advertised, symrefs, listed)
        if self.skipped:
            names = ", ".join(self.skipped[:5]) + (", ..." if len(self.skipped) > 5 else "")
            _LOG.warning(
                "Skipped %d ref(s) advertised by %s whose names git does not allow: %s",
                len(self.skipped),
                self.url,
                names,
            )
        self._mirror.repack(_MAX_PACKS)
