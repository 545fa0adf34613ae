"""How text looks on the user's terminal: emojis, colour, one-line errors, transfer progress.

What the environment says about it (GTO_EMOJIS, NO_COLOR, FORCE_COLOR, TERM) comes
from gto.settings; this module only imports what `gto --help` can afford.
"""

from __future__ import annotations

import time
from typing import Protocol, TextIO

from gto.core.controls import terminal_safe
from gto.settings import current

__all__ = ["PROGRESS_DELAY", "ProgressLine", "emoji", "error_line"]

# Progress appears only for transfers that take longer than this (seconds).
PROGRESS_DELAY = 1.0


def emoji(symbol: str) -> str:
    """`symbol`, unless GTO_EMOJIS turns emojis off (environment only, like upstream)."""
    return symbol if current().emojis else ""


def _one_line(message: str) -> str:
    """Control characters (a newline in a name, say) escaped, so an error stays one line."""
    return "".join(
        c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in message
    )


def error_line(message: str, stream: TextIO) -> str:
    """The line an error prints on `stream`: an emoji, the message, red on a terminal."""
    text = f"{emoji('❌ ')}{_one_line(message)}"
    try:
        is_terminal = stream.isatty()
    except ValueError:  # closed
        is_terminal = False
    if current().colour(is_terminal):
        text = f"\033[31m{text}\033[0m"
    return text


class Transfer(Protocol):
    """What a transfer reports (gto.remote.transport.Transfer)."""

    @property
    def url(self) -> str: ...

    @property
    def text(self) -> str | None: ...


class ProgressLine:
    """Transfer progress on one line of `stream`: only on a terminal, and only once a
    transfer takes a while; the line is ended when the transfer is."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream if stream.isatty() else None
        self._start: float | None = None
        self._shown = False

    def __call__(self, transfer: Transfer) -> None:
        if self._stream is None:
            return
        if transfer.text is None:  # the transfer is over
            if self._shown:
                self._stream.write("\n")
                self._stream.flush()
            self._start, self._shown = None, False
            return
        if self._start is None:
            self._start = time.monotonic()
        if time.monotonic() - self._start < PROGRESS_DELAY:
            return
        self._stream.write(f"\r\033[KFetching {transfer.url}: {terminal_safe(transfer.text)}")
        self._stream.flush()
        self._shown = True
