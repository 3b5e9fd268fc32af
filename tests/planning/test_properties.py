"""Properties of the planner over random catalogs, each checked independently of the planner's code."""

from __future__ import annotations

import datetime as dt
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.catalog import catalog_from_data
from orchestrator.planning import PlanOptions, plan_waves
from orchestrator.planning.explain import UNEXPLAINED, explain_all
from tests.conftest import service

START = dt.date(2024, 1, 1)
PROFILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def day(offset: int) -> str:
    return (START + dt.timedelta(days=offset)).isoformat()


@st.composite
def catalogs(draw):
    n = draw(st.integers(1, 25))
    releases = [{"id": f"r{i}", "name": f"R{i}", "status": "accepted", "source": "test, 2024",
                 "available": day(draw(st.integers(-30, 200)))} for i in range(draw(st.integers(0, 2)))]
    services = []
    for i in range(n):
        earlier = [f"s{j:02d}" for j in range(i)]
        deps = draw(st.lists(st.sampled_from(earlier), unique=True, max_size=4)) if earlier else []
        fields = {
            "size": draw(st.sampled_from(["S", "M", "L", "XL"])),
            "criticality": draw(st.sampled_from(["low", "medium", "high", "vital"])),
            "disposition": draw(st.sampled_from(["rehost"] * 5 + ["rebuild", "new-build", "retire"])),
            "dependencies": [{"service": d, "kind": draw(st.sampled_from(["hard", "hard", "soft"]))}
                             for d in deps],
            "blackout_windows": [
                {"start": day(s), "end": day(s + length), "reason": "freeze"}
                for s, length in draw(st.lists(st.tuples(st.integers(-20, 300), st.integers(0, 40)),
                                               max_size=2))],
        }
        if draw(st.booleans()):
            fields["contract_change"] = {"date": day(draw(st.integers(0, 300))), "description": "c"}
        if releases and draw(st.booleans()):
            fields["min_release"] = draw(st.sampled_from(releases))["id"]
        if draw(st.integers(0, 4)) == 0:
            fields["not_before"] = day(draw(st.integers(0, 150)))
        services.append(service(f"s{i:02d}", **fields))
    options = PlanOptions(start=START, wave_length_days=draw(st.integers(1, 30)),
                          capacity=draw(st.integers(1, 5)), pilot_waves=draw(st.integers(0, 2)))
    return {"services": services, "releases": releases}, options


def bounds(options: PlanOptions, wave: int) -> tuple[dt.date, dt.date]:
    first = options.start + dt.timedelta(days=options.wave_length_days * (wave - 1))
    return first, first + dt.timedelta(days=options.wave_length_days - 1)


@PROFILE
@given(catalogs())
def test_every_rule_holds_in_every_plan(case):
    data, options = case
    catalog = catalog_from_data(data)
    result = plan_waves(catalog, options)
    wave = result.wave_of
    by_id = {s["id"]: s for s in data["services"]}
    assert set(wave) == set(by_id)
    assert all(len(w.placements) <= options.capacity for w in result.waves)
    assert sorted(p.service_id for w in result.waves for p in w.placements) == sorted(by_id)
    available = {r["id"]: dt.date.fromisoformat(r["available"]) for r in data["releases"]}
    pilots_exist = any(s["disposition"] != "retire" and s["size"] == "S"
                       and s["criticality"] in ("low", "medium") for s in data["services"])
    for sid, s in by_id.items():
        first, last = bounds(options, wave[sid])
        for dep in s["dependencies"]:
            if dep["kind"] != "hard":
                continue
            if by_id[dep["service"]]["disposition"] == "retire":
                if s["disposition"] != "retire":
                    assert wave[dep["service"]] > wave[sid], (sid, dep)
            elif s["disposition"] != "retire":
                assert wave[dep["service"]] < wave[sid], (sid, dep)
        for window in s["blackout_windows"]:
            assert not (dt.date.fromisoformat(window["start"]) <= last
                        and dt.date.fromisoformat(window["end"]) >= first), (sid, window)
        if "contract_change" in s:
            assert not first <= dt.date.fromisoformat(s["contract_change"]["date"]) <= last
        if s["disposition"] != "retire":
            if "min_release" in s:
                assert first >= available[s["min_release"]]
            if options.pilot_waves and pilots_exist and not (
                    s["size"] == "S" and s["criticality"] in ("low", "medium")):
                assert wave[sid] > options.pilot_waves
        if "not_before" in s:
            assert first >= dt.date.fromisoformat(s["not_before"])


@PROFILE
@given(catalogs(), st.randoms(use_true_random=False))
def test_the_same_input_always_gives_the_same_plan(case, rnd: random.Random):
    data, options = case
    first = plan_waves(catalog_from_data(data), options)
    shuffled = dict(data, services=rnd.sample(data["services"], len(data["services"])))
    assert plan_waves(catalog_from_data(shuffled), options) == first


@PROFILE
@given(catalogs())
def test_every_placement_is_explained_by_a_rule(case):
    data, options = case
    catalog = catalog_from_data(data)
    result = plan_waves(catalog, options)
    for sid, explanation in explain_all(catalog, result).items():
        assert explanation.earliest <= result.wave_of[sid]
        assert explanation.binding
        assert not any(UNEXPLAINED in line for line in explanation.lines()), explanation


@PROFILE
@given(catalogs())
def test_the_planners_fast_bound_equals_the_worded_bounds(case):
    from orchestrator.planning.rules import WaveGrid, pilot_rule_applies, static_bounds, static_earliest

    data, options = case
    catalog = catalog_from_data(data)
    grid = WaveGrid(options.start, options.wave_length_days)
    releases = {r.id: r for r in catalog.releases}
    pilots = pilot_rule_applies(catalog.services, options.pilot_waves)
    for s in catalog.services:
        assert static_earliest(s, grid, releases, pilots) == \
            max(b.wave for b in static_bounds(s, grid, releases, pilots))
