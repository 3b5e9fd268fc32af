"""The rest of the approved plan as the simulation takes it: the waves still to do (their planned
start, the services left in them), each service's steps (recorded times from the journal, else a
share of the wave length), the releases not yet accepted that services wait for, and the open
blockers that hold their scope. Days are counted from ``today`` (day 0)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.forecast.history import StepHistory
from orchestrator.planning.standing import DONE_STATES


@dataclass(frozen=True)
class Wave:
    number: int
    start: int  # planned first day
    end: int  # planned last day
    columns: tuple[int, int]  # its services' columns: [first, stop)


@dataclass
class Step:
    """One step name across the services that run it: their columns, the share of the wave
    length each gives it (days, when there is no history), its recorded times, its failure rate."""

    name: str
    columns: list[int] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)
    history: tuple[float, ...] = ()
    failure_rate: float = 0.0


@dataclass(frozen=True)
class Wait:
    """The services in ``columns`` cannot start before ``day`` plus a draw of the delay."""

    what: str
    day: int
    columns: tuple[int, ...]


@dataclass
class Programme:
    today: dt.date
    services: list[str]
    waves: list[Wave]
    steps: dict[str, Step]
    releases: list[Wait]
    blockers: list[Wait]

    def day(self, offset: int) -> dt.date:
        return self.today + dt.timedelta(days=offset)

    def offset(self, day: dt.date) -> int:
        return (day - self.today).days


def remaining_waves(plan: Any, done: set[str]) -> list[tuple[int, dt.date, dt.date, list[str]]]:
    """The plan's waves with services not yet done: (number, start, end, those services)."""
    left = []
    for wave in plan.waves:
        services = [s for s in wave["services"] if s not in done]
        if services:
            left.append((int(wave["number"]), dt.date.fromisoformat(wave["start"]),
                         dt.date.fromisoformat(wave["end"]), services))
    return left


def build_programme(plan: Any, catalog: Any, journal: Any, history: StepHistory,
                    today: dt.date) -> Programme:
    done = {s.service for s in journal.service_states().values() if s.state in DONE_STATES}
    programme = Programme(today, [], [], {}, [], [])
    for number, start, end, services in remaining_waves(plan, done):
        first = len(programme.services)
        for sid in services:
            _add_steps(programme, catalog, sid, (end - start).days + 1, history)
        programme.waves.append(Wave(number, programme.offset(start), programme.offset(end),
                                    (first, len(programme.services))))
    programme.releases = _release_waits(catalog, journal, programme)
    programme.blockers = _blocker_waits(journal, plan, catalog, programme)
    return programme


def _add_steps(programme: Programme, catalog: Any, sid: str, length: int, history: StepHistory) -> None:
    from orchestrator.runbook import runbook_for

    column = len(programme.services)
    programme.services.append(sid)
    position = catalog.index.get(sid)
    names = ["work"]  # a service the catalog no longer has: the wave length, as one piece
    if position is not None:
        names = [s.name for s in runbook_for(catalog.services[position])
                 if not s.wave_level and not s.deferred]
    minimum = catalog.forecast_settings.min_history
    for name in names:
        step = programme.steps.get(name)
        if step is None:
            recorded = history.durations.get(name, ())
            step = programme.steps[name] = Step(name, history=recorded if len(recorded) >= minimum else (),
                                                failure_rate=history.failure_rate.get(name, 0.0))
        step.columns.append(column)
        step.shares.append(length / len(names))


def needed_release(catalog: Any, service: Any) -> str | None:
    """The release a service waits for: its min_release, else (a moving service, when the catalog
    tracks releases) the oldest, as the planner's standing rule says."""
    from orchestrator.policy.releases import in_order

    if service.min_release is not None:
        return str(service.min_release)
    if service.moves and catalog.releases:
        return str(in_order(catalog)[0].id)
    return None


def _release_waits(catalog: Any, journal: Any, programme: Programme) -> list[Wait]:
    """Per release not accepted (none at or after it accepted in the journal): the services that
    need it, from its expected day (the catalog's ``available``, not before today)."""
    from orchestrator.policy.releases import decisions, in_order

    order = [r.id for r in in_order(catalog)]
    known = {r.id: r for r in catalog.releases}
    decided = decisions(journal)
    by_release: dict[str, list[int]] = {}
    for column, sid in enumerate(programme.services):
        position = catalog.index.get(sid)
        need = needed_release(catalog, catalog.services[position]) if position is not None else None
        if need is not None and need in order:
            by_release.setdefault(need, []).append(column)
    waits = []
    for release_id, columns in sorted(by_release.items()):
        later = [known[r] for r in order[order.index(release_id):]]
        if any(r.id in decided and decided[r.id].status == "accepted" for r in later):
            continue
        expected = [r.available for r in later if r.available is not None
                    and not (r.id in decided and decided[r.id].status == "rejected")]
        day = max(0, programme.offset(min(expected))) if expected else 0
        waits.append(Wait(f"release {release_id} not accepted", day, tuple(columns)))
    return waits


def _blocker_waits(journal: Any, plan: Any, catalog: Any, programme: Programme) -> list[Wait]:
    """Per blocker in force today: the services its scope covers, held from its due day (today
    when it has none)."""
    from orchestrator.journal.blockers import list_blockers

    waits = []
    for blocker in list_blockers(journal, include_resolved=False):
        if not blocker.in_force(programme.today):
            continue
        columns = tuple(_covered(blocker.scope, plan, catalog, programme))
        if columns:
            due = dt.date.fromisoformat(blocker.due) if blocker.due else programme.today
            waits.append(Wait(f"{blocker.id} ({blocker.scope})", max(0, programme.offset(due)), columns))
    return waits


def _covered(scope: str, plan: Any, catalog: Any, programme: Programme) -> Iterable[int]:
    kind, _, name = scope.partition(":")
    for column, sid in enumerate(programme.services):
        position = catalog.index.get(sid)
        service = catalog.services[position] if position is not None else None
        if (kind == "platform" or (kind == "service" and sid == name)
                or (kind == "wave" and plan.wave_of(sid) == int(name))
                or (kind == "release" and service is not None
                    and needed_release(catalog, service) == name)):
            yield column
