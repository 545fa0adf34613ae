"""git's allowed signers file (gpg.ssh.allowedSignersFile) and revocation list, read as
ssh-keygen reads them.

A line is `principals [options] keytype base64key [comment]`. Principals are a comma-separated
list of patterns (`*` and `?` wildcards, `!` negation); options are `cert-authority`,
`namespaces="git,..."`, `valid-after="YYYYMMDD[HHMM[SS]][Z]"` and `valid-before=...`. A line
ssh-keygen cannot read is skipped, as ssh-keygen skips it, and reported in `problems`.

git asks `ssh-keygen -Y find-principals` for the principals of the signing key at the tagger
time (namespaces are not checked there), then `ssh-keygen -Y verify -I PRINCIPAL` for each in
turn (now the namespace must allow "git" too); the first that passes is the signer.
`find_principals` and `authorize` are those two steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo

from gto.exceptions import SignatureFormatError, TrustFileError
from gto.trust.sshkeys import KNOWN_KEY_TYPES, PublicKey, read_public_key

_SPACE = " \t\r\n"
_KRL_MAGIC = b"SSHKRL\n\x00"


@dataclass(frozen=True)
class AllowedSigner:
    """One usable line; times are seconds since the epoch, None when the option is absent."""

    line: int
    principals: str
    key: PublicKey
    cert_authority: bool = False
    namespaces: str | None = None
    valid_after: int | None = None
    valid_before: int | None = None

    @property
    def principal_names(self) -> tuple[str, ...]:
        """The principals as find-principals prints them: split at commas, up to an empty one."""
        names: list[str] = []
        for name in self.principals.split(","):
            if not name:
                break
            names.append(name)
        return tuple(names)


@dataclass(frozen=True)
class LineProblem:
    line: int
    reason: str


@dataclass(frozen=True)
class AllowedSigners:
    """A parsed allowed signers file: its usable lines, and the lines ssh-keygen would skip."""

    entries: tuple[AllowedSigner, ...]
    problems: tuple[LineProblem, ...] = ()


class _LineError(Exception):
    """Why ssh-keygen would skip a line (caught in this module only)."""


def match_pattern(text: str, pattern: str) -> bool:
    """OpenSSH's match_pattern: `*` is any run of characters, `?` one character.

    >>> match_pattern("alice@example.com", "*@example.com")
    True
    """
    # Classic two-pointer wildcard match with backtracking to the last `*`.
    t = p = 0
    star, mark = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]):
            t, p = t + 1, p + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark, p = p, t, p + 1
        elif star >= 0:
            mark += 1
            t, p = mark, star + 1
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def match_pattern_list(text: str, patterns: str) -> int:
    """OpenSSH's match_pattern_list: 1 on a positive match, -1 if a `!pattern` matches, else 0.

    >>> match_pattern_list("git", "file,g*"), match_pattern_list("git", "*,!git")
    (1, -1)
    """
    result = 0
    for item in patterns.split(","):
        negated = item.startswith("!")
        if match_pattern(text, item[1:] if negated else item):
            if negated:
                return -1
            result = 1
    return result


def parse_ssh_time(text: str, local_timezone: tzinfo | None = None) -> int:
    """`YYYYMMDD[HHMM[SS]]` with an optional `Z` or `UTC` for UTC, as ssh-keygen reads it.

    Without `Z` the time is local time, ssh-keygen's rule; `local_timezone` None means this
    machine's, as for ssh-keygen itself.

    >>> parse_ssh_time("20240305Z")
    1709596800

    Raises:
        ValueError: not such a time, or before 1970.
    """
    digits, zone = text, local_timezone
    for suffix in ("Z", "UTC"):
        if len(text) > len(suffix) and text.upper().endswith(suffix):
            digits, zone = text[: -len(suffix)], timezone.utc
            break
    if len(digits) not in (8, 12, 14) or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"invalid time '{text}'")
    month, day, hour, minute, second = [int(digits[i : i + 2] or 0) for i in range(4, 14, 2)]
    try:
        moment = datetime(int(digits[:4]), month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        raise ValueError(f"invalid time '{text}'") from None
    seconds = int(moment.timestamp())  # a naive moment is local time, like mktime()
    if seconds <= 0:
        raise ValueError(f"invalid time '{text}'")
    return seconds


def format_time(seconds: int) -> str:
    """A time in reasons and messages: ISO 8601 in UTC."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _take_principals(line: str) -> tuple[str, str]:
    """The first token (double quotes group words) and the rest, like OpenSSH's strdelimw."""
    token: list[str] = []
    i = 0
    while i < len(line) and line[i] not in _SPACE:
        if line[i] == '"':
            close = line.find('"', i + 1)
            if close < 0:
                raise _LineError("invalid line")
            token.append(line[i + 1 : close])
            i = close + 1
            break
        token.append(line[i])
        i += 1
    return "".join(token), line[i:].lstrip(_SPACE)


def _split_options(text: str) -> tuple[str, str]:
    """Options up to the first unquoted blank, and the rest (sshkey_advance_past_options)."""
    quoted, i = False, 0
    while i < len(text) and (quoted or text[i] not in " \t"):
        if text[i] == "\\" and text[i + 1 : i + 2] == '"':
            i += 1
        elif text[i] == '"':
            quoted = not quoted
        i += 1
    if quoted:
        raise _LineError("invalid options")
    return text[:i], text[i:].lstrip(" \t")


def _dequote(text: str, start: int) -> tuple[str, int]:
    """A double-quoted option value from `start`, and the index after it (opt_dequote)."""
    if text[start : start + 1] != '"':
        raise _LineError("bad options: missing start quote")
    value: list[str] = []
    i = start + 1
    while i < len(text) and text[i] != '"':
        if text[i] == "\\" and text[i + 1 : i + 2] == '"':
            i += 1
        value.append(text[i])
        i += 1
    if i >= len(text):
        raise _LineError("bad options: missing end quote")
    return "".join(value), i + 1


def _parse_options(
    text: str, local_timezone: tzinfo | None
) -> tuple[bool, str | None, int | None, int | None]:
    """(cert_authority, namespaces, valid_after, valid_before), as sshsigopt_parse reads them."""
    ca, namespaces = False, None
    times: dict[str, int] = {}
    i = 0
    while i < len(text):
        lowered = text[i:].lower()
        if lowered.startswith("cert-authority"):
            ca, i = True, i + len("cert-authority")
        elif lowered.startswith("namespaces="):
            if namespaces is not None:
                raise _LineError('bad options: multiple "namespaces" clauses')
            namespaces, i = _dequote(text, i + len("namespaces="))
        else:
            name = next(
                (n for n in ("valid-after", "valid-before") if lowered.startswith(n + "=")), None
            )
            if name is not None:
                if name in times:
                    raise _LineError(f'bad options: multiple "{name}" clauses')
                value, i = _dequote(text, i + len(name) + 1)
                try:
                    times[name] = parse_ssh_time(value, local_timezone)
                except ValueError:
                    raise _LineError(f'bad options: invalid "{name}" time') from None
        if i >= len(text) or text[i] in " \t":
            break
        if text[i] != ",":
            raise _LineError("bad options: unknown key option")
        i += 1
        if i >= len(text):
            raise _LineError("bad options: unexpected end-of-options")
    after, before = times.get("valid-after"), times.get("valid-before")
    if after is not None and before is not None and before <= after:
        raise _LineError('bad options: "valid-before" time is before "valid-after"')
    return ca, namespaces, after, before


def _parse_line(number: int, text: str, local_timezone: tzinfo | None) -> AllowedSigner:
    principals, rest = _take_principals(text)
    options = ""
    try:
        key, _ = read_public_key(rest)
    except SignatureFormatError as e:
        if rest.split(None, 1)[:1] and rest.split(None, 1)[0] in KNOWN_KEY_TYPES:
            raise _LineError(f"invalid key: {e}") from None  # a key, not options: say what is wrong
        options, rest = _split_options(rest)
        if not rest:
            raise _LineError("missing key") from None
        try:
            key, _ = read_public_key(rest)
        except SignatureFormatError as e:
            raise _LineError(f"invalid key: {e}") from None
    ca, namespaces, after, before = _parse_options(options, local_timezone)
    return AllowedSigner(number, principals, key, ca, namespaces, after, before)


def parse_allowed_signers(text: str, local_timezone: tzinfo | None = None) -> AllowedSigners:
    """Parse an allowed signers file; unreadable lines are skipped and listed in `problems`."""
    entries: list[AllowedSigner] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(_SPACE)
        if not stripped or stripped.startswith("#"):
            continue
        try:
            entries.append(_parse_line(number, stripped, local_timezone))
        except _LineError as e:
            problems.append(LineProblem(number, str(e)))
    return AllowedSigners(tuple(entries), tuple(problems))


def window_problem(entry: AllowedSigner, when: int) -> str | None:
    """Why the line's validity window excludes `when`, or None; both ends are inclusive."""
    if entry.valid_after is not None and when < entry.valid_after:
        return (
            f"not yet valid: signed at {format_time(when)}, "
            f"valid after {format_time(entry.valid_after)}"
        )
    if entry.valid_before is not None and when > entry.valid_before:
        return (
            f"expired: signed at {format_time(when)}, "
            f"valid before {format_time(entry.valid_before)}"
        )
    return None


def _same_key(entry: AllowedSigner, key: PublicKey) -> bool:
    # A cert-authority line vouches for certificates signed by its key, never for the key.
    return not entry.cert_authority and entry.key == key


def find_principals(signers: AllowedSigners, key: PublicKey, when: int) -> tuple[str, ...]:
    """The principals of the first line for this key valid at `when` (ssh-keygen's
    find-principals; the namespaces option is not looked at here, as there)."""
    for entry in signers.entries:
        if _same_key(entry, key) and window_problem(entry, when) is None:
            return entry.principal_names
    return ()


def authorize(
    signers: AllowedSigners, principal: str, key: PublicKey, namespace: str, when: int
) -> str | None:
    """None when some line lets `principal` sign in `namespace` with `key` at `when`, else why
    not (the first refusal, as `ssh-keygen -Y verify -I principal` reports it)."""
    refusal = f"no allowed signers line gives principal '{principal}' this key"
    for entry in signers.entries:
        if match_pattern_list(principal, entry.principals) != 1 or not _same_key(entry, key):
            continue
        if entry.namespaces is not None and match_pattern_list(namespace, entry.namespaces) != 1:
            refusal = f"key of '{principal}' is not allowed for namespace '{namespace}'"
            continue
        problem = window_problem(entry, when)
        if problem is None:
            return None
        refusal = f"key of '{principal}' {problem}"
    return refusal


def parse_revoked_keys(data: bytes, source: str) -> frozenset[PublicKey]:
    """The keys a revocation file (gpg.ssh.revocationFile) lists, one public key a line.

    ssh-keygen refuses every signature when it cannot read this file, so an unreadable line
    is an error here rather than a skipped line.

    Raises:
        TrustFileError: a binary KRL, or a line that is not a public key.
    """
    if data.startswith(_KRL_MAGIC):
        raise TrustFileError(
            f"Revocation file '{source}' is a binary KRL, which gto does not read; "
            "list the revoked public keys one per line instead"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise TrustFileError(f"Revocation file '{source}' is not text") from None
    keys: set[PublicKey] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            keys.add(read_public_key(stripped)[0])
        except SignatureFormatError as e:
            raise TrustFileError(f"Revocation file '{source}' line {number}: {e}") from None
    return frozenset(keys)
