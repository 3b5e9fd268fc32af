"""Where the programme stands, as the planner needs it: the journal's release decisions, the
services already cut over, retired or in flight, and the downtime each service has used in the
current availability period. :func:`adjust` turns a catalog into the catalog left to plan, by the
rules of :mod:`orchestrator.policy`, so the plan places a service only where its gates can pass."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from orchestrator.errors import PlanInfeasible

#: Service states the plan does not place again: done, or being migrated by a run.
DONE_STATES = ("cut-over", "decommissioned")
IN_FLIGHT = "in-flight"


class PastLegacy(NamedTuple):
    service_id: str
    state: str
    run_id: str | None


@dataclass(frozen=True)
class Standing:
    today: dt.date
    decisions: Mapping[str, Any] = field(default_factory=dict)
    states: tuple[PastLegacy, ...] = ()
    used_minutes: Mapping[str, float] = field(default_factory=dict)
    #: service -> the standing of its build's test track (policy.tracks): done, not run, ...
    tracks: Mapping[str, str] = field(default_factory=dict)


def read_standing(journal: Any, catalog: Any, today: dt.date) -> Standing:
    """The journal's decisions, the services past legacy, and the downtime each moving service
    used in the period holding ``today``, and where each test track stands."""
    from orchestrator.policy import availability, releases, tracks

    known = [s for s in journal.service_states().values() if s.service in catalog.index]
    states = tuple(PastLegacy(s.service, s.state, s.run_id) for s in known
                   if s.state in (*DONE_STATES, IN_FLIGHT))
    period = availability.period_of(today, availability.period_name(catalog))
    used = {s.service: availability.journalled_downtime(journal, s.service, period) for s in known}
    return Standing(today, releases.decisions(journal), states, {k: v for k, v in used.items() if v},
                    tracks.standings(journal, catalog))


def adjust(catalog: Any, standing: Standing, wave_length_days: int) -> Any:
    """The catalog left to plan: done and in-flight services out (a dependant of one in flight
    waits one wave), each release usable from when the release rule says, and a service whose
    period's budget is spent this period not before the next. PlanInfeasible when a service's
    downtime can never fit its availability budget."""
    from orchestrator.policy import availability, releases

    never = [reason for s in catalog.services if (reason := availability.never_fits(catalog, s))]
    if never:
        raise PlanInfeasible(never)
    usable = releases.usable_from(catalog, standing.decisions)
    oldest = releases.in_order(catalog)[0].id if catalog.releases else None
    gone = {s.service_id: s.state for s in standing.states}
    soonest = standing.today + dt.timedelta(days=wave_length_days)
    services = tuple(_left(catalog, s, gone, soonest, standing, oldest) for s in catalog.services
                     if s.id not in gone)
    stuck = sorted({f"{s.id}: needs infrastructure release {s.min_release} or later, and none will "
                    f"be usable: {usable[s.min_release][1]}" for s in services
                    if s.moves and s.min_release is not None and usable[s.min_release][0] is None})
    if stuck:
        raise PlanInfeasible(stuck)
    released = tuple(r.model_copy(update={"available": usable[r.id][0]}) for r in catalog.releases)
    return dataclasses.replace(catalog, services=services, releases=released)


def _left(catalog: Any, service: Any, gone: Mapping[str, str], soonest: dt.date,
          standing: Standing, oldest: str | None) -> Any:
    """The service as left to plan; a moving service that names no release still needs one
    accepted (the oldest will do) when the catalog tracks releases, as PRE-REL-001 asks."""
    from orchestrator.policy import availability

    update: dict[str, Any] = {}
    if service.moves and service.min_release is None and oldest is not None:
        update["min_release"] = oldest
    if any(d.service in gone for d in service.dependencies):
        update["dependencies"] = [d for d in service.dependencies if d.service not in gone]
        if any(gone[d.service] == IN_FLIGHT for d in service.dependencies if d.service in gone):
            update["not_before"] = max(service.not_before or soonest, soonest)
    used = standing.used_minutes.get(service.id, 0.0)
    later = availability.earliest_fit(catalog, service, standing.today, used) if used else None
    if later is not None:
        update["not_before"] = max(update.get("not_before") or service.not_before or later, later)
    return service.model_copy(update=update) if update else service
