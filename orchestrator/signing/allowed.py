"""The allowed signers file (``ssh-keygen(1)``, ALLOWED SIGNERS) and the revocation list, read in
Python for the reasons ssh-keygen does not give: which principal a key is, which namespaces and
dates it is allowed, whether it is revoked. ssh-keygen still decides; this only names why."""

from __future__ import annotations

import calendar
import fnmatch
import re
import time
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError

_STAMP = re.compile(r"^(\d{8})(\d{4}(\d{2})?)?(Z?)$")
_KEY_TYPE = re.compile(r"^(ssh-|ecdsa-|sk-|[a-z0-9-]+@openssh\.com$)")


@dataclass(frozen=True)
class Stamp:
    """A ``valid-after`` / ``valid-before`` value as written, and the moment it is."""

    text: str
    at: float

    def shown(self) -> str:
        """``2026-11-30``, or with the time when one is given (``2026-11-30 12:00``, UTC when ``Z``)."""
        day = f"{self.text[:4]}-{self.text[4:6]}-{self.text[6:8]}"
        clock = self.text[8:].rstrip("Z")
        if not clock:
            return day
        seconds = f":{clock[4:6]}" if len(clock) == 6 else ""
        return f"{day} {clock[:2]}:{clock[2:4]}{seconds}" + (" UTC" if self.text.endswith("Z") else "")


@dataclass(frozen=True)
class Entry:
    """One line of the allowed signers file."""

    line: int
    principals: tuple[str, ...]
    public_key: str  # "ssh-ed25519 AAAA...", as a .pub file gives it
    namespaces: tuple[str, ...] | None = None
    valid_after: Stamp | None = None
    valid_before: Stamp | None = None
    cert_authority: bool = False

    def allows(self, namespace: str) -> bool:
        return self.namespaces is None or matches(self.namespaces, namespace)

    def expired(self, at: float) -> bool:
        return self.valid_before is not None and at > self.valid_before.at

    def not_yet(self, at: float) -> bool:
        return self.valid_after is not None and at < self.valid_after.at


def read(path: Path) -> list[Entry]:
    """Every entry of the allowed signers file ``path``; InputError naming the file (and line)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the allowed signers file (signing.allowed_signers): "
                         f"{exc.strerror}") from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                entries.append(parse_line(line.strip(), number))
            except ValueError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return entries


def parse_line(line: str, number: int = 0) -> Entry:
    """One entry: principals, options (if any), key type and base64 key; ValueError says why not."""
    tokens = _split(line, " ")
    if len(tokens) < 3:
        raise ValueError("an allowed signer is: principals [options] key-type base64-key")
    principals, rest = tokens[0].strip('"'), tokens[1:]
    options = {} if _KEY_TYPE.match(rest[0]) else _options(rest.pop(0))
    if len(rest) < 2 or not _KEY_TYPE.match(rest[0]):
        raise ValueError(f"no public key after the principals and options ({' '.join(rest)[:40]!r})")
    unknown = set(options) - {"namespaces", "valid-after", "valid-before", "cert-authority"}
    if unknown:
        raise ValueError(f"unknown option {sorted(unknown)[0]}")
    namespaces = options.get("namespaces")
    return Entry(number, tuple(principals.split(",")), f"{rest[0]} {rest[1]}",
                 tuple(namespaces.split(",")) if namespaces is not None else None,
                 _stamp(options, "valid-after"), _stamp(options, "valid-before"),
                 "cert-authority" in options)


def line_for(principal: str, public_key: str, namespaces: tuple[str, ...]) -> str:
    """An allowed signers line for ``principal``'s key in ``namespaces``."""
    key_type, key = public_key.split()[:2]
    return f'{principal} namespaces="{",".join(namespaces)}" {key_type} {key}'


def matches(patterns: tuple[str, ...], value: str) -> bool:
    """An OpenSSH pattern-list (``*``, ``?``, ``!`` negates): one pattern matches and none negated."""
    if any(fnmatch.fnmatchcase(value, p[1:]) for p in patterns if p.startswith("!")):
        return False
    return any(fnmatch.fnmatchcase(value, p) for p in patterns if not p.startswith("!"))


def listed_as_revoked(path: Path, public_key: str) -> bool:
    """Whether the revocation list ``path`` (a KRL, or public keys one a line) revokes ``public_key``."""
    from orchestrator.signing import sshsig

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the revocation list (signing.revoked): "
                         f"{exc.strerror}") from None
    if data.startswith(sshsig.KRL_MAGIC):
        return sshsig.in_krl(path, public_key)
    wanted = public_key.split()[1]
    for line in data.decode("utf-8", "replace").splitlines():
        tokens = line.split()
        if line.strip().startswith("#"):
            continue
        if any(_KEY_TYPE.match(a) and b == wanted for a, b in zip(tokens, tokens[1:], strict=False)):
            return True
    return False


def _options(text: str) -> dict[str, str]:
    options = {}
    for item in _split(text, ","):
        name, equals, value = item.partition("=")
        name = name.lower()
        if equals and not (len(value) >= 2 and value[0] == value[-1] == '"'):
            raise ValueError(f"option {name}: its value is given in double quotes ({name}=\"...\")")
        options[name] = value[1:-1] if equals else ""
    return options


def _stamp(options: dict[str, str], name: str) -> Stamp | None:
    if name not in options:
        return None
    text = options[name]
    found = _STAMP.match(text)
    if not found:
        raise ValueError(f"{name}={text!r}: a time is YYYYMMDD[Z] or YYYYMMDDHHMM[SS][Z]")
    digits = (found.group(1) + (found.group(2) or "")).ljust(14, "0")
    try:
        fields = time.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        raise ValueError(f"{name}={text!r}: no such date or time") from None
    at = calendar.timegm(fields) if found.group(4) else time.mktime(fields)
    return Stamp(text, float(at))


def _split(text: str, separator: str) -> list[str]:
    """``text`` split at ``separator`` outside double quotes (runs of spaces are one)."""
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            if current:
                parts.append(current)
            current = ""
        else:
            current += char
    if quoted:
        raise ValueError("a double quote is not closed")
    return [*parts, current] if current else parts
