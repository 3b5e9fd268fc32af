"""The flip weight really flips (re-ranked just below and just above it), the headline names the
most critical criterion, and the properties every ranking keeps (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from orchestrator.scenarios import ranking, sensitivity
from orchestrator.scenarios.compare import compare
from orchestrator.scenarios.loading import load_scenarios
from tests.scenarios.helpers import small, write

STEP = 1e-6


def lead(matrix, weights, i, j):
    return float((np.asarray(matrix[i]) - np.asarray(matrix[j])) @ np.asarray(weights))


def test_the_flip_weight_swaps_the_top_two_just_past_it_and_not_before(tmp_path):
    s = load_scenarios(write(tmp_path, small()))
    matrix = ranking.normalised_matrix(s)
    # X leads Y by 0.07; on c (X 0.4, Y 1) more weight helps Y: R over a, b = (0.5*0.5 - 0.3*0.2)/0.8
    t = sensitivity.flip_weight(matrix, s.weights, 0, 1, 2)
    rest = (0.5 * 0.5 - 0.3 * 0.2) / 0.8
    assert t == pytest.approx(rest / (rest + 0.6))
    below = ranking.order(ranking.weighted_sum(matrix, sensitivity.reweighted(s.weights, 2, t - STEP)))
    above = ranking.order(ranking.weighted_sum(matrix, sensitivity.reweighted(s.weights, 2, t + STEP)))
    assert below[:2] == [0, 1] and above[:2] == [1, 0]
    assert sum(sensitivity.reweighted(s.weights, 2, t)) == pytest.approx(1.0)


def test_the_headline_names_the_criterion_needing_the_smallest_change(tmp_path):
    document = compare(load_scenarios(write(tmp_path, small())), iterations=100)
    sens = document["sensitivity"]
    changes = {f["criterion"]: f["change"] for f in sens["pair"] if f}
    assert sens["most_critical"]["criterion"] == min(changes, key=changes.__getitem__)
    flip = sens["first_place_most_critical"]
    verb = "falls below" if flip["direction"] == "below" else "rises above"
    assert sens["headline"] == (f"X ranks first unless the weight of criterion {flip['criterion']!r} {verb} "
                                f"{flip['threshold']:.3f} (it is {flip['weight']:.3f}; then Y does)")


def test_a_criterion_that_cannot_swap_them_has_no_flip():
    matrix = np.array([[1.0, 1.0], [0.0, 0.0]])  # the first wins on every criterion
    assert sensitivity.flip_weight(matrix, [0.5, 0.5], 0, 1, 0) is None
    assert sensitivity.most_critical(sensitivity.pair_flips(matrix, [0.5, 0.5], 0, 1)) is None


def test_two_opposite_criteria_flip_at_one_half_the_first_one_named_on_a_tie():
    matrix = np.array([[1.0, 0.0], [0.0, 1.0]])
    flips = sensitivity.pair_flips(matrix, [0.6, 0.4], 0, 1)
    assert [(f.threshold, f.direction) for f in flips if f] == [(pytest.approx(0.5), "below"),
                                                                (pytest.approx(0.5), "above")]
    critical = sensitivity.most_critical(flips)
    assert critical is not None and critical.criterion == 0 and critical.change == pytest.approx(0.1)


matrices = st.integers(2, 4).flatmap(lambda n: st.integers(2, 5).flatmap(lambda m: st.tuples(
    st.lists(st.lists(st.floats(0, 1), min_size=m, max_size=m), min_size=n, max_size=n),
    st.lists(st.floats(0.01, 1), min_size=m, max_size=m))))


@settings(max_examples=150, deadline=None)
@given(matrices, st.floats(0.001, 1000))
def test_scaling_every_weight_by_a_positive_constant_keeps_the_ranking(case, factor):
    matrix, weights = np.array(case[0]), np.array(case[1])
    sums = ranking.weighted_sum(matrix, weights)
    assume(len(set(np.round(sums, 9))) == len(sums))  # no near-ties to break either way
    assert ranking.order(ranking.weighted_sum(matrix, weights * factor)) == ranking.order(sums)


@settings(max_examples=150, deadline=None)
@given(matrices, st.data())
def test_every_flip_weight_really_flips_the_pair(case, data):
    matrix, raw = np.array(case[0]), np.array(case[1])
    weights = raw / raw.sum()
    i, j = ranking.order(ranking.weighted_sum(matrix, weights))[:2]
    k = data.draw(st.integers(0, len(weights) - 1))
    t = sensitivity.flip_weight(matrix, weights, i, j, k)
    assume(t is not None and 1e-3 < t < 1 - 1e-3)
    assume(lead(matrix, weights, i, j) > 1e-6)
    slope = abs(lead(matrix, sensitivity.reweighted(weights, k, 1.0), i, j) -
                lead(matrix, sensitivity.reweighted(weights, k, 0.0), i, j))
    assume(slope > 1e-3)
    here = np.sign(lead(matrix, sensitivity.reweighted(weights, k, weights[k]), i, j))
    near, far = sorted([t - 1e-4, t + 1e-4], key=lambda x: abs(x - weights[k]))
    assert np.sign(lead(matrix, sensitivity.reweighted(weights, k, near), i, j)) == here
    assert np.sign(lead(matrix, sensitivity.reweighted(weights, k, far), i, j)) == -here


def test_a_scenario_best_on_every_criterion_ranks_first_whatever_the_weights(tmp_path):
    data = small()
    data["scenarios"][1]["scores"]["b"] = {"score": 2, "assumed": True}  # X as good as Y on b,
    data["scenarios"][1]["scores"]["c"] = {"score": 30, "assumed": True}  # and better on c
    document = compare(load_scenarios(write(tmp_path, data)), iterations=200)
    assert document["sensitivity"]["headline"] == (
        "X ranks first whatever the weight of any single criterion (from 0 to 1, the others renormalised)")
    assert document["monte_carlo"]["first"][0]["count"] == 200


def test_scenarios_alike_everywhere_tie_and_topsis_gives_each_one_half(tmp_path):
    data = small()
    data["scenarios"] = [{"id": i, "scores": {c: {"score": 3 if c == "a" else 5, "source": "d"}
                                              for c in "abc"}} for i in ("p", "q")]
    document = compare(load_scenarios(write(tmp_path, data)), iterations=10)
    assert document["sensitivity"]["headline"] == "p and q tie on the weighted sum: no ranking to defend"
    assert [s["topsis"] for s in document["scenarios"]] == [0.5, 0.5]
