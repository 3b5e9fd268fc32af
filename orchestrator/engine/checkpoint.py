"""The checkpoint a wave run writes when it ends: the journal's chain as it then stands, signed
when the site has a key for the person who ran it (else unsigned, and the event says so)."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import LogiusMigrateError


def end_of_wave(ctx: Any, run_id: str, wave: int) -> None:
    """Write the checkpoint of wave ``wave``'s end and journal it as an event of ``run_id``. A key
    that will not sign is journalled, never a reason for the run to fail after its work is done."""
    from orchestrator.journal import checkpoints

    policy = getattr(ctx.site, "signing", None)
    signer = _signer(policy, ctx.owner.rsplit("@", 1)[0])
    try:
        point = checkpoints.write(ctx.journal, ctx.site.name, signer, policy, wave=wave)
    except LogiusMigrateError as exc:
        point = checkpoints.write(ctx.journal, ctx.site.name, None, policy, wave=wave)
        ctx.journal.log(run_id, "checkpoint", f"checkpoint {point.id} left unsigned: {exc}")
    signed = f"signed by {point.principal or 'an unlisted key'}" if point.signature else "unsigned"
    ctx.journal.log(run_id, "checkpoint", f"checkpoint {point.id} of the journal at the end of wave "
                                          f"{wave}: {point.size} records, root {point.root[:16]}, {signed}")


def _signer(policy: Any, person: str) -> Any:
    try:
        from orchestrator.signing import SigningPolicy, signer_for
    except ImportError:
        return None
    return signer_for(policy or SigningPolicy(), None, person)
