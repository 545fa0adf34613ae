"""The allowed signers file and revocation list, checked line by line against ssh-keygen itself.

Each differential case writes one file and asks both ssh-keygen (`-Y find-principals`, then
`-Y verify -I PRINCIPAL`, at a verify time as git passes it) and gto the same questions.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from signers import EPOCH, SSH_KEYGEN, KeyPair, run_tool, ssh_sign

from gto.exceptions import TrustFileError
from gto.trust.allowed_signers import (
    AllowedSigner,
    LineProblem,
    authorize,
    find_principals,
    match_pattern,
    match_pattern_list,
    parse_allowed_signers,
    parse_revoked_keys,
    parse_ssh_time,
)
from gto.trust.sshkeys import PublicKey, parse_public_key

# Lines with K (the signing key) and O (another key); each case is one allowed signers file.
CASES = {
    "plain": ["alice@example.com K"],
    "several": ["a@x,b@y,*@z K"],
    "empty-item": ["a@x,,b@y K"],
    "other-key-first": ["a@x O", "b@x K"],
    "cert-authority": ["a@x cert-authority K", "b@x K"],
    "cert-authority-case": ["a@x Cert-Authority K"],
    "namespace-excluded": ['a@x namespaces="file" K', "b@x K"],
    "namespace-pattern": ['a@x namespaces="file,g*" K'],
    "namespace-negated-then-plain": ['a@x namespaces="*,!git" K', "a@x K"],
    "expired-then-other": ['a@x valid-before="20240305" K', "b@x K"],
    "valid-before-boundary": ['a@x valid-before="20240305082030" K'],
    "valid-before-utc": ['a@x valid-before="20240305082029Z" K'],
    "valid-before-minutes": ['a@x valid-before="202403050820UTC" K'],
    "not-yet-valid": ['a@x valid-after="20240305082031" K'],
    "window": ['a@x valid-after="20240301",valid-before="20240310" K'],
    "option-case": ['a@x VALID-AFTER="20240306" K', "b@x K"],
    "quoted-principal": ['"a b" K'],
    "bad-line-first": ["bad line", "a@x K"],
    "unknown-option": ['a@x foo="x" K', "b@x K"],
    "unquoted-time": ["a@x valid-before=20240305 K", "b@x K"],
    "comments": ["  # comment", "", "a@x K trailing comment"],
    "window-reversed": ['a@x valid-before="20240306",valid-after="20240307" K', "b@x K"],
    "negated-principal": ["a@x,!b@x K"],
    "tab": ["a@x\tK"],
    "ca-after-namespace": ['a@x namespaces="git",cert-authority K', "b@x K"],
    "comma-option": ["a@x ,b@x K", "c@x K"],
    "escaped-quote": ['a@x namespaces="g\\"it,git" K'],
}
PRINCIPALS = ["a@x", "b@x", "b@y", "q@z", "c@x", "alice@example.com", "a b", "!b@x"]


def _write(path: Path, lines: list[str], keys: dict[str, KeyPair]) -> str:
    text = "\n".join(lines) + "\n"
    for marker, name in (("K", "ed25519"), ("O", "other")):
        for blank in (" ", "\t"):
            text = text.replace(blank + marker, blank + keys[name].public_line)
    path.write_text(text)
    return text


def _keygen_time(when: int, zone: timezone | ZoneInfo) -> str:
    """-Overify-time as git passes it: the tagger time in the verifier's local time."""
    return "-Overify-time=" + datetime.fromtimestamp(when, zone).strftime("%Y%m%d%H%M%S")


@pytest.mark.parametrize("zone_name", ["UTC", "America/New_York"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_same_answers_as_ssh_keygen(
    keys: dict[str, KeyPair],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    zone_name: str,
) -> None:
    assert SSH_KEYGEN is not None
    monkeypatch.setenv("TZ", zone_name)
    zone = ZoneInfo(zone_name)
    allowed = tmp_path / "allowed"
    signers = parse_allowed_signers(_write(allowed, CASES[case], keys), local_timezone=zone)
    message = b"payload\n"
    sig_file = tmp_path / "payload.sig"
    sig_file.write_bytes(ssh_sign(keys["ed25519"], message))
    key = parse_public_key(keys["ed25519"].public.read_text())
    at = _keygen_time(EPOCH, zone)

    code, out = run_tool(
        SSH_KEYGEN, "-Y", "find-principals", "-f", str(allowed), "-s", str(sig_file), at
    )
    theirs = tuple(line for line in out.splitlines() if code == 0 and ":" not in line)
    assert find_principals(signers, key, EPOCH) == theirs
    for principal in PRINCIPALS:
        code, out = run_tool(
            SSH_KEYGEN, "-Y", "verify", "-n", "git", "-f", str(allowed), "-I", principal,
            "-s", str(sig_file), at, stdin=message,
        )  # fmt: skip
        assert (authorize(signers, principal, key, "git", EPOCH) is None) == (code == 0), out


def test_parsed_entries(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    text = _write(
        tmp_path / "allowed",
        [
            "# team",
            'alice@example.com,*@ci.example.com namespaces="git,file",valid-after="20240101Z" K me',
            'bob cert-authority,valid-before="20250101000000Z" O',
        ],
        keys,
    )
    signers = parse_allowed_signers(text)
    ed25519 = parse_public_key(keys["ed25519"].public_line)
    other = parse_public_key(keys["other"].public_line)
    assert signers.entries == (
        AllowedSigner(2, "alice@example.com,*@ci.example.com", ed25519, False, "git,file",
                      1704067200, None),
        AllowedSigner(3, "bob", other, True, None, None, 1735689600),
    )  # fmt: skip
    assert signers.entries[0].key.comment == "me"
    assert signers.entries[0].principal_names == ("alice@example.com", "*@ci.example.com")
    assert signers.problems == ()


def test_problems_name_the_line(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    lines = [
        "bad line",
        'a@x foo="x" K',
        "a@x valid-before=20240305 K",
        'a@x valid-before="2024030" K',
        'a@x valid-after="20240101",valid-after="20240102" K',
        'a@x namespaces="git",namespaces="file" K',
        'a@x valid-before="20240101",valid-after="20240102" K',
        'a@x namespaces="git K',
        "a@x namespaces=",
        "a@x ssh-ed25519 AAAA",
        '"a@x K',
        "a@x K",
        'a@x namespaces="git", K',
    ]
    signers = parse_allowed_signers(_write(tmp_path / "allowed", lines, keys))
    assert [entry.line for entry in signers.entries] == [12]
    assert signers.problems == (
        LineProblem(1, "missing key"),
        LineProblem(2, "bad options: unknown key option"),
        LineProblem(3, "bad options: missing start quote"),
        LineProblem(4, 'bad options: invalid "valid-before" time'),
        LineProblem(5, 'bad options: multiple "valid-after" clauses'),
        LineProblem(6, 'bad options: multiple "namespaces" clauses'),
        LineProblem(7, 'bad options: "valid-before" time is before "valid-after"'),
        LineProblem(8, "invalid options"),
        LineProblem(9, "missing key"),
        LineProblem(10, "invalid key: malformed public key: key type is cut short"),
        LineProblem(11, "invalid line"),
        LineProblem(13, "bad options: unexpected end-of-options"),
    )


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("alice@example.com", "alice@example.com", True),
        ("alice@example.com", "*@example.com", True),
        ("alice@example.com", "*", True),
        ("alice@example.com", "a?ice@*.com", True),
        ("alice@example.com", "*@example", False),
        ("alice@example.com", "ALICE@example.com", False),
        ("", "", True),
        ("", "*", True),
        ("a", "", False),
        ("abc", "a*c*", True),
        ("ab", "a*b*c", False),
        ("a[b]", "a[b]", True),
        ("ab", "a[b]", False),
    ],
)
def test_match_pattern(text: str, pattern: str, expected: bool) -> None:
    assert match_pattern(text, pattern) is expected


@pytest.mark.parametrize(
    ("text", "patterns", "expected"),
    [
        ("git", "git", 1),
        ("git", "file,g*", 1),
        ("git", "file", 0),
        ("git", "", 0),
        ("git", "*,!git", -1),
        ("git", "!file", 0),
        ("git", "!file,git", 1),
    ],
)
def test_match_pattern_list(text: str, patterns: str, expected: int) -> None:
    assert match_pattern_list(text, patterns) == expected


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("20240305", timezone.utc, 1709596800),
        ("20240305Z", None, 1709596800),
        ("20240305z", None, 1709596800),
        ("202403050820UTC", None, 1709626800),
        ("20240305082030", timezone.utc, 1709626830),
        ("20240305082030", ZoneInfo("Europe/Berlin"), 1709623230),
        ("20240705082030", ZoneInfo("Europe/Berlin"), 1720160430),  # summer time
    ],
)
def test_parse_ssh_time(text: str, zone: timezone | None, expected: int) -> None:
    assert parse_ssh_time(text, zone) == expected


@pytest.mark.parametrize(
    "text", ["", "2024030", "2024030508", "20241305", "20240230", "2024-03-05", "19700101Z", "Z"]
)
def test_parse_ssh_time_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=f"^invalid time '{text}'$"):
        parse_ssh_time(text, timezone.utc)


def test_revoked_keys(keys: dict[str, KeyPair]) -> None:
    data = f"# revoked\n\n  {keys['rsa'].public.read_text()}{keys['other'].public_line}\n"
    assert parse_revoked_keys(data.encode(), "revoked") == frozenset(
        {
            parse_public_key(keys["rsa"].public.read_text()),
            parse_public_key(keys["other"].public_line),
        }
    )
    assert parse_revoked_keys(b"", "revoked") == frozenset()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(
            b"SSHKRL\n\x00\x00\x00\x00\x01",
            "Revocation file 'rev' is a binary KRL, which gto does not read; "
            "list the revoked public keys one per line instead",
            id="krl",
        ),
        pytest.param(b"\xff\xfe", "Revocation file 'rev' is not text", id="binary"),
        pytest.param(
            b"# ok\ngarbage\n",
            "Revocation file 'rev' line 2: not an OpenSSH public key: 'garbage'",
            id="garbage",
        ),
        pytest.param(
            b"cert-authority ssh-ed25519 AAAA\n",
            "Revocation file 'rev' line 1: not an OpenSSH public key: "
            "'cert-authority ssh-ed25519 AAAA'",
            id="options",
        ),
    ],
)
def test_revoked_keys_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(TrustFileError) as caught:
        parse_revoked_keys(data, "rev")
    assert str(caught.value) == message


def test_revoked_key_refused_by_ssh_keygen_too(keys: dict[str, KeyPair], tmp_path: Path) -> None:
    """The reference: ssh-keygen refuses a signature by a key its revocation list names."""
    assert SSH_KEYGEN is not None
    (tmp_path / "allowed").write_text(f"a@x {keys['ed25519'].public_line}\n")
    (tmp_path / "revoked").write_text(keys["ed25519"].public.read_text())
    (tmp_path / "sig").write_bytes(ssh_sign(keys["ed25519"], b"m\n"))
    code, _ = run_tool(
        SSH_KEYGEN, "-Y", "verify", "-n", "git", "-f", str(tmp_path / "allowed"), "-I", "a@x",
        "-s", str(tmp_path / "sig"), "-r", str(tmp_path / "revoked"), stdin=b"m\n",
    )  # fmt: skip
    assert code != 0
    revoked = parse_revoked_keys((tmp_path / "revoked").read_bytes(), "revoked")
    assert parse_public_key(keys["ed25519"].public_line) in revoked


def test_public_key_type_is_frozen() -> None:
    key = parse_public_key(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGKEYJQAJbDg+mVBzRefooTkDjPYsV3TcKRe6xfjSaZ6"
    )
    assert isinstance(key, PublicKey)
    assert hash(key) == hash(parse_public_key(key.openssh() + " comment"))
