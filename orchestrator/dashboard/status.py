"""Gathering the status document: each part from its own module, in a fixed order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from orchestrator.clock import AMSTERDAM
from orchestrator.dashboard import board, budget, progress, rehearsals, releases, timeline, tracks
from orchestrator.journal.plans import latest_approved
from orchestrator.journal.tallies import step_counts

FORMAT = "logius-migrate/status 1"
#: The parts gathered, for a progress bar: one unit each.
PARTS = 8


def gather_status(catalog: Any, journal: Any, *, now: dt.datetime, forecast: dict[str, Any] | None = None,
                  advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The status document of the programme at ``now``; ``forecast`` is a Forecast's dict (None:
    the forecast parts say there is none)."""
    step = advance or (lambda _n: None)
    today = now.astimezone(AMSTERDAM).date()
    plan = latest_approved(journal)
    runs = journal.runs()
    latest = progress.latest_wave_runs(runs)
    services = progress.service_rows(catalog, journal, plan, progress.held_services(latest))
    waves = progress.wave_rows(plan, latest, step_counts(journal), runs)
    step(2)
    calendar = catalog.calendar
    contract_end = calendar.legacy_contract_end if calendar is not None else None
    document = {
        "format": FORMAT, "now": now.astimezone(AMSTERDAM).isoformat(timespec="seconds"),
        "today": today.isoformat(), "organisation": catalog.organisation.name, "catalog": catalog.digest,
        "plan": _plan(plan), "nothing_ran": not runs,
        "timeline": timeline.timeline(plan, timeline.run_spans(runs), today, contract_end, forecast),
        "progress": {**progress.summary(services), "services": services, "waves": waves}}
    document["blockers"] = board.blocker_board(journal, today)
    step(1)
    document["releases"] = releases.release_rows(catalog, journal)
    step(1)
    done = {s["service"] for s in services if s["state"] in progress.DONE}
    document["availability"] = budget.availability_rows(catalog, journal, today, done)
    step(1)
    document["cost"] = budget.cost_of_delay(catalog, plan, forecast)
    document["rehearsals"] = rehearsals.rehearsal_rows(journal, waves)
    step(1)
    document["tracks"] = tracks.track_rows(journal)
    step(1)
    document["forecast"] = forecast
    step(1)
    return document


def _plan(plan: Any) -> dict[str, Any] | None:
    if plan is None:
        return None
    return {"id": plan.id, "saved_by": plan.saved_by, "approved_by": plan.approved_by,
            "site": plan.site_name, "waves": len(plan.waves),
            "start": plan.waves[0]["start"] if plan.waves else None,
            "end": max(w["end"] for w in plan.waves) if plan.waves else None}
