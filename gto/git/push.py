"""Pushing refs to a server, with `git push`'s own refusals made before anything is sent.

Like `git push` without --force: an existing remote tag is never moved and a branch
only fast-forwards; a branch checked out in a work tree on this machine is not moved
either. Refs already at the wanted value are left alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import TYPE_CHECKING

from dulwich.client import LocalGitClient
from dulwich.errors import NotGitRepository
from dulwich.graph import can_fast_forward
from dulwich.objects import ZERO_SHA, ObjectID
from dulwich.pack import UnpackedObject
from dulwich.refs import Ref
from dulwich.repo import Repo

from gto.exceptions import GTOException, PushError
from gto.git.config import repo_config
from gto.git.errors import transfer_errors
from gto.git.refs import TAGS

if TYPE_CHECKING:
    from dulwich.client import GitClient

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
) -> None:
    """Push `(local ref, remote ref)` pairs to `url`; a None local ref deletes.

    `connect` makes the client for the URL (gto.git.client: with timeouts and a size
    limit); every message goes through `redact` (gto.remote.credentials), so none shows
    credentials.

    Like `git push` without --force: an existing remote tag is never moved and a branch
    only fast-forwards. Those checks happen before anything is sent, and if one fails
    nothing is pushed. Refs already at the wanted value are left alone.

    Raises:
        PushError: no such remote, a local ref is missing, the push was refused or
            the remote cannot be reached (the message never shows credentials).
    """
    repo = git.dulwich.get()

    def safe(text: str) -> str:
        """One line, with any credentials removed."""
        return " ".join(redact(text).split())

    wanted: dict[Ref, ObjectID] = {}
    for local, remote_ref in refspecs:
        oid = None if local is None else git.refs.get(local.encode())
        if local is not None and oid is None:
            raise PushError(f"Cannot push '{local}': no such ref in the local repository")
        wanted[Ref(remote_ref.encode())] = ZERO_SHA if oid is None else ObjectID(oid.encode())

    def update_refs(remote_refs: dict[Ref, ObjectID]) -> dict[Ref, ObjectID]:
        for ref, value in wanted.items():
            _check_update(repo, safe, url, ref, remote_refs.get(ref), value)
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
        client, path = connect(url)
        try:
            if isinstance(client, LocalGitClient):
                _check_checked_out(path, safe, url, wanted)
            result = client.send_pack(path.encode(), update_refs, generate_pack_data=pack_data)
        finally:
            client.close()
    except GTOException:  # PushError, or a transport's limit
        raise
    except transfer_errors() as e:
        raise PushError(safe(f"Cannot push to {url}: {e}")) from e
    refused = [
        f"{ref.decode('utf-8', 'replace')}: {error}"
        for ref, error in (result.ref_status or {}).items()
        if error is not None
    ]
    if refused:
        raise PushError(safe(f"Push to {url} was refused: {'; '.join(refused)}"))


_DENY_OFF = frozenset({"ignore", "warn", "false", "no", "off", "0"})


def _check_checked_out(
    path: str, safe: Callable[[str], str], url: str, wanted: Mapping[Ref, ObjectID]
) -> None:
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
                safe(
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


def _check_update(
    repo: Repo,
    safe: Callable[[str], str],
    url: str,
    ref: Ref,
    old: ObjectID | None,
    new: ObjectID,
) -> None:
    """git push's own refusals, made before anything is sent."""
    name = ref.decode("utf-8", "replace")
    if new == ZERO_SHA:
        if old is None:
            raise PushError(safe(f"Cannot delete {name} on {url}: the remote has no such ref"))
        return
    if old is None or old == new:
        return
    if ref.startswith(TAGS.encode()):
        raise PushError(
            safe(f"Push to {url} was refused: {name} already exists there with another target")
        )
    try:
        fast_forward = can_fast_forward(repo, old, new)
    except KeyError:
        fast_forward = False
    if not fast_forward:
        raise PushError(
            safe(
                f"Push to {url} was refused: {name} has commits there that are not here "
                "(fetch and merge first)"
            )
        )
