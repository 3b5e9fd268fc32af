"""Real OpenSSH keys for the signing tests, made once a session (ssh-keygen, no passphrase), and
allowed signers files written per test beside them."""

from __future__ import annotations

from pathlib import Path

from orchestrator.signing import NAMESPACE, SigningPolicy


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
