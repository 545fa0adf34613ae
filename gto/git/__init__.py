"""The git adapter: the only code that reads or writes a repository, and the only dulwich user.

Split along dulwich's own seams, from bytes up: `objects` (parsing and building tag, commit
and tree objects, in either object format), `signature` (where git cuts a signed tag
object), `pack` (pack files, their indexes and deltas), `store` (loose objects, packs,
alternates, and the hook that asks a remote for what is missing), `refs`, `refs_files` and
`refs_reftable` (the one ref-name rule; loose refs and packed-refs; reftable stacks, kept by
`reftable_format`, `reftable_encode`, `reftable_stack` and `reftable_update`), `repoformat`
and `discover` (the repository's format, and finding the repository), `revparse` (`HEAD~2`,
short ids), `config` and `identity` (who writes, and when), `files` (writes whole or not at
all), `write` and `worktree` (a tag, a commit, the index), `transaction` (applying a write
plan), `client`, `mirror`, `push` and `push_local` (talking to servers, and to repositories
on this machine), `errors` (where dulwich's and the OS's errors become GTOExceptions) and
`repo`, the small facade the rest of gto uses.

Nothing is imported here: `gto --help` must not pay for dulwich.
"""
