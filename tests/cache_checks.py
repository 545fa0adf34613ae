"""Shared by the tag and object cache tests: the commands' outputs to compare with and
without a cache, and the ways a cache file can be damaged (each must be ignored and the
file rebuilt, never reported)."""

from __future__ import annotations

import os
import struct
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from gto.cli import main


def cache_files(home: Path, kind: str) -> list[Path]:
    """The cache files of `kind` ("tags", "objects") under XDG_CACHE_HOME `home`, temporary
    ones left out."""
    folder = home / "gto" / kind
    if not folder.exists():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def outputs(
    path: Path, capsys: pytest.CaptureFixture[str], commands: Sequence[Sequence[str]]
) -> list[tuple[int, str, str]]:
    """(exit code, stdout, stderr) of each command run on the repository at `path`."""
    found = []
    for command in commands:
        capsys.readouterr()
        code = main([*command, "-r", str(path)])
        out, err = capsys.readouterr()
        found.append((code, out, err))
    return found


def damage_flip(file: Path) -> None:
    """One bit of the file's last digit: it is still a digit, so the file still parses
    (text, JSON) and only its checksum tells."""
    data = bytearray(file.read_bytes())
    last = max(i for i, byte in enumerate(data) if byte in b"0123456789")
    data[last] ^= 0x01
    file.write_bytes(bytes(data))


def damage_version(file: Path) -> None:
    """The format version one past the file's own (both caches keep it after the 8-byte
    magic): a future gto's file, or an old one's."""
    data = bytearray(file.read_bytes())
    (version,) = struct.unpack_from("<I", data, 8)
    struct.pack_into("<I", data, 8, version + 1)
    file.write_bytes(bytes(data))


def damage_truncate(file: Path) -> None:
    file.write_bytes(file.read_bytes()[:-7])


def damage_foreign(file: Path) -> None:
    file.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(300))


def damage_empty(file: Path) -> None:
    file.write_bytes(b"")


def damage_folder(file: Path) -> None:
    file.unlink()
    file.mkdir()


def damage_symlink(file: Path) -> None:
    target = file.with_name("elsewhere")
    os.replace(file, target)
    file.symlink_to(target)


def damage_unreadable(file: Path) -> None:
    file.chmod(0)


FILE_DAMAGE = [
    damage_flip,
    damage_truncate,
    damage_foreign,
    damage_empty,
    damage_folder,
    damage_symlink,
    damage_unreadable,
]


def each_damage(*specific: Callable[[Path], None]) -> pytest.MarkDecorator:
    """Parametrize `damage` over every file damage and a cache's own `specific` ones."""
    root = getattr(os, "geteuid", lambda: -1)() == 0
    damages = [
        pytest.param(
            damage,
            id=damage.__name__[7:],
            marks=pytest.mark.skipif(
                damage is damage_unreadable and root, reason="root reads a file of mode 0"
            ),
        )
        for damage in [*FILE_DAMAGE, *specific]
    ]
    return pytest.mark.parametrize("damage", damages)
