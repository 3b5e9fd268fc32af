"""The wave, rollback, runbook and journal commands: exit codes and output shapes."""

from __future__ import annotations

import json

import pytest

from orchestrator.errors import LockHeld, RollbackRefused
from orchestrator.journal import schema
from tests.engine.conftest import make_lab, one_service_catalog


def test_runbook_show_lists_steps_by_disposition(run_cli):
    rehost = json.loads(run_cli("runbook", "show", "digid", "--format", "json").stdout)
    assert [s["name"] for s in rehost["steps"]] == [
        "provision", "prepare-target", "replicate-data", "freeze", "final-sync", "approve",
        "cutover", "verify", "decommission"]
    assert next(s for s in rehost["steps"] if s["name"] == "cutover")["point_of_no_return"]
    assert next(s for s in rehost["steps"] if s["name"] == "decommission")["deferred"]
    retire = json.loads(run_cli("runbook", "show", "digiinkoop", "--format", "json").stdout)
    assert [s["name"] for s in retire["steps"]] == ["freeze", "archive", "approve", "decommission"]
    built = json.loads(run_cli("runbook", "show", "fbs", "--format", "json").stdout)
    assert "replicate-data" not in [s["name"] for s in built["steps"]]
    assert "cutover" in run_cli("runbook", "show", "digid").stdout


def test_wave_commands_without_a_lab_say_how_to_build_one(tmp_path, run_cli):
    result = run_cli("wave", "run", "1", "--lab", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'none' / 'site.yml'}: no site file here (run "
                             f"`logius-migrate lab up` for the lab, or pass --site FILE)\n")


def test_status_rollback_and_journal_on_a_fresh_lab(tmp_path, isolated_env, run_cli):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    lab = ["--lab", str(layout.root)]
    assert run_cli("wave", "status", "1", *lab).stdout == "wave 1: not started\n"
    nothing = run_cli("rollback", "alpha", "--catalog", str(catalog), *lab)
    assert nothing.exit_code == 2 and "no rollback point" in nothing.stderr
    resume = run_cli("wave", "resume", "1", "--catalog", str(catalog), *lab)
    assert resume.exit_code == 2 and "nothing to resume" in resume.stderr
    shown = json.loads(run_cli("journal", "show", *lab, "--format", "json").stdout)
    assert shown["schema_version"] == schema.SCHEMA_VERSION
    assert shown["runs"] == [] and shown["service_states"] == {}


@pytest.mark.parametrize("error, code", [(RollbackRefused("crosses the point of no return"), 6),
                                         (LockHeld("wave-1 is held by ann@h:1"), 4)])
def test_refusals_map_to_their_exit_codes(error, code, tmp_path, isolated_env, run_cli, monkeypatch):
    import orchestrator.engine

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(orchestrator.engine, "rollback_service", refuse)
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    result = run_cli("rollback", "alpha", "--catalog", str(catalog), "--lab", str(layout.root))
    assert result.exit_code == code
    assert result.stderr == f"error: {error}\n"


def test_status_of_a_wave_the_plan_does_not_have_is_refused_as_run_refuses_it(tmp_path, run_cli):
    from tests.checks.conftest import write_site
    from tests.conftest import service, write_catalog

    catalog = write_catalog(tmp_path / "catalog", {"c.yaml": {
        "services": [service(f"s{i}") for i in range(5)], "calendar": {"planning_start": "2027-01-04"}}})
    site = ["--site", str(write_site(tmp_path / "site"))]
    assert run_cli("wave", "status", "3", *site).stdout == "wave 3: not started\n"  # no plan saved yet
    run_cli("plan", "save", "--catalog", str(catalog), *site, "--by", "ann")  # two waves
    run_cli("plan", "approve", "1", "--by", "bob", "--reason", "CAB", *site)
    status = run_cli("wave", "status", "3", *site)
    assert (status.exit_code, status.stdout) == (2, "")
    assert status.stderr == ("error: wave 3 does not exist in plan 1 (the newest approved): it has 2 waves; "
                             "see `logius-migrate plan show 1`\n")
    run = run_cli("wave", "run", "3", "--catalog", str(catalog), *site)
    assert run.exit_code == 2 and "plan 1 has waves 1..2" in run.stderr
    never_ran = run_cli("wave", "status", "2", *site)
    assert (never_ran.exit_code, never_ran.stdout) == (0, "wave 2: not started\n")
    assert json.loads(run_cli("wave", "status", "2", *site, "--format", "json").stdout) == {
        "wave": 2, "runs": []}


def test_check_of_an_empty_wave_is_refused_as_run_refuses_it(tmp_path, run_cli):
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.plans import save_plan
    from tests.checks.conftest import write_site
    from tests.conftest import service, write_catalog

    catalog = write_catalog(tmp_path / "catalog", {"c.yaml": {
        "services": [service("s0")], "calendar": {"planning_start": "2027-01-04"}}})
    site = write_site(tmp_path / "site")
    waves = [{"number": 1, "start": "2027-01-04", "end": "2027-01-10", "services": ["s0"]},
             {"number": 2, "start": "2027-01-11", "end": "2027-01-17", "services": []}]
    with Journal(resolve_url(tmp_path / "site" / "journal.db", None)) as journal:
        save_plan(journal, "ann", {}, "0" * 64, {}, "test-site", "0" * 64, waves)
    empty = run_cli("check", "--wave", "2", "--catalog", str(catalog), "--site", str(site))
    assert empty.exit_code == 2
    assert empty.stderr == "error: wave 2 has no services in plan 1; nothing to check\n"
    run = run_cli("wave", "run", "2", "--catalog", str(catalog), "--site", str(site))
    assert run.exit_code == 2
