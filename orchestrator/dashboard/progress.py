"""Where each service and each wave stands: the journal's service states, the services a run holds
(and why), and per wave of the approved plan its latest run, its status, duration and step counts."""

from __future__ import annotations

from typing import Any

from orchestrator.dashboard.times import hours, moment
from orchestrator.journal import Run

#: The states a service is counted in, in the order shown; "held" is a service on legacy (or
#: rolled back) that its wave's latest run holds.
STATES = ("legacy", "in-flight", "cut-over", "decommissioned", "rolled-back", "held")
DONE = frozenset({"cut-over", "decommissioned"})
NOT_STARTED = "not started"


def latest_wave_runs(runs: list[Run]) -> dict[int, Run]:
    """Wave number -> its newest wave run (runs come oldest first)."""
    latest: dict[int, Run] = {}
    for run in runs:
        if run.kind == "wave":
            latest[run.wave] = run
    return latest


def held_services(latest: dict[int, Run]) -> dict[str, str]:
    """Service -> why the latest run of its wave holds it."""
    held: dict[str, str] = {}
    for run in latest.values():
        held.update(run.parsed_detail.held or {})
    return held


def service_rows(catalog: Any, journal: Any, plan: Any, held: dict[str, str]) -> list[dict[str, Any]]:
    """Every catalog service with its state, the run that set it, its wave and why it is held."""
    states = journal.service_states()
    rows = []
    for service in sorted(catalog.services, key=lambda s: s.id):
        known = states.get(service.id)
        state = known.state if known else "legacy"
        why = held.get(service.id) if state in {"legacy", "rolled-back"} else None
        rows.append({"service": service.id, "name": service.name, "state": "held" if why else state,
                     "run": known.run_id if known else None, "held": why,
                     "wave": plan.wave_of(service.id) if plan else None})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Services per state and "n of m done"."""
    counts = {state: sum(1 for r in rows if r["state"] == state) for state in STATES}
    done = sum(counts[s] for s in DONE)
    return {"states": counts, "done": done, "total": len(rows), "line": f"{done} of {len(rows)} done"}


def wave_rows(plan: Any, latest: dict[int, Run], counts: dict[str, dict[str, int]],
              runs: list[Run]) -> list[dict[str, Any]]:
    """Per wave of the plan: its dates, services, latest run, status, duration and steps."""
    rows = []
    for wave in plan.waves if plan else []:
        number = int(wave["number"])
        run = latest.get(number)
        steps: dict[str, int] = {}
        for other in (r for r in runs if r.wave == number and r.kind == "wave"):
            for status, n in counts.get(other.id, {}).items():
                steps[status] = steps.get(status, 0) + n
        rows.append({"number": number, "start": wave["start"], "end": wave["end"],
                     "services": list(wave["services"]), "run": run.id if run else None,
                     "status": run.status if run else NOT_STARTED,
                     "started": moment(run.started_at) if run else None,
                     "finished": moment(run.finished_at) if run else None,
                     "hours": hours(run.started_at, run.finished_at or run.updated_at) if run else None,
                     "held": dict(sorted((run.parsed_detail.held or {}).items())) if run else {},
                     "steps": dict(sorted(steps.items()))})
    return rows
