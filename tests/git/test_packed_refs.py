"""packed-refs read all at once, or one prefix by bisection: the same refs as line by line."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from gto.exceptions import RepoError
from gto.git import packed_refs
from gto.git.refs import is_ref_name

ID = re.compile(rb"[0-9a-f]{40}")
HEADER = b"# pack-refs with: peeled fully-peeled sorted \n"


def object_id(value: bytes) -> str | None:
    text = value.strip()
    return text.decode() if ID.fullmatch(text) else None


def line_by_line(text: bytes) -> dict[bytes, str | None]:
    """The rule before packed_refs: each line on its own."""
    refs = {}
    for line in text.splitlines():
        if line[:1] not in (b"#", b"^"):
            oid, _, ref = line.partition(b" ")
            if is_ref_name(ref):
                refs[ref] = object_id(oid)
    return refs


def oid(n: int) -> bytes:
    return b"%040x" % n


def packed(names: list[bytes], peel_every: int = 3) -> bytes:
    lines = [HEADER]
    for i, name in enumerate(sorted(names)):
        lines.append(oid(i) + b" " + name + b"\n")
        if i % peel_every == 0:
            lines.append(b"^" + oid(10_000 + i) + b"\n")
    return b"".join(lines)


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param([b"refs/tags/a@v1.0.0", b"refs/heads/main"], id="ordinary"),
        pytest.param([b"refs/tags/a b", b"refs/tags/ok"], id="space"),
        pytest.param([b"refs/tags/x..y", b"refs/tags/ok"], id="dotdot"),
        pytest.param([b"refs/tags/x.lock", b"refs/tags/x.lock/y", b"refs/tags/ok"], id="lock"),
        pytest.param([b"refs/tags/.hidden", b"refs/tags/a/.b", b"refs/tags/end."], id="dots"),
        pytest.param([b"refs/tags/a@{1}", b"refs/tags//x", b"refs/tags/x/"], id="sequences"),
        pytest.param([b"noslash", b"refs/tags/\x1b[2J", b"refs/tags/\xff"], id="bytes"),
    ],
)
def test_names_checked_at_once_as_one_by_one(lines: list[bytes]) -> None:
    text = HEADER + b"".join(oid(i) + b" " + name + b"\n" for i, name in enumerate(lines))
    assert packed_refs.parse(text, object_id, 40) == line_by_line(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(HEADER + b"1234 refs/tags/short\n" + oid(1) + b" refs/tags/ok\n", id="short"),
        pytest.param(HEADER + oid(1).upper() + b" refs/tags/upper\n", id="upper-case"),
        pytest.param(oid(1) + b" refs/tags/crlf\r\n" + oid(2) + b" refs/tags/b\r\n", id="crlf"),
        pytest.param(b"", id="empty"),
        pytest.param(HEADER, id="header-only"),
        pytest.param(oid(1) + b" refs/tags/no-newline", id="no-final-newline"),
    ],
)
def test_odd_files(text: bytes) -> None:
    assert packed_refs.parse(text, object_id, 40) == line_by_line(text)


def test_sorted_trait() -> None:
    assert packed_refs.is_sorted(HEADER)
    assert packed_refs.is_sorted(b"# pack-refs with: sorted\n")
    assert not packed_refs.is_sorted(b"# pack-refs with: peeled \n" + oid(1) + b" refs/x/sorted\n")
    assert not packed_refs.is_sorted(oid(1) + b" refs/tags/sorted \n")


@pytest.mark.parametrize("seed", range(12))
def test_bisected_prefix_is_the_filtered_whole(seed: int) -> None:
    rng = random.Random(seed)
    artifacts = ["m", "m2", "model", "dir=m", "a/b=m", "z"]
    names = {
        f"refs/tags/{rng.choice(artifacts)}{rng.choice('@#')}{rng.randint(0, 40)}".encode()
        for _ in range(rng.randint(0, 300))
    }
    names |= {b"refs/heads/main", b"refs/remotes/origin/m"}
    text = packed(sorted(names), peel_every=rng.randint(1, 4))
    whole = packed_refs.parse(text, object_id, 40)
    for prefix in [
        *(f"refs/tags/{a}{sign}".encode() for a in artifacts for sign in "@#"),
        b"refs/tags/",
        b"refs/",
        b"refs/heads/main",
        b"refs/tags/m@1",
        b"refs/tags/nothing",
        b"",
        b"\xff",
    ]:
        start, end = packed_refs.prefix_range(text, prefix)
        found = packed_refs.parse(text[start:end], object_id, 40)
        assert found == {r: o for r, o in whole.items() if r.startswith(prefix)}, prefix


@pytest.mark.parametrize("seed", range(8))
def test_names_under_are_the_parsed_names(seed: int) -> None:
    """Tag names read straight into text: the same as parsing, then decoding."""
    rng = random.Random(seed)
    artifacts = ["m", "dir=m", "ü"]
    names = {
        f"refs/tags/{rng.choice(artifacts)}{rng.choice('@#')}{rng.randint(0, 99)}".encode()
        for _ in range(rng.randint(1, 200))
    }
    text = packed(sorted(names | {b"refs/heads/main"}), peel_every=rng.randint(1, 3))
    whole = packed_refs.parse(text, object_id, 40)
    for prefix in (b"", b"m@", b"m#", b"dir=m@", b"nothing"):
        found = packed_refs.names_under(text, b"refs/tags/", prefix, 40)
        expected = {
            ref[10:].decode("utf-8", "replace"): oid
            for ref, oid in whole.items()
            if ref.startswith(b"refs/tags/" + prefix)
        }
        assert found == expected, prefix


@pytest.mark.parametrize(
    "line",
    [
        pytest.param(b"refs/tags/a b", id="space"),
        pytest.param(b"refs/tags/x..y", id="dotdot"),
        pytest.param(b"refs/tags/x.lock", id="lock"),
        pytest.param(b"refs/tags/\x1b[2J", id="escape"),
        pytest.param(b"refs/tags/x^{}", id="caret"),
    ],
)
def test_names_under_leave_odd_lines_to_the_rule(line: bytes) -> None:
    text = HEADER + oid(1) + b" refs/tags/a\n" + oid(2) + b" " + line + b"\n"
    assert packed_refs.names_under(text, b"refs/tags/", b"", 40) is None
    bad = HEADER + b"123 refs/tags/short\n"
    assert packed_refs.names_under(bad, b"refs/tags/", b"", 40) is None
    for odd_id in (b"AB" * 20, b"g" * 40, "é".encode() * 20):  # 40 wide, not lowercase hex
        odd = HEADER + oid(1) + b" refs/tags/a\n" + odd_id + b" refs/tags/b\n"
        assert packed_refs.names_under(odd, b"refs/tags/", b"", 40) is None


def test_a_line_that_is_no_ref_fails_the_read(
    tmp_path: Path, run_in: Callable[[Path], Callable[..., tuple[int, str, str]]]
) -> None:
    """git stops at such a line (`unexpected line in packed-refs`): gto does not list the
    other tags as if that one did not exist."""
    from builders import EPOCH, init_repo, make_commit, make_tag, pack_everything

    repo = init_repo(tmp_path / "repo")
    commit = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    for n in range(3):
        make_tag(repo, f"m@v1.0.{n}", commit, time=EPOCH + n)
    pack_everything(repo)
    repo.close()
    packed = tmp_path / "repo" / ".git" / "packed-refs"
    lines = packed.read_bytes().split(b"\n")
    damaged = [b"x" * 40 if b"m@v1.0.1" in line else line for line in lines]
    packed.write_bytes(b"\n".join(damaged))
    line = f"❌ Cannot read packed-refs: unexpected line {b'x' * 40!r}\n"
    for command in (("show",), ("show", "m"), ("history",)):
        assert run_in(tmp_path / "repo")(*command) == (1, "", line)
    with pytest.raises(RepoError, match="unexpected line b'xx"):
        packed_refs.parse(HEADER + b"x" * 40 + b"\n", lambda v: v.decode(), 40)


def test_a_file_cut_short_fails_the_read(
    tmp_path: Path, run_in: Callable[[Path], Callable[..., tuple[int, str, str]]]
) -> None:
    """Cut in the middle of a name, the last line may read as another tag's (m@v1.0.1 with
    m@v1.0.10's object) and the lines after it are gone: git stops at the `unterminated
    line`, and so does gto, reading or writing."""
    from builders import EPOCH, init_repo, make_commit, make_tag, pack_everything

    repo = init_repo(tmp_path / "repo")
    commit = make_commit(repo, {"artifacts.yaml": "m: {type: model}\n"}, time=EPOCH)
    for n, patch in enumerate((1, 10, 2)):
        make_tag(repo, f"m@v1.0.{patch}", commit, time=EPOCH + n)
    pack_everything(repo)
    repo.close()
    packed = tmp_path / "repo" / ".git" / "packed-refs"
    text = packed.read_bytes()
    cut = text[: text.index(b"refs/tags/m@v1.0.10") + len(b"refs/tags/m@v1.0.1")]
    packed.write_bytes(cut)
    last = cut[cut.rindex(b"\n") + 1 :]
    line = f"❌ Cannot read packed-refs: unterminated line {last!r}\n"
    run = run_in(tmp_path / "repo")
    for command in (("show",), ("show", "m"), ("history",), ("register", "m")):
        assert run(*command) == (1, "", line)
    assert packed.read_bytes() == cut
    packed_refs.check_whole(HEADER + oid(1) + b" refs/tags/a\n")
    packed_refs.check_whole(b"")
