"""Why a service sits in its wave, derived from the finished plan and the same rules the planner used.

Nothing is recorded while planning (so planning stays fast); the explanation re-checks each rule.
Its text is bounded: one line per binding rule, one per blackout window or contract change that
kept the service out of a wave, and one for all the waves that were full, however many there
were. It costs time in proportion to those reasons (plus one pass over the plan, shared by every
service explained). If the planner ever deferred a service for no reason the rules know, the
explanation says "unexplained", which the tests treat as a bug.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import DependencyKind, Service
from orchestrator.planning.plan import Plan
from orchestrator.planning.rules import (
    WaveGrid,
    action_of,
    constraint_predecessors,
    static_bounds,
)

UNEXPLAINED = "unexplained"
NAMES_SHOWN = 5
PLAN_STARTS = "the plan starts with wave 1"  # the rules' first bound, worded here with its date


@dataclass(frozen=True)
class Explanation:
    """Why ``service_id`` sits in wave ``wave`` (its number, 1..n). ``earliest`` is the first
    period of the grid it could take, ``earliest_wave`` the wave in that period (None when
    nothing moves in it), and ``earliest_text`` names it for readers ("wave 4", or its dates)."""

    service_id: str
    wave: int
    earliest: int
    binding: tuple[str, ...]
    deferrals: tuple[str, ...]
    notes: tuple[str, ...]
    earliest_text: str = ""
    earliest_wave: int | None = None

    def lines(self) -> list[str]:
        earliest = self.earliest_text or f"wave {self.earliest}"
        out = [f"earliest possible {earliest}, because: " + "; ".join(self.binding)]
        out += self.deferrals
        out += self.notes
        return out


class Explainer:
    """Explains the placements of one plan; what all explanations share is computed once.

    It reasons in periods of the grid, as the planner does, and names a period by its wave's
    number where one exists, by its dates where nothing moves."""

    def __init__(self, catalog: Catalog, plan: Plan,
                 preds: Mapping[str, list[str]] | None = None) -> None:
        self.catalog = catalog
        self.plan = plan
        self.grid = WaveGrid(plan.options.start, plan.options.wave_length_days)
        self.releases = {r.id: r for r in catalog.releases}
        self.preds = preds if preds is not None else constraint_predecessors(catalog)
        capacity = plan.options.capacity
        self.periods = [w.period for w in plan.waves]
        #: full[k] = how many of the first k waves are full
        self.full = [0, *accumulate(len(w.placements) >= capacity for w in plan.waves)]
        self.starts = f"the plan starts {self.grid.start}"
        self.texts: dict[int, str] = {}  # a period's name, by period: few periods, many services

    def explain(self, service_id: str) -> Explanation:
        service = self.catalog.service(service_id)
        period = self.plan.wave_of[service_id]
        earliest, binding = self._binding(service)
        first = self.plan.wave_at(earliest)
        text = self.texts.get(earliest)
        if text is None:
            text = self.texts[earliest] = self._period_text(earliest)
        return Explanation(service_id, self.plan.wave_for(service_id).number, earliest, tuple(binding),
                           tuple(self._deferrals(service, earliest, period)),
                           tuple(self._notes(service, period)), text, first.number if first else None)

    def _binding(self, service: Service) -> tuple[int, list[str]]:
        wave_of = self.plan.wave_of
        pred_waves = [(wave_of[p], p) for p in self.preds[service.id]]
        bounds = static_bounds(service, self.grid, self.releases, self.plan.pilot_waves)
        earliest = max([b.wave for b in bounds] + [w + 1 for w, _ in pred_waves])
        binding = [b.reason for b in bounds if b.wave == earliest]
        for period, pred in pred_waves:
            if period + 1 == earliest:
                wave = self.plan.wave_for(pred).number
                binding.append(f"hard dependency on {pred} (wave {wave}) must move first"
                               if service.moves else
                               f"decommissioned only after its dependant {pred} moved (wave {wave})")
        if earliest > 1:
            binding = [r for r in binding if r != PLAN_STARTS]
        return earliest, [self.starts if r == PLAN_STARTS else r for r in binding]

    def _wave_at(self, day) -> int:  # noqa: ANN001 - a date
        return (day - self.grid.start).days // self.grid.length + 1

    def _deferrals(self, service: Service, earliest: int, period: int) -> list[str]:
        """One line per window or contract change that kept it out of periods it could have
        taken, and one line for the waves that were full."""
        if period <= earliest:
            return []
        lines, blocked = [], []
        for window in service.blackout_windows:
            span = (max(earliest, self._wave_at(window.start)), min(period - 1, self._wave_at(window.end)))
            if span[0] <= span[1]:
                because = f" ({window.reason})" if window.reason else ""
                lines.append(f"not {self._spans_text([span])}: blackout window {window.start}.."
                             f"{window.end}{because}")
                blocked.append(span)
        change = service.contract_change
        if change is not None and earliest <= self._wave_at(change.date) < period:
            k = self._wave_at(change.date)
            lines.append(f"not {self._spans_text([(k, k)])}: application-contract change on "
                         f"{change.date} falls in this wave (no stacking of a contract change and a "
                         f"platform move)")
            blocked.append((k, k))
        free = _uncovered(earliest, period - 1, blocked)
        full = [span for span in free if self._all_full(*span)]
        odd = [span for span in free if span not in full]
        if full:
            lines.append(self._full_line(full))
        if odd:
            lines.append(f"not {self._spans_text(odd)}: {UNEXPLAINED}")
        return lines

    def _waves_in(self, first: int, last: int) -> tuple[int, int]:
        """The positions in ``plan.waves`` of the waves in periods first..last: [lo, hi)."""
        return bisect_left(self.periods, first), bisect_right(self.periods, last)

    def _all_full(self, first: int, last: int) -> bool:
        """Whether every period first..last holds a wave, and each is full."""
        lo, hi = self._waves_in(first, last)
        return hi - lo == last - first + 1 and self.full[hi] - self.full[lo] == hi - lo

    def _spans_text(self, spans: list[tuple[int, int]]) -> str:
        """Periods in words: "wave 3", "waves 1, 3-5", or dates where nothing moves."""
        numbered = [self._waves_in(a, b) for a, b in spans]
        if all(hi - lo == b - a + 1 for (lo, hi), (a, b) in zip(numbered, spans, strict=True)):
            return _waves([(lo + 1, hi) for lo, hi in numbered])
        return ", ".join(self._period_text(a, b) for a, b in spans)

    def _period_text(self, first: int, last: int | None = None) -> str:
        """Periods first..last: "wave N" or "waves N-M" when each holds a wave, else their dates
        ("period D1 .. D2 (no wave)", "periods D1 .. D2")."""
        last = first if last is None else last
        lo, hi = self._waves_in(first, last)
        if hi - lo == last - first + 1:
            return _waves([(lo + 1, hi)])
        start, end = self.grid.bounds(first)[0], self.grid.bounds(last)[1]
        return f"period {start} .. {end} (no wave)" if first == last else f"periods {start} .. {end}"

    def _full_line(self, spans: list[tuple[int, int]]) -> str:
        capacity = self.plan.options.capacity
        why = f"ahead of it in the priority order ({self.plan.priority})"
        if spans == [(spans[0][0], spans[0][0])]:
            placed = [p.service_id for p in self.plan.waves[self._waves_in(*spans[0])[0]].placements]
            shown = ", ".join(placed[:NAMES_SHOWN])
            more = f" and {len(placed) - NAMES_SHOWN} more" if len(placed) > NAMES_SHOWN else ""
            return (f"not {self._spans_text(spans)}: full at capacity {capacity} with {shown}{more}, "
                    f"{why}")
        return f"not {self._spans_text(spans)}: each full at capacity {capacity} with services {why}"

    def _notes(self, service: Service, period: int) -> list[str]:
        notes = []
        wave_of = self.plan.wave_of
        for dep in service.dependencies:
            if dep.kind is DependencyKind.SOFT:
                other = wave_of[dep.service]
                when = "earlier" if other < period else "in the same wave" if other == period else "later"
                notes.append(f"soft dependency on {dep.service} (wave "
                             f"{self.plan.wave_for(dep.service).number}, {when}): noted, not enforced")
        change = service.contract_change
        if change is not None:
            notes.append(f"application-contract change on {change.date} stays outside this wave")
        placed = self.plan.wave_for(service.id)
        notes.append(f"placed in wave {placed.number} ({placed.start} to {placed.end}) as "
                     f"{action_of(service)}")
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
