"""The writing commands through `gto.cli.main`: exact stdout, stderr and exit codes.

Messages are upstream's printed wording (behaviour reference, sections 4.1-4.4 and 8).
Identity and clock come from GIT_COMMITTER_*, so every line is exact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from builders import (
    EPOCH,
    build_registry,
    init_repo,
    make_lightweight_tag,
    make_tag,
    refs,
    tag_names,
)
from dulwich.objects import Tag
from dulwich.refs import Ref
from dulwich.repo import Repo
from servers import become_origin, dulwich_http_server

from gto.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def built(tmp_path: Path, clock: Callable[[int], None]) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "repo"
    repo = build_registry(
        path,
        [
            ("commit", "c1", {"models/m.pkl": "m"}, 0),
            ("commit", "c2", {"b.txt": "b"}, 10),
            ("commit", "c3", {"c.txt": "c"}, 20),
        ],
    )
    repo.close()
    return path, repo.commits


def hint(tag: str) -> str:
    return f"To push the changes upstream, run:\n    git push origin {tag}\n"


def delete_hint(tag: str) -> str:
    return f"To push the changes upstream, run:\n    git push --delete origin {tag}\n"


# Success messages


def test_register(run: Run, path: Path, commits: dict[str, str]) -> None:
    assert run("register", "m") == (
        0,
        "Created git tag 'm@v0.0.1' that registers version\n" + hint("m@v0.0.1"),
        "",
    )
    assert run("register", "m", "HEAD~1", "--bump-minor") == (
        0,
        "Created git tag 'm@v0.1.0' that registers version\n" + hint("m@v0.1.0"),
        "",
    )
    assert run("register", "m", commits["c1"][:8], "--ver", "v2.0.0-rc.1", "--simple", "false") == (
        0,
        "Created git tag 'm@v2.0.0-rc.1#1' that registers version\n" + hint("'m@v2.0.0-rc.1#1'"),
        "",
    )
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/m@v0.1.0")]]
    assert isinstance(tag, Tag)
    assert tag.object[1].decode() == commits["c2"]
    assert tag.tagger == b"Tess Tagger <tess@example.com>"
    assert (tag.tag_time, tag.tag_timezone) == (EPOCH + 1000, 0)
    assert tag.message == b"Registering artifact m version v0.1.0"


def test_register_message_option(run: Run, path: Path) -> None:
    assert run("register", "m", "-m", "my message")[0] == 0
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/m@v0.0.1")]]
    assert isinstance(tag, Tag) and tag.message == b"my message"


def test_register_from_a_subfolder(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["register", "m", "-r", str(path / "models")]) == 0
    assert capsys.readouterr().out.startswith("Created git tag 'm@v0.0.1'")
    assert tag_names(path) == ["m@v0.0.1"]


@pytest.mark.parametrize("command", ["assign", "promote"])
def test_assign_with_auto_registration(run: Run, command: str) -> None:
    assert run(command, "m", "HEAD", "--stage", "prod", "--version", "v1.0.0") == (
        0,
        "Created git tag 'm@v1.0.0' that registers version\n"
        + hint("m@v1.0.0")
        + "Created git tag 'm#prod#1' that assigns stage to version 'v1.0.0'\n"
        + hint("'m#prod#1'"),
        "",
    )


def test_assign_forms(run: Run, clock: Callable[[int], None], commits: dict[str, str]) -> None:
    run("register", "m", "HEAD~2")
    assert run("assign", "m", "--version", "v0.0.1", "--stage", "dev") == (
        0,
        "Created git tag 'm#dev#1' that assigns stage to version 'v0.0.1'\n" + hint("'m#dev#1'"),
        "",
    )
    assert run("assign", "m", "HEAD~1", "--stage", "dev", "--sr") == (
        0,
        f"Created git tag 'm#dev#2' that assigns stage to version '{commits['c2']}'\n"
        + hint("'m#dev#2'"),
        "",
    )
    assert run("assign", "m", "--stage", "prod", "--simple", "true") == (
        0,
        "Created git tag 'm@v0.0.2' that registers version\n"
        + hint("m@v0.0.2")
        + "Created git tag 'm#prod' that assigns stage to version 'v0.0.2'\n"
        + hint("'m#prod'"),
        "",
    )
    clock(1001)
    assert run("promote", "m", "--ver", "v0.0.1", "--stage", "dev", "--force") == (
        0,
        "Created git tag 'm#dev#3' that assigns stage to version 'v0.0.1'\n" + hint("'m#dev#3'"),
        "",
    )


@pytest.fixture
def staged(run: Run, clock: Callable[[int], None]) -> Run:
    """m@v0.0.1 (c1) in prod; m@v0.0.2 (c2); other@v0.0.1 (c3)."""
    run("register", "m", "HEAD~2")
    run("register", "m", "HEAD~1")
    run("register", "other")
    clock(1010)
    run("assign", "m", "--version", "v0.0.1", "--stage", "prod")  # m#prod#1
    clock(1020)
    return run


def test_deprecate_three_forms(staged: Run, clock: Callable[[int], None]) -> None:
    assert staged("deprecate", "m", "v0.0.1", "prod") == (
        0,
        "Created git tag 'm#prod!#2' that unassigns stage from version 'v0.0.1'\n"
        + hint("'m#prod!#2'"),
        "",
    )
    assert staged("deprecate", "m", "v0.0.2") == (
        0,
        "Created git tag 'm@v0.0.2!' that deregisters version\n" + hint("'m@v0.0.2!'"),
        "",
    )
    clock(1030)
    assert staged("deprecate", "m") == (
        0,
        "Created git tag 'm@deprecated' that deprecates artifact\n" + hint("m@deprecated"),
        "",
    )
    assert staged("deprecate", "m", "--force") == (
        0,
        "Created git tag 'm@deprecated#3' that deprecates artifact\n" + hint("'m@deprecated#3'"),
        "",
    )


def test_deprecate_delete_forms(staged: Run, clock: Callable[[int], None], path: Path) -> None:
    staged("deprecate", "m", "v0.0.1", "prod")  # m#prod!#2 at 1020
    clock(1030)
    assert staged("deprecate", "m", "v0.0.1", "prod", "--delete") == (
        0,
        "Deleted git tag 'm#prod#1'\n"
        + delete_hint("'m#prod#1'")
        + "Deleted git tag 'm#prod!#2'\n"
        + delete_hint("'m#prod!#2'"),
        "",
    )
    assert staged("deprecate", "m", "v0.0.1", "-d") == (
        0,
        "Deleted git tag 'm@v0.0.1'\n" + delete_hint("m@v0.0.1"),
        "",
    )
    assert tag_names(path) == ["m@v0.0.2", "other@v0.0.1"]
    # The counter starts again: the tags that carried #1 and #2 are gone.
    staged("deprecate", "m", "--simple", "false")
    assert staged("deprecate", "m", "--delete", "--force") == (
        0,
        "Deleted git tag 'm@v0.0.2'\n"
        + delete_hint("m@v0.0.2")
        + "Deleted git tag 'm@deprecated#1'\n"
        + delete_hint("'m@deprecated#1'"),
        "",
    )
    assert tag_names(path) == ["other@v0.0.1"]


def test_deprecate_at_a_ref(staged: Run, path: Path, commits: dict[str, str]) -> None:
    assert staged("deprecate", "other", "--ref", "HEAD~2")[0] == 0
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/other@deprecated")]]
    assert isinstance(tag, Tag)
    assert tag.object[1].decode() == commits["c1"]
    assert tag.message == b"Deprecating artifact 'other'"


# Reading back through show and history


def test_show_and_history_after_writes(
    run: Run, clock: Callable[[int], None], commits: dict[str, str]
) -> None:
    c1, c2, c3 = commits["c1"], commits["c2"], commits["c3"]
    run("register", "m", "HEAD~2")  # 1000
    clock(1100)
    run("promote", "m", "HEAD~1", "--stage", "dev", "--version", "v1.0.0")
    clock(1200)
    run("assign", "m", "--version", "v0.0.1", "--stage", "prod")
    clock(1300)
    run("assign", "m", "HEAD", "--stage", "qa", "--sr")
    clock(1400)
    run("deprecate", "m", "v0.0.1", "prod")
    clock(1500)
    run("deprecate", "m", "v1.0.0")

    assert run("show", "--plain") == (
        0,
        # dev is held by a deregistered version only, so it is not in use.
        "name    latest    #qa\nm       v0.0.1    " + c3[:7] + "\n",
        "",
    )
    code, out, _ = run("show", "m", "-d", "--plain")
    assert (code, out) == (
        0,
        "artifact    version    stage    created_at                 ref\n"
        "m           v1.0.0              2022-08-08 23:25:00+00:00  m@v1.0.0\n"
        "m           v0.0.1              2022-08-08 23:23:20+00:00  m@v0.0.1\n"
        f"m           {c3[:7]}    qa       2022-08-08 23:28:20+00:00  m#qa#3\n",
    )
    code, out, _ = run("history", "m", "--plain")
    assert (code, out) == (
        0,
        "timestamp                  artifact    event           version    stage    commit"
        "    ref\n"
        f"2022-08-08 23:31:40+00:00  m           deregistration  v1.0.0     -        {c2[:7]}"
        "   m@v1.0.0!\n"
        f"2022-08-08 23:30:00+00:00  m           unassignment    v0.0.1     prod     {c1[:7]}"
        "   m#prod!#4\n"
        f"2022-08-08 23:28:20+00:00  m           assignment      {c3[:7]}    qa       {c3[:7]}"
        "   m#qa#3\n"
        f"2022-08-08 23:26:40+00:00  m           assignment      v0.0.1     prod     {c1[:7]}"
        "   m#prod#2\n"
        f"2022-08-08 23:25:00+00:00  m           assignment      v1.0.0     dev      {c2[:7]}"
        "   m#dev#1\n"
        f"2022-08-08 23:25:00+00:00  m           registration    v1.0.0     -        {c2[:7]}"
        "   m@v1.0.0\n"
        f"2022-08-08 23:23:20+00:00  m           registration    v0.0.1     -        {c1[:7]}"
        "   m@v0.0.1\n"
        f"2022-08-08 23:07:00+00:00  m           commit          {c3[:7]}    -        {c3[:7]}"
        f"   {c3[:7]}\n"
        f"2022-08-08 23:06:50+00:00  m           commit          v1.0.0     -        {c2[:7]}"
        f"   {c2[:7]}\n"
        f"2022-08-08 23:06:40+00:00  m           commit          v0.0.1     -        {c1[:7]}"
        f"   {c1[:7]}\n",
    )
    code, out, _ = run("history", "m", "--json")
    first = json.loads(out)[0]
    assert first == {
        "timestamp": "2022-08-08T23:31:40+00:00",
        "artifact": "m",
        "event": "deregistration",
        "priority": 4,
        "version": "v1.0.0",
        "stage": None,
        "commit": c2,
        "author": "Tess Tagger",
        "author_email": "tess@example.com",
        "message": "Deregistering artifact m version v1.0.0",
        "ref": "m@v1.0.0!",
    }
    assert run("check-ref", "m#prod!#4") == (
        0,
        '✅  Stage "prod" was unassigned from version "v0.0.1" of artifact "m"\n',
        "",
    )


# Errors: one line on stderr, exit 1, nothing written


def _fails(run: Run, path: Path, args: tuple[str, ...], message: str) -> None:
    before = refs(path)
    assert run(*args) == (1, "", f"❌ {message}\n")
    assert refs(path) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("register", "m", "nope"), "Ref 'nope' was not found in the repository history"),
        (("register", "m", "--version", "v0.0.1"), "Version 'v0.0.1' already was registered."),
        (
            ("register", "m", "HEAD~2"),
            "'m' is already registered in this commit with version 'v0.0.1'",
        ),
        (("register", "m", "--version", "1.0"), "Supplied version '1.0' cannot be parsed"),
        (
            ("register", "m", "--version", "v2.0.0", "--bump-major"),
            "Need to specify either version or single bump argument",
        ),
        (
            ("register", "a model"),
            "Invalid value 'a model'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (
            ("assign", "m", "--version", "v0.0.1", "--stage", "prod"),
            "Version 'v0.0.1' is already in stage 'prod'. "
            "Use the '--force' flag to create a new Git tag nevertheless.",
        ),
        (
            ("assign", "m", "--version", "v0.0.7", "--stage", "prod"),
            "Version 'v0.0.7' is not registered",
        ),
        (
            ("assign", "m", "--version", "latest", "--stage", "prod"),
            "Version 'latest' is not valid. Example of valid version: 'v1.0.0'",
        ),
        (
            ("assign", "m", "HEAD~9", "--stage", "prod"),
            "Ref 'HEAD~9' was not found in the repository history",
        ),
        (
            ("assign", "m", "HEAD", "--stage", "prod", "--version", "v5.0.0", "--sr"),
            "You either need to supply version name or skip registration",
        ),
        (
            ("assign", "m", "HEAD", "--stage", "prod#1"),
            "Invalid value 'prod#1'. Only letters, numbers, '_', '-', '/' are allowed. "
            "Value must start and end with a letter or a number.",
        ),
        (("deprecate", "m", "v0.0.1", "dev"), "Stage 'dev' is not assigned to a version 'v0.0.1'"),
        (
            ("deprecate", "m", "v1.2", "dev"),
            "Version 'v1.2' is not valid. Example of valid version: 'v1.0.0'",
        ),
        (("deprecate", "nobody"), "Cannot find artifact 'nobody'"),
        (("deprecate", "m", "--force", "--simple", "true"), "Can't use 'force' with 'simple=True'"),
        (
            ("deprecate", "m", "v0.0.1", "prod", "--delete", "--push"),
            "No remote 'origin' configured: add it with `git remote add origin URL` "
            "(or set remote.origin.url in .git/config)",
        ),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, tuple) else "",
)
def test_errors(staged: Run, path: Path, args: tuple[str, ...], message: str) -> None:
    _fails(staged, path, args, message)


def test_error_without_emojis(run: Run, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTO_EMOJIS", "false")
    assert run("register", "m", "nope") == (
        1,
        "",
        "Ref 'nope' was not found in the repository history\n",
    )


def test_allowed_stages(run: Run, path: Path) -> None:
    (path / ".gto").write_text("stages: [dev, prod]\n")
    _fails(
        run, path, ("assign", "m", "HEAD", "--stage", "qa"), "Allowed stages are: '['dev', 'prod']'"
    )
    assert tag_names(path) == []
    assert run("assign", "m", "HEAD", "--stage", "dev")[0] == 0


def test_no_identity(run: Run, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GIT_COMMITTER_NAME")
    _fails(
        run,
        path,
        ("assign", "m", "HEAD", "--stage", "dev"),
        "Cannot find who is tagging: set GIT_COMMITTER_NAME and GIT_COMMITTER_EMAIL, "
        "or run `git config --global user.name NAME` and `git config --global user.email EMAIL`",
    )


def test_failed_assignment_takes_back_its_registration(run: Run, path: Path) -> None:
    with Repo(str(path)) as repo:
        make_lightweight_tag(repo, "m#prod", repo.head().decode())
    _fails(
        run,
        path,
        ("assign", "m", "--stage", "prod", "--simple", "true"),
        "tag 'm#prod' already exists",
    )


def test_empty_repo(tmp_path: Path, capsys: pytest.CaptureFixture[str], clock: object) -> None:
    init_repo(tmp_path / "empty").close()
    assert main(["register", "m", "-r", str(tmp_path / "empty")]) == 1
    assert capsys.readouterr() == (
        "",
        "❌ Ref 'HEAD' was not found: the repository has no commits yet; make a first commit\n",
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("register", "m", "--simple", "bogus"), "argument --simple: invalid choice: 'bogus'"),
        (("assign", "m", "HEAD"), "the following arguments are required: --stage"),
        (("register",), "the following arguments are required: NAME"),
        (("deprecate", "m", "v1.0.0", "prod", "extra"), "unrecognized arguments: extra"),
    ],
)
def test_usage_errors(
    path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], error: str
) -> None:
    before = refs(path)
    with pytest.raises(SystemExit) as exit_:
        main([*args, "-r", str(path)])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and error in err
    assert refs(path) == before


# --push


@pytest.fixture
def origin(path: Path, tmp_path: Path) -> Iterator[Path]:
    """A bare repository served over dulwich's HTTP server as origin, main pushed."""
    bare = tmp_path / "remote.git"
    init_repo(bare, bare=True).close()
    with dulwich_http_server(bare) as url:
        become_origin(path, url)
        yield bare


def remote_tags(bare: Path) -> list[str]:
    with Repo(str(bare)) as repo:
        return sorted(name.decode() for name in repo.refs.as_dict(Ref(b"refs/tags")))


@pytest.mark.server
def test_push_messages(run: Run, path: Path, origin: Path, clock: Callable[[int], None]) -> None:
    assert run("promote", "m", "--stage", "prod", "--push") == (
        0,
        "Created git tag 'm@v0.0.1' that registers version\n"
        "Running `git push origin m@v0.0.1`\n"
        "Successfully pushed git tag m@v0.0.1 on remote.\n"
        "Created git tag 'm#prod#1' that assigns stage to version 'v0.0.1'\n"
        "Running `git push origin m#prod#1`\n"
        "Successfully pushed git tag m#prod#1 on remote.\n",
        "",
    )
    assert remote_tags(origin) == ["m#prod#1", "m@v0.0.1"]
    clock(1001)
    assert run("deprecate", "m", "v0.0.1", "--delete", "--push") == (
        0,
        "Deleted git tag 'm@v0.0.1'\n"
        "Running `git push --delete origin m@v0.0.1`\n"
        "Successfully deleted git tag m@v0.0.1 on remote.\n"
        "Deleted git tag 'm#prod#1'\n"
        "Running `git push --delete origin m#prod#1`\n"
        "Successfully deleted git tag m#prod#1 on remote.\n",
        "",
    )
    assert remote_tags(origin) == []
    assert tag_names(path) == []


@pytest.mark.server
def test_rejected_push(run: Run, path: Path, origin: Path, commits: dict[str, str]) -> None:
    with Repo(str(origin)) as repo:
        make_tag(repo, "m@v0.0.1", commits["c1"])
    before = refs(path)
    code, out, err = run("register", "m", "--push")
    assert (code, out) == (1, "")
    assert err.startswith("❌ Push to http://127.0.0.1:")
    assert err.endswith(
        "/remote.git was refused: refs/tags/m@v0.0.1 already exists there with another target\n"
    )
    assert err.count("\n") == 1
    assert refs(path) == before


def test_positionals_after_options(staged: Run, path: Path, commits: dict[str, str]) -> None:
    """Upstream takes a command's positionals after its options: `register m --version
    v1.0.0 HEAD~1` was refused ('unrecognized arguments: HEAD~1')."""
    reads = [
        (("show", "--json", "m"), ("show", "m", "--json")),
        (("show", "--ref", "m#prod"), ("show", "m#prod", "--ref")),
        (("history", "--asc", "m"), ("history", "m", "--asc")),
        (("check-ref", "--json", "m#prod#1"), ("check-ref", "m#prod#1", "--json")),
        (("describe", "--path", "m"), ("describe", "m", "--path")),
    ]
    for late, early in reads:
        assert staged(*late) == staged(*early) and staged(*late)[0] == 0, late
    assert staged("register", "n", "--version", "v1.0.0", "HEAD~1") == (
        0,
        "Created git tag 'n@v1.0.0' that registers version\n" + hint("n@v1.0.0"),
        "",
    )
    assert staged("assign", "m", "--stage", "dev", "--version", "v0.0.2", "HEAD~1") == (
        0,
        "Created git tag 'm#dev#2' that assigns stage to version 'v0.0.2'\n" + hint("'m#dev#2'"),
        "",
    )
    assert staged("deprecate", "--delete", "m", "v0.0.2", "dev") == (
        0,
        "Deleted git tag 'm#dev#2'\n" + delete_hint("'m#dev#2'"),
        "",
    )
    assert staged("annotate", "--type", "dataset", "n") == (0, "Updated `artifacts.yaml`\n", "")
    assert staged("register", "--bump-minor", "m") == (
        0,
        "Created git tag 'm@v0.1.0' that registers version\n" + hint("m@v0.1.0"),
        "",
    )
    with Repo(str(path)) as repo:
        tag = repo[repo.refs[Ref(b"refs/tags/n@v1.0.0")]]
    assert isinstance(tag, Tag) and tag.object[1].decode() == commits["c2"]
