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

from orchestrator.catalog.loader import Catalog
from orchestrator.errors import PlanInfeasible
from orchestrator.gcpause import gc_paused
from orchestrator.planning import deadlines
from orchestrator.planning.cost import delay_cost
from orchestrator.planning.instance import build_instance, critical_path_ranks
from orchestrator.planning.plan import CRITICAL_PATH, PRIORITIES, Done, Gap, Placement, Plan, Wave
from orchestrator.planning.rules import PlanOptions, release_conflict
from orchestrator.planning.schedule import assemble, list_schedule
from orchestrator.planning.stages import track_stages

#: The plan's shape lives in :mod:`.plan`, the scheduler in :mod:`.instance` and :mod:`.schedule`;
#: they are named here too, where callers have always found them.
__all__ = ["CRITICAL_PATH", "PRIORITIES", "Done", "Gap", "Placement", "Plan", "Wave", "plan_waves"]


def plan_waves(catalog: Catalog, options: PlanOptions) -> Plan:
    """Place every service of the catalog in a wave, with the test tracks before their waves;
    PlanInfeasible names conflicting constraints."""
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
    return dataclasses.replace(plan, stages=track_stages(catalog, plan))
