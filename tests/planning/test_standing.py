"""Plans from where the programme stands: the journal's done services are not placed again, its
release decisions move services, and the plan starts today by the tool's clock."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.cli.plan import build_plan, standing_of
from orchestrator.errors import PlanInfeasible
from orchestrator.journal import Journal, resolve_url
from tests.conftest import SEEDS, accept_release


@pytest.fixture
def journal(tmp_path):
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as opened:
        yield opened


def test_a_new_plan_keeps_what_is_done_as_done(journal, monkeypatch):
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", "2023-07-03T09:00")
    catalog = load_catalog(SEEDS)
    journal.set_service_state("cpa-register", "cut-over", "wave-1")
    journal.set_service_state("digiinkoop", "decommissioned", "wave-1")
    journal.set_service_state("cor", "in-flight", "wave-2")
    plan = build_plan(catalog, None, 28, 3, 1, standing=standing_of(catalog, journal))
    placed = {p.service_id for w in plan.waves for p in w.placements}
    assert {d.service_id: d.state for d in plan.done} == {
        "cpa-register": "cut-over", "digiinkoop": "decommissioned", "cor": "in-flight"}
    assert placed == {s.id for s in catalog.services} - {"cpa-register", "digiinkoop", "cor"}
    assert plan.options.start == dt.date(2023, 7, 3)  # today, by the clock
    assert [w.number for w in plan.waves] == list(range(1, len(plan.waves) + 1))


def test_the_journals_decisions_say_when_a_release_is_usable(journal, monkeypatch):
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", "2022-10-03T09:00")
    catalog = load_catalog(SEEDS)
    forecast = build_plan(catalog, None, 28, 3, 1, standing=standing_of(catalog, journal))
    assert forecast.wave_for("digid").start >= dt.date(2023, 6, 5)  # lpc-2.0 as the catalog expects
    accept_release(journal, "lpc-2.0", "lab")  # accepted today: usable from today
    early = build_plan(catalog, None, 28, 3, 1, standing=standing_of(catalog, journal))
    assert early.wave_for("digid").start < dt.date(2023, 6, 5)
    accept_release(journal, "lpc-2.0", "lab", decision="rejected")
    with pytest.raises(PlanInfeasible) as refused:
        build_plan(catalog, None, 28, 3, 1, standing=standing_of(catalog, journal))
    assert any("needs infrastructure release lpc-2.0 or later, and none will be usable: lpc-2.0 "
               "rejected on 2022-10-03" in line for line in refused.value.conflicts)


def test_a_downtime_no_period_can_take_makes_the_plan_infeasible(tmp_path):
    from orchestrator.catalog import catalog_from_data
    from tests.conftest import service

    catalog = catalog_from_data({"services": [service("big", expected_downtime_minutes=120)],
                                 "calendar": {"availability_norm": 99.8}})
    with pytest.raises(PlanInfeasible) as refused:
        build_plan(catalog, dt.date(2027, 1, 4), 28, 3, 1)
    assert refused.value.conflicts == [
        "big: expected downtime 120 min (declared) exceeds the 80.6 min a month allows at 99.8% "
        "availability: no wave can take it; shorten the cutover or state a longer availability_period "
        "in the catalog's calendar"]
    longer = catalog_from_data({"services": [service("big", expected_downtime_minutes=120)],
                                "calendar": {"availability_norm": 99.8, "availability_period": "quarter"}})
    assert build_plan(longer, dt.date(2027, 1, 4), 28, 3, 1).wave_for("big").number == 1
