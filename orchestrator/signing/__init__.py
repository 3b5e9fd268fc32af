"""Signed decisions: a decision's canonical statement (``statements.py``) signed with OpenSSH
(``ssh-keygen -Y sign``, a key file or the ssh-agent) and verified against the site's allowed
signers file (``ssh-keygen -Y verify``), whose principal is the person's identity; the site's
policy (``policy.py``: who holds which role, whether a decision must be signed); the allowed
signers file and revocation list read for the reasons a refusal names (``allowed.py``)."""

from __future__ import annotations

from orchestrator.signing.policy import (
    CHECKPOINT_NAMESPACE,
    KEY_ENV,
    NAMESPACE,
    ROLES,
    Signer,
    SigningPolicy,
    signer_for,
)
from orchestrator.signing.verify import SignatureRefused, key_standing, sign, verify

__all__ = ["CHECKPOINT_NAMESPACE", "KEY_ENV", "NAMESPACE", "ROLES", "SignatureRefused", "Signer",
           "SigningPolicy", "key_standing", "sign", "signer_for", "verify"]
