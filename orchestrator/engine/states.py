"""Each service's migration state across runs, and what it forbids.

legacy (never touched) → in-flight in run R (its first step has begun) → cut-over in run R (the
gateway routes to LPC) → decommissioned (removed from legacy); or rolled-back (every change undone,
so it may be migrated again). The engine changes the state in the same journal transaction as the
step that causes it; `wave run` refuses, before any change, a member that another run has begun or
finished migrating.
"""

from __future__ import annotations

from orchestrator.catalog.models import Service
from orchestrator.errors import Refused
from orchestrator.journal import Journal
from orchestrator.runbook import Step, runbook_for

LEGACY, IN_FLIGHT, CUT_OVER, DECOMMISSIONED, ROLLED_BACK = (
    "legacy", "in-flight", "cut-over", "decommissioned", "rolled-back")

#: States from which a new run may start migrating the service.
STARTABLE = {LEGACY, ROLLED_BACK}


def state_on_begin(service: Service, step: Step) -> str | None:
    """The state a service enters when ``step`` begins: in-flight at its first step."""
    return IN_FLIGHT if runbook_for(service)[0].name == step.name else None


def state_on_done(step: Step) -> str | None:
    """The state a service enters when ``step`` is done."""
    return {"cutover": CUT_OVER, "decommission": DECOMMISSIONED}.get(step.name)


def describe(journal: Journal, service_id: str) -> str:
    state = journal.service_state(service_id)
    if state.state in STARTABLE:
        return state.state
    run = journal.run(state.run_id) if state.run_id else None
    where = f" in run {state.run_id}" + (f" ({run.status})" if run else "")
    return state.state + where


def refuse_migrated(journal: Journal, wave: int, members: list[str]) -> None:
    """Refuse (exit 2, nothing changed) members another run has begun or finished migrating."""
    problems = []
    for service_id in members:
        state = journal.service_state(service_id)
        if state.state in STARTABLE:
            continue
        hint = ("finish that run with `logius-migrate wave resume`, or roll it back"
                if state.state == IN_FLIGHT else "it is not migrated again; roll it back first to redo it")
        problems.append(f"wave {wave}: {service_id} is {describe(journal, service_id)}; {hint}")
    if problems:
        raise Refused(problems, f"wave {wave} not started: {len(problems)} of its services were already "
                                f"migrated or are being migrated; nothing was changed")
