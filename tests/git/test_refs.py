"""The one ref-name rule: git-check-ref-format's, with the words a user reads."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from builders import init_repo, make_commit, make_tag, pack_everything

from gto.exceptions import InvalidTagName
from gto.git.discover import find
from gto.git.refs import check_tag_name, is_ref_name, ref_problem
from gto.git.refs_files import FilesRefs


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        pytest.param("churn@v1.0.0", None, id="ok"),
        pytest.param("dir/sub=clf#prod#3", None, id="folders"),
        pytest.param("", "an empty name", id="empty"),
        pytest.param("a b", "the character ' '", id="space"),
        pytest.param("a~1", "the character '~'", id="tilde"),
        pytest.param("a\x7f", "the character '\\x7f'", id="del"),
        pytest.param("x\udc80", "the character '\\udc80'", id="not-utf8"),
        pytest.param("a@{1}", "'@{'", id="reflog"),
        pytest.param("../x", "'..'", id="dotdot"),
        pytest.param("a//b", "'//'", id="empty-part"),
        pytest.param("/a", "a leading '/'", id="leading-slash"),
        pytest.param("a/", "a trailing '/'", id="trailing-slash"),
        pytest.param("a.", "a trailing '.'", id="trailing-dot"),
        pytest.param("a/.b", "a part starting with '.'", id="hidden-part"),
        pytest.param("a.lock/b", "a part ending with '.lock'", id="lock-part"),
        pytest.param("x" * 251, "more than 250 bytes between two '/'", id="too-long"),
    ],
)
def test_ref_problem(name: str, problem: str | None) -> None:
    assert ref_problem(name) == problem
    if "\udc80" not in name and len(name) <= 250:  # the byte rule: the same verdict
        assert is_ref_name(f"refs/tags/{name}".encode()) is (problem is None)


def test_a_bare_name_is_no_ref() -> None:
    assert not is_ref_name(b"HEAD") and not is_ref_name(b"main")


def test_check_tag_name() -> None:
    assert check_tag_name("m#prod#1") == "refs/tags/m#prod#1"
    with pytest.raises(InvalidTagName) as error:
        check_tag_name("../x=m@v1.0.0")
    assert error.value.message == (
        "Cannot create tag '../x=m@v1.0.0': Git does not allow '..' in a tag name"
    )


@pytest.mark.parametrize("id_length", [40, 64])
def test_a_mirror_reads_back_the_ids_of_its_object_format(tmp_path: Path, id_length: int) -> None:
    """A SHA-256 cache keeps the tags a one-artifact read did not list (64-digit ids)."""
    from gto.git.refs_files import read_mirror, write_mirror

    refs = {"refs/tags/a@v1.0.0": "a" * id_length, "refs/heads/main": "b" * id_length}
    write_mirror(str(tmp_path), refs, "ref: refs/heads/main")
    assert read_mirror(str(tmp_path), id_length) == refs


# Files whose opens are counted: every open by any means (open, Path.read_bytes, mmap's
# file) raises the `open` audit event, and audit hooks cannot be removed, so one hook
# counts for whichever test fills this.
_COUNTED_OPENS: dict[str, list[str]] = {}


def _count_opens(event: str, args: tuple[object, ...]) -> None:
    if event == "open" and _COUNTED_OPENS and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.path.realpath(os.fsdecode(args[0]))
        if path in _COUNTED_OPENS:
            _COUNTED_OPENS[path].append(str(args[1]))


sys.addaudithook(_count_opens)


@pytest.mark.parametrize("loose", [False, True])
def test_a_packed_tag_is_deleted_reading_packed_refs_once_then_once_under_its_lock(
    tmp_path: Path, loose: bool
) -> None:
    """The check reads packed-refs once; the rewrite reads it again under packed-refs.lock
    (another writer may have changed it meanwhile), and no more."""
    with init_repo(tmp_path / "repo") as repo:
        commit = make_commit(repo, {"a": "1"})
        tag = make_tag(repo, "m@v1.0.0", commit)
        make_tag(repo, "m@v2.0.0", commit)
        pack_everything(repo)
    ref = "refs/tags/m@v1.0.0"
    refs = FilesRefs(find(tmp_path / "repo")[0])
    if loose:  # the ref is in both places, as `git pack-refs` leaves it for a moment
        Path(refs.path(ref)).write_text(f"{tag}\n")
    packed = tmp_path / "repo" / ".git" / "packed-refs"
    reads = _COUNTED_OPENS[os.path.realpath(packed)] = []
    try:
        assert refs.delete(ref, tag)
    finally:
        del _COUNTED_OPENS[os.path.realpath(packed)]
    assert reads == ["r", "r"]  # reads; the rewrite itself goes to packed-refs.lock
    assert b"m@v1.0.0" not in packed.read_bytes()
    assert b"m@v2.0.0" in packed.read_bytes()
    assert refs.read(ref) is None
