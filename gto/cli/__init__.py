"""gto's command line: `main(argv) -> int` parses, calls gto.api, and prints.

`main` (the `gto` entry point) and the parser in gto.cli.app; the options every command shares in
`options`; the commands in `read`, `write`, `annotate`, `diff`, `tools`, `completion` (with
`complete`, the candidates at the cursor, and `completion_scripts`); CI files in `ci`.
The CLI imports gto.api, gto.render and gto.exceptions, nothing else of gto.
"""

from __future__ import annotations

from gto.cli.app import main

__all__ = ["main"]
