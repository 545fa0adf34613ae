"""The whole content of a folder as one comparable value, for "nothing changed" checks."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def snapshot(path: Path) -> dict[str, str]:
    """Every file under `path` (the work tree and .git: refs, packed-refs, HEAD, objects,
    packs, lock files) -> sha256 of its content; folders map to "dir"."""
    result: dict[str, str] = {}
    for root, dirs, files in os.walk(path):
        for name in dirs:
            result[os.path.relpath(os.path.join(root, name), path)] = "dir"
        for name in files:
            file = os.path.join(root, name)
            with open(file, "rb") as f:
                result[os.path.relpath(file, path)] = hashlib.sha256(f.read()).hexdigest()
    return result
