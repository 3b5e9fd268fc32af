"""The weighted sum against a hand computation, and pymcdm's TOPSIS on the same matrix against a
hand computation and the library's own documented values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestrator.scenarios import ranking
from orchestrator.scenarios.compare import compare
from orchestrator.scenarios.loading import load_scenarios
from tests.scenarios.helpers import small, write


@pytest.fixture
def scenarios(tmp_path):
    return load_scenarios(write(tmp_path, small()))


def test_the_weights_are_normalised_and_the_scores_put_on_0_to_1_with_the_cost_inverted(scenarios):
    assert scenarios.weights == pytest.approx((0.5, 0.3, 0.2))
    assert ranking.normalised_matrix(scenarios).ravel().tolist() == pytest.approx(
        [1.0, 0.8, 0.4, 0.5, 1.0, 1.0, 0.0, 0.0, 0.0])


def test_the_weighted_sum_is_the_hand_computed_one(scenarios):
    document = compare(scenarios, iterations=100)
    # X: 0.5*1 + 0.3*0.8 + 0.2*0.4 = 0.82; Y: 0.5*0.5 + 0.3*1 + 0.2*1 = 0.75; Z: 0
    assert [s["weighted_sum"] for s in document["scenarios"]] == pytest.approx([0.82, 0.75, 0.0])
    assert document["ranking"]["weighted_sum"] == ["x", "y", "z"]


def test_topsis_is_the_hand_computed_one_on_the_same_matrix(scenarios):
    # pymcdm's min-max over the scenarios: a [1, .5, 0], b (cost) [.8, 1, 0], c [.4, 1, 0];
    # weighted: X [.5, .24, .08], Y [.25, .3, .2], Z [0, 0, 0]; ideal [.5, .3, .2], anti-ideal 0.
    x = math.dist([.5, .24, .08], [0, 0, 0]) / (math.dist([.5, .24, .08], [0, 0, 0]) +
                                                 math.dist([.5, .24, .08], [.5, .3, .2]))
    y = math.dist([.25, .3, .2], [0, 0, 0]) / (math.dist([.25, .3, .2], [0, 0, 0]) +
                                                math.dist([.25, .3, .2], [.5, .3, .2]))
    values = ranking.topsis(ranking.raw_matrix(scenarios), scenarios.weights, ranking.types(scenarios))
    assert values.tolist() == pytest.approx([x, y, 0.0])
    assert x == pytest.approx(0.806826, abs=1e-6) and y == pytest.approx(0.637022, abs=1e-6)


def test_topsis_gives_the_values_pymcdm_documents():
    matrix = np.array([[1, 2, 5], [3000, 3750, 4500]], dtype=float).T
    values = ranking.topsis(matrix, [0.5, 0.5], [-1, 1])
    assert [round(v, 3) for v in values] == [0.5, 0.617, 0.5]


def test_a_disagreement_is_one_line_per_pair_the_other_way_round():
    lines = ranking.disagreements([0, 1, 2], [0, 2, 1], ["A", "B", "C"])
    assert lines == ["weighted sum puts B above C, TOPSIS C above B"]
    assert ranking.disagreements([0, 1], [0, 1], ["A", "B"]) == []


def test_group_weights_are_shared_equally_unless_criteria_weights_are_given(tmp_path):
    by_group = load_scenarios(write(tmp_path, small(weights={"groups": {"G1": 0.6, "G2": 0.4}})))
    assert by_group.weights == pytest.approx((0.3, 0.3, 0.4))
    both = load_scenarios(write(tmp_path, small(weights={"groups": {"G1": 0.6, "G2": 0.4},
                                                         "criteria": {"a": 2, "b": 1, "c": 5}})))
    assert both.weights == pytest.approx((0.4, 0.2, 0.4))
    equal = load_scenarios(write(tmp_path, small(weights={})))
    assert equal.weights == pytest.approx((1 / 3, 1 / 3, 1 / 3))
