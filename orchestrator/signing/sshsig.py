"""OpenSSH's signatures, by OpenSSH itself: ``ssh-keygen -Y sign``, ``-Y find-principals`` and
``-Y verify`` (the message on standard input), ``-Q`` against a KRL; and the SSHSIG blob read in
Python for what it names (the signer's public key and the namespace), so a refusal can say why.

ssh-keygen is started here, not through ``steps/process_runner.py``: signing sits below the
journal, which records decisions signed; it runs no long program and holds no secret in its argv.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError

ARMOR_BEGIN = "-----BEGIN SSH SIGNATURE-----"
ARMOR_END = "-----END SSH SIGNATURE-----"
MAGIC = b"SSHSIG"
KRL_MAGIC = b"SSHKRL\n\0"
#: Signing may wait on a person (a passphrase on the terminal, a hardware key's touch).
SIGN_TIMEOUT = 120.0
VERIFY_TIMEOUT = 30.0


class BadBlob(ValueError):
    """The text is no SSH signature (armor, base64 or the SSHSIG layout)."""


@dataclass(frozen=True)
class Blob:
    """What an SSHSIG names: the signer's public key (``type base64``, as a ``.pub`` gives it),
    the namespace and the hash algorithm."""

    public_key: str
    namespace: str
    hash_alg: str

    @property
    def fingerprint(self) -> str:
        """``SHA256:...`` as ssh-keygen prints it."""
        raw = base64.b64decode(self.public_key.split()[1])
        return "SHA256:" + base64.b64encode(hashlib.sha256(raw).digest()).decode().rstrip("=")


def decode(signature: str) -> Blob:
    """The blob of an armored signature; BadBlob when it is none."""
    body = signature.strip()
    if not (body.startswith(ARMOR_BEGIN) and body.endswith(ARMOR_END)):
        raise BadBlob("not an armored SSH signature")
    try:
        raw = base64.b64decode("".join(body[len(ARMOR_BEGIN):-len(ARMOR_END)].split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadBlob("its armor holds no base64") from None
    if raw[:6] != MAGIC or raw[6:10] != b"\0\0\0\1":
        raise BadBlob("not an SSHSIG of version 1")
    fields, offset = [], 10
    for _ in range(5):  # publickey, namespace, reserved, hash_algorithm, signature
        if offset + 4 > len(raw):
            raise BadBlob("the SSHSIG is cut short")
        size = int.from_bytes(raw[offset:offset + 4], "big")
        fields.append(raw[offset + 4:offset + 4 + size])
        offset += 4 + size
    if offset != len(raw) or len(fields[0]) < 4:
        raise BadBlob("the SSHSIG's fields do not add up")
    key_type = fields[0][4:4 + int.from_bytes(fields[0][:4], "big")].decode("ascii", "replace")
    try:
        return Blob(f"{key_type} {base64.b64encode(fields[0]).decode()}", fields[1].decode(),
                    fields[3].decode())
    except UnicodeDecodeError:
        raise BadBlob("its namespace is not text") from None


def sign(text: str, key: Path, namespace: str) -> str:
    """``ssh-keygen -Y sign -n NAMESPACE -f KEY`` over ``text`` (UTF-8): the armored signature.
    InputError naming the key when there is none or ssh-keygen cannot sign with it."""
    if not key.is_file():
        raise InputError(f"{key}: no signing key here (give --sign-with KEY or set "
                         f"$LOGIUS_MIGRATE_SIGNING_KEY: a private key, or a .pub whose key is in ssh-agent)")
    done = _keygen(["-Y", "sign", "-n", namespace, "-f", str(key)], text, SIGN_TIMEOUT)
    if done.returncode != 0 or ARMOR_BEGIN not in done.stdout:
        raise InputError(f"{key}: ssh-keygen could not sign with it: {_said(done)}")
    return done.stdout


def find_principal(signature: str, allowed: Path, at: float) -> str | None:
    """The principals field (``-Y find-principals``) of the allowed signer whose key made
    ``signature``, valid at ``at``; None when there is none."""
    with _signature_file(signature) as path:
        done = _keygen(["-Y", "find-principals", "-s", path, "-f", str(allowed),
                        f"-Overify-time={stamp(at)}"], "", VERIFY_TIMEOUT)
    lines = done.stdout.split()
    return lines[0] if done.returncode == 0 and lines else None


def verify(text: str, signature: str, allowed: Path, principal: str, namespace: str,
           revoked: Path | None, at: float) -> bool:
    """Whether ``ssh-keygen -Y verify`` accepts ``signature`` of ``text`` by ``principal`` in
    ``namespace`` at ``at``, against ``allowed`` and the revocation list ``revoked``."""
    with _signature_file(signature) as path:
        argv = ["-Y", "verify", "-f", str(allowed), "-I", principal, "-n", namespace, "-s", path,
                f"-Overify-time={stamp(at)}", *(["-r", str(revoked)] if revoked is not None else [])]
        return _keygen(argv, text, VERIFY_TIMEOUT).returncode == 0


def in_krl(krl: Path, public_key: str) -> bool:
    """Whether the KRL ``krl`` revokes ``public_key`` (``ssh-keygen -Q``)."""
    with tempfile.TemporaryDirectory(prefix="logius-sig-") as folder:
        key = Path(folder) / "key.pub"
        key.write_text(public_key + "\n")
        done = _keygen(["-Q", "-f", str(krl), str(key)], "", VERIFY_TIMEOUT)
    if done.returncode not in (0, 1):
        raise InputError(f"{krl}: ssh-keygen cannot read it as a revocation list: {_said(done)}")
    return done.returncode == 1


def stamp(at: float) -> str:
    """``at`` as ssh-keygen's ``verify-time`` (UTC, to the second)."""
    return time.strftime("%Y%m%d%H%M%SZ", time.gmtime(int(at)))


def _keygen(arguments: list[str], stdin: str, timeout: float) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["ssh-keygen", *arguments], input=stdin, capture_output=True, text=True,
                              encoding="utf-8", timeout=timeout, check=False)
    except FileNotFoundError:
        raise InputError("ssh-keygen is not installed (OpenSSH 8.2 or later signs and verifies)") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"ssh-keygen {arguments[0]} {arguments[1]} did not finish in {timeout:.0f} s "
                         f"(a passphrase or a hardware key waiting?)") from None


@contextlib.contextmanager
def _signature_file(signature: str) -> Iterator[str]:
    """The signature in a temporary file for ``-s`` (ssh-keygen reads no signature from stdin)."""
    handle, path = tempfile.mkstemp(prefix="logius-sig-", suffix=".sig")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(signature if signature.endswith("\n") else signature + "\n")
        yield path
    finally:
        os.unlink(path)


def _said(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.strip()
             and not line.startswith("Signing data on standard input")]
    return lines[-1].strip() if lines else f"exit {done.returncode}"
