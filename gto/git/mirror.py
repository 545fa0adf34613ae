"""A bare repository filled from a server: dulwich's fetch side, for a remote's cache.

gto.remote decides what to fetch and when; this module only moves objects: a fetch
of what some advertised refs need (shallow, without blobs, where the server can),
single objects by id into a new pack, the history behind the refs. Names and ids
cross this boundary as `str` (ref names decoded with `surrogateescape`, so bytes
that are not UTF-8 survive the round trip).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dulwich.client import GitClient
    from dulwich.objects import ObjectID
    from dulwich.refs import Ref
    from dulwich.repo import Repo

__all__ = ["WHOLE_HISTORY", "Connection", "Mirror", "Progress"]

# `git fetch --unshallow` asks for this depth.
WHOLE_HISTORY = 0x7FFFFFFF
# Commits and trees, no blobs: git's partial clone filter, honoured over protocol v2.
_FILTER = b"blob:none"

# Advertised refs (name -> id) -> the ids to fetch.
Choose = Callable[[Mapping[str, str]], list[str]]
Progress = Callable[[str], None]
# A client (gto.git.client) and the path to ask it for.
Connection = tuple["GitClient", str]


def _name(ref: bytes) -> str:
    return ref.decode("utf-8", "surrogateescape")


class _Wants:
    """dulwich's determine_wants for a fixed list of objects, whatever the refs."""

    def __init__(self, oids: Sequence[str]) -> None:
        self._oids = [_oid(oid) for oid in oids]

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


def _oid(oid: str) -> ObjectID:
    from dulwich.objects import ObjectID

    return ObjectID(oid.encode("ascii"))


def _progress(progress: Progress | None) -> Callable[[bytes], None] | None:
    if progress is None:
        return None
    return lambda message: progress(message.decode("utf-8", "replace"))


def _cache_repo(path: str) -> Repo:
    """dulwich's Repo of a cache, whose fetches claim no commits when it is SHA-256.

    dulwich 1.2.21's graph walker refuses the server's acknowledgement of a SHA-256
    commit (`unexpected sha ... received`, a TODO of its own), which its in-process
    `file://` client sends; claiming nothing avoids it, at the cost of the server
    sending commits the cache has already.
    """
    from dulwich.object_store import ObjectStoreGraphWalker
    from dulwich.repo import Repo

    class CacheRepo(Repo):
        def get_graph_walker(self, heads: list[ObjectID] | None = None) -> ObjectStoreGraphWalker:
            if self.object_format.name != "sha1":
                heads = []
            return super().get_graph_walker(heads)

    return CacheRepo(path)


class Mirror:
    """The repository at `path`, opened with dulwich on first use, for fetching into."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._repo: Repo | None = None

    @staticmethod
    def init(path: str) -> None:
        """Make an empty bare repository at `path`."""
        from dulwich.repo import Repo

        Repo.init_bare(path).close()

    def _open(self) -> Repo:
        if self._repo is None:
            self._repo = _cache_repo(self.path)
        return self._repo

    def close(self) -> None:
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def object_format(self) -> str:
        """`sha1` or `sha256`: the cache takes the remote's on its first fetch."""
        name: str = self._open().object_format.name
        return name

    def is_empty(self) -> bool:
        """Whether the repository holds no object yet (its object format can still change)."""
        return next(iter(self._open().object_store), None) is None

    def shallow(self) -> bool:
        """Whether some history is missing (the first fetches are one commit deep)."""
        return bool(self._open().get_shallow())

    def present(self, oids: Iterable[str]) -> set[str]:
        store = self._open().object_store
        return {oid for oid in oids if _oid(oid) in store}

    def heads(self) -> list[str]:
        """The ids the refs hold, each once, sorted."""
        return sorted({oid.decode("ascii") for oid in self._open().refs.as_dict().values()})

    def fetch(
        self,
        connection: Connection,
        choose: Choose,
        *,
        depth: int | None,
        ref_prefix: Sequence[str],
        progress: Progress | None,
    ) -> dict[str, str]:
        """Fetch what `choose` picks from the advertised refs; return the server's symrefs.

        Commits and trees only, where the server filters; `depth` None fetches whole
        history (a server without shallow support gets asked that way too).
        """
        from dulwich.errors import GitProtocolError

        client, path = connection

        def wants(refs: Mapping[Ref, ObjectID], depth: int | None = None) -> list[ObjectID]:
            named = {
                _name(ref): (oid or b"").decode("ascii", "replace") for ref, oid in refs.items()
            }
            return [_oid(oid) for oid in choose(named)]

        prefixes = [prefix.encode() for prefix in ref_prefix]
        shown = _progress(progress)
        try:
            result = client.fetch(
                path, self._open(), determine_wants=wants, progress=shown,
                depth=depth, ref_prefix=prefixes, filter_spec=_FILTER,
            )  # fmt: skip
        except GitProtocolError as e:
            if depth is None or "shallow" not in str(e):
                raise
            result = client.fetch(
                path, self._open(), determine_wants=wants, progress=shown,
                ref_prefix=prefixes, filter_spec=_FILTER,
            )  # fmt: skip
        return {_name(ref): _name(target) for ref, target in result.symrefs.items()}

    def fetch_objects(
        self, connection: Connection, oids: Sequence[str], progress: Progress | None
    ) -> None:
        """Fetch objects by id, claiming to have nothing, into a new pack."""
        client, path = connection
        pack, commit, abort = self._open().object_store.add_pack()
        try:
            client.fetch_pack(
                path,
                _Wants(oids),
                _NoHaves(),
                pack.write,
                progress=_progress(progress),
                ref_prefix=[b"HEAD"],
            )
        except BaseException:
            abort()
            raise
        commit()

    def receive(self, fill: Callable[[Callable[[bytes], object]], set[str]]) -> None:
        """Store the pack `fill` writes (a fetch of gto's own, gto.git.upload_pack), and
        record the commits it says the server made shallow."""
        repo = self._open()
        pack, commit, abort = repo.object_store.add_pack()
        try:
            shallow = fill(pack.write)
        except BaseException:
            abort()
            raise
        commit()
        if shallow:
            repo.update_shallow({_oid(oid) for oid in shallow}, None)

    def repack(self, most: int) -> None:
        """Merge the packs into one when there are more than `most` (each fetch adds one)."""
        store = self._open().object_store
        if store.count_pack_files() > most:
            store.repack()
