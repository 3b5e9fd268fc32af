"""Signing a statement and verifying one against a site's policy: the principal it was signed by,
or a refusal in one line saying why (the key not allowed, the wrong namespace, a key expired,
not yet valid or revoked, a text changed after signing)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from orchestrator.errors import Refused
from orchestrator.signing import allowed, sshsig
from orchestrator.signing.policy import NAMESPACE, Signer, SigningPolicy


class SignatureRefused(Refused):
    """A signature that does not verify; ``str()`` is one line naming why."""

    def __init__(self, reason: str):
        super().__init__([reason], reason)


def sign(text: str, signer: Signer, namespace: str = NAMESPACE) -> str:
    """The armored SSH signature of ``text`` by ``signer`` in ``namespace``."""
    return sshsig.sign(text, signer.key, namespace)


def verify(text: str, signature: str, policy: SigningPolicy, at: float | None = None,
           namespace: str = NAMESPACE) -> str:
    """The principal who signed ``text``, as the site's allowed signers say, at ``at`` (default
    now); SignatureRefused naming why not."""
    if policy.allowed_signers is None:
        raise SignatureRefused("this site verifies no signatures (its site file has no signing block "
                               "naming allowed_signers)")
    when = time.time() if at is None else at
    blob = _blob(signature)
    if blob.namespace != namespace:
        raise SignatureRefused(f"signed in namespace {blob.namespace!r}, not {namespace!r}: a signature "
                               f"for something else")
    entry = _standing(policy, blob, when, namespace)
    found = sshsig.find_principal(signature, policy.allowed_signers, when)
    principal = (found or "").split(",")[0]
    if not principal or any(c in principal for c in "*?!"):
        raise SignatureRefused(f"key {blob.fingerprint}: ssh-keygen finds no principal for it in "
                               f"{policy.allowed_signers} (line {entry.line}: {','.join(entry.principals)})")
    if not sshsig.verify(text, signature, policy.allowed_signers, principal, namespace, policy.revoked, when):
        raise SignatureRefused(f"bad signature by {principal} (key {blob.fingerprint}): the text is not "
                               f"what was signed")
    return principal


def key_standing(policy: SigningPolicy, signature: str, now: float | None = None) -> str | None:
    """For `journal verify`: whether the key that made ``signature`` still stands at ``now``:
    ``revoked``, ``expired 2026-11-30``, ``not valid until ...``, ``not in allowed_signers``, ``not
    an SSH signature``; None when it stands (or the site verifies no signatures)."""
    if policy.allowed_signers is None:
        return None
    when = time.time() if now is None else now
    try:
        blob = sshsig.decode(signature)
    except sshsig.BadBlob:
        return "not an SSH signature"
    entries = [e for e in allowed.read(policy.allowed_signers) if e.public_key == blob.public_key]
    if not entries:
        return "not in allowed_signers"
    if policy.revoked is not None and allowed.listed_as_revoked(policy.revoked, blob.public_key):
        return "revoked"
    if any(not e.expired(when) and not e.not_yet(when) for e in entries):
        return None
    late = [e.valid_before for e in entries if e.valid_before is not None and e.expired(when)]
    if late:
        return f"expired {max(late, key=lambda s: s.at).shown()}"
    early = [e.valid_after for e in entries if e.valid_after is not None]
    return f"not valid until {min(early, key=lambda s: s.at).shown()}"


def _blob(signature: str) -> sshsig.Blob:
    try:
        return sshsig.decode(signature)
    except sshsig.BadBlob as exc:
        raise SignatureRefused(f"not an SSH signature: {exc}") from None


def _standing(policy: SigningPolicy, blob: sshsig.Blob, at: float, namespace: str) -> allowed.Entry:
    """The allowed signers entry that lets ``blob``'s key sign in ``namespace`` at ``at``;
    SignatureRefused naming why there is none."""
    assert policy.allowed_signers is not None
    path = policy.allowed_signers
    entries = [e for e in allowed.read(path) if e.public_key == blob.public_key]
    if not entries:
        raise SignatureRefused(f"key {blob.fingerprint} is not in the allowed signers ({path})")
    who = ",".join(entries[0].principals)
    if policy.revoked is not None and allowed.listed_as_revoked(policy.revoked, blob.public_key):
        raise SignatureRefused(f"the key of {who} ({blob.fingerprint}) is revoked ({policy.revoked})")
    usable = [e for e in entries if e.allows(namespace)]
    if not usable:
        listed = ",".join(entries[0].namespaces or ())
        raise SignatureRefused(f"the key of {who} may not sign in namespace {namespace!r} "
                               f"({path}:{entries[0].line} allows namespaces=\"{listed}\")")
    for entry in usable:
        if not entry.expired(at) and not entry.not_yet(at):
            return entry
    entry = usable[0]
    if entry.expired(at):
        assert entry.valid_before is not None
        raise SignatureRefused(f"the key of {who} expired {entry.valid_before.shown()} ({path}:{entry.line} "
                               f"valid-before), before {_moment(at)}")
    assert entry.valid_after is not None
    raise SignatureRefused(f"the key of {who} is not valid until {entry.valid_after.shown()} "
                           f"({path}:{entry.line} valid-after), after {_moment(at)}")


def _moment(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
