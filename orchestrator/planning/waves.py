"""Wave assignment: a deterministic list scheduler over the hard-dependency graph.

Each wave takes, in priority order, the services whose every constraint-predecessor sits in an
earlier wave and whose static bounds (pilot waves, minimum release, not-before date) have passed,
skipping a service whose blackout window or contract change touches the wave, until the wave's
capacity is full. The priority puts the critical path first: the longest remaining chain of hard
dependencies, then smaller and less critical services, then the id. Runs in O((V + E) log V) plus
the skips. Deadlines that this order misses are searched for in :mod:`.deadlines`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Release, Service
from orchestrator.errors import PlanInfeasible
from orchestrator.gcpause import gc_paused
from orchestrator.planning.cost import DelayCost, delay_cost
from orchestrator.planning.gaps import gap_reason
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

CRITICAL_PATH = "critical path first"
#: What each priority order means, for reports.
PRIORITIES = {
    CRITICAL_PATH: "the longest remaining chain of hard dependencies first, then smaller, then "
                   "less critical services, then by id",
    "deadline first": "the latest wave each service may take first (its own deadline, and one wave "
                      "before each hard dependant's), then the critical path",
}


class Placement(NamedTuple):
    service_id: str
    action: str


class Done(NamedTuple):
    """A service the plan does not place again: already cut over or retired, by ``run_id``."""

    service_id: str
    state: str
    run_id: str


@dataclass(frozen=True)
class Wave:
    """Wave ``number`` (1..n, counting only the periods in which something moves) takes period
    ``period`` of the grid, from ``start`` to ``end``."""

    number: int
    start: dt.date
    end: dt.date
    placements: tuple[Placement, ...]
    period: int


@dataclass(frozen=True)
class Gap:
    """Periods in which nothing moves, from ``start`` to ``end``, before wave ``before``; the
    reason says what the services of that wave waited for."""

    start: dt.date
    end: dt.date
    before: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """Waves 1..n, numbered densely over the periods that hold services, with the gaps between
    them, and where each service sits.

    ``wave_of`` gives each service's *period* on the grid (the scheduler's and the explainer's
    unit: period k starts ``start + (k-1) * length``); what users see is ``wave_for(id).number``.
    ``priority`` says which order filled the waves (the critical path, unless a deadline made
    the planner search for another). ``done`` names services already migrated or retired,
    which the plan does not place again."""

    options: PlanOptions
    waves: tuple[Wave, ...]
    wave_of: Mapping[str, int]
    pilot_waves: int
    cost: DelayCost | None
    priority: str = CRITICAL_PATH
    gaps: tuple[Gap, ...] = ()
    done: tuple[Done, ...] = ()

    @property
    def end_date(self) -> dt.date | None:
        return self.waves[-1].end if self.waves else None

    @cached_property
    def _by_period(self) -> dict[int, Wave]:
        return {w.period: w for w in self.waves}

    def wave_at(self, period: int) -> Wave | None:
        """The wave that takes ``period`` of the grid, or None when nothing moves in it."""
        return self._by_period.get(period)

    def wave_for(self, service_id: str) -> Wave:
        """The wave ``service_id`` sits in."""
        return self._by_period[self.wave_of[service_id]]


@dataclass(frozen=True)
class Instance:
    """A catalog reduced to what scheduling needs, by position in ``services``."""

    services: tuple[Service, ...]
    grid: WaveGrid
    capacity: int
    pilots: int
    static: list[int]
    blockable: list[bool]
    successors: list[list[int]]
    predecessors: list[list[int]]
    topo: list[int]
    height: list[int]

    @property
    def size(self) -> int:
        return len(self.services)


def build_instance(catalog: Catalog, options: PlanOptions) -> Instance:
    services = catalog.services
    n = len(services)
    releases = {r.id: r for r in catalog.releases}
    grid = WaveGrid(options.start, options.wave_length_days)
    pilots = pilot_rule_applies(services, options.pilot_waves)
    successors: list[list[int]] = [[] for _ in range(n)]
    predecessors: list[list[int]] = [[] for _ in range(n)]
    for first, then in constraint_edges(services, catalog.hard_pairs):
        successors[first].append(then)
        predecessors[then].append(first)
    topo = _topological_order(successors, predecessors)
    height = [1] * n
    for i in reversed(topo):
        for j in successors[i]:
            if height[j] + 1 > height[i]:
                height[i] = height[j] + 1
    return Instance(services=services, grid=grid, capacity=options.capacity, pilots=pilots,
                    static=[static_earliest(s, grid, releases, pilots) for s in services],
                    blockable=[bool(s.blackout_windows) or s.contract_change is not None
                               for s in services],
                    successors=successors, predecessors=predecessors, topo=topo, height=height)


def _topological_order(successors: list[list[int]], predecessors: list[list[int]]) -> list[int]:
    indegree = [len(p) for p in predecessors]
    order = [i for i, d in enumerate(indegree) if d == 0]
    for i in order:  # the list grows while it is walked: Kahn's algorithm
        for j in successors[i]:
            indegree[j] -= 1
            if indegree[j] == 0:
                order.append(j)
    if len(order) != len(successors):  # only with a cycle, which the catalog rejects
        raise PlanInfeasible([f"{len(successors) - len(order)} services wait on each other in a "
                              f"cycle"])
    return order


def critical_path_ranks(inst: Instance) -> list[tuple[object, ...]]:
    """The default priority of each service: longest remaining chain first, then the old rules."""
    return [(-inst.height[i], *priority_key(s)) for i, s in enumerate(inst.services)]


def plan_waves(catalog: Catalog, options: PlanOptions) -> Plan:
    """Place every service of the catalog in a wave; PlanInfeasible names conflicting constraints."""
    from orchestrator.planning import deadlines

    releases = {r.id: r for r in catalog.releases}
    conflicts = [c for c in (release_conflict(s, releases) for s in catalog.services) if c]
    if conflicts:
        raise PlanInfeasible(conflicts)
    with gc_paused():
        inst = build_instance(catalog, options)
        wave_of, members = list_schedule(inst, critical_path_ranks(inst))
        priority = CRITICAL_PATH
        limits = deadlines.deadline_waves(inst, options)
        if limits is not None and deadlines.late(wave_of, limits):
            wave_of, members, priority = deadlines.meet(catalog, inst, options, limits,
                                                        (wave_of, members))
    plan = assemble(inst, options, wave_of, members, priority, releases)
    if catalog.calendar is not None and catalog.calendar.legacy_contract_end is not None \
            and catalog.cost_model is not None and plan.end_date:
        plan = dataclasses.replace(plan, cost=delay_cost(
            plan.end_date, catalog.calendar.legacy_contract_end, catalog.cost_model))
    return plan


def list_schedule(inst: Instance, ranks: Sequence[tuple[object, ...]]
                  ) -> tuple[list[int], dict[int, list[int]]]:
    """Fill waves in the priority order ``ranks`` (lowest first); returns each service's wave and
    each wave's members in the order they were taken."""
    n = inst.size
    order = sorted(range(n), key=ranks.__getitem__)
    rank = [0] * n
    for r, i in enumerate(order):
        rank[i] = r
    indegree = [len(p) for p in inst.predecessors]
    static, successors = inst.static, inst.successors
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
    wave = placed = 0
    try:
        while placed < n:
            wave = wave + 1 if ready else max(wave + 1, bucket_keys[0])
            while bucket_keys and bucket_keys[0] <= wave:
                for r in buckets.pop(heapq.heappop(bucket_keys)):
                    heapq.heappush(ready, r)
            taken = _fill(inst, wave, ready, order)
            for i in taken:
                wave_of[i] = wave
                for j in successors[i]:
                    indegree[j] -= 1
                    if indegree[j] == 0:
                        release_at(j, max(static[j], wave + 1))
            if taken:
                members[wave] = taken
                placed += len(taken)
        inst.grid.bounds(wave)  # the last wave must have real dates
    except OverflowError:
        raise PlanInfeasible(["the plan runs past the year 9999: the blackout windows or wave "
                              "settings leave no room"]) from None
    return wave_of, members


def _fill(inst: Instance, wave: int, ready: list[int], order: list[int]) -> list[int]:
    """Take up to capacity ready services for ``wave``, skipping (and keeping ready) those a
    blackout window or contract change keeps out of it."""
    start = end = None
    taken: list[int] = []
    skipped: list[int] = []
    while ready and len(taken) < inst.capacity:
        r = heapq.heappop(ready)
        i = order[r]
        if inst.blockable[i]:
            if start is None:
                start, end = inst.grid.bounds(wave)
            if wave_blocker(inst.services[i], start, end) is not None:
                skipped.append(r)
                continue
        taken.append(i)
    for r in skipped:
        heapq.heappush(ready, r)
    return taken


def assemble(inst: Instance, options: PlanOptions, wave_of: list[int],
             members: dict[int, list[int]], priority: str,
             releases: Mapping[str, Release] | None = None) -> Plan:
    """The plan of a schedule: a wave for each period that holds services, numbered 1..n, and
    a gap, with its reason, for each run of periods in which nothing moves (``releases``, as
    the scheduler saw them, name what a service waited for)."""
    ids = [s.id for s in inst.services]
    actions = [action_of(s) for s in inst.services]
    waves, gaps = [], []
    for number, period in enumerate(sorted(members), 1):
        previous = waves[-1].period if waves else 0
        if period > previous + 1:
            start, end = inst.grid.bounds(previous + 1)[0], inst.grid.bounds(period - 1)[1]
            gaps.append(Gap(start, end, number, gap_reason(inst, releases or {}, previous + 1,
                                                           period, members[period])))
        waves.append(Wave(number, *inst.grid.bounds(period),
                          tuple(Placement(ids[i], actions[i]) for i in members[period]), period))
    return Plan(options=options, waves=tuple(waves), wave_of=dict(zip(ids, wave_of, strict=True)),
                pilot_waves=inst.pilots, cost=None, priority=priority, gaps=tuple(gaps))

