"""The plan's table: written row by row, in one layout fixed before the first row."""

from __future__ import annotations

import datetime as dt
import io

from orchestrator.catalog import catalog_from_data
from orchestrator.planning import PlanOptions, plan_waves
from orchestrator.reports import plan_report
from tests.conftest import service


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
