"""Rows and values -> text. Nothing here reads a repository: the command line hands rows in.

`text`: tables, JSON and plain lines (the only importer of tabulate); `markdown`:
Markdown tables; `ci`: GitHub's and GitLab's CI files; `terminal`: emojis, colour,
one-line errors and transfer progress, as the environment asks for them.
"""
