"""What a rehearsed service's run would cost and risk, for the dry-run's report: its expected
downtime against what is left of the availability rule, each phase's duration (from earlier runs
of the same step in the journal, else unknown), the rollback points the run would take, the point
of no return, and the blockers and waivers that touch it."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext
from orchestrator.runbook import runbook_for


def service_outlook(ctx: EngineContext, service: Service, wave: int, today: dt.date,
                    executions: list[Any], held: str | None) -> dict[str, Any]:
    """The ``services_detail`` item of the dry-run document for ``service``; ``executions`` are
    the journal's (every run), read once for the whole wave."""
    steps = [s for s in runbook_for(service) if not s.deferred]
    return {
        "service": service.id, "held": held,
        "downtime": downtime(ctx, service, today),
        "phases": [phase_duration(service.id, step.name, executions) for step in steps],
        "rollback_points": [{"phase": s.name, "kind": "terraform" if s.kind == "terraform" else "files"}
                            for s in steps if s.mutating],
        "point_of_no_return": next((s.name for s in steps if s.point_of_no_return), None),
        "blockers": touching_blockers(ctx, service.id, wave, today),
    }


def downtime(ctx: EngineContext, service: Service, today: dt.date) -> dict[str, Any]:
    """Expected cutover downtime (minutes, and where the figure comes from) and what the
    availability rule leaves of the current period, counting the journal's downtime in it."""
    from orchestrator.policy import availability

    expected, basis = availability.expected_downtime(service)
    period = availability.period_of(today, availability.period_name(ctx.catalog))
    used = availability.journalled_downtime(ctx.journal, service.id, period)
    found = availability.verdict(ctx.catalog, service, today, used)
    return {"expected_minutes": expected, "basis": basis,
            "left_minutes": None if found is None else round(found.left, 1),
            "fits": None if found is None else found.fits}


def phase_duration(service_id: str, step: str, executions: list[Any]) -> dict[str, Any]:
    """The median duration of the step's done executions: the service's own first, else every
    service's (``basis`` says which); unknown when the journal has none."""
    def seconds(rows: list[Any]) -> float | None:
        spans = [e.finished_at - e.started_at for e in rows
                 if e.step == step and e.status == "done" and e.started_at and e.finished_at]
        return round(statistics.median(spans), 1) if spans else None

    own = seconds([e for e in executions if e.service == service_id])
    if own is not None:
        return {"phase": step, "seconds": own, "basis": "journal: this service"}
    every = seconds(executions)
    if every is not None:
        return {"phase": step, "seconds": every, "basis": "journal: other services"}
    return {"phase": step, "seconds": None, "basis": "unknown"}


def touching_blockers(ctx: EngineContext, service_id: str, wave: int, today: dt.date) -> list[dict[str, Any]]:
    """Blockers in the service's, the wave's and the platform's scope that are not resolved:
    those in force, and those waived (with the waiver)."""
    from orchestrator.journal.blockers import list_blockers

    scopes = {f"service:{service_id}", f"wave:{wave}", "platform"}
    found = [b for b in list_blockers(ctx.journal, include_resolved=False) if b.scope in scopes]
    return [{"id": b.id, "severity": b.severity, "title": b.title, "scope": b.scope,
             "in_force": b.in_force(today),
             "waiver": (f"{b.waiver_owner}: {b.waiver_reason} (until {b.waiver_expires})"
                        if b.status == "waived" else None)} for b in found]
