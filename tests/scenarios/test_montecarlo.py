"""The Monte Carlo over the weights: seeded (same seed, same counts), every draw counted, and a
scenario that wins on every criterion first in every draw."""

from __future__ import annotations

import numpy as np

from orchestrator.scenarios.montecarlo import first_counts

MATRIX = np.array([[1.0, 0.8, 0.4], [0.5, 1.0, 1.0], [0.0, 0.0, 0.0]])
WEIGHTS = [0.5, 0.3, 0.2]


def test_the_same_seed_gives_the_same_counts_and_another_seed_other_draws():
    first = first_counts(MATRIX, WEIGHTS, 2500, seed=7, concentration=5)
    assert first == first_counts(MATRIX, WEIGHTS, 2500, seed=7, concentration=5)
    assert sum(first) == 2500 and first[2] == 0 and first[0] > 0 and first[1] > 0
    assert first != first_counts(MATRIX, WEIGHTS, 2500, seed=8, concentration=5)


def test_progress_is_told_of_every_draw_and_a_dominant_scenario_always_wins():
    told: list[int] = []
    counts = first_counts(np.array([[1.0, 1.0], [0.0, 0.5]]), [0.5, 0.5], 2500, 0, 100, told.append)
    assert counts == [2500, 0] and sum(told) == 2500 and len(told) == 3


def test_a_weight_of_zero_stays_zero_in_every_draw():
    # only criterion 2 weighs: the second row wins it, whatever the draws
    assert first_counts(np.array([[1.0, 0.0], [0.0, 1.0]]), [0.0, 1.0], 500, 0, 100) == [0, 500]
