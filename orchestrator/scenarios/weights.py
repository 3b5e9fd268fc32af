"""The weight of each criterion, summing to 1, from what a scenario file gives: weights per
criterion, per group, or both. A group's weight is shared by its criteria equally, or in
proportion to their own weights when the file gives those; no weights at all means equal weights.
"""

from __future__ import annotations

from orchestrator.scenarios.checker import Checker
from orchestrator.scenarios.model import Criterion
from orchestrator.scenarios.schema import RawWeights


def resolve_weights(raw: RawWeights, criteria: tuple[Criterion, ...], check: Checker) -> tuple[float, ...]:
    """One weight per criterion (in their order), normalised to sum 1; problems go to ``check``
    (and the weights returned are then meaningless)."""
    by_id = {c.id: c for c in criteria}
    groups = list(dict.fromkeys(c.group for c in criteria))
    given = {str(key): (key, value) for key, value in raw.criteria.items()}
    for cid, (key, value) in given.items():
        if cid not in by_id:
            check.add("weights", f"criteria.{cid}", f"unknown criterion {cid!r}",
                      ("weights", "criteria", key))
        elif value < 0:
            check.add("weights", f"criteria.{cid}", f"{value:g} is negative", ("weights", "criteria", key))
    for group, value in raw.groups.items():
        if group not in groups:
            check.add("weights", f"groups.{group}", f"unknown group {group!r} (the groups are "
                      f"{', '.join(groups)})", ("weights", "groups", group))
        elif value < 0:
            check.add("weights", f"groups.{group}", f"{value:g} is negative", ("weights", "groups", group))
    own = {cid: value for cid, (_key, value) in given.items() if cid in by_id}
    weights = _by_group(raw, criteria, own, check) if raw.groups else _by_criterion(criteria, own, check)
    total = sum(weights)
    if total <= 0 and not check.problems:
        check.add("weights", "(all)", "all weights are zero: at least one must be above zero", ("weights",))
    return tuple(w / total for w in weights) if total > 0 else tuple(0.0 for _ in weights)


def _by_criterion(criteria: tuple[Criterion, ...], own: dict[str, float], check: Checker) -> list[float]:
    if not own:
        return [1.0] * len(criteria)
    for c in criteria:
        if c.id not in own:
            check.add("weights", f"criteria.{c.id}", "missing: give every criterion a weight, or weigh "
                      "the groups", ("weights", "criteria"))
    return [max(own.get(c.id, 0.0), 0.0) for c in criteria]


def _by_group(raw: RawWeights, criteria: tuple[Criterion, ...], own: dict[str, float],
              check: Checker) -> list[float]:
    weights = []
    for c in criteria:
        if c.group not in raw.groups:
            check.add("weights", f"groups.{c.group}", "missing: every group needs a weight once groups "
                      "are weighed", ("weights", "groups"))
            return [0.0] * len(criteria)
        members = [m for m in criteria if m.group == c.group]
        group_weight = max(raw.groups[c.group], 0.0)
        weights.append(group_weight * _share(c, members, own, check))
    return weights


def _share(c: Criterion, members: list[Criterion], own: dict[str, float], check: Checker) -> float:
    """``c``'s share of its group's weight: equal, or by the criteria weights given for the group."""
    listed = [m for m in members if m.id in own]
    if not listed:
        return 1.0 / len(members)
    if c.id not in own:
        check.add("weights", f"criteria.{c.id}", f"missing: the other criteria of group {c.group!r} "
                  "have a weight", ("weights", "criteria"))
        return 0.0
    total = sum(max(own[m.id], 0.0) for m in listed)
    return max(own[c.id], 0.0) / total if total > 0 else 1.0 / len(members)


def describe(raw: RawWeights) -> str:
    """How the weights were given, for the output: 'per group', 'per criterion', 'equal'."""
    if raw.groups:
        return "per group" + (", shared by the criteria weights" if raw.criteria else ", shared equally")
    return "per criterion" if raw.criteria else "equal (none given)"
