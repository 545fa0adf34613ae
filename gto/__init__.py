"""gto: Git Tag Ops, an artifact registry in a Git repository, read and written without git."""

# Above upstream GTO's last release (1.10.1) and below 2: DVC requires gto>=1.6.0,<2, and
# `pip install -U` must not swap upstream back in (README, "Using gto with DVC").
__version__ = "1.11.0"
