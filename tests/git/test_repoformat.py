"""The repository format, as git reads it from a config: what gto reads, writes, or refuses."""

from __future__ import annotations

import pytest

from gto.git.repoformat import RepoFormat, UnsupportedRepo, parse_config, repo_format


@pytest.mark.parametrize(
    ("text", "values"),
    [
        pytest.param("[core]\n\tbare = true\n", {"core.bare": ["true"]}, id="plain"),
        pytest.param("[Core]\n\tBare\n", {"core.bare": ["true"]}, id="names-any-case-key-alone"),
        pytest.param(
            '[remote "Origin"]\n\turl = "a b" ; note\n',
            {"remote.Origin.url": ["a b"]},
            id="subsection-quotes-comment",
        ),
        pytest.param("[a.B]\nk = v # c\n", {"a.b.k": ["v"]}, id="old-subsection-form"),
        pytest.param("[x]\nk = one \\\n two\n", {"x.k": ["one two"]}, id="continued"),
        pytest.param('[x]\nk = "t\\tq\\"\\\\"\n', {"x.k": ['t\tq"\\']}, id="escapes"),
        pytest.param("[x] k = 1\n", {"x.k": ["1"]}, id="key-after-header"),
        pytest.param("[x]\nk = 1\nk = 2\n", {"x.k": ["1", "2"]}, id="repeated"),
        pytest.param("# c\n; c\n\n[x]\n", {}, id="comments"),
    ],
)
def test_config_syntax(text: str, values: dict[str, list[str]]) -> None:
    assert parse_config(text) == values


@pytest.mark.parametrize(
    "text", ["[core\n", "k = v\n", '[x]\nk = "open\n', "[x]\nk = \\q\n", "[x]\n!k = 1\n"]
)
def test_configs_git_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="bad config line"):
        parse_config(text, "cfg")


def config(version: int, **extensions: str) -> dict[str, list[str]]:
    values = {"core.repositoryformatversion": [str(version)]}
    values.update({f"extensions.{k.lower()}": [v] for k, v in extensions.items()})
    return values


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({}, RepoFormat(), id="no-config"),
        pytest.param(config(0), RepoFormat(), id="v0"),
        pytest.param(config(0, someFutureThing="true"), RepoFormat(), id="v0-ignores-unknown"),
        pytest.param(
            config(0, worktreeConfig="true"), RepoFormat(worktree_config=True), id="v0-wt"
        ),
        pytest.param(config(1), RepoFormat(), id="v1"),
        pytest.param(config(1, objectFormat="sha256"), RepoFormat("sha256"), id="sha256"),
        pytest.param(config(1, objectFormat="SHA1"), RepoFormat(), id="sha1-any-case"),
        pytest.param(
            config(1, refStorage="reftable"), RepoFormat(ref_storage="reftable"), id="reftable"
        ),
        pytest.param(config(1, refStorage="files"), RepoFormat(), id="files"),
        pytest.param(
            config(1, partialClone="origin", preciousObjects="true", noop="x"),
            RepoFormat(),
            id="known-to-v0",
        ),
        pytest.param(
            config(1, **{"noop-v1": "x"}, relativeWorktrees="true"), RepoFormat(), id="v1"
        ),
        pytest.param(
            config(1, objectFormat="sha256", compatObjectFormat="sha1"),
            RepoFormat(
                "sha256",
                read_only=(
                    "extensions.compatObjectFormat = sha1 is not supported for writing: git "
                    "keeps a sha1 name for every new object, and gto cannot"
                ),
            ),
            id="compat-read-only",
        ),
    ],
)
def test_formats_gto_reads(values: dict[str, list[str]], expected: RepoFormat) -> None:
    assert repo_format(values, "r") == expected


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        pytest.param(config(2), "repository format version 2 is not supported", id="v2"),
        pytest.param(
            {"core.repositoryformatversion": ["one"]}, "= one is not a number", id="not-a-number"
        ),
        pytest.param(config(1, x="1"), "the extension extensions.x is not supported", id="unknown"),
        pytest.param(
            config(0, objectFormat="sha256"),
            "extensions.objectformat needs core.repositoryformatversion = 1",
            id="v1-only-in-v0",
        ),
        pytest.param(
            config(1, objectFormat="sha512"), "the object format sha512 is not", id="format"
        ),
        pytest.param(config(1, refStorage="x"), "the ref storage x is not", id="ref-store"),
    ],
)
def test_formats_gto_refuses(values: dict[str, list[str]], reason: str) -> None:
    with pytest.raises(UnsupportedRepo) as info:
        repo_format(values, "r")
    assert info.value.message.startswith("Cannot read the Git repo in 'r': ")
    assert reason in info.value.message
