"""The forecast against what can be worked out by hand: no variance gives the deterministic plan's
end; one wave of n uniform services gives the analytic maximum of n; the journal's history, its
retries, an unaccepted release and an open blocker move the end the way they should."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.catalog import catalog_from_data, load_catalog
from orchestrator.catalog.models import ForecastSettings, Spread
from orchestrator.errors import InputError
from orchestrator.forecast import forecast_programme
from tests.conftest import SEEDS, accept_release, service
from tests.forecast.conftest import approve, planned_waves, record_step, wave

TODAY = dt.date(2022, 9, 1)
START = dt.date(2022, 10, 3)
NO_SPREAD = Spread(distribution="none", mode=1.0)


def small_catalog(count: int = 3, spread: dict | None = None, **extra: object) -> object:
    """``count`` new-build services (steps provision, prepare-target, cutover, verify)."""
    doc = {"services": [service(f"s{i}", disposition="new-build") for i in range(count)],
           "calendar": {"legacy_contract_end": "2023-12-31"},
           "forecast": {"duration_spread": spread or {"distribution": "none", "mode": 1}, **extra}}
    return catalog_from_data(doc)


def test_with_no_variance_every_percentile_is_the_deterministic_plans_end(journal):
    catalog = load_catalog(SEEDS)
    quiet = dataclasses.replace(catalog, forecast=ForecastSettings(duration_spread=NO_SPREAD))
    for release in ("lpc-1.1", "lpc-2.0"):
        accept_release(journal, release, "lab")
    waves = planned_waves(catalog, START)
    approve(journal, catalog, waves)
    result = forecast_programme(quiet, journal, today=TODAY, iterations=200)
    assert result.deterministic_end == dt.date.fromisoformat(waves[-1]["end"])
    assert result.p50 == result.p80 == result.p90 == result.deterministic_end
    assert [w["p90"] for w in result.to_dict()["waves"]] == [w["end"] for w in waves if w["services"]]
    assert result.histogram == [{"from": waves[-1]["end"], "to": waves[-1]["end"], "count": 200}]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 30), st.integers(1, 3)), min_size=1,
                max_size=4))
def test_with_no_variance_any_plan_ends_on_its_last_waves_end(journal, shape):
    catalog = small_catalog(sum(count for _length, _gap, count in shape))
    waves, day, names = [], START, iter(s.id for s in catalog.services)
    for number, (length, gap, count) in enumerate(shape, start=1):
        day += dt.timedelta(days=gap)
        waves.append(wave(number, day, length, [next(names) for _ in range(count)]))
        day += dt.timedelta(days=length)
    approve(journal, catalog, waves)  # each example's plan is the newest approved
    result = forecast_programme(catalog, journal, today=TODAY, iterations=20)
    assert result.p50 == result.p90 == dt.date.fromisoformat(waves[-1]["end"])


def test_one_wave_of_uniform_services_matches_the_analytic_maximum(journal):
    n, length = 5, 1000  # long, so that whole days hardly round the continuous maximum
    catalog = small_catalog(n, {"distribution": "uniform", "low": 0.5, "high": 1.5})
    approve(journal, catalog, [wave(1, START, length, [s.id for s in catalog.services])])
    result = forecast_programme(catalog, journal, today=TODAY, iterations=10_000, seed=3)
    for percentile, tolerance in ((50, 8), (90, 4)):
        # P(max of n uniforms on [0.5, 1.5] <= x) = (x - 0.5) ** n
        expected = START + dt.timedelta(days=length * (0.5 + (percentile / 100) ** (1 / n)) - 1)
        assert abs((getattr(result, f"p{percentile}") - expected).days) <= tolerance


def test_the_same_seed_gives_the_same_forecast_and_records_it(journal):
    catalog = small_catalog(4, {"distribution": "triangular", "low": 0.8, "mode": 1, "high": 2})
    approve(journal, catalog, [wave(1, START, 28, ["s0", "s1"]), wave(2, START + dt.timedelta(28), 28,
                                                                     ["s2", "s3"])])
    first = forecast_programme(catalog, journal, today=TODAY, iterations=500, seed=11)
    assert first.to_dict() == forecast_programme(catalog, journal, today=TODAY, iterations=500,
                                                 seed=11).to_dict()
    assert first.to_dict()["seed"] == 11
    assert first.to_dict() != forecast_programme(catalog, journal, today=TODAY, iterations=500,
                                                 seed=12).to_dict()


def test_the_dict_has_exactly_the_contracts_keys(journal):
    catalog = small_catalog(2)
    approve(journal, catalog, [wave(1, START, 28, ["s0", "s1"])])
    data = forecast_programme(catalog, journal, today=TODAY, iterations=10,
                              deadline=dt.date(2022, 10, 1)).to_dict()
    assert list(data) == ["seed", "iterations", "plan", "today", "deterministic_end", "p50", "p80",
                          "p90", "deadline", "p_deadline", "contract_end", "p_contract_end", "cost",
                          "histogram", "waves"]
    assert list(data["cost"]) == ["label", "monthly_meur", "p50_meur", "p80_meur", "p90_meur"]
    assert data["p_deadline"] == 0.0 and data["p_contract_end"] == 1.0
    assert data["waves"] == [{"number": 1, "p50": "2022-10-30", "p90": "2022-10-30"}]


def test_longer_recorded_steps_end_later_and_retries_later_still(journal):
    catalog = small_catalog(2)
    approve(journal, catalog, [wave(1, START, 28, ["s0", "s1"])])
    steps = ("provision", "prepare-target", "cutover", "verify")
    for number, step in enumerate(steps):
        record_step(journal, "run-a", f"x{number}", step, 2 * 86_400)  # two days each
    short = forecast_programme(catalog, journal, today=TODAY, iterations=500)
    assert short.p50 == short.p90 == START + dt.timedelta(days=27)  # done early, the slot is kept
    handing_on = small_catalog(2, None, early_finish=True)
    early = forecast_programme(handing_on, journal, today=TODAY, iterations=500)
    assert early.p50 == early.p90 == START + dt.timedelta(days=4 * 2 - 1)
    for number, step in enumerate(steps):
        record_step(journal, "run-b", f"x{number}", step, 12 * 86_400)
    longer = forecast_programme(catalog, journal, today=TODAY, iterations=2000)
    assert short.p50 < longer.p50 <= longer.p90 <= START + dt.timedelta(days=4 * 12 - 1)
    for number, step in enumerate(steps):
        record_step(journal, "run-c", f"x{number}", step, 7 * 86_400, ("transient", "failed", "ok"))
    retried = forecast_programme(catalog, journal, today=TODAY, iterations=2000)
    assert retried.p50 > longer.p50


def test_a_release_not_accepted_delays_the_services_that_need_it(journal):
    doc = {"services": [service("a", disposition="new-build", min_release="r1"),
                        service("b", disposition="new-build", min_release="r1")],
           "releases": [{"id": "r1", "name": "R1", "available": "2022-11-01", "status": "delivered"}],
           "calendar": {"legacy_contract_end": "2023-12-31"},
           "forecast": {"duration_spread": {"distribution": "none", "mode": 1},
                        "release_delay_months": {"distribution": "none", "mode": 12}}}
    catalog = catalog_from_data(doc)
    approve(journal, catalog, [wave(1, START, 28, ["a"]), wave(2, START + dt.timedelta(28), 28, ["b"])])
    held = forecast_programme(catalog, journal, today=TODAY, iterations=20)
    # both wait for 2022-11-01 + 12 months of 30.44 days: 2023-11-01 and a quarter; a takes 28 days,
    # b's wave waits for a's and takes 28 more, into the quarter of 2023-12-27
    assert held.p50 == held.p90 == dt.date(2023, 12, 27)
    assert held.deterministic_end == START + dt.timedelta(55)
    accept_release(journal, "r1", "lab")
    assert forecast_programme(catalog, journal, today=TODAY, iterations=20).p50 == START + dt.timedelta(55)


def test_an_open_blocker_holds_its_scope_to_its_due_date_plus_the_slip(journal):
    from orchestrator.journal.blockers import add_blocker, change

    catalog = small_catalog(2, None, blocker_slip_days={"distribution": "none", "mode": 10})
    approve(journal, catalog, [wave(1, START, 28, ["s0", "s1"])])
    blocker = add_blocker(journal, "service:s1", "blocking", "disk", "ops", "ann", due=dt.date(2022, 12, 1))
    assert forecast_programme(catalog, journal, today=TODAY, iterations=20).p50 == \
        dt.date(2022, 12, 11) + dt.timedelta(days=27)
    change(journal, blocker.id, "resolve", "ann", "fixed")
    assert forecast_programme(catalog, journal, today=TODAY, iterations=20).p50 == START + dt.timedelta(27)


def test_what_is_done_is_not_forecast_again(journal):
    catalog = small_catalog(3)
    approve(journal, catalog, [wave(1, START, 28, ["s0"]), wave(2, START + dt.timedelta(28), 28, ["s1"]),
                               wave(3, START + dt.timedelta(56), 28, ["s2"])])
    journal.set_service_state("s2", "cut-over", "run-3")
    result = forecast_programme(catalog, journal, today=TODAY, iterations=10)
    assert [w["number"] for w in result.waves] == [1, 2]
    assert result.deterministic_end == START + dt.timedelta(55)


def test_no_approved_plan_is_an_input_error(journal):
    with pytest.raises(InputError, match="no approved plan to forecast"):
        forecast_programme(small_catalog(1), journal, today=TODAY)
