"""Each planning rule, alone, on a catalog small enough to check by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestrator.catalog import catalog_from_data
from orchestrator.errors import InputError, PlanInfeasible
from orchestrator.planning import PlanOptions, plan_waves
from orchestrator.planning.cost import delay_cost
from orchestrator.planning.explain import UNEXPLAINED, explain_placement
from tests.conftest import service

START = dt.date(2024, 1, 1)  # a Monday; periods of 7 days: period k starts START + 7(k-1)


def plan(services, releases=(), **options):
    catalog = catalog_from_data({"services": services, "releases": list(releases)})
    opts = {"start": START, "wave_length_days": 7, "capacity": 10, "pilot_waves": 0, **options}
    return catalog, plan_waves(catalog, PlanOptions(**opts))


def reasons(catalog, result, sid):
    return " | ".join(explain_placement(catalog, result, sid).lines())


def test_a_hard_dependency_moves_in_an_earlier_wave():
    catalog, result = plan([service("app", dependencies=[{"service": "db"}]), service("db")])
    assert result.wave_of == {"db": 1, "app": 2}
    assert "hard dependency on db (wave 1) must move first" in reasons(catalog, result, "app")


def test_a_soft_dependency_does_not_hold_a_service_back():
    catalog, result = plan([service("app", dependencies=[{"service": "db", "kind": "soft"}]),
                            service("db")])
    assert result.wave_of == {"db": 1, "app": 1}
    assert "soft dependency on db (wave 1, in the same wave): noted, not enforced" in \
        reasons(catalog, result, "app")


def test_capacity_spills_into_the_next_wave_smallest_first():
    services = [service(f"s{i}", size=size) for i, size in enumerate(["XL", "S", "M", "L", "S"])]
    catalog, result = plan(services, capacity=2)
    assert [[p.service_id for p in w.placements] for w in result.waves] == \
        [["s1", "s4"], ["s2", "s3"], ["s0"]]
    assert "not wave 1: full at capacity 2 with s1, s4" in reasons(catalog, result, "s2")


def test_pilot_waves_take_only_small_low_criticality_services():
    services = [service("big", size="L"), service("vital", criticality="vital"), service("pilot")]
    catalog, result = plan(services, pilot_waves=2)
    assert result.wave_of == {"pilot": 1, "big": 3, "vital": 3}
    assert "not a pilot candidate (size L, criticality low): waits for the 2 pilot wave(s)" in \
        reasons(catalog, result, "big")


def test_without_pilot_candidates_the_pilot_rule_is_lifted():
    catalog, result = plan([service("big", size="L")], pilot_waves=2)
    assert result.wave_of == {"big": 1} and result.pilot_waves == 0


def test_a_blackout_window_keeps_a_service_out_of_every_wave_it_touches():
    window = {"start": "2024-01-06", "end": "2024-01-09", "reason": "tax peak"}  # waves 1 and 2
    catalog, result = plan([service("a", blackout_windows=[window])])
    assert result.wave_of == {"a": 3}  # the third period, and the plan's first wave
    assert [(w.number, w.period) for w in result.waves] == [(1, 3)]
    text = reasons(catalog, result, "a")
    assert "not periods 2024-01-01 .. 2024-01-14: blackout window 2024-01-06..2024-01-09 (tax peak)" \
        in text
    [gap] = result.gaps
    assert (gap.start, gap.end, gap.before) == (START, dt.date(2024, 1, 14), 1)
    assert gap.reason == ("nothing can move: a is kept out by blackout window 2024-01-06..2024-01-09 "
                          "(tax peak)")


def test_a_window_ending_the_day_before_a_wave_does_not_touch_it():
    window = {"start": "2023-12-01", "end": "2023-12-31", "reason": "freeze"}
    _, result = plan([service("a", blackout_windows=[window])])
    assert result.wave_of == {"a": 1}


def test_no_contract_change_in_the_same_wave_as_the_move():
    change = {"date": "2024-01-03", "description": "new application contract"}
    catalog, result = plan([service("a", contract_change=change)])
    assert result.wave_of == {"a": 2}
    assert "application-contract change on 2024-01-03 falls in this wave" in reasons(catalog, result, "a")


def test_a_service_waits_for_its_minimum_release():
    release = {"id": "lpc-2", "name": "LPC 2", "status": "accepted", "available": "2024-01-10",
               "source": "test, 2024"}
    catalog, result = plan([service("a", min_release="lpc-2")], releases=[release])
    assert result.wave_of == {"a": 3}  # wave 2 starts 01-08, before the release; wave 3 on 01-15
    assert "needs infrastructure release lpc-2, available from 2024-01-10" in reasons(catalog, result, "a")
    assert [g.reason for g in result.gaps] == ["nothing can move: a waits for lpc-2 (available 2024-01-10)"]


def test_waves_are_numbered_over_the_periods_in_which_something_moves():
    """Wave numbers count only the periods that hold services; the periods between are a gap with
    its dates and what the next wave's services waited for."""
    services = [service("early"), service("late", not_before="2024-01-20"),
                service("later", not_before="2024-01-20", dependencies=[{"service": "late"}])]
    catalog, result = plan(services)
    assert [(w.number, w.period, w.start) for w in result.waves] == [
        (1, 1, START), (2, 4, dt.date(2024, 1, 22)), (3, 5, dt.date(2024, 1, 29))]
    assert result.wave_of == {"early": 1, "late": 4, "later": 5}  # periods of the grid
    assert result.wave_for("later").number == 3 and result.wave_at(2) is None
    [gap] = result.gaps
    assert (gap.start, gap.end, gap.before) == (dt.date(2024, 1, 8), dt.date(2024, 1, 21), 2)
    assert gap.reason == "nothing can move: late may not move before 2024-01-20"
    assert explain_placement(catalog, result, "later").lines() == [
        "earliest possible wave 3, because: hard dependency on late (wave 2) must move first",
        "placed in wave 3 (2024-01-29 to 2024-02-04) as migrate"]


def test_a_release_without_a_date_makes_the_plan_infeasible_and_says_why():
    release = {"id": "lpc-3", "name": "LPC 3", "status": "planned", "source": "test, 2024"}
    with pytest.raises(PlanInfeasible) as caught:
        plan([service("a", min_release="lpc-3"), service("b")], releases=[release])
    assert caught.value.conflicts == ["a: needs infrastructure release lpc-3, which has no "
                                      "availability date (status planned)"]


def test_not_before_holds_a_service_back():
    catalog, result = plan([service("a", not_before="2024-01-15")])
    assert result.wave_of == {"a": 3}


def test_a_retired_service_is_decommissioned_after_its_dependants_moved():
    services = [service("old", disposition="retire"),
                service("user", size="XL", dependencies=[{"service": "old"}]),
                service("dep", dependencies=[{"service": "user"}])]
    catalog, result = plan(services + [service("user2", dependencies=[{"service": "dep"}])])
    assert result.wave_of["old"] > result.wave_of["user"]
    assert {p.action for w in result.waves for p in w.placements if p.service_id == "old"} == \
        {"decommission"}
    assert "decommissioned only after its dependant user moved (wave 1)" in reasons(catalog, result, "old")


def test_a_deadline_that_cannot_hold_names_the_conflicting_constraints():
    release = {"id": "lpc-2", "name": "LPC 2", "status": "accepted", "available": "2024-03-01",
               "source": "test, 2024"}
    with pytest.raises(PlanInfeasible) as caught:
        plan([service("a", min_release="lpc-2", deadline="2024-02-01")], releases=[release])
    [conflict] = caught.value.conflicts
    assert conflict == ("a: its deadline 2024-02-01 allows waves up to the one ending 2024-01-28, but "
                        "no plan can place it before the period ending 2024-03-10: needs "
                        "infrastructure release lpc-2, available from 2024-03-01 (from the period "
                        "starting 2024-03-04)")
    assert "lower bound proves" in caught.value.headline


def test_a_global_deadline_is_checked_for_every_service():
    services = [service(f"s{i}") for i in range(5)]
    with pytest.raises(PlanInfeasible) as caught:
        plan(services, capacity=2, deadline=dt.date(2024, 1, 14))
    assert caught.value.conflicts == [
        "5 services can go no earlier than the period starting 2024-01-01 and must be done by the one "
        "ending 2024-01-14: at capacity 2 these 2 periods hold at most 4"]


def test_the_plan_is_the_same_whatever_the_input_order():
    services = [service(f"s{i}", size=["S", "M", "L"][i % 3],
                        dependencies=[{"service": f"s{i - 3}"}] if i >= 3 else []) for i in range(12)]
    _, forward = plan(services, capacity=2)
    _, backward = plan(list(reversed(services)), capacity=2)
    assert forward == backward


def test_the_delay_cost_follows_the_documents_line():
    catalog = catalog_from_data({
        "services": [service("a")],
        "calendar": {"legacy_contract_end": "2024-12-31", "source": "test, 2024"},
        "cost_model": {"base_exposure_meur": 183.8, "paused_months": 12,
                       "exposure_after_pause_meur": 210.1, "source": "test, 2024"}})
    year_late = delay_cost(dt.date(2025, 12, 31), catalog.calendar.legacy_contract_end, catalog.cost_model)
    assert year_late.months_past_contract_end == 12
    assert year_late.total_exposure_meur == pytest.approx(210.1, abs=0.01)
    on_time = delay_cost(dt.date(2024, 6, 30), catalog.calendar.legacy_contract_end, catalog.cost_model)
    assert on_time.extra_exposure_meur == 0 and on_time.total_exposure_meur == 183.8
    result = plan_waves(catalog, PlanOptions(start=dt.date(2025, 6, 2), wave_length_days=28))
    assert result.cost.plan_end == dt.date(2025, 6, 29)
    assert result.cost.extra_exposure_meur == pytest.approx(26.3 / 12 * (5 + 29 / 30))


@pytest.mark.parametrize("options", [{"capacity": 0}, {"wave_length_days": 0}, {"pilot_waves": -1}])
def test_nonsense_options_are_input_errors(options):
    with pytest.raises(InputError):
        PlanOptions(start=START, **options)


def test_the_shipped_catalog_plans_with_every_placement_explained():
    from orchestrator.catalog import load_catalog
    from orchestrator.planning.explain import explain_all
    from tests.conftest import SEEDS

    catalog = load_catalog(SEEDS)
    result = plan_waves(catalog, PlanOptions(start=catalog.calendar.planning_start))
    explanations = explain_all(catalog, result)
    assert set(explanations) == {s.id for s in catalog.services}
    assert not any(UNEXPLAINED in line for e in explanations.values() for line in e.lines())
    assert result.wave_of["digipoort"] > result.wave_of["cpa-register"]
    assert result.wave_for("digipoort").start >= dt.date(2023, 10, 1)
    assert result.wave_for("fbs").start >= dt.date(2024, 1, 1)
    assert [w.number for w in result.waves] == list(range(1, 9))
    assert [w.period for w in result.waves] == [1, 2, 3, 10, 11, 12, 14, 18]
    assert [(g.start.isoformat(), g.end.isoformat(), g.before, g.reason) for g in result.gaps] == [
        ("2022-12-26", "2023-06-11", 4, "nothing can move: digid, officiele-publicaties and "
                                        "overheid-nl wait for lpc-2.0 (available 2023-06-05)"),
        ("2023-09-04", "2023-10-01", 7, "nothing can move: digipoort may not move before 2023-10-01"),
        ("2023-10-30", "2024-01-21", 8, "nothing can move: fbs may not move before 2024-01-01")]
    assert explanations["mijnoverheid"].lines()[0] == (
        "earliest possible wave 5, because: hard dependency on digid (wave 4) must move first")
