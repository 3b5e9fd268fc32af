"""Compare the scenarios of a :class:`ScenarioSet` into one plain document (what ``--format json``
prints and every report renders): criteria and weights, both rankings and where they disagree, the
flip weights for the top two and the first place, and the Monte Carlo's shares of first places."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.scenarios import ranking, sensitivity
from orchestrator.scenarios.model import ScenarioSet
from orchestrator.scenarios.montecarlo import first_counts

METHOD = ("one criterion's weight changed, the others renormalised (scaled in proportion so that "
          "all sum to 1), after Triantaphyllou and Sanchez (1997)")


def compare(s: ScenarioSet, *, iterations: int = 10_000, seed: int = 0, concentration: float = 100.0,
            advance: Callable[[int], None] | None = None) -> dict[str, Any]:
    """The whole comparison; ``advance(n)`` is told of each n Monte Carlo draws done."""
    matrix = ranking.normalised_matrix(s)
    sums = ranking.weighted_sum(matrix, s.weights)
    closeness = ranking.topsis(ranking.raw_matrix(s), s.weights, ranking.types(s))
    by_sum, by_topsis = ranking.order(sums), ranking.order(closeness)
    names = [sc.name for sc in s.scenarios]
    counts = first_counts(matrix, s.weights, iterations, seed, concentration, advance)
    return {
        "title": s.title, "question": s.question, "file": s.path, "criteria_from": s.criteria_from,
        "weights_given": s.weights_given, "weights_note": s.weights_note,
        "weights_assumed": s.weights_assumed,
        "criteria": [{"id": c.id, "name": c.name, "group": c.group, "direction": str(c.direction),
                      "scale": [c.low, c.high], "weight": round(w, 6)}
                     for c, w in zip(s.criteria, s.weights, strict=True)],
        "scenarios": [_scenario(s, i, sums, closeness, by_sum, by_topsis) for i in range(len(s.scenarios))],
        "ranking": {"weighted_sum": [s.scenarios[i].id for i in by_sum],
                    "topsis": [s.scenarios[i].id for i in by_topsis],
                    "disagreements": ranking.disagreements(by_sum, by_topsis, names)},
        "sensitivity": _sensitivity(s, matrix, sums, by_sum),
        "monte_carlo": {"iterations": iterations, "seed": seed, "concentration": concentration,
                        "first": [{"id": sc.id, "count": n, "share": round(n / iterations, 4)}
                                  for sc, n in zip(s.scenarios, counts, strict=True)]},
    }


def _scenario(s: ScenarioSet, i: int, sums: Any, closeness: Any, by_sum: list[int],
              by_topsis: list[int]) -> dict[str, Any]:
    sc = s.scenarios[i]
    return {"id": sc.id, "name": sc.name, "chosen": sc.chosen, "note": sc.note,
            "weighted_sum": round(float(sums[i]), 6), "topsis": round(float(closeness[i]), 6),
            "rank_weighted_sum": by_sum.index(i) + 1, "rank_topsis": by_topsis.index(i) + 1,
            "assumed_scores": sum(1 for score in sc.scores.values() if score.assumed),
            "scores": {cid: {"score": score.value, "source": score.source, "assumed": score.assumed,
                             "note": score.note} for cid, score in sc.scores.items()}}


def _sensitivity(s: ScenarioSet, matrix: Any, sums: Any, by_sum: list[int]) -> dict[str, Any]:
    first, second = by_sum[0], by_sum[1]
    pair = sensitivity.pair_flips(matrix, s.weights, first, second)
    places = sensitivity.first_place_flips(matrix, s.weights, first)
    critical = sensitivity.most_critical(pair)
    nearest = sensitivity.most_critical([f for flips in places for f in flips])
    return {"method": METHOD, "first": s.scenarios[first].id, "second": s.scenarios[second].id,
            "lead": round(float(sums[first] - sums[second]), 6),
            "pair": [_flip(s, f) if f else None for f in pair],
            "most_critical": _flip(s, critical) if critical else None,
            "first_place": [[_flip(s, f) for f in flips] for flips in places],
            "first_place_most_critical": _flip(s, nearest) if nearest else None,
            "headline": headline(s, first, second, float(sums[first] - sums[second]), nearest)}


def _flip(s: ScenarioSet, f: sensitivity.Flip) -> dict[str, Any]:
    return {"criterion": s.criteria[f.criterion].id, "weight": round(f.weight, 6),
            "threshold": round(f.threshold, 6), "direction": f.direction, "change": round(f.change, 6),
            "relative": round(f.change / f.weight, 4) if f.weight > 0 else None,
            "rival": s.scenarios[f.rival].id}


def criterion_label(cid: str) -> str:
    return f"criterion {cid}" if cid.isdigit() else f"criterion {cid!r}"


def headline(s: ScenarioSet, first: int, second: int, lead: float, nearest: sensitivity.Flip | None) -> str:
    """The sentence a steering group reads: who ranks first, and the one weight that would change it."""
    name = s.scenarios[first].name
    if abs(lead) <= sensitivity.EPSILON:
        return f"{name} and {s.scenarios[second].name} tie on the weighted sum: no ranking to defend"
    if nearest is None:
        return (f"{name} ranks first whatever the weight of any single criterion (from 0 to 1, "
                f"the others renormalised)")
    label = criterion_label(s.criteria[nearest.criterion].id)
    verb = "falls below" if nearest.direction == "below" else "rises above"
    return (f"{name} ranks first unless the weight of {label} {verb} {nearest.threshold:.3f} "
            f"(it is {nearest.weight:.3f}; then {s.scenarios[nearest.rival].name} does)")
