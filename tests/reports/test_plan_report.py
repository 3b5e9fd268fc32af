"""The plan's three formats: the services already done, the gaps, and a table written row by row."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import pytest

from orchestrator.catalog import catalog_from_data, load_catalog
from orchestrator.planning import Done, PlanOptions, plan_waves
from orchestrator.reports import plan_report
from tests.conftest import SEEDS, service


@pytest.fixture(scope="module")
def shipped():
    catalog = load_catalog(SEEDS)
    return catalog, plan_waves(catalog, PlanOptions(start=catalog.calendar.planning_start))


def test_services_already_done_are_named_in_every_format(shipped):
    catalog, plan = shipped
    done = (Done("cpa-register", "cut-over", "wave-1"), Done("digiinkoop", "decommissioned", "wave-1"),
            Done("cor", "cut-over", "wave-2"))
    plan = dataclasses.replace(plan, done=done)
    table = io.StringIO()
    plan_report.render_table(catalog, plan, table)
    assert ("already done, not planned again: 3 services (cpa-register cut-over in wave-1, digiinkoop "
            "decommissioned in wave-1, cor cut-over in wave-2)") in table.getvalue().replace("\n", " ")
    document = io.StringIO()
    plan_report.write_json(catalog, plan, document)
    assert json.loads(document.getvalue())["done"] == [
        {"service_id": "cpa-register", "state": "cut-over", "run_id": "wave-1"},
        {"service_id": "digiinkoop", "state": "decommissioned", "run_id": "wave-1"},
        {"service_id": "cor", "state": "cut-over", "run_id": "wave-2"}]
    markdown = "".join(plan_report.markdown(catalog, plan))
    assert ("Already done, not planned again: 3 service(s) (cpa-register cut-over in wave-1, digiinkoop "
            "decommissioned in wave-1, cor cut-over in wave-2).") in markdown


def test_thousands_done_are_a_count_and_the_first_few(shipped):
    catalog, plan = shipped
    plan = dataclasses.replace(plan, done=tuple(Done(f"s{i:04d}", "cut-over", f"wave-{i // 3 + 1}")
                                                for i in range(2500)))
    table = io.StringIO()
    plan_report.render_table(catalog, plan, table)
    line = table.getvalue().split("┘\n", 1)[1].split("\n20 services")[0].replace("\n", " ")
    assert line == ("already done, not planned again: 2,500 services (s0000 cut-over in wave-1, s0001 "
                    "cut-over in wave-1, s0002 cut-over in wave-1, s0003 cut-over in wave-2, s0004 "
                    "cut-over in wave-2, and 2,495 more)")
    markdown = "".join(plan_report.markdown(catalog, plan))
    assert "and 2495 more; all in the list at the end)" in markdown
    assert markdown.count("| cut-over | wave-") == 2500


def test_no_done_line_when_nothing_is_done(shipped):
    catalog, plan = shipped
    table = io.StringIO()
    plan_report.render_table(catalog, plan, table)
    assert "already done" not in table.getvalue()
    assert "Already done" not in "".join(plan_report.markdown(catalog, plan))


def test_the_table_keeps_one_layout_from_the_first_row_to_the_last(monkeypatch):
    """Every line of the box has the width fixed before the first row was written, whatever the
    rows hold (long reasons, a wave of more than ten services)."""
    monkeypatch.setenv("COLUMNS", "100")
    services = [service(f"s{i:03d}") for i in range(40)]
    services += [service(f"late-{i}", not_before="2024-03-01") for i in range(12)]
    catalog = catalog_from_data({"services": services})
    plan = plan_waves(catalog, PlanOptions(start=dt.date(2024, 1, 1), wave_length_days=7, capacity=12,
                                           pilot_waves=0))
    out = io.StringIO()
    plan_report.render_table(catalog, plan, out)
    box = [line for line in out.getvalue().splitlines() if line[:1] in "┏┃┡│└"]
    assert {len(line) for line in box} == {100}
    text = out.getvalue()
    assert "│    5 │ 2024-03-04 .. 2024-03-10 │ late-0 (migrate), late-1 (migrate), late-10" in text
    assert "(migrate) and 2 more (--format md or json)" in text
    assert ("│      │ 2024-01-29 .. 2024-03-03 │ nothing can move: late-0, late-1, late-10, late-11, late-2 "
            "and │\n│      │                          │ 7 more may not move before 2024-03-01 ") in text


def test_a_service_with_a_test_track_has_its_stage_before_its_wave(shipped):
    """The planner names the stage (the standing is the journal's, given by the caller: not run
    without one); a plan without test tracks has none."""
    from orchestrator.planning.stages import with_standing

    catalog, plan = shipped
    [stage] = plan.stages
    assert (stage.service_id, stage.before_wave, stage.start) == (
        "digipoort", plan.wave_for("digipoort").number, plan.wave_for("digipoort").start)
    assert stage.line() == (f"Azure test track (build digipoort-rebuild-2023.4) before wave "
                            f"{stage.before_wave}: digipoort, not run")
    standing = with_standing(plan, {"digipoort": "passed, not destroyed"})
    document = io.StringIO()
    plan_report.write_json(catalog, standing, document)
    assert json.loads(document.getvalue())["test_tracks"][0]["standing"] == "passed, not destroyed"
    plain = catalog_from_data({"services": [service("a")]})
    assert plan_waves(plain, PlanOptions(start=dt.date(2027, 1, 4))).stages == ()
