"""The placement rules, shared by the planner (which applies them) and the explainer (which cites them).

Keeping both on these functions is what makes every explanation true of the plan it explains.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Criticality, Disposition, Release, Service, Size
from orchestrator.errors import InputError

ACTIONS = {
    Disposition.REHOST: "migrate",
    Disposition.REBUILD: "rebuild",
    Disposition.NEW_BUILD: "new-build",
    Disposition.RETIRE: "decommission",
}


@dataclass(frozen=True)
class PlanOptions:
    """How waves are cut: first wave start, wave length in days, services per wave, pilot waves."""

    start: dt.date
    wave_length_days: int = 28
    capacity: int = 3
    pilot_waves: int = 1
    deadline: dt.date | None = None

    def __post_init__(self) -> None:
        if self.wave_length_days < 1:
            raise InputError(f"--wave-length must be at least 1 day (got {self.wave_length_days})")
        if self.capacity < 1:
            raise InputError(f"--capacity must be at least 1 service per wave (got {self.capacity})")
        if self.pilot_waves < 0:
            raise InputError(f"--pilot-waves cannot be negative (got {self.pilot_waves})")
        if self.deadline is not None and self.deadline < self.start:
            raise InputError(f"--deadline {self.deadline} is before the plan's start {self.start}: "
                             f"no wave could end by then")


@dataclass(frozen=True)
class WaveGrid:
    """Wave k (from 1) runs from start + (k-1)*length to start + k*length - 1, both days included."""

    start: dt.date
    length: int

    def bounds(self, wave: int) -> tuple[dt.date, dt.date]:
        first = self.start + dt.timedelta(days=(wave - 1) * self.length)
        return first, first + dt.timedelta(days=self.length - 1)

    def first_wave_from(self, day: dt.date) -> int:
        """The first wave that starts on or after ``day``."""
        if day <= self.start:
            return 1
        return 1 + -(-(day - self.start).days // self.length)


@dataclass(frozen=True)
class Bound:
    """A lower bound on a service's wave and the rule it comes from, in words."""

    wave: int
    reason: str


def action_of(service: Service) -> str:
    return ACTIONS[service.disposition]


def pilot_rule_applies(services: tuple[Service, ...] | list[Service], pilot_waves: int) -> int:
    """How many pilot waves hold: none when no moving service is a pilot candidate."""
    if pilot_waves and any(s.moves and s.is_pilot_candidate for s in services):
        return pilot_waves
    return 0


def release_conflict(service: Service, releases: Mapping[str, Release]) -> str | None:
    """Why the service's minimum release makes any plan impossible, or None."""
    if not service.moves or service.min_release is None:
        return None
    release = releases[service.min_release]
    if release.available is None:
        return (f"{service.id}: needs infrastructure release {release.id}, which has no availability "
                f"date (status {release.status.value})")
    return None


def static_bounds(service: Service, grid: WaveGrid, releases: Mapping[str, Release],
                  pilot_waves: int) -> list[Bound]:
    """Lower bounds that do not depend on where other services go."""
    bounds = [Bound(1, "the plan starts with wave 1")]
    if service.moves and pilot_waves:
        if service.is_pilot_candidate:
            bounds.append(Bound(1, f"pilot candidate (size {service.size.value}, criticality "
                                   f"{service.criticality.value}): may go in the pilot wave(s)"))
        else:
            bounds.append(Bound(pilot_waves + 1,
                                f"not a pilot candidate (size {service.size.value}, criticality "
                                f"{service.criticality.value}): waits for the {pilot_waves} pilot "
                                f"wave(s)"))
    if service.moves and service.min_release is not None:
        release = releases[service.min_release]
        if release.available is not None:
            bounds.append(Bound(grid.first_wave_from(release.available),
                                f"needs infrastructure release {release.id}, available from "
                                f"{release.available}"))
    if service.not_before is not None:
        bounds.append(Bound(grid.first_wave_from(service.not_before),
                            f"not before {service.not_before}"))
    return bounds


def constraint_edges(services: Sequence[Service],
                     hard_pairs: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pairs ``(first, then)`` of positions in ``services``: ``first`` must sit in an earlier wave.

    ``hard_pairs`` holds each hard dependency as (dependant, dependency) positions
    (:attr:`Catalog.hard_pairs`). A hard dependency on a moving service means the dependency moves
    first. A dependency on a retired service reverses: the retired service is decommissioned after
    its dependants moved. A retired service's own dependencies bind nothing: it does not move.
    """
    retire = Disposition.RETIRE
    moves = [s.disposition is not retire for s in services]
    return [(dependency, dependant) if moves[dependency] else (dependant, dependency)
            for dependant, dependency in hard_pairs if moves[dependant]]


def constraint_predecessors(catalog: Catalog) -> dict[str, list[str]]:
    """For each service id, the ids that must sit in an earlier wave (see :func:`constraint_edges`)."""
    services = catalog.services
    preds: dict[str, list[str]] = {s.id: [] for s in services}
    for first, then in constraint_edges(services, catalog.hard_pairs):
        preds[services[then].id].append(services[first].id)
    return preds


def wave_blocker(service: Service, start: dt.date, end: dt.date) -> str | None:
    """Why ``service`` cannot be in a wave running from ``start`` to ``end``, or None."""
    for window in service.blackout_windows:
        if window.start <= end and window.end >= start:
            because = f" ({window.reason})" if window.reason else ""
            return f"blackout window {window.start}..{window.end}{because}"
    change = service.contract_change
    if change is not None and start <= change.date <= end:
        return (f"application-contract change on {change.date} falls in this wave "
                f"(no stacking of a contract change and a platform move)")
    return None


def priority_key(service: Service) -> tuple[int, int, str]:
    """Among equals on the critical path: smaller, less critical services first; the id breaks
    ties so the plan is deterministic."""
    return (_SIZE_RANK[service.size], _CRITICALITY_RANK[service.criticality], service.id)


_SIZE_RANK = {size: size.rank for size in Size}
_CRITICALITY_RANK = {level: level.rank for level in Criticality}


def static_earliest(service: Service, grid: WaveGrid, releases: Mapping[str, Release],
                    pilot_waves: int) -> int:
    """``max(b.wave for b in static_bounds(...))`` without wording the reasons: the planner's path.

    A test holds the two equal over random catalogs.
    """
    earliest = 1
    if service.disposition is not Disposition.RETIRE:
        if pilot_waves and not service.is_pilot_candidate:
            earliest = pilot_waves + 1
        if service.min_release is not None:
            available = releases[service.min_release].available
            if available is not None and available > grid.start:
                earliest = max(earliest, grid.first_wave_from(available))
    if service.not_before is not None and service.not_before > grid.start:
        earliest = max(earliest, grid.first_wave_from(service.not_before))
    return earliest
