"""Wave assignment: a deterministic list scheduler over the hard-dependency graph.

Each wave takes, in priority order (small and less critical first), the services whose every
constraint-predecessor sits in an earlier wave and whose static bounds (pilot waves, minimum
release, not-before date) have passed, skipping a service whose blackout window or contract change
touches the wave, until the wave's capacity is full. Runs in O((V + E) log V) plus the skips.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import heapq
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Release, Service
from orchestrator.errors import PlanInfeasible
from orchestrator.planning.cost import DelayCost, delay_cost
from orchestrator.planning.rules import (
    PlanOptions,
    WaveGrid,
    action_of,
    constraint_edges,
    pilot_rule_applies,
    priority_key,
    release_conflict,
    static_earliest,
    wave_blocker,
)


class Placement(NamedTuple):
    service_id: str
    action: str


@dataclass(frozen=True)
class Wave:
    number: int
    start: dt.date
    end: dt.date
    placements: tuple[Placement, ...]


@dataclass(frozen=True)
class Plan:
    """Waves 1..last (empty ones included, so dates stay on the grid) and where each service sits."""

    options: PlanOptions
    waves: tuple[Wave, ...]
    wave_of: Mapping[str, int]
    pilot_waves: int
    cost: DelayCost | None

    @property
    def end_date(self) -> dt.date | None:
        return self.waves[-1].end if self.waves else None


def plan_waves(catalog: Catalog, options: PlanOptions) -> Plan:
    """Place every service of the catalog in a wave; PlanInfeasible names conflicting constraints."""
    services = catalog.services
    releases = {r.id: r for r in catalog.releases}
    grid = WaveGrid(options.start, options.wave_length_days)
    pilots = pilot_rule_applies(services, options.pilot_waves)

    conflicts = [c for c in (release_conflict(s, releases) for s in services) if c]
    if conflicts:
        raise PlanInfeasible(conflicts)

    with _gc_paused():
        plan = _schedule(services, catalog.hard_pairs, releases, grid, pilots, options)
    _check_deadlines(catalog, plan)
    if catalog.calendar is not None and catalog.cost_model is not None and plan.end_date:
        plan = dataclasses.replace(plan, cost=delay_cost(
            plan.end_date, catalog.calendar.legacy_contract_end, catalog.cost_model))
    return plan


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Planning allocates only acyclic data, yet a full collection pass over a large catalog's
    models costs as much as the planning itself; pause the collector and restore its state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _schedule(services: tuple[Service, ...], hard_pairs: tuple[tuple[int, int], ...],
              releases: Mapping[str, Release], grid: WaveGrid, pilots: int,
              options: PlanOptions) -> Plan:
    n = len(services)
    static = [static_earliest(s, grid, releases, pilots) for s in services]
    blockable = [bool(s.blackout_windows) or s.contract_change is not None for s in services]
    successors: list[list[int]] = [[] for _ in range(n)]
    indegree = [0] * n
    for first, then in constraint_edges(services, hard_pairs):
        successors[first].append(then)
        indegree[then] += 1
    order = sorted(range(n), key=lambda i: priority_key(services[i]))
    rank = [0] * n
    for r, i in enumerate(order):
        rank[i] = r

    buckets: dict[int, list[int]] = {}
    bucket_keys: list[int] = []

    def release_at(i: int, wave: int) -> None:
        bucket = buckets.get(wave)
        if bucket is None:
            buckets[wave] = bucket = []
            heapq.heappush(bucket_keys, wave)
        bucket.append(rank[i])

    for i in range(n):
        if indegree[i] == 0:
            release_at(i, static[i])

    wave_of = [0] * n
    members: dict[int, list[int]] = {}
    ready: list[int] = []
    wave = 0
    placed = 0
    capacity = options.capacity
    try:
        while placed < n:
            if ready:
                wave += 1
            elif bucket_keys:
                wave = max(wave + 1, bucket_keys[0])
            else:  # only reachable with a dependency cycle, which the catalog rejects
                raise PlanInfeasible([f"{n - placed} services wait on each other in a cycle"])
            while bucket_keys and bucket_keys[0] <= wave:
                for r in buckets.pop(heapq.heappop(bucket_keys)):
                    heapq.heappush(ready, r)
            start = end = None
            taken: list[int] = []
            skipped: list[int] = []
            while ready and len(taken) < capacity:
                r = heapq.heappop(ready)
                i = order[r]
                if blockable[i]:
                    if start is None:
                        start, end = grid.bounds(wave)
                    if wave_blocker(services[i], start, end) is not None:
                        skipped.append(r)
                        continue
                taken.append(i)
            for r in skipped:
                heapq.heappush(ready, r)
            for i in taken:
                wave_of[i] = wave
                for j in successors[i]:
                    indegree[j] -= 1
                    if indegree[j] == 0:
                        release_at(j, max(static[j], wave + 1))
            if taken:
                members[wave] = taken
                placed += len(taken)
        last = wave
        ids = [s.id for s in services]
        actions = [action_of(s) for s in services]
        waves = tuple(
            Wave(k, *grid.bounds(k), tuple(Placement(ids[i], actions[i]) for i in members.get(k, ())))
            for k in range(1, last + 1)
        )
    except OverflowError:
        raise PlanInfeasible(["the plan runs past the year 9999: the blackout windows or wave "
                              "settings leave no room"]) from None

    return Plan(options=options, waves=waves,
                wave_of=dict(zip(ids, wave_of, strict=True)), pilot_waves=pilots,
                cost=None)


def _check_deadlines(catalog: Catalog, plan: Plan) -> None:
    from orchestrator.planning.explain import binding_reasons

    if plan.options.deadline is None and not any(s.deadline for s in catalog.services):
        return
    conflicts = []
    for service in catalog.services:
        limits = [(d, label) for d, label in ((service.deadline, "its deadline"),
                                              (plan.options.deadline, "--deadline")) if d]
        wave = plan.wave_of[service.id]
        wave_end = plan.waves[wave - 1].end
        for deadline, label in limits:
            if wave_end > deadline:
                why = "; ".join(binding_reasons(catalog, plan, service.id))
                conflicts.append(f"{service.id}: {label} {deadline} conflicts with {why} "
                                 f"(placed in wave {wave}, which ends {wave_end})")
                break
    if conflicts:
        if len(conflicts) > 20:
            conflicts = conflicts[:20] + [f"... and {len(conflicts) - 20} more services"]
        raise PlanInfeasible(conflicts)
