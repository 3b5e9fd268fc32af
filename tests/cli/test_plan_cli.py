"""`logius-migrate plan` and the shared error handling, through the real command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import PROJECT, service, write_catalog


@pytest.fixture(autouse=True)
def programme_start(monkeypatch):
    """The tool's clock on the day the seeds' programme starts (their planning_start), so the
    default plan starts where these tests expect, whatever today is."""
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", "2022-10-03T09:00")


def test_plan_json_places_every_service_and_states_the_cost(run_cli):
    result = run_cli("plan", "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    placed = [s for w in document["waves"] for s in w["services"]]
    assert len(placed) == 20 and all(s["reasons"] for s in placed)
    assert document["end_date"] == document["waves"][-1]["end"]
    assert document["cost_of_delay"]["legacy_contract_end"] == "2024-12-31"
    assert document["options"]["start"] == "2022-10-03"
    assert [w["number"] for w in document["waves"]] == list(range(1, 9))  # periods 4-9 etc. are gaps
    assert [(g["start"], g["end"], g["before_wave"]) for g in document["gaps"]] == [
        ("2022-12-26", "2023-06-11", 4), ("2023-09-04", "2023-10-01", 7), ("2023-10-30", "2024-01-21", 8)]
    assert document["gaps"][0]["reason"] == ("nothing can move: digid, officiele-publicaties and "
                                             "overheid-nl wait for lpc-2.0 (available 2023-06-05)")
    assert document["done"] == []


def test_a_late_start_costs_the_documents_monthly_rate(run_cli):
    result = run_cli("plan", "--format", "json", "--start", "2025-01-06")
    cost = json.loads(result.stdout)["cost_of_delay"]
    assert cost["months_past_contract_end"] > 6
    assert cost["monthly_meur"] == round((210.1 - 183.8) / 12, 4)
    assert cost["total_exposure_meur"] == round(183.8 + cost["extra_exposure_meur"], 2)


def test_plan_options_change_the_plan(run_cli):
    narrow = json.loads(run_cli("plan", "--format", "json", "--capacity", "1").stdout)
    assert max(len(w["services"]) for w in narrow["waves"]) == 1
    short = json.loads(run_cli("plan", "--format", "json", "--wave-length", "7").stdout)
    assert short["waves"][0]["end"] == "2022-10-09"


def test_plan_markdown_explains_each_placement(run_cli):
    result = run_cli("plan", "--format", "md")
    assert result.stdout.startswith("# Wave plan")
    assert "| wave | dates | services |" in result.stdout
    assert "**Digipoort** (`digipoort`, rebuild)" in result.stdout
    assert "not before 2023-10-01" in result.stdout
    assert "| | 2023-09-04 to 2023-10-01 | *nothing can move: digipoort may not move before " \
           "2023-10-01* |\n| | before 2023-10-02 | Azure test track (build digipoort-rebuild-2023.4) " \
           "before wave 7: digipoort, not run |\n| 7 | 2023-10-02 to 2023-10-29 | digipoort (rebuild) |" \
           in result.stdout
    assert "### Wave 7 (2023-10-02 to 2023-10-29)" in result.stdout


def test_plan_table_is_readable(run_cli):
    result = run_cli("plan")
    assert result.exit_code == 0
    assert "Wave plan" in result.stdout and "digipoort (rebuild)" in result.stdout
    assert "│    7 │ 2023-10-02 .. 2023-10-29 │ digipoort (rebuild)" in result.stdout
    assert "│      │ 2023-09-04 .. 2023-10-01 │ nothing can move: digipoort may not move" in result.stdout
    assert "20 services in 8 waves; plan ends" in result.stdout
    assert "\x1b[" not in result.stdout  # no styling outside a terminal


def test_explain_says_why_a_service_sits_in_its_wave(run_cli):
    result = run_cli("plan", "--explain", "mijnoverheid")
    assert result.exit_code == 0
    assert result.stdout.startswith("mijnoverheid is in wave 5:\n")
    assert "hard dependency on digid (wave 4) must move first" in result.stdout
    as_json = json.loads(run_cli("plan", "--explain", "digipoort", "--format", "json").stdout)
    assert as_json["service"] == "digipoort" and any("not before" in r for r in as_json["reasons"])
    assert (as_json["wave"], as_json["earliest"]) == (7, 7)


def test_explain_of_an_unknown_service_is_an_input_error(run_cli):
    result = run_cli("plan", "--explain", "nope")
    assert result.exit_code == 2
    assert result.stderr == "error: no service 'nope' in the catalog\n"


def test_infeasible_constraints_exit_3_and_name_the_conflict(run_cli):
    result = run_cli("plan", "--deadline", "2023-06-30")
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == "error: --deadline 2023-06-30: no plan can meet it, as a lower bound proves:"
    assert "error: digipoort: --deadline 2023-06-30 allows waves up to the one ending 2023-06-11, but " \
           "no plan can place it before the period ending 2023-10-29: not before 2023-10-01 (from the " \
           "period starting 2023-10-02)" in lines
    assert result.stdout == ""


def test_a_catalog_without_a_calendar_plans_from_today(tmp_path, run_cli):
    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service("a")]}})
    today = json.loads(run_cli("plan", "--catalog", str(folder), "--format", "json").stdout)
    assert today["waves"][0]["start"] == "2022-10-03"  # the tool's clock (programme_start)
    given = run_cli("plan", "--catalog", str(folder), "--start", "2025-03-03", "--format", "json")
    document = json.loads(given.stdout)
    assert document["cost_of_delay"] is None and document["waves"][0]["services"][0]["id"] == "a"


def test_bad_option_values_are_usage_errors(run_cli):
    assert run_cli("plan", "--capacity", "0").exit_code == 2
    assert run_cli("plan", "--start", "yesterday").exit_code == 2


def test_an_unexpected_error_is_one_line_and_a_logged_traceback(run_cli, monkeypatch, tmp_path):
    import orchestrator.catalog

    def explode(path=None):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(orchestrator.catalog, "load_catalog", explode)
    result = run_cli("catalog", "list")
    assert result.exit_code == 1
    log = tmp_path / "home" / "logius-migrate.log"
    assert result.stderr == f"internal error: RuntimeError: disk on fire; traceback in {log}\n"
    assert "Traceback" in log.read_text() and "disk on fire" in log.read_text()


def test_the_installed_command_runs_and_help_teaches(tmp_path):
    env = {"PATH": f"{PROJECT / '.venv' / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    exe = [sys.executable, "-m", "orchestrator"]
    helped = subprocess.run([*exe, "--help"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert helped.returncode == 0
    assert "Exit codes:" in helped.stdout and "plan" in helped.stdout
    plan_help = subprocess.run([*exe, "plan", "--help"], capture_output=True, text=True, env=env)
    assert "--explain SERVICE" in plan_help.stdout and "Examples:" in plan_help.stdout


def test_help_does_not_import_the_heavy_libraries():
    code = ("import sys; from orchestrator.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('pydantic', 'yaml', 'rich', 'jinja2', 'ansible_runner', 'kubernetes')"
            " if m in sys.modules]\nprint('heavy=' + ','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT)
    assert out.stdout.strip().splitlines()[-1] == "heavy="


def test_the_test_track_stage_stands_as_the_journal_says(run_cli, tmp_path):
    """Digipoort's build goes through the Azure test track before its wave: every format names the
    stage, with the newest run of that build's standing from the journal (else not run)."""
    from orchestrator.journal import Journal, resolve_url
    from tests.track_runs import ALL_DONE, record_track, steps_until

    build = "digipoort-rebuild-2023.4"
    url = resolve_url(tmp_path / "journal.db", None)
    env = {"LOGIUS_MIGRATE_DB": url}
    with Journal(url, create=True) as journal:
        record_track(journal, "azure-test-digipoort", "digipoort", build, "destroy-failed",
                     steps_until("az-destroy", "failed"), resources_left=["azurerm_resource_group.rg"])
    [stage] = json.loads(run_cli("plan", "--format", "json", env=env).stdout)["test_tracks"]
    assert stage == {"service": "digipoort", "track": "azure-test", "build": build, "before_wave": 7,
                     "stage": f"Azure test track (build {build}) before wave 7", "standing": "destroy-failed"}
    with Journal(url) as journal:
        record_track(journal, "azure-test-digipoort.2", "digipoort", build, "done", ALL_DONE)
    table = run_cli("plan", env=env).stdout
    assert "│      │ before 2023-10-02        │ Azure test track (build" in table
    assert "digipoort, done" in table
    markdown = run_cli("plan", "--format", "md", env=env).stdout
    assert f"| | before 2023-10-02 | Azure test track (build {build}) before wave 7: digipoort, done |" \
        in markdown
