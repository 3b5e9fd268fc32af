"""The lab's two example people, ann and bob, and what lets them sign: an ed25519 key each (no
passphrase: the lab's, never a real person's), an allowed signers file naming them for decisions
and checkpoints, and the site's signing block requiring signatures and giving both every role."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import InputError
from orchestrator.signing import CHECKPOINT_NAMESPACE, NAMESPACE, ROLES

if TYPE_CHECKING:
    from orchestrator.lab.layout import LabLayout

PEOPLE = ("ann", "bob")


def write_keys(folder: Path) -> None:
    """A key pair per person in ``folder`` (``ann``, ``ann.pub``, ...), the folder its owner's only
    and ignored by git wherever the lab is (its own ``.gitignore``)."""
    from orchestrator.steps import process_runner

    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    (folder / ".gitignore").write_text("# The lab's private keys never go in git.\n*\n")
    for person in PEOPLE:
        if (folder / person).exists():
            continue
        key = str(folder / person)
        argv = ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", f"{person}@lab", "-f", key)
        done = process_runner.run(process_runner.ProcessRequest(argv))
        if done.returncode != 0:
            said = (done.stderr.strip().splitlines() or ["no message"])[-1]
            raise InputError(f"ssh-keygen could not make the lab's key of {person} (exit {done.returncode}): "
                             f"{said}")


def write_allowed_signers(path: Path, keys: Path) -> None:
    """The allowed signers file: each person's public key in ``keys``, for decisions and checkpoints."""
    from orchestrator.signing.allowed import line_for

    lines = [line_for(person, (keys / f"{person}.pub").read_text(), (NAMESPACE, CHECKPOINT_NAMESPACE))
             for person in PEOPLE]
    path.write_text("# The lab's signers, written by `logius-migrate lab up`.\n" + "\n".join(lines) + "\n")


def signing_block(layout: LabLayout) -> dict[str, Any]:
    """The lab site's signing block: signatures required, every role both people's, their keys."""
    return {"allowed_signers": layout.relative(layout.allowed_signers), "require_signatures": True,
            "roles": {role: list(PEOPLE) for role in ROLES}, "keys": layout.relative(layout.keys)}
