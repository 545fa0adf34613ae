"""The git adapter: the only code that reads or writes a repository, and the only dulwich user.

Split along dulwich's own seams, from bytes up: `objects` (parsing and building tag,
commit and tree objects), `pack` (pack files and their indexes), `store` (loose objects,
packs, alternates, and the hook that asks a remote for what is missing), `refs` and
`refs_files` (the one ref-name rule; loose refs and packed-refs), `discover` (finding
the repository), `revparse` (`HEAD~2`, short ids), `config` and `identity` (who writes,
and when), `files` (writes whole or not at all), `write` and `worktree` (a tag, a
commit, the index), `transaction` (applying a write plan), `client`, `mirror` and
`push` (talking to servers), `errors` (where dulwich's and the OS's errors become
GTOExceptions) and `repo`, the small facade the rest of gto uses.

Nothing is imported here: `gto --help` must not pay for dulwich.
"""
