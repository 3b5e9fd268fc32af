"""Who may sign what on a site: the site's allowed signers and revocation list, whether a decision
must be signed, which principals hold each role, and which key signs for a person."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.errors import Refused

#: The namespace every decision is signed in (``ssh-keygen -Y sign -n``); a checkpoint of the
#: journal is signed in its own, so one can never pass for the other.
NAMESPACE = "logius-migrate"
CHECKPOINT_NAMESPACE = "logius-migrate-checkpoint"
#: The roles a site gives to principals (``signing.roles``).
ROLES = ("approve-plan", "approve-dry-run", "approve-cutover", "accept-release", "waive-blocker",
         "resolve-blocker", "override", "force-rollback")
#: The key a person signs with when no ``--sign-with`` is given.
KEY_ENV = "LOGIUS_MIGRATE_SIGNING_KEY"


@dataclass(frozen=True)
class SigningPolicy:
    """A site's signing block with its paths absolute; the default: nothing set up, nothing required.
    ``roles`` maps a role to the principals who hold it; a role not listed is anyone's. ``keys``
    (the lab only) is a folder of private keys named by principal."""

    allowed_signers: Path | None = None
    revoked: Path | None = None
    require: bool = False
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    keys: Path | None = None

    def enabled(self) -> bool:
        """Whether signatures can be verified here (the site names its allowed signers)."""
        return self.allowed_signers is not None

    def authorize(self, role: str, principal: str) -> None:
        """Refused when the site gives ``role`` to others than ``principal``."""
        if role not in ROLES:
            raise ValueError(f"{role!r} is not a role; the roles are {', '.join(ROLES)}")
        holders = self.roles.get(role)
        if holders is not None and principal not in holders:
            line = (f"{principal} may not {role} on this site (signing.roles.{role}: "
                    f"{', '.join(holders) or 'nobody'})")
            raise Refused([line], line)


@dataclass(frozen=True)
class Signer:
    """The key that signs: a private key file, or a ``.pub`` whose private half is in ssh-agent."""

    key: Path


def signer_for(policy: SigningPolicy, sign_with: Path | None, by: str | None) -> Signer | None:
    """The key for a decision: ``--sign-with``, else ``$LOGIUS_MIGRATE_SIGNING_KEY``, else the
    lab's key of ``by`` (``policy.keys/<by>``) when there is one; None when there is no key."""
    if sign_with is not None:
        return Signer(Path(sign_with))
    if os.environ.get(KEY_ENV):
        return Signer(Path(os.environ[KEY_ENV]))
    if policy.keys is None or not by or by != Path(by).name or by.startswith("."):
        return None
    key = policy.keys / by
    return Signer(key) if key.is_file() else None
