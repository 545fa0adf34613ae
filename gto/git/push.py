"""Pushing refs to a server, with `git push`'s own refusals made before anything is sent.

Like `git push` without --force: an existing remote tag is never moved and a branch
only fast-forwards; a branch checked out in a work tree on this machine is not moved
either. Refs already at the wanted value are left alone.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dulwich.client import LocalGitClient

from gto.exceptions import GTOException, PushError
from gto.git.client import TransferTimeout, is_timeout
from gto.git.config import repo_config
from gto.git.errors import transfer_errors
from gto.git.refs import TAGS
from gto.git.repoformat import read_config

if TYPE_CHECKING:
    from dulwich.client import GitClient
    from dulwich.objects import ObjectID
    from dulwich.pack import UnpackedObject
    from dulwich.refs import Ref

    from gto.git.repo import GitRepo

__all__ = ["push", "remote_url"]


def remote_url(git: GitRepo, remote: str = "origin") -> str:
    """remote.<name>.pushurl, else remote.<name>.url, as git picks the push URL."""
    config = repo_config(git.dulwich)
    for key in (b"pushurl", b"url"):
        try:
            return config.get((b"remote", remote.encode()), key).decode("utf-8")
        except KeyError:
            continue
    raise PushError(
        f"No remote '{remote}' configured: add it with `git remote add {remote} URL` "
        f"(or set remote.{remote}.url in .git/config)"
    )


Connect = Callable[[str], tuple["GitClient", str]]


def push(
    git: GitRepo,
    refspecs: Sequence[tuple[str | None, str]],
    *,
    url: str,
    connect: Connect,
    redact: Callable[[str], str],
    timeout: float,
) -> None:
    """Push `(local ref, remote ref)` pairs to `url`; a None local ref deletes.

    `connect` makes the client for the URL (gto.git.client: waiting at most `timeout`
    seconds for data, with a size limit); every message goes through `redact`
    (gto.remote.credentials), so none shows credentials. A repository on this machine
    is pushed to by gto itself (gto.git.push_local), a server through dulwich's client.

    Like `git push` without --force: an existing remote tag is never moved and a branch
    only fast-forwards. Those checks happen before anything is sent, and if one fails
    nothing is pushed. Refs already at the wanted value are left alone.

    Raises:
        PushError: no such remote, a local ref is missing, the push was refused or
            the remote cannot be reached (the message never shows credentials).
        TransferTimeout: the server sent nothing for `timeout` seconds.
    """

    def safe(text: str) -> str:
        """One line, with any credentials removed."""
        return " ".join(redact(text).split())

    wanted: dict[str, str | None] = {}
    for local, remote_ref in refspecs:
        oid = None if local is None else git.refs.get(local.encode())
        if local is not None and oid is None:
            raise PushError(f"Cannot push '{local}': no such ref in the local repository")
        wanted[remote_ref] = oid

    request = _Request(git, url, wanted, safe)
    try:
        client, path = connect(url)
        try:
            if isinstance(client, LocalGitClient):
                refused = _push_local(request, path)
            else:
                refused = _push_to_server(request, client, path)
        finally:
            client.close()
    except GTOException:  # PushError, or a transport's limit
        raise
    except transfer_errors() as e:
        if is_timeout(e):
            raise TransferTimeout(safe(url), timeout) from e
        raise PushError(safe(f"Cannot push to {url}: {e}")) from e
    if refused:
        reasons = "; ".join(f"{ref}: {error}" for ref, error in refused.items())
        raise PushError(safe(f"Push to {url} was refused: {reasons}"))


@dataclass(frozen=True)
class _Request:
    """One push: from `git` to `url`, remote ref -> object id (None deletes)."""

    git: GitRepo
    url: str
    wanted: dict[str, str | None]
    safe: Callable[[str], str]  # one line, credentials removed

    def check(self, found: Mapping[str, str | None]) -> None:
        """git push's refusals, on the remote refs as found."""
        for ref, value in self.wanted.items():
            _check_update(self.git, self.safe, self.url, ref, found.get(ref), value)


def _push_local(request: _Request, path: str) -> dict[str, str]:
    from gto.git.push_local import push_local

    def refusals(target: GitRepo, found: Mapping[str, str | None]) -> None:
        request.check(found)
        _check_checked_out(target, request.safe, request.url, request.wanted)

    return push_local(request.git, path, request.wanted, refusals)


def _push_to_server(request: _Request, client: GitClient, path: str) -> dict[str, str]:
    """Push through dulwich's client; its refs are bytes, a deletion is its ZERO_SHA."""
    from dulwich.objects import ZERO_SHA, ObjectID
    from dulwich.refs import Ref

    git, url, wanted, safe = request.git, request.url, request.wanted, request.safe
    if git.layout.format.object_format != "sha1":
        raise PushError(
            safe(
                f"Cannot push to {url}: gto pushes to servers with dulwich, which sends "
                "SHA-1 packs only; push SHA-256 repositories with git (git push)"
            )
        )
    repo = git.dulwich.get()

    def update_refs(remote_refs: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        request.check(
            {
                ref.decode("utf-8", "surrogateescape"): oid.decode()
                for ref, oid in remote_refs.items()
            }
        )
        return {
            Ref(ref.encode("utf-8", "surrogateescape")): ZERO_SHA
            if oid is None
            else ObjectID(oid.encode())
            for ref, oid in wanted.items()
        }

    def pack_data(
        have: AbstractSet[ObjectID],
        want: AbstractSet[ObjectID],
        *,
        ofs_delta: bool = False,
        progress: Callable[[bytes], None] | None = None,
    ) -> tuple[int, Iterator[UnpackedObject]]:
        """What dulwich's client asks for; gto shows no progress."""
        return repo.generate_pack_data(set(have), set(want), ofs_delta=ofs_delta)

    result = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data)
    return {
        ref.decode("utf-8", "replace"): error
        for ref, error in (result.ref_status or {}).items()
        if error is not None
    }


_DENY_OFF = frozenset({"ignore", "warn", "false", "no", "off", "0"})


def _check_checked_out(
    target: GitRepo, safe: Callable[[str], str], url: str, wanted: Mapping[str, str | None]
) -> None:
    """Refuse to move a branch checked out in a work tree of a repository on this machine.

    A git server refuses that itself (receive.denyCurrentBranch, default "refuse"): the
    work tree and index would no longer match the branch. A local path or file:// URL
    is written by gto directly, so the same rule is applied here; tags are never
    checked out, so pushing them stays allowed.
    """
    from gto.git.push_local import checked_out_branches

    branches = [ref for ref in wanted if ref.startswith("refs/heads/")]
    if not branches:
        return
    config = read_config(os.path.join(target.commondir, "config"))
    deny = config.get("receive.denycurrentbranch", ["refuse"])[-1]
    if deny.strip().lower() in _DENY_OFF:
        return
    checked_out = checked_out_branches(target)
    for ref in branches:
        if ref in checked_out:
            raise PushError(
                safe(
                    f"Push to {url} was refused: {ref} is checked out in its work tree "
                    "(git's receive.denyCurrentBranch); push to a bare repository, or check "
                    "out another branch there"
                )
            )


def _is_ancestor(git: GitRepo, old: str, new: str) -> bool:
    """Whether `old` is `new` or one of its ancestors in the local repository."""
    seen: set[str] = set()
    todo = [new]
    while todo:
        commit = todo.pop()
        if commit == old:
            return True
        if commit in seen:
            continue
        seen.add(commit)
        todo.extend(git.parents(commit) or ())
    return False


def _check_update(
    git: GitRepo,
    safe: Callable[[str], str],
    url: str,
    ref: str,
    old: str | None,
    new: str | None,
) -> None:
    """git push's own refusals, made before anything is sent."""
    if new is None:
        if old is None:
            raise PushError(safe(f"Cannot delete {ref} on {url}: the remote has no such ref"))
        return
    if old is None or old == new:
        return
    if ref.startswith(TAGS):
        raise PushError(
            safe(f"Push to {url} was refused: {ref} already exists there with another target")
        )
    if not (git.contains(old) and _is_ancestor(git, old, new)):
        raise PushError(
            safe(
                f"Push to {url} was refused: {ref} has commits there that are not here "
                "(fetch and merge first)"
            )
        )
