"""Why a service sits in its wave, derived from the finished plan and the same rules the planner used.

Nothing is recorded while planning (so planning stays fast); the explanation re-checks each rule.
Its text is bounded: one line per binding rule, one per blackout window or contract change that
kept the service out of a wave, and one for all the waves that were full, however many there
were. It costs time in proportion to those reasons (plus one pass over the plan, shared by every
service explained). If the planner ever deferred a service for no reason the rules know, the
explanation says "unexplained", which the tests treat as a bug.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import DependencyKind, Service
from orchestrator.planning.rules import (
    WaveGrid,
    action_of,
    constraint_predecessors,
    static_bounds,
)
from orchestrator.planning.waves import Plan

UNEXPLAINED = "unexplained"
NAMES_SHOWN = 5


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


class Explainer:
    """Explains the placements of one plan; what all explanations share is computed once."""

    def __init__(self, catalog: Catalog, plan: Plan,
                 preds: Mapping[str, list[str]] | None = None) -> None:
        self.catalog = catalog
        self.plan = plan
        self.grid = WaveGrid(plan.options.start, plan.options.wave_length_days)
        self.releases = {r.id: r for r in catalog.releases}
        self.preds = preds if preds is not None else constraint_predecessors(catalog)
        capacity = plan.options.capacity
        #: not_full[k] = how many of waves 1..k had room left
        self.not_full = [0, *accumulate(len(w.placements) < capacity for w in plan.waves)]

    def explain(self, service_id: str) -> Explanation:
        service = self.catalog.service(service_id)
        wave = self.plan.wave_of[service_id]
        earliest, binding = self._binding(service)
        return Explanation(service_id, wave, earliest, tuple(binding),
                           tuple(self._deferrals(service, earliest, wave)),
                           tuple(self._notes(service, wave)))

    def _binding(self, service: Service) -> tuple[int, list[str]]:
        wave_of = self.plan.wave_of
        pred_waves = [(wave_of[p], p) for p in self.preds[service.id]]
        bounds = static_bounds(service, self.grid, self.releases, self.plan.pilot_waves)
        earliest = max([b.wave for b in bounds] + [w + 1 for w, _ in pred_waves])
        binding = [b.reason for b in bounds if b.wave == earliest]
        for wave, pred in pred_waves:
            if wave + 1 == earliest:
                binding.append(f"hard dependency on {pred} (wave {wave}) must move first"
                               if service.moves else
                               f"decommissioned only after its dependant {pred} moved (wave {wave})")
        if earliest > 1:
            binding = [r for r in binding if r != "the plan starts with wave 1"]
        return earliest, binding

    def _wave_at(self, day) -> int:  # noqa: ANN001 - a date
        return (day - self.grid.start).days // self.grid.length + 1

    def _deferrals(self, service: Service, earliest: int, wave: int) -> list[str]:
        """One line per window or contract change that kept it out of waves it could have
        taken, and one line for the waves that were full."""
        if wave <= earliest:
            return []
        lines, blocked = [], []
        for window in service.blackout_windows:
            span = (max(earliest, self._wave_at(window.start)), min(wave - 1, self._wave_at(window.end)))
            if span[0] <= span[1]:
                because = f" ({window.reason})" if window.reason else ""
                lines.append(f"not {_waves([span])}: blackout window {window.start}.."
                             f"{window.end}{because}")
                blocked.append(span)
        change = service.contract_change
        if change is not None and earliest <= self._wave_at(change.date) < wave:
            k = self._wave_at(change.date)
            lines.append(f"not wave {k}: application-contract change on {change.date} falls in "
                         f"this wave (no stacking of a contract change and a platform move)")
            blocked.append((k, k))
        free = _uncovered(earliest, wave - 1, blocked)
        full = [(a, b) for a, b in free if self.not_full[b] - self.not_full[a - 1] == 0]
        odd = [(a, b) for a, b in free if (a, b) not in full]
        if full:
            lines.append(self._full_line(full))
        if odd:
            lines.append(f"not {_waves(odd)}: {UNEXPLAINED}")
        return lines

    def _full_line(self, spans: list[tuple[int, int]]) -> str:
        capacity = self.plan.options.capacity
        why = f"ahead of it in the priority order ({self.plan.priority})"
        if spans == [(spans[0][0], spans[0][0])]:
            placed = [p.service_id for p in self.plan.waves[spans[0][0] - 1].placements]
            shown = ", ".join(placed[:NAMES_SHOWN])
            more = f" and {len(placed) - NAMES_SHOWN} more" if len(placed) > NAMES_SHOWN else ""
            return f"not wave {spans[0][0]}: full at capacity {capacity} with {shown}{more}, {why}"
        return f"not {_waves(spans)}: each full at capacity {capacity} with services {why}"

    def _notes(self, service: Service, wave: int) -> list[str]:
        notes = []
        wave_of = self.plan.wave_of
        for dep in service.dependencies:
            if dep.kind is DependencyKind.SOFT:
                other = wave_of[dep.service]
                when = "earlier" if other < wave else "in the same wave" if other == wave else "later"
                notes.append(f"soft dependency on {dep.service} (wave {other}, {when}): noted, "
                             f"not enforced")
        change = service.contract_change
        if change is not None:
            notes.append(f"application-contract change on {change.date} stays outside this wave")
        placed = self.plan.waves[wave - 1]
        notes.append(f"placed in wave {wave} ({placed.start} to {placed.end}) as {action_of(service)}")
        return notes


def _uncovered(first: int, last: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of first..last that no span covers."""
    out, at = [], first
    for a, b in sorted(spans):
        if a > at:
            out.append((at, min(a - 1, last)))
        at = max(at, b + 1)
    if at <= last:
        out.append((at, last))
    return out


def _waves(spans: list[tuple[int, int]]) -> str:
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in spans]
    single = len(spans) == 1 and spans[0][0] == spans[0][1]
    return ("wave " if single else "waves ") + ", ".join(parts)


def explain_placement(catalog: Catalog, plan: Plan, service_id: str,
                      preds: Mapping[str, list[str]] | None = None) -> Explanation:
    """Every reason for ``service_id``'s wave: its binding lower bounds, each deferral, soft links."""
    return Explainer(catalog, plan, preds).explain(service_id)


def binding_reasons(catalog: Catalog, plan: Plan, service_id: str) -> list[str]:
    """The rules that hold the service where it is: binding bounds, then each deferral."""
    explanation = explain_placement(catalog, plan, service_id)
    return [*explanation.binding, *explanation.deferrals]


def explain_all(catalog: Catalog, plan: Plan) -> dict[str, Explanation]:
    """Explanations for every service, sharing one pass over the dependency graph."""
    explainer = Explainer(catalog, plan)
    return {s.id: explainer.explain(s.id) for s in catalog.services}
