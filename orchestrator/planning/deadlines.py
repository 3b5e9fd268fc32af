"""Deadlines: prove a deadline impossible with a lower bound, or search for a plan that meets it.

A deadline is called infeasible only when a lower bound proves it:
  - the earliest wave any plan could give a service (its static bounds, then each chain of hard
    dependencies one wave per link, then its blackout windows and contract change) ends after
    its deadline; or
  - more services can go no earlier than wave a and must be done by wave b than the capacity of
    waves a..b holds.
Otherwise the planner searches: the critical-path order, then the latest-allowed-wave order, then
a bounded local search that moves late services and their ancestors forward. If none meets the
deadline it says so, names the best plan's end date and what holds each late service back.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence

from orchestrator.catalog.loader import Catalog
from orchestrator.errors import PlanInfeasible
from orchestrator.planning.instance import Instance
from orchestrator.planning.plan import CRITICAL_PATH
from orchestrator.planning.rules import PlanOptions, priority_key, static_bounds, wave_blocker
from orchestrator.planning.schedule import assemble, list_schedule

NO_LIMIT = sys.maxsize
LATEST_FIRST = "deadline first"
MAX_LINES = 10
Schedule = tuple[list[int], dict[int, list[int]]]


def deadline_waves(inst: Instance, options: PlanOptions) -> list[int] | None:
    """The last wave each service may take (``NO_LIMIT`` for none), or None with no deadline."""
    overall = options.deadline
    if overall is None and not any(s.deadline for s in inst.services):
        return None
    start, length = inst.grid.start, inst.grid.length

    def last_wave_by(day: dt.date) -> int:
        return ((day - start).days + 1) // length

    limits = []
    for service in inst.services:
        days = [d for d in (service.deadline, overall) if d is not None]
        limits.append(last_wave_by(min(days)) if days else NO_LIMIT)
    return limits


def late(wave_of: Sequence[int], limits: Sequence[int]) -> list[int]:
    return [i for i, (w, limit) in enumerate(zip(wave_of, limits, strict=True)) if w > limit]


def meet(catalog: Catalog, inst: Instance, options: PlanOptions, limits: list[int],
         first: Schedule) -> tuple[list[int], dict[int, list[int]], str]:
    """A schedule meeting every limit, with the name of the order that found it; else
    PlanInfeasible, with the proof or with the best plan found."""
    earliest, via = earliest_waves(inst)
    proof = _proof(catalog, inst, options, limits, earliest, via)
    if proof:
        raise PlanInfeasible(proof, headline=f"{_what(options)}: no plan can meet it, as a lower "
                                             f"bound proves")
    best, best_name = first, CRITICAL_PATH
    for name, schedule in _candidates(inst, limits):
        if not late(schedule[0], limits):
            return (*schedule, name)
        if _score(schedule[0], limits) < _score(best[0], limits):
            best, best_name = schedule, name
    raise _not_found(catalog, inst, options, limits, best, best_name)


def _what(options: PlanOptions) -> str:
    return f"--deadline {options.deadline}" if options.deadline else "the services' deadlines"


def _score(wave_of: list[int], limits: list[int]) -> tuple[int, int, int]:
    overdue = [w - limit for w, limit in zip(wave_of, limits, strict=True) if w > limit]
    return len(overdue), sum(overdue), max(wave_of, default=0)


def earliest_waves(inst: Instance) -> tuple[list[int], list[int]]:
    """The earliest wave of each service in any plan (unlimited capacity), and the predecessor
    that sets it (-1 when its own bounds do)."""
    earliest = [0] * inst.size
    via = [-1] * inst.size
    try:
        for i in inst.topo:
            bound, because = inst.static[i], -1
            for p in inst.predecessors[i]:
                if earliest[p] + 1 > bound:
                    bound, because = earliest[p] + 1, p
            if inst.blockable[i]:
                while wave_blocker(inst.services[i], *inst.grid.bounds(bound)) is not None:
                    bound += 1
            earliest[i], via[i] = bound, because
    except OverflowError:
        raise PlanInfeasible(["the plan runs past the year 9999: the blackout windows or wave "
                              "settings leave no room"]) from None
    return earliest, via


def _proof(catalog: Catalog, inst: Instance, options: PlanOptions, limits: list[int],
           earliest: list[int], via: list[int]) -> list[str]:
    lines = [_chain_line(catalog, inst, options, i, limits[i], earliest, via)
             for i in range(inst.size) if earliest[i] > limits[i]]
    if len(lines) > MAX_LINES:
        lines = lines[:MAX_LINES] + [f"... and {len(lines) - MAX_LINES} more services"]
    return lines or _capacity_proof(inst, limits, earliest)


def _limit_label(inst: Instance, options: PlanOptions, i: int) -> str:
    own = inst.services[i].deadline
    if own is not None and (options.deadline is None or own <= options.deadline):
        return f"its deadline {own}"
    return f"--deadline {options.deadline}"


def _chain_line(catalog: Catalog, inst: Instance, options: PlanOptions, i: int, limit: int,
                earliest: list[int], via: list[int]) -> str:
    service = inst.services[i]
    label = _limit_label(inst, options, i)
    first_end = inst.grid.bounds(1)[1]
    if limit < 1:
        return f"{service.id}: {label} comes before the end of the plan's first period ({first_end})"
    chain = [i]
    while via[chain[-1]] >= 0:
        chain.append(via[chain[-1]])
    chain.reverse()
    root = inst.services[chain[0]]
    releases = {r.id: r for r in catalog.releases}
    own = max(static_bounds(root, inst.grid, releases, inst.pilots), key=lambda b: b.wave)
    who = f"{root.id} " if len(chain) > 1 else ""
    why = [] if own.wave <= 1 else [f"{who}{own.reason} (from the period starting "
                                    f"{inst.grid.bounds(own.wave)[0]})"]
    if len(chain) > 1:
        why.append(f"the chain {_arrows([inst.services[j].id for j in chain])} of hard "
                   f"dependencies takes {len(chain)} waves, one per link")
    pushed = [inst.services[j].id for j in chain if inst.blockable[j]
              and earliest[j] > max([inst.static[j], *(earliest[p] + 1 for p in inst.predecessors[j])])]
    if pushed:
        why.append(f"blackout windows or contract changes push {', '.join(pushed)} later")
    return (f"{service.id}: {label} allows waves up to the one ending "
            f"{inst.grid.bounds(limit)[1]}, but no plan can place it before the period ending "
            f"{inst.grid.bounds(earliest[i])[1]}: {'; '.join(why)}")


def _arrows(ids: list[str]) -> str:
    if len(ids) > 8:
        ids = [*ids[:3], f"... ({len(ids) - 6} more)", *ids[-3:]]
    return " -> ".join(ids)


def _capacity_proof(inst: Instance, limits: list[int], earliest: list[int]) -> list[str]:
    """More services confined to waves a..b than capacity * (b - a + 1): one line, or none."""
    counts: dict[tuple[int, int], int] = {}
    for e, limit in zip(earliest, limits, strict=True):
        if limit != NO_LIMIT:
            counts[(e, limit)] = counts.get((e, limit), 0) + 1
    starts = sorted({a for a, _ in counts}, reverse=True)
    ends = sorted({b for _, b in counts})
    at_least: dict[int, int] = dict.fromkeys(ends, 0)  # services with e >= a, by limit
    for a in starts:
        for (e, b), number in counts.items():
            if e == a:
                at_least[b] += number
        confined = 0
        for b in ends:
            confined += at_least[b]
            if b >= a and confined > inst.capacity * (b - a + 1):
                room = inst.capacity * (b - a + 1)
                first, last = inst.grid.bounds(a)[0], inst.grid.bounds(b)[1]
                return [f"{confined} services can go no earlier than the period starting {first} "
                        f"and must be done by the one ending {last}: at capacity {inst.capacity} "
                        f"these {b - a + 1} periods hold at most {room}"]
    return []


def _candidates(inst: Instance, limits: list[int]):
    """Schedules to try, lazily: the latest-allowed-wave order, then rounds of local search that
    move each late service and its ancestors one step forward in that order."""
    latest = _latest_waves(inst, limits)
    yield LATEST_FIRST, list_schedule(inst, _ranks(inst, latest))
    adjusted = list(latest)
    edges = sum(len(s) for s in inst.successors)
    rounds = max(2, min(40, 3_000_000 // (inst.size + edges + 1)))
    for round_number in range(1, rounds + 1):
        schedule = list_schedule(inst, _ranks(inst, adjusted))
        overdue = late(schedule[0], limits)
        if not overdue:
            yield f"{LATEST_FIRST}, after {round_number} round(s) of local search", schedule
            return
        for i in _with_ancestors(inst, overdue):
            adjusted[i] -= 1
        yield f"{LATEST_FIRST}, after {round_number} round(s) of local search", schedule


def _latest_waves(inst: Instance, limits: list[int]) -> list[int]:
    latest = list(limits)
    for i in reversed(inst.topo):
        for j in inst.successors[i]:
            if latest[j] - 1 < latest[i]:
                latest[i] = latest[j] - 1
    return latest


def _ranks(inst: Instance, latest: list[int]) -> list[tuple[object, ...]]:
    return [(latest[i], -inst.height[i], *priority_key(s)) for i, s in enumerate(inst.services)]


def _with_ancestors(inst: Instance, start: list[int]) -> list[int]:
    seen = set(start)
    stack = list(start)
    while stack:
        for p in inst.predecessors[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return sorted(seen)


def _not_found(catalog: Catalog, inst: Instance, options: PlanOptions, limits: list[int],
               best: Schedule, name: str) -> PlanInfeasible:
    from orchestrator.planning.explain import Explainer

    plan = assemble(inst, options, *best, name, {r.id: r for r in catalog.releases})
    explainer = Explainer(catalog, plan)
    lines = []
    for i in late(best[0], limits)[:MAX_LINES]:
        service = inst.services[i]
        wave = plan.wave_for(service.id)
        why = explainer.explain(service.id)
        lines.append(f"{service.id}: {_limit_label(inst, options, i)}, placed in wave {wave.number} "
                     f"(ends {wave.end}): {'; '.join([*why.binding, *why.deferrals])}")
    missed = len(late(best[0], limits))
    if missed > MAX_LINES:
        lines.append(f"... and {missed - MAX_LINES} more services")
    return PlanInfeasible(lines, headline=f"{_what(options)}: no plan found that meets it; the best "
                                          f"ends {plan.end_date}")
