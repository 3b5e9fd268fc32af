"""A dry-run of a wave (`wave dry-run N`): the wave's runner in plan mode. Every precondition is
checked, every stack planned with its plan file kept (``terraform plan -out``), every Ansible
phase run in check mode, in the runbook's order; nothing is changed and nothing journalled but
the dry-run record the caller makes of the document returned here (``journal/dry_runs.py``).

The document (``DRY_RUN_FORMAT``) is what the reports render and what a run of a site with
``require_dry_run`` applies: its saved plans, checked to be current (:mod:`orchestrator.engine.currency`).
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.engine.executors.base import WAVE_SERVICE
from orchestrator.engine.wave import ApprovalChoice, _not_yet_migrated, _Runner, wave_lock_name
from orchestrator.errors import InputError
from orchestrator.journal import RunDetail

DRY_RUN_FORMAT = "logius-migrate/dry-run 1"


def rehearse_wave(ctx: EngineContext, wave: int, plan: Any, only: str | None = None) -> dict[str, Any]:
    """Rehearse wave ``wave`` of the approved ``plan`` (``only``: that one service of it) and
    return the dry-run document. The wave's lease is held while it runs, so a wave another
    operator is running is refused (LockHeld, exit 4), and released after; Ctrl-C ends it with
    nothing recorded (Interrupted)."""
    from orchestrator.engine.prediction import Rehearsed
    from orchestrator.sites.check import refuse_missing_hosts

    members = _members(ctx, wave, plan, only)
    ttl = lease_seconds()
    keeper = LeaseKeeper(ctx.journal, ctx.journal.acquire_lock(wave_lock_name(wave), ctx.owner, ttl), ttl)
    try:
        refuse_missing_hosts(ctx.site, [ctx.service(sid) for sid in members])
        token = f"dry-run-{uuid.uuid4().hex[:12]}"
        runner = _Runner(ctx, token, wave, members, keeper, ApprovalChoice(), mode="plan",
                         detail=RunDetail(tuple(members), plan.id))
        runner.scope.rehearsed = Rehearsed()
        runner.run(False, plan, {})
    finally:
        keeper.release()
    return document(ctx, wave, plan, members, only, runner)


def _members(ctx: EngineContext, wave: int, plan: Any, only: str | None) -> list[str]:
    """The wave's members still to migrate (``only``: that one); InputError for a wave with an
    unfinished run (it is resumed, not rehearsed) or a service not in it."""
    from orchestrator.engine.approved import members_of
    from orchestrator.engine.states import refuse_migrated

    members = members_of(plan, wave)
    if only is not None:
        if only not in members:
            raise InputError(f"--service {only}: not in wave {wave} of plan {plan.id} (its services: "
                             f"{', '.join(members)})")
        members = [only]
    runs = [r for r in ctx.journal.runs(wave=wave) if r.kind == "wave"]
    if runs and runs[-1].status not in {"done", "rolled-back"}:
        raise InputError(f"wave {wave} has run {runs[-1].id} ({runs[-1].status}): a dry-run rehearses a "
                         f"wave before it runs; continue that run with `logius-migrate wave resume {wave}`")
    if runs:
        members = _not_yet_migrated(ctx, wave, runs, members)
    refuse_migrated(ctx.journal, wave, members)
    return members


def document(ctx: EngineContext, wave: int, plan: Any, members: list[str], only: str | None,
             runner: Any) -> dict[str, Any]:
    """The dry-run document of a finished rehearsal (see docs/dry-run.md)."""
    from orchestrator import clock
    from orchestrator.engine.outlook import service_outlook

    today = clock.now().date()
    executions = ctx.journal.executions()
    stacks = [c.detail for c in runner.changes if c.kind == "stack"]
    tasks = [c.detail for c in runner.changes if c.kind == "task"]
    gate = next(({"question": c.what} for c in runner.changes if c.kind == "gate"), None)
    return {
        "format": DRY_RUN_FORMAT, "wave": wave, "plan": plan.id, "services": members, "only": only,
        "by": ctx.owner.rsplit("@", 1)[0],  # the person, without the host and process
        "at": clock.now().isoformat(timespec="seconds"), "site": ctx.site.name,
        "digests": digests(ctx),
        "status": status(stacks, tasks, members, runner.held),
        "checks": [check_item(sid, r) for sid, results in runner.checks.items() for r in results],
        "held": dict(runner.held), "stacks": stacks, "tasks": tasks, "gate": gate,
        "services_detail": [service_outlook(ctx, ctx.service(sid), wave, today, executions,
                                            runner.held.get(sid)) for sid in members],
        "blockers_in_force": blockers_in_force(ctx, wave, members, today),
    }


def status(stacks: list[dict[str, Any]], tasks: list[dict[str, Any]], members: list[str],
           held: dict[str, str]) -> str:
    """``complete``: every step rehearsed; ``partial``: something could not be (a stack that
    failed to plan, an unreachable host); ``failed``: nothing could be rehearsed."""
    rehearsed = [t for t in tasks if not t["reason"].startswith("the host was unreachable")]
    planned = [s for s in stacks if not s["error"]]
    if not rehearsed and not planned and len(held) < len(members):
        return "failed"
    if len(rehearsed) < len(tasks) or len(planned) < len(stacks):
        return "partial"
    return "complete"


def check_item(service_id: str, result: Any) -> dict[str, Any]:
    return {"service": service_id, "check": result.check_id, "outcome": result.outcome.value,
            "summary": result.summary, "evidence": f"asked: {result.asked}; answer: {result.answer}",
            "remedy": result.remedy}


def digests(ctx: EngineContext) -> dict[str, str]:
    """What the rehearsal was made from: the catalog's bytes, the site file, the inventory."""
    return {"catalog": ctx.catalog.digest, "site": ctx.site.digest,
            "inventory": tree_digest(Path(ctx.site.inventory))}


def tree_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (their relative names and bytes, in order)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for item in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(item.relative_to(path)).encode() + b"\0" + item.read_bytes() + b"\0")
    return digest.hexdigest()


def blockers_in_force(ctx: EngineContext, wave: int, members: list[str], today: Any) -> list[str]:
    """The ids of the blockers in force in the wave's scopes (a new one makes the dry-run stale)."""
    from orchestrator.journal.blockers import in_scope, list_blockers

    scopes = {f"service:{sid}" for sid in members} | {f"wave:{wave}", "platform"}
    return sorted(b.id for b in in_scope(list_blockers(ctx.journal, include_resolved=False), scopes, today))


__all__ = ["DRY_RUN_FORMAT", "WAVE_SERVICE", "document", "rehearse_wave"]
