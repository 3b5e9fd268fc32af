"""The status document of a programme with a finished wave, a partial one, an open blocker and a
rejected release: each part says what the journal holds, and nothing but ``now`` is wall time."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestrator.dashboard import gather_status
from orchestrator.journal import Journal
from orchestrator.planning.cost import delay_cost
from tests.dashboard.programme import HELD, NOW, empty_journal

FORECAST = {"seed": 7, "iterations": 1000, "plan": 1, "today": "2027-01-20",
            "deterministic_end": "2027-02-28", "p50": "2027-03-14", "p80": "2027-04-11", "p90": "2027-05-09",
            "deadline": None, "p_deadline": None,
            "contract_end": "2024-12-31", "p_contract_end": 0.0,
            "cost": {"label": "unlawful-extension exposure", "monthly_meur": 2.19, "p50_meur": 241.8,
                     "p80_meur": 243.9, "p90_meur": 245.9},
            "histogram": [{"from": "2027-02-28", "to": "2027-03-13", "count": 400},
                          {"from": "2027-03-14", "to": "2027-04-10", "count": 400},
                          {"from": "2027-04-11", "to": "2027-06-05", "count": 200}],
            "waves": [{"number": 3, "p50": "2027-03-14", "p90": "2027-05-09"}]}


@pytest.fixture(scope="module")
def status(built):
    path, catalog = built
    with Journal(f"sqlite:///{path}", read_only=True) as journal:
        return gather_status(catalog, journal, now=NOW, forecast=FORECAST)


def test_every_service_has_its_state_and_the_done_count_is_cut_over_plus_decommissioned(status):
    states = {s["service"]: s["state"] for s in status["progress"]["services"]}
    assert len(states) == 20 and states["cpa-register"] == "cut-over" and states["digid"] == "in-flight"
    assert states["digiinkoop"] == "decommissioned" and states["officiele-publicaties"] == "held"
    assert status["progress"]["states"] == {"legacy": 16, "in-flight": 1, "cut-over": 1, "decommissioned": 1,
                                            "rolled-back": 0, "held": 1}
    assert status["progress"]["line"] == "2 of 20 done"


def test_each_wave_has_its_status_duration_steps_and_the_services_it_holds_with_why(status):
    one, two, three = status["progress"]["waves"]
    assert (one["status"], one["steps"]) == ("done", {"done": 6})
    assert one["hours"] == pytest.approx(152.5, abs=0.02)
    assert one["started"][:16] == "2026-12-08T09:00" and one["finished"][:16] == "2026-12-14T17:30"
    assert (two["status"], two["finished"]) == ("partial", None)
    assert two["hours"] == pytest.approx(32, abs=0.02)
    assert two["held"] == {"officiele-publicaties": HELD} and two["steps"] == {"done": 2, "failed": 1}
    assert (three["status"], three["run"]) == ("not started", None)


def test_the_timeline_has_the_planned_waves_the_runs_as_they_happened_and_the_marks(status):
    t = status["timeline"]
    assert [w["number"] for w in t["waves"]] == [1, 2, 3]
    assert [(r["id"], r["start"], r["end"], r["finished"]) for r in t["runs"]] == [
        ("wave-1", "2026-12-08", "2026-12-14", True), ("wave-2", "2027-01-05", "2027-01-06", False)]
    assert (t["today"], t["contract_end"], t["p50"], t["p90"]) == ("2027-01-20", "2024-12-31", "2027-03-14",
                                                                  "2027-05-09")
    assert (t["from"], t["to"]) == ("2024-12-31", "2027-05-09")


def test_the_blocker_board_puts_the_overdue_first_and_names_the_waiver_about_to_expire(status):
    board = status["blockers"]
    assert [(b["id"], b["overdue"], b["days_overdue"]) for b in board["blockers"]] == [
        ("BLK-0001", True, 10), ("BLK-0002", False, 0), ("BLK-0003", False, 0)]
    assert board["by_severity"] == {"blocking": 1, "major": 1, "minor": 1}
    assert board["by_owner"] == {"migrations": 1, "netops": 1, "ops": 1}
    expiring = [(w["id"], w["days_left"], w["owner"]) for w in board["waivers_expiring"]]
    assert expiring == [("BLK-0002", 8, "cio")]


def test_a_waiver_further_than_14_days_away_is_not_listed_as_expiring(built):
    path, catalog = built
    with Journal(f"sqlite:///{path}", read_only=True) as journal:
        later = gather_status(catalog, journal, now=NOW - dt.timedelta(days=20))
    assert later["blockers"]["waivers_expiring"] == [] and later["blockers"]["overdue"] == 0


def test_the_releases_show_each_check_and_who_accepted_or_rejected(status):
    releases = {r["release"]: r for r in status["releases"]}
    rejected = releases["lpc-1.0"]
    assert rejected["status"] == "rejected" and rejected["decision"]["by"] == "cio"
    assert rejected["validations"][0]["checks"] == {"REL-K8S-001": "PASS", "REL-MAN-004": "FAIL"}
    assert releases["lpc-2.0"]["status"] == "accepted" and releases["lpc-1.1"]["status"] == "undecided"


def test_the_cost_is_the_planners_and_the_rehearsals_count_unknowns_and_would_fail(status, built):
    _, catalog = built
    cost = delay_cost(dt.date(2027, 2, 28), dt.date(2024, 12, 31), catalog.cost_model)
    assert status["cost"]["total_meur"] == round(cost.total_exposure_meur, 2)
    assert status["cost"]["monthly_meur"] == round(cost.monthly_meur, 2) and status["cost"]["forecast"] == {
        "p50_meur": 241.8, "p80_meur": 243.9, "p90_meur": 245.9}
    assert status["rehearsals"] == [
        {"wave": 2, "dry_run": None, "status": "not rehearsed", "approved": False, "approved_by": None,
         "unknown": 0, "would_fail": 0},
        {"wave": 3, "dry_run": 1, "status": "partial", "approved": False, "approved_by": None,
         "unknown": 2, "would_fail": 1}]


def test_the_availability_budget_counts_the_journalled_cutover_downtime(built):
    """cpa-register's freeze to cutover took place on 2026-12-08, in the period of that day."""
    path, catalog = built
    with Journal(f"sqlite:///{path}", read_only=True) as journal:
        december = gather_status(catalog, journal, now=dt.datetime(2026, 12, 9, tzinfo=NOW.tzinfo))
    rows = {a["service"]: a for a in december["availability"]}
    assert rows["cpa-register"]["period"] == "four-months 2026-09-01..2026-12-31"
    assert rows["cpa-register"]["used_minutes"] == 0.0  # the steps ran within the same second
    assert rows["cpa-register"]["left_minutes"] == rows["cpa-register"]["allowed_minutes"] == 351.4
    assert "digiinkoop" not in rows  # decommissioned, it does not move
    assert (rows["cpa-register"]["expected_minutes"], rows["cpa-register"]["fits"]) == (None, None)  # done
    assert (rows["digid"]["expected_minutes"], rows["digid"]["fits"]) == (120, True)


def test_an_empty_journal_still_gives_a_status_that_says_nothing_ran(tmp_path, built):
    _, catalog = built
    with empty_journal(tmp_path / "empty.db") as journal:
        empty = gather_status(catalog, journal, now=NOW)
    assert empty["nothing_ran"] is True and empty["plan"] is None and empty["progress"]["waves"] == []
    assert empty["progress"]["line"] == "0 of 20 done" and empty["timeline"]["runs"] == []
    assert empty["cost"]["note"] == "no unlawful-extension exposure computed: no approved plan"
