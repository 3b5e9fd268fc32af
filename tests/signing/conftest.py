"""Real OpenSSH keys for the signing tests, made once a session (ssh-keygen, no passphrase), and
allowed signers files written per test beside them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from orchestrator.signing import NAMESPACE, SigningPolicy

PEOPLE = ("ann", "bob", "eve")


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, Path]:
    """Private keys of ann, bob and eve (each with its .pub beside it)."""
    folder = tmp_path_factory.mktemp("keys")
    for person in PEOPLE:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", person, "-f",
                        str(folder / person)], check=True)
    return {person: folder / person for person in PEOPLE}


def public(key: Path) -> str:
    """``type base64`` of ``key``'s public half."""
    return " ".join(key.with_suffix(".pub").read_text().split()[:2])


def allowed_signers(folder: Path, keys: dict[str, Path], options: dict[str, str] | None = None,
                    people: tuple[str, ...] = ("ann", "bob")) -> Path:
    """An allowed signers file for ``people`` (eve is left out), each with ``options``' line for
    them, else allowed the decisions' namespace."""
    options = options or {}
    default = f'namespaces="{NAMESPACE}"'
    path = folder / "allowed_signers"
    path.write_text("# who may sign\n" + "".join(
        f"{p} {options.get(p, default)} {public(keys[p])}\n" for p in people))
    return path


def policy(folder: Path, keys: dict[str, Path], **options: str) -> SigningPolicy:
    return SigningPolicy(allowed_signers=allowed_signers(folder, keys, options))
