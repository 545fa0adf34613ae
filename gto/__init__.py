"""gto: Git Tag Ops, an artifact registry in a Git repository, read and written without git."""

__version__ = "0.1.0"
