"""Credentials for a server, and the one redactor every message goes through."""

from __future__ import annotations

from pathlib import Path

from gto.remote.credentials import Credentials, redact


def test_redact_removes_userinfo_and_secrets() -> None:
    assert redact("at https://bob:t0ken@h/r and ssh://git@h/r") == "at https://h/r and ssh://h/r"
    assert redact("the server said t0ken", ["t0ken", ""]) == "the server said ***"


def test_credentials_in_the_url_win(tmp_path: Path) -> None:
    found = Credentials.find("https://bob:pw@example.com/r", {"HOME": str(tmp_path)})
    assert (found.user, found.password) == ("bob", "pw")
    assert found.shown == "https://example.com/r"
    assert found.transport_url == "https://bob:pw@example.com/r"
    assert found.redact("failed: pw") == "failed: ***"


def test_git_credentials_store_then_netrc(tmp_path: Path) -> None:
    home = {"HOME": str(tmp_path)}
    (tmp_path / ".netrc").write_text("machine example.com login nina password n3t\n")
    from_netrc = Credentials.find("https://example.com/r", home)
    assert (from_netrc.user, from_netrc.password) == ("nina", "n3t")
    (tmp_path / ".git-credentials").write_text(
        "https://other.org\nhttp://sam:wrong@example.com\nhttps://sam:p%40ss@example.com\n"
    )
    stored = Credentials.find("https://example.com/r", home)
    assert (stored.user, stored.password) == ("sam", "p%40ss")  # as stored, still quoted
    assert stored.transport_url == "https://sam:p%2540ss@example.com/r"
    assert stored.secrets == ["p%40ss"]


def test_a_token_as_the_user_name_is_a_secret(tmp_path: Path) -> None:
    found = Credentials.find("https://ghp_abc@example.com/r", {"HOME": str(tmp_path)})
    assert set(found.secrets) == {"ghp_abc"}
    assert found.redact("denied for ghp_abc") == "denied for ***"


def test_no_credentials_for_other_schemes(tmp_path: Path) -> None:
    (tmp_path / ".netrc").write_text("machine example.com login nina password n3t\n")
    found = Credentials.find("ssh://example.com/r", {"HOME": str(tmp_path)})
    assert (found.user, found.password) == (None, None)
    assert found.transport_url == "ssh://example.com/r"


def test_a_user_name_alone_is_no_secret_to_cut_out_of_words(tmp_path: Path) -> None:
    """`ssh://u@host`: the user name was cut out of every word (`***nexpectedly`)."""
    home = {"HOME": str(tmp_path)}
    for url in ("ssh://u@example.com/r", "git+ssh://deploy@example.com/r", "git://u@h/r"):
        found = Credentials.find(url, home)
        assert found.secrets == []
        text = f"deployment at {url}: the remote server unexpectedly closed the connection"
        assert found.redact(text) == text.replace(found.url, found.shown)
    # Whatever holds a secret is still cut out anywhere.
    found = Credentials.find("ssh://u:pw@example.com/r", home)
    assert found.secrets == ["pw", "u:pw"]
    assert found.redact("u:pw@x said pw; unexpectedly") == "***@x said ***; unexpectedly"
    token = Credentials.find("https://ghp_abc@example.com/r", home)
    assert token.redact("ghp_abc, unexpectedly") == "***, unexpectedly"
