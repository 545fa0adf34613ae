"""gto's own protocol v2 requests: an answer is whole, up to its flush, or an error.

A listing cut short (the connection dropped) or a server's `ERR` line must fail, never
read as a remote with fewer tags.
"""

from __future__ import annotations

import io

import pytest

from gto.git.upload_pack import Listing, V2Channel, ls_refs, pkt

A, B = "a" * 40, "b" * 40
LINES = [
    pkt(f"{A} refs/tags/m@v1.0.0 peeled:{B}\n".encode()),
    pkt(f"{B} HEAD symref-target:refs/heads/main\n".encode()),
]


def channel(answer: bytes) -> V2Channel:
    return V2Channel([b"ls-refs"], lambda body: io.BytesIO(answer).read, lambda: None)


def test_a_whole_listing_is_read() -> None:
    assert ls_refs(channel(b"".join(LINES) + b"0000"), ["refs/tags/m@"]) == Listing(
        refs={"refs/tags/m@v1.0.0": A, "HEAD": B},
        peeled={"refs/tags/m@v1.0.0": B},
        symrefs={"HEAD": "refs/heads/main"},
    )


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"".join(LINES), "the server closed the connection before the end of its answer"),
        (LINES[0], "the server closed the connection before the end of its answer"),
        (LINES[0] + LINES[1][:9], "the server closed the connection in the middle of a packet"),
        (b"", "the server closed the connection before the end of its answer"),
    ],
)
def test_a_listing_cut_short_fails(answer: bytes, error: str) -> None:
    with pytest.raises(OSError, match=f"^{error}$"):
        ls_refs(channel(answer), [])


def test_an_err_line_fails() -> None:
    answer = LINES[0] + pkt(b"ERR upload-pack: not our ref\n") + b"0000"
    with pytest.raises(ValueError, match=r"^upload-pack: not our ref$"):
        ls_refs(channel(answer), [])
