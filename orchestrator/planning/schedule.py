"""The list scheduler: fill waves in a priority order (each service once every constraint-
predecessor sits in an earlier wave and its static bounds have passed, skipping it while a
blackout window or contract change touches the wave), and assemble the plan of a schedule."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Mapping, Sequence

from orchestrator.catalog.models import Release
from orchestrator.errors import PlanInfeasible
from orchestrator.planning.gaps import gap_reason
from orchestrator.planning.instance import Instance
from orchestrator.planning.plan import Gap, Placement, Plan, Wave
from orchestrator.planning.rules import PlanOptions, action_of, wave_blocker


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
    start: dt.date | None = None
    end: dt.date | None = None
    taken: list[int] = []
    skipped: list[int] = []
    while ready and len(taken) < inst.capacity:
        r = heapq.heappop(ready)
        i = order[r]
        if inst.blockable[i]:
            if start is None or end is None:
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
    waves: list[Wave] = []
    gaps: list[Gap] = []
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
