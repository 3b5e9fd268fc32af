"""`logius-migrate plan forecast` on a journal file, and the catalog's forecast: section."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.errors import CatalogError
from tests.conftest import SEEDS, service, write_catalog
from tests.forecast.conftest import approve, planned_waves

NOW = {"LOGIUS_MIGRATE_NOW": "2022-09-01T09:00"}


def db_of(journal):
    return journal.engine.url.database


def test_no_approved_plan_is_one_line_and_exit_2(run_cli, journal):
    result = run_cli("plan", "forecast", "--db", db_of(journal), env=NOW)
    assert result.exit_code == 2
    assert result.stderr.endswith("plans: no approved plan to forecast (logius-migrate plan save, then "
                                  "plan approve)\n")
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    assert result.stdout == ""


def test_a_seed_that_is_not_a_number_is_a_usage_error(run_cli, journal):
    result = run_cli("plan", "forecast", "--db", db_of(journal), "--seed", "seven", env=NOW)
    assert result.exit_code == 2 and "'seven' is not a valid integer" in result.stderr


def test_json_table_and_markdown_on_the_shipped_catalog(run_cli, journal):
    catalog = load_catalog(SEEDS)
    approve(journal, catalog, planned_waves(catalog, dt.date(2022, 10, 3)))
    where = ("--db", db_of(journal), "--iterations", "500", "--seed", "4", "--deadline", "2024-06-30")
    data = json.loads(run_cli("plan", "forecast", *where, "--format", "json", env=NOW).stdout)
    assert (data["seed"], data["iterations"], data["plan"], data["today"]) == (4, 500, 1, "2022-09-01")
    assert data["deterministic_end"] <= data["p50"] <= data["p80"] <= data["p90"]
    assert sum(b["count"] for b in data["histogram"]) == 500
    assert data["cost"]["label"] == "unlawful-extension exposure"
    table = run_cli("plan", "forecast", *where, env=NOW)
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "Forecast of plan 1 from 2022-09-01: 500 iterations, seed 4"
    assert f"  P90  {data['p90']}  +{data['cost']['p90_meur']:.2f} M EUR unlawful-extension exposure" in lines
    assert "  - release lpc-1.1 not accepted: from 2022-10-03 plus triangular 3/6/12 months" in lines
    assert "forecast: 500 of 500" in table.stderr  # progress on stderr, stdout left clean
    markdown = run_cli("plan", "forecast", *where, "--format", "md", env=NOW).stdout
    assert markdown.startswith("# Forecast of plan 1\n") and f"| P50 | {data['p50']} |" in markdown


def test_a_bad_forecast_setting_names_the_file_and_the_field(tmp_path):
    folder = write_catalog(tmp_path / "catalog", {"catalog.yaml": {
        "services": [service("a")],
        "forecast": {"release_delay_months": {"distribution": "triangular", "low": 6, "mode": 3,
                                              "high": 12}, "max_attempts": 0}}})
    with pytest.raises(CatalogError) as refused:
        load_catalog(folder)
    lines = refused.value.problems
    assert len(lines) == 2
    assert any("catalog.yaml" in line and "section 'forecast': field 'release_delay_months'" in line
               and "low <= mode <= high" in line for line in lines)
    assert any("field 'max_attempts'" in line for line in lines)


def test_an_absent_forecast_section_takes_the_defaults(tmp_path):
    folder = write_catalog(tmp_path / "catalog", {"catalog.yaml": {"services": [service("a")]}})
    catalog = load_catalog(folder)
    settings = catalog.forecast_settings
    assert catalog.forecast is None
    assert (settings.duration_spread.distribution, settings.release_delay_months.mode) == ("triangular", 6)
