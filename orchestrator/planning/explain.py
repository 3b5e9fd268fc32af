"""Why a service sits in its wave, derived from the finished plan and the same rules the planner used.

Nothing is recorded while planning (so planning stays fast); the explanation re-checks each rule.
If the planner ever deferred a service for no reason the rules know, the explanation says
"unexplained", which the tests treat as a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import DependencyKind
from orchestrator.planning.rules import (
    Bound,
    WaveGrid,
    action_of,
    constraint_predecessors,
    static_bounds,
    wave_blocker,
)
from orchestrator.planning.waves import Plan

UNEXPLAINED = "unexplained"


@dataclass(frozen=True)
class Explanation:
    service_id: str
    wave: int
    earliest: int
    binding: tuple[str, ...]
    deferrals: tuple[str, ...]
    notes: tuple[str, ...]

    def lines(self) -> list[str]:
        out = [f"earliest possible wave {self.earliest}, because: " + "; ".join(self.binding)]
        out += self.deferrals
        out += self.notes
        return out


def _bounds(catalog: Catalog, plan: Plan, service_id: str,
            preds: Mapping[str, list[str]]) -> list[Bound]:
    service = catalog.service(service_id)
    grid = WaveGrid(plan.options.start, plan.options.wave_length_days)
    bounds = static_bounds(service, grid, {r.id: r for r in catalog.releases}, plan.pilot_waves)
    for pred in preds[service_id]:
        wave = plan.wave_of[pred]
        if service.moves:
            text = f"hard dependency on {pred} (wave {wave}) must move first"
        else:
            text = f"decommissioned only after its dependant {pred} moved (wave {wave})"
        bounds.append(Bound(wave + 1, text))
    return bounds


def explain_placement(catalog: Catalog, plan: Plan, service_id: str,
                      preds: Mapping[str, list[str]] | None = None) -> Explanation:
    """Every reason for ``service_id``'s wave: its binding lower bounds, each deferral, soft links.

    Pass ``preds`` (from :func:`constraint_predecessors`) when explaining many services.
    """
    service = catalog.service(service_id)
    preds = preds if preds is not None else constraint_predecessors(catalog)
    grid = WaveGrid(plan.options.start, plan.options.wave_length_days)
    wave = plan.wave_of[service_id]
    bounds = _bounds(catalog, plan, service_id, preds)
    earliest = max(b.wave for b in bounds)
    binding = [b.reason for b in bounds if b.wave == earliest]
    if earliest > 1:
        binding = [r for r in binding if r != "the plan starts with wave 1"]

    deferrals = []
    for k in range(earliest, wave):
        blocker = wave_blocker(service, *grid.bounds(k))
        if blocker:
            deferrals.append(f"not wave {k}: {blocker}")
            continue
        placed = plan.waves[k - 1].placements
        if len(placed) >= plan.options.capacity:
            ahead = ", ".join(p.service_id for p in placed)
            deferrals.append(f"not wave {k}: full at capacity {plan.options.capacity} with {ahead} "
                             f"(smaller or less critical, or earlier by name)")
        else:
            deferrals.append(f"not wave {k}: {UNEXPLAINED}")

    notes = []
    for dep in service.dependencies:
        if dep.kind is DependencyKind.SOFT:
            other = plan.wave_of[dep.service]
            when = "earlier" if other < wave else "in the same wave" if other == wave else "later"
            notes.append(f"soft dependency on {dep.service} (wave {other}, {when}): noted, not enforced")
    change = service.contract_change
    if change is not None:
        notes.append(f"application-contract change on {change.date} stays outside this wave")
    notes.append(f"placed in wave {wave} ({plan.waves[wave - 1].start} to "
                 f"{plan.waves[wave - 1].end}) as {action_of(service)}")
    return Explanation(service_id, wave, earliest, tuple(binding), tuple(deferrals), tuple(notes))


def binding_reasons(catalog: Catalog, plan: Plan, service_id: str) -> list[str]:
    """The rules that hold the service where it is: binding bounds, then each deferral."""
    explanation = explain_placement(catalog, plan, service_id)
    return [*explanation.binding, *explanation.deferrals]


def explain_all(catalog: Catalog, plan: Plan) -> dict[str, Explanation]:
    """Explanations for every service, sharing one pass over the dependency graph."""
    preds = constraint_predecessors(catalog)
    return {s.id: explain_placement(catalog, plan, s.id, preds) for s in catalog.services}
