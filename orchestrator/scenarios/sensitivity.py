"""How firm a weighted-sum ranking is against one criterion's weight (Triantaphyllou and Sánchez,
1997): the weight at which two scenarios swap, with the other weights renormalised, that is,
scaled in proportion so that all still sum to 1.

With the weight of criterion k set to t and the others scaled by (1 - t) / (1 - w_k), the lead of
scenario i over j is linear in t: D(t) = t * d_k + (1 - t) * R, where d_k is their difference on k
(normalised scores) and R their weighted difference over the other criteria. It is D at t = w_k, so
it changes sign at most once in 0..1: at t* = R / (R - d_k), the flip weight. (Unnormalised, only
w_k changing by delta, the lead is D + delta * d_k: the swap is at delta = -D / d_k, and
t* = (w_k + delta) / (1 + delta): the same ranking at every point, the weight on another scale;
this module reports the renormalised one.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EPSILON = 1e-12


@dataclass(frozen=True)
class Flip:
    """Criterion ``criterion``'s weight at which ``winner`` loses its place above ``rival``."""

    criterion: int  # its position
    weight: float  # as given
    threshold: float  # the flip weight, renormalised
    rival: int  # the scenario that passes

    @property
    def direction(self) -> str:
        return "below" if self.threshold < self.weight else "above"

    @property
    def change(self) -> float:
        return abs(self.threshold - self.weight)


def reweighted(weights: Any, k: int, t: float) -> Any:
    """``weights`` with criterion k's set to t and the others scaled to sum 1 - t."""
    import numpy as np

    w = np.asarray(weights, dtype=float)
    others = 1.0 - w[k]
    out = w * ((1.0 - t) / others) if others > EPSILON else np.zeros_like(w)
    out[k] = t
    return out


def flip_weight(matrix: Any, weights: Any, i: int, j: int, k: int) -> float | None:
    """The weight of criterion k (0..1, the others renormalised) at which scenarios i and j score
    the same; None when no weight of k alone swaps them."""
    import numpy as np

    a = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    lead = float((a[i] - a[j]) @ w)
    d_k = float(a[i, k] - a[j, k])
    if 1.0 - w[k] <= EPSILON:
        return None  # the others weigh nothing: there is nothing to renormalise
    rest = (lead - w[k] * d_k) / (1.0 - w[k])
    if abs(rest - d_k) <= EPSILON:
        return None  # the lead does not depend on this weight
    t = rest / (rest - d_k)
    return t if EPSILON < t < 1.0 - EPSILON else None  # a tie at 0 or 1 is no swap


def pair_flips(matrix: Any, weights: Any, winner: int, rival: int) -> list[Flip | None]:
    """Per criterion, where ``winner`` and ``rival`` swap (None: no weight of it alone does)."""
    flips: list[Flip | None] = []
    for k, w in enumerate(weights):
        t = flip_weight(matrix, weights, winner, rival, k)
        flips.append(None if t is None else Flip(k, float(w), t, rival))
    return flips


def first_place_flips(matrix: Any, weights: Any, winner: int) -> list[list[Flip]]:
    """Per criterion, the nearest weight below and above its own at which some other scenario
    passes ``winner`` (the first to pass, each way): zero, one or two flips."""
    rivals = [r for r in range(len(matrix)) if r != winner]
    out = []
    for k in range(len(weights)):
        found = [f for r in rivals if (f := pair_flips(matrix, weights, winner, r)[k]) is not None]
        below = [f for f in found if f.direction == "below"]
        above = [f for f in found if f.direction == "above"]
        nearest = [max(below, key=lambda f: f.threshold)] if below else []
        nearest += [min(above, key=lambda f: f.threshold)] if above else []
        out.append(nearest)
    return out


def most_critical(flips: list[Flip | None]) -> Flip | None:
    """The flip needing the smallest change of a weight (the first criterion on a tie)."""
    present = [f for f in flips if f is not None]
    return min(present, key=lambda f: (f.change, f.criterion)) if present else None
