"""``python -m gto``."""

from gto.cli import main

raise SystemExit(main())
