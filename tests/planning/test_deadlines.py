"""The planner against the chain of hard dependencies, and deadlines: never called infeasible when
a plan meeting them exists, and proven infeasible only by a true lower bound.

Every property is checked against code written here, independent of the planner: the longest
chain comes from networkx, the known plans from a naive random list scheduler.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.catalog import catalog_from_data
from orchestrator.errors import InputError, PlanInfeasible
from orchestrator.planning import PlanOptions, plan_waves
from tests.conftest import service

START = dt.date(2024, 1, 1)
LENGTH = 7
PROFILE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def dags(draw, max_services: int = 22):
    """Random catalogs without dates: hard and soft dependencies, retirements, pilots."""
    n = draw(st.integers(1, max_services))
    services = []
    for i in range(n):
        earlier = [f"s{j:02d}" for j in range(i)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=3)) if earlier else []
        services.append(service(
            f"s{i:02d}",
            size=draw(st.sampled_from(["S", "M", "L", "XL"])),
            criticality=draw(st.sampled_from(["low", "medium", "high", "vital"])),
            disposition=draw(st.sampled_from(["rehost"] * 6 + ["rebuild", "retire"])),
            dependencies=[{"service": d, "kind": draw(st.sampled_from(["hard", "hard", "soft"]))}
                          for d in deps]))
    return services


def constraint_graph(services: list[dict]) -> nx.DiGraph:
    """Edges first -> then: a dependency moves first; a retired dependency goes after its
    dependants (a decommission-after-dependants rule is a link of the chain too)."""
    retired = {s["id"] for s in services if s["disposition"] == "retire"}
    graph = nx.DiGraph()
    graph.add_nodes_from(s["id"] for s in services)
    for s in services:
        if s["id"] in retired:
            continue
        for dep in s["dependencies"]:
            if dep["kind"] == "hard":
                graph.add_edge(*((s["id"], dep["service"]) if dep["service"] in retired
                                 else (dep["service"], s["id"])))
    return graph


def longest_chain(services: list[dict]) -> int:
    return nx.dag_longest_path_length(constraint_graph(services)) + 1


def pilot_bound(services: list[dict], pilot_waves: int) -> dict[str, int]:
    """The first wave each service may take under the pilot rule alone."""
    def candidate(s: dict) -> bool:
        return s["size"] == "S" and s["criticality"] in ("low", "medium")

    moving = [s for s in services if s["disposition"] != "retire"]
    applies = pilot_waves and any(candidate(s) for s in moving)
    return {s["id"]: pilot_waves + 1 if applies and s["disposition"] != "retire"
            and not candidate(s) else 1 for s in services}


def known_plan(services: list[dict], capacity: int, pilot_waves: int, rnd: random.Random) -> int:
    """The number of waves of a valid plan made by a naive scheduler in a random order."""
    graph = constraint_graph(services)
    first = pilot_bound(services, pilot_waves)
    wave_of: dict[str, int] = {}
    wave = 0
    while len(wave_of) < len(services):
        wave += 1
        ready = [s for s in graph if s not in wave_of and first[s] <= wave
                 and all(wave_of.get(p, wave) < wave for p in graph.predecessors(s))]
        for s in rnd.sample(ready, min(capacity, len(ready))):
            wave_of[s] = wave
    return wave


def waves_used(result) -> int:
    return max(result.wave_of.values())


def plan(services: list[dict], **options):
    return plan_waves(catalog_from_data({"services": services}),
                      PlanOptions(start=START, wave_length_days=LENGTH, **options))


@PROFILE
@given(dags(), st.integers(0, 2))
def test_with_room_for_everyone_the_plan_is_as_long_as_the_longest_chain(services, pilot_waves):
    result = plan(services, capacity=len(services), pilot_waves=pilot_waves)
    chain = longest_chain(services)
    assert chain <= waves_used(result) <= chain + result.pilot_waves


@PROFILE
@given(dags(), st.integers(1, 6), st.integers(0, 2))
def test_with_any_capacity_the_plan_is_at_most_chain_plus_a_full_load(services, capacity, pilots):
    result = plan(services, capacity=capacity, pilot_waves=pilots)
    bound = longest_chain(services) + math.ceil(len(services) / capacity) + result.pilot_waves
    assert waves_used(result) <= bound


@PROFILE
@given(dags(), st.integers(1, 5), st.integers(0, 2), st.randoms(use_true_random=False))
def test_a_deadline_a_known_plan_meets_is_never_called_infeasible(services, capacity, pilots, rnd):
    waves = known_plan(services, capacity, pilots, rnd)
    deadline = START + dt.timedelta(days=waves * LENGTH - 1)
    result = plan(services, capacity=capacity, pilot_waves=pilots, deadline=deadline)
    assert result.end_date <= deadline


def chain_catalog(length: int = 12, others: int = 48) -> list[dict]:
    """A 60-service catalog: one chain of ``length`` hard dependencies among small services that
    the old "smaller first" order would have started late."""
    chain = [service(f"c{i:02d}", size="XL", criticality="vital",
                     dependencies=[{"service": f"c{i - 1:02d}"}] if i else [])
             for i in range(length)]
    return chain + [service(f"x{i:02d}", size="S") for i in range(others)]


def test_the_critical_path_goes_first():
    result = plan(chain_catalog(), capacity=3, pilot_waves=0)
    assert waves_used(result) == 20  # 60 services at 3 a wave, the chain started in wave 1
    assert [result.wave_of[f"c{i:02d}"] for i in range(11)] == list(range(1, 12))


def test_a_deadline_that_the_old_order_missed_is_met():
    deadline = START + dt.timedelta(days=20 * LENGTH - 1)
    result = plan(chain_catalog(), capacity=3, pilot_waves=0, deadline=deadline)
    assert result.end_date == deadline


def test_a_deadline_one_wave_too_short_is_proven_infeasible_by_capacity():
    deadline = START + dt.timedelta(days=19 * LENGTH - 1)
    with pytest.raises(PlanInfeasible) as caught:
        plan(chain_catalog(), capacity=3, pilot_waves=0, deadline=deadline)
    assert "lower bound proves" in caught.value.headline
    assert caught.value.conflicts == [
        "60 services can go no earlier than the period starting 2024-01-01 and must be done by the "
        "one ending 2024-05-12: at capacity 3 these 19 periods hold at most 57"]


def test_a_deadline_shorter_than_the_chain_names_the_chain():
    deadline = START + dt.timedelta(days=11 * LENGTH - 1)
    with pytest.raises(PlanInfeasible) as caught:
        plan(chain_catalog(), capacity=100, pilot_waves=0, deadline=deadline)
    [conflict] = caught.value.conflicts
    assert conflict.startswith("c11: --deadline 2024-03-17 allows waves up to the one ending "
                               "2024-03-17, but no plan can place it before the period ending "
                               "2024-03-24: the chain c00 -> c01 -> c02 -> ... (6 more) -> c09 -> "
                               "c10 -> c11 of hard dependencies takes 12 waves")


def test_a_deadline_nothing_proves_impossible_but_no_order_meets_says_the_best_end():
    """Three services that may not take wave 2 (a contract change falls in it) have two waves
    between them by the deadline: the bounds count three slots, so only the search can tell.
    Nothing moves in that second period, so the reasons name it by its dates."""
    services = [service(sid, contract_change={"date": "2024-01-10"}) for sid in "abc"]
    deadline = START + dt.timedelta(days=3 * LENGTH - 1)
    with pytest.raises(PlanInfeasible) as caught:
        plan(services, capacity=1, pilot_waves=0, deadline=deadline)
    assert caught.value.headline == ("--deadline 2024-01-21: no plan found that meets it; the best "
                                     "ends 2024-01-28")
    [conflict] = caught.value.conflicts
    assert conflict.startswith("c: --deadline 2024-01-21, placed in wave 3 (ends 2024-01-28): ")
    assert "not period 2024-01-08 .. 2024-01-14 (no wave): application-contract change on " \
           "2024-01-10" in conflict
    assert conflict.endswith("not waves 1, 2: each full at capacity 1 with services ahead of it in "
                             "the priority order (critical path first)")


def test_a_deadline_before_the_start_is_one_line():
    with pytest.raises(InputError) as caught:
        plan([service("a")], capacity=1, deadline=START - dt.timedelta(days=1))
    assert str(caught.value) == ("--deadline 2023-12-31 is before the plan's start 2024-01-01: no "
                                 "wave could end by then")
