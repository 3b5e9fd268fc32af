"""Rolling a service back to a rollback point: undo in reverse, honest about the point of no return.

Terraform points are undone first-to-last in reverse (destroy or re-apply, then the recorded state
goes back); file points are combined into one restore per host (the oldest capture of each path
wins) and applied by the real rollback playbook in one Ansible run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from orchestrator.engine import states
from orchestrator.engine.capture import flat_secrets
from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.engine.wave import WAVE_SERVICE, wave_lock_name
from orchestrator.errors import InputError, RollbackRefused, StepFailed
from orchestrator.journal import RollbackPoint
from orchestrator.runbook import runbook_for


@dataclass
class RollbackResult:
    service: str
    run_id: str
    to_point: int
    undone: list[str] = field(default_factory=list)
    forced_reason: str | None = None


def rollback_service(ctx: EngineContext, service_id: str, to_point: int | None = None,
                     force: bool = False, reason: str | None = None, signer: Any = None,
                     by: str | None = None, typed: bool = True) -> RollbackResult:
    """Undo every step of ``service_id``'s latest run back to ``to_point`` (default: before the
    wave). Refuses (RollbackRefused) to cross a completed point-of-no-return step unless ``force``
    with a ``reason``: then a forced-rollback decision of ``by`` (signed by ``signer`` where the
    site verifies signatures), journalled before anything is undone."""
    ctx.service(service_id)  # an unknown id is an input error before anything else
    points = ctx.journal.rollback_points(service=service_id)
    if not points:
        raise InputError(f"{service_id}: no rollback point to return to (nothing was changed, or it "
                         f"was rolled back already)")
    run_id = points[-1].run_id
    points = [p for p in points if p.run_id == run_id]
    target = to_point if to_point is not None else points[0].id
    if target not in {p.id for p in points}:
        known = ", ".join(f"{p.id} (before {p.step})" for p in points)
        raise InputError(f"{service_id}: rollback point {target} is not one of the open points of "
                         f"run {run_id}: {known}")
    undo = [p for p in points if p.id >= target]
    run = ctx.journal.run(run_id)
    assert run is not None
    crossing = [p for p in undo
                if p.point_of_no_return and _step_status(ctx, run_id, service_id, p.step) == "done"]
    if crossing and not force:
        step = crossing[0]
        raise RollbackRefused(
            f"{service_id}: rolling back to point {target} crosses the point of no return: "
            f"{step.step} completed in run {run_id} (after it, writes land on LPC and would be lost); "
            f"to do it anyway: logius-migrate rollback {service_id} --to {target} --force --reason TEXT")
    if crossing and not (reason and reason.strip()):
        raise InputError("--force needs --reason: say why the point of no return may be crossed")

    forced_by = _decide(ctx, service_id, run_id, target, crossing, reason or "", signer, by, typed) \
        if crossing else ctx.owner
    ttl = lease_seconds()
    keeper = LeaseKeeper(ctx.journal, ctx.journal.acquire_lock(wave_lock_name(run.wave), ctx.owner, ttl), ttl)
    try:
        result = RollbackResult(service_id, run_id, target, forced_reason=reason if crossing else None)
        if crossing:
            ctx.journal.log(run_id, "rollback-forced",
                            f"{forced_by} crosses the point of no return of {service_id} "
                            f"({', '.join(p.step for p in crossing)}): {reason}")
        ctx.journal.log(run_id, "rollback", f"{service_id}: back to point {target} "
                                            f"({', '.join(p.step for p in reversed(undo))})")
        _undo_files(ctx, service_id, [p for p in reversed(undo) if p.kind == "files"])
        for point in reversed(undo):
            if point.kind == "terraform":
                _undo_terraform(ctx, service_id, point, run_id)
        # Back before its first change: the service may be migrated again. Otherwise it is still
        # in flight in this run.
        state = states.ROLLED_BACK if target == points[0].id else states.IN_FLIGHT
        for point in reversed(undo):
            ctx.journal.mark_restored(point.id)
            key = point.execution_key
            if ctx.journal.execution(key) is not None:
                ctx.journal.finish_step(key, "rolled-back", output=f"rolled back to point {target}")
            result.undone.append(point.step)
        ctx.journal.set_service_state(service_id, state, run_id)
        _settle_run(ctx, run_id)
        return result
    finally:
        keeper.release()


def _decide(ctx: EngineContext, service_id: str, run_id: str, target: int, crossing: list[Any],
            reason: str, signer: Any, by: str | None, typed: bool) -> str:
    """The forced-rollback decision, recorded; who made it, with this host and process."""
    from orchestrator.identity import owner, person
    from orchestrator.journal.decisions import policy_of, record_each

    steps = ",".join(p.step for p in crossing)
    return owner(record_each(ctx.journal, policy_of(ctx.site), "forced-rollback",
                             {f"rollback {service_id} to point {target}": reason}, person(by),
                             {"run": run_id, "steps": steps}, signer, typed=typed))


def _step_status(ctx: EngineContext, run_id: str, service_id: str, step: str) -> str | None:
    execution = ctx.journal.execution(f"{run_id}/{service_id}/{step}")
    return execution.status if execution else None


def _undo_files(ctx: EngineContext, service_id: str, points_newest_first: list[RollbackPoint]) -> None:
    from orchestrator.steps import ansible

    if not points_newest_first:
        return
    plan = ansible.restore_plan([p.payload["hosts"] for p in points_newest_first])
    secrets = flat_secrets(ctx.secrets)
    plan = {host: ansible.secrets_in(entries, secrets) for host, entries in plan.items()}
    # The restore holds placeholders, never secrets; the playbook puts the values back on the
    # host through the secret channel.
    result = ansible.run_playbook(ansible.PlaybookRequest(
        "rollback.yml", ctx.site.inventory, tuple(plan), {"restore": plan},
        secret_variables={"secret_values": secrets}))
    if not result.succeeded:
        raise StepFailed(f"{service_id}: restoring files failed: {result.summary()}")


def _undo_terraform(ctx: EngineContext, service_id: str, point: RollbackPoint, run_id: str) -> None:
    from orchestrator.engine.tools import stack_for
    from orchestrator.steps.terraform import StateSnapshot

    stack = stack_for(ctx, ctx.service(service_id), run_id)
    stack.restore(StateSnapshot.from_payload(point.payload), point.payload["apply_variables"])


def _settle_run(ctx: EngineContext, run_id: str) -> None:
    """A run whose every changed step is rolled back is itself rolled back."""
    executions = [e for e in ctx.journal.executions(run_id=run_id) if e.service != WAVE_SERVICE]
    if all(e.status in {"rolled-back", "failed"} or _non_mutating(ctx, e.service, e.step)
           for e in executions):
        ctx.journal.set_run_status(run_id, "rolled-back", ctx.journal.run(run_id).detail)  # type: ignore[union-attr]
        ctx.journal.log(run_id, "rolled-back", f"every change of {run_id} is undone "
                                               f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)")


def _non_mutating(ctx: EngineContext, service_id: str, step_name: str) -> bool:
    return any(s.name == step_name and not s.mutating for s in runbook_for(ctx.service(service_id)))


__all__ = ["RollbackResult", "rollback_service"]
