"""A seeded Monte Carlo over the weights: draws from a Dirichlet centred on the given weights
(alpha = concentration x weight; a weight of 0 stays 0), and how often each scenario ranks first
under the weighted sum. The same seed, iterations and concentration give the same counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHUNK = 1000


def first_counts(matrix: Any, weights: Any, iterations: int, seed: int, concentration: float,
                 advance: Callable[[int], None] | None = None) -> list[int]:
    """How many of ``iterations`` weight draws rank each row of ``matrix`` (normalised scores) first;
    ties go to the earlier row."""
    import numpy as np

    a = np.asarray(matrix, dtype=float)
    w = np.asarray(weights, dtype=float)
    live = np.flatnonzero(w > 0)
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(a), dtype=np.int64)
    done = 0
    while done < iterations:
        size = min(CHUNK, iterations - done)
        draws = rng.dirichlet(concentration * w[live], size=size) if len(live) > 1 else \
            np.ones((size, 1))
        winners = np.argmax(draws @ a[:, live].T, axis=1)
        counts += np.bincount(winners, minlength=len(a))
        done += size
        if advance is not None:
            advance(size)
    return [int(c) for c in counts]
