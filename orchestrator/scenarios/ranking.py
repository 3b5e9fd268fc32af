"""Rank the scenarios two ways: the weighted sum of their scores normalised to 0..1 on each
criterion's scale (a cost criterion inverted), and TOPSIS from pymcdm with the same weights and
criteria types; and the places where the two orders disagree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orchestrator.scenarios.model import Direction, ScenarioSet

if TYPE_CHECKING:
    import numpy as np


def raw_matrix(s: ScenarioSet) -> np.ndarray:
    """The scores as given: one row per scenario, one column per criterion."""
    import numpy as np

    return np.array([[sc.scores[c.id].value for c in s.criteria] for sc in s.scenarios], dtype=float)


def normalised_matrix(s: ScenarioSet) -> np.ndarray:
    """Each score on 0..1 over its criterion's scale, 1 the best (cost criteria inverted)."""
    import numpy as np

    return np.array([[c.normalised(sc.scores[c.id].value) for c in s.criteria] for sc in s.scenarios],
                    dtype=float)


def weighted_sum(matrix: np.ndarray, weights: Any) -> np.ndarray:
    """Each row's weighted sum: ``matrix @ weights`` (weights summing to 1 give 0..1)."""
    import numpy as np

    return matrix @ np.asarray(weights, dtype=float)


def order(values: Any) -> list[int]:
    """The positions of ``values`` from the highest down; equal values keep the file's order."""
    import numpy as np

    return [int(i) for i in np.argsort(-np.asarray(values, dtype=float), kind="stable")]


def types(s: ScenarioSet) -> list[int]:
    """pymcdm's criteria types: 1 for a benefit, -1 for a cost."""
    return [-1 if c.direction is Direction.COST else 1 for c in s.criteria]


def topsis(matrix: np.ndarray, weights: Any, kinds: list[int]) -> np.ndarray:
    """pymcdm's TOPSIS preference (0..1, higher is better) of each row of the raw ``matrix``, its
    default min-max normalisation over the scenarios; its advice on dominated rows is silenced (a
    comparison may well hold one). Scenarios alike on every weighted criterion are each as near
    the ideal as the anti-ideal (0 / 0 in pymcdm): 0.5 each."""
    import warnings

    import numpy as np
    from pymcdm.methods import TOPSIS  # type: ignore[import-untyped]

    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", UserWarning)
        values = TOPSIS()(matrix, np.asarray(weights, dtype=float), np.asarray(kinds))
    return np.nan_to_num(np.asarray(values, dtype=float), nan=0.5)


def disagreements(first: list[int], second: list[int], names: list[str]) -> list[str]:
    """One line per pair the two orders put the other way round, e.g. 'weighted sum puts A above
    B, TOPSIS B above A'."""
    place = {scenario: rank for rank, scenario in enumerate(second)}
    lines = []
    for i, a in enumerate(first):
        for b in first[i + 1:]:
            if place[b] < place[a]:
                lines.append(f"weighted sum puts {names[a]} above {names[b]}, TOPSIS {names[b]} "
                             f"above {names[a]}")
    return lines
