"""A catalog reduced to what scheduling needs: services by position, their constraint edges in
both directions, a topological order, each service's static earliest period and the height of
its longest remaining chain of hard dependencies (the critical path's rank)."""

from __future__ import annotations

from dataclasses import dataclass

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Service
from orchestrator.errors import PlanInfeasible
from orchestrator.planning.rules import (
    PlanOptions,
    WaveGrid,
    constraint_edges,
    pilot_rule_applies,
    priority_key,
    static_earliest,
)


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
