"""The Azure test track on the engine, on the lab: real Terraform (the null stand-in of the azurerm
module), real Ansible on the lab's folders as the test VMs, a real SQLite journal. The whole cycle,
a kill -9 inside the deploy and a resume, a stop, a destroy that fails and is done again, the
guardrails refusing an apply (and an override journalled), a dry-run that changes nothing, and the
cloud's credentials in no file, argv, log or report."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from orchestrator.engine.session import open_session
from orchestrator.engine.track import rehearse_track, run_track
from orchestrator.errors import WavePartial
from orchestrator.journal import Journal, resolve_url
from orchestrator.journal.evidence import results
from orchestrator.journal.tracks import track_runs
from tests.conftest import service
from tests.engine.conftest import cli_process, host_files, make_lab, small_catalog, wait_for
from tests.engine.test_crash_resume import kill_main

SID = "digipoort"
BUILD = "digipoort-rebuild-test.1"
VMS = [f"{SID}-azure-test-vm-0"]  # the lab's track has one test VM


def track_catalog(folder: Path) -> Path:
    return small_catalog(folder, [service(
        SID, disposition="rebuild",
        hosts={"legacy": ["legacy-digipoort-app"], "target": ["lpc-digipoort-app"]},
        data_stores=[{"name": "digipoort-messages", "size_gb": 1, "sync": "db-replication"}],
        test_track={"track": "azure-test", "build": BUILD})])


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    return track_catalog(tmp_path_factory.mktemp("track-catalog"))


@pytest.fixture
def lab(catalog, tmp_path, isolated_env):
    return make_lab(tmp_path / "lab", catalog, approve=False)


def journal_of(layout) -> Journal:
    return Journal(resolve_url(None, layout.journal))


def steps_of(layout, run_id: str) -> dict[str, str]:
    with journal_of(layout) as journal:
        return {e.step: e.status for e in journal.executions(run_id=run_id)}


def deploy_ledger(layout) -> dict[str, int]:
    counts = {}
    for vm in VMS:
        ledger = (layout.azure_hosts / vm) / "var/lib/logius-migrate/ledger" / SID
        counts[vm] = ledger.read_text().splitlines().count("az-deploy") if ledger.exists() else 0
    return counts


def stack_resources(layout) -> list:
    state = layout.root / "azure-test" / "work" / SID / "terraform.tfstate"
    return json.loads(state.read_text()).get("resources", []) if state.exists() else []


def edit_site(layout, **azure) -> None:
    site = yaml.safe_load(layout.azure_site_file.read_text())
    site["azure"].update(azure)
    layout.azure_site_file.write_text(yaml.safe_dump(site))


CANARY = "canary-Az-client-secret-7f3e9c21"


def with_credentials(layout) -> Path:
    """The site names a secret source for the cloud's credentials (service ``azure``), a canary."""
    secrets = layout.root / "azure-secrets.json"
    secrets.write_text(json.dumps({"azure": {"ARM_CLIENT_SECRET": CANARY, "ARM_TENANT_ID": "tenant-x",
                                             "not_an_arm_name": "x"}}))
    os.chmod(secrets, 0o600)
    site = yaml.safe_load(layout.azure_site_file.read_text())
    site["secrets"] = [{"file": "azure-secrets.json"}]
    layout.azure_site_file.write_text(yaml.safe_dump(site))
    return secrets


def track_check(catalog, layout, env) -> dict:
    """PRE-AZT-001 for the service on the lab's LPC site (`check SERVICE`, as a wave run gates it)."""
    checked = cli_process(["check", SID, "--catalog", str(catalog), "--lab", str(layout.root),
                           "--format", "json"], env)
    out, err = checked.communicate(timeout=120)
    found = [r for r in json.loads(out)["results"] if r["check"] == "PRE-AZT-001"]
    assert found, err
    return found[0]


def test_the_track_builds_deploys_tests_reports_and_destroys_and_releases_the_cutover(
        catalog, tmp_path, isolated_env):
    lab = make_lab(tmp_path / "lab", catalog)
    secrets = with_credentials(lab)
    held = track_check(catalog, lab, isolated_env)
    assert held["outcome"] == "FAIL" and "no azure-test track run" in held["summary"]

    process = cli_process(["track", "azure-test", "run", SID, "--catalog", str(catalog), "--lab",
                           str(lab.root)], isolated_env)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    run_id = f"azure-test-{SID}"
    assert f"{run_id}: done" in out
    assert steps_of(lab, run_id) == dict.fromkeys(
        ["az-provision", "az-deploy", "az-acceptance", "az-report", "az-destroy"], "done")
    for vm in VMS:  # the rebuild and only the synthetic data set reached the test VMs
        assert ((lab.azure_hosts / vm) / f"srv/{SID}/VERSION").read_text().strip() == BUILD
        assert sorted(p.name for p in ((lab.azure_hosts / vm) / f"var/lib/{SID}/data").iterdir()) == \
            ["MANIFEST", "README", "messages.csv"]
    assert deploy_ledger(lab) == dict.fromkeys(VMS, 1)
    assert stack_resources(lab) == [], "the environment does not outlive its test"
    with journal_of(lab) as journal:
        assert journal.service_state(SID).state == "legacy", "the test track migrates nothing"
        outcomes = {r.check_id: r.outcome for r in results(journal, run_id=run_id)}
        [run] = track_runs(journal, service=SID)
    assert outcomes == {f"AZ-GRD-00{n}": "PASS" for n in range(1, 8)}
    assert run.build == BUILD and run.passed and run.destroyed
    assert run.junit and run.junit["tests"] > 0 and run.junit["failures"] == 0
    report = lab.root / "azure-test" / "reports" / run_id
    document = json.loads((report / "track.json").read_text())
    assert document["build"] == BUILD and len(document["guardrails"]) == 7
    assert "passed." in (report / "track.md").read_text() and (report / "junit.xml").is_file()

    released = track_check(catalog, lab, isolated_env)
    assert released["outcome"] == "PASS" and run_id in released["summary"]
    status = cli_process(["track", "azure-test", "status", SID, "--lab", str(lab.root), "--format", "json"],
                         isolated_env)
    shown, _ = status.communicate(timeout=60)
    assert json.loads(shown)["runs"][0]["status"] == "done"
    assert_no_canary(lab, secrets, out + err + shown)


def assert_no_canary(lab, secrets: Path, said: str) -> None:
    """The credentials are in no output, no file but their own, no row of the journal (whose
    processes table holds every tool's argv while it runs)."""
    assert CANARY not in said
    leaks = [p for p in lab.root.rglob("*")
             if p.is_file() and p != secrets and CANARY.encode() in p.read_bytes()]
    assert leaks == []
    with sqlite3.connect(lab.journal) as db:  # every table, every column
        tables = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        dumped = "".join(str(row) for t in tables for row in db.execute(f'select * from "{t}"'))
    assert CANARY not in dumped and "tenant-x" not in dumped


@pytest.mark.parametrize(("change", "guardrail"), [
    ({"region": "eastus"}, "AZ-GRD-001"),
    ({"lifetime_days": 60}, "AZ-GRD-007"),
    ({"synthetic_data": "hosts/legacy-digipoort-app/var/lib/digipoort"}, "AZ-GRD-006"),
])
def test_a_guardrail_that_fails_refuses_the_apply(change, guardrail, catalog, lab):
    edit_site(lab, **change)
    with open_session(catalog, lab.azure_site_file, None) as ctx, pytest.raises(WavePartial) as held:
        run_track(ctx, SID)
    assert guardrail in str(held.value) and "refused the apply" in str(held.value)
    run_id = f"azure-test-{SID}"
    assert "az-provision" not in steps_of(lab, run_id), "nothing was applied"
    assert stack_resources(lab) == []
    with journal_of(lab) as journal:
        failed = [r.check_id for r in results(journal, run_id=run_id) if r.outcome == "FAIL"]
    assert failed == [guardrail]


def test_the_dry_run_says_what_would_happen_and_changes_nothing(catalog, lab):
    before = host_files(lab)
    with open_session(catalog, lab.azure_site_file, None) as ctx:
        result, changes, held = rehearse_track(ctx, SID)
    assert result.status == "rehearsed" and held == {}
    provision = next(c for c in changes if c.step == "az-provision")
    assert {g["guardrail"] for g in provision.detail["guardrails"]} >= {"AZ-GRD-001", "AZ-GRD-007"}
    assert {c.step for c in changes} >= {"az-provision", "az-deploy", "az-destroy"}
    assert track_runs(journal_of(lab)) == [], "a dry-run journals nothing"
    assert stack_resources(lab) == []
    assert host_files(lab) == before, "no host changed"
    assert not (lab.azure_hosts / VMS[0]).exists(), "check mode made no test VM folder"


def sleeping(layout, step: str) -> Path:
    """The lab's drill: the first test VM holds still inside STEP's playbook for a minute."""
    drill = (layout.azure_hosts / VMS[0]) / "etc/logius-lab/faults" / f"{SID}.{step}.sleep"
    drill.parent.mkdir(parents=True, exist_ok=True)
    drill.write_text("60")
    return drill


def test_a_track_killed_in_its_deploy_then_stopped_in_its_tests_ends_done_deploying_once(
        catalog, lab, isolated_env):
    args = ["--catalog", str(catalog), "--lab", str(lab.root)]
    run_id = f"azure-test-{SID}"
    drill = sleeping(lab, "az-deploy")
    process = cli_process(["track", "azure-test", "run", SID, *args],
                          dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="120"))
    wait_for(lambda: lab.journal.exists() and steps_of(lab, run_id).get("az-deploy") == "running"
             and _recorded(lab, run_id, "ansible-playbook"))
    time.sleep(1.0)
    kill_main(process)  # as the OOM killer would: its playbook runs on, and the resume settles it
    drill.unlink()
    assert steps_of(lab, run_id)["az-deploy"] == "running"

    drill = sleeping(lab, "az-acceptance")
    resumed = cli_process(["track", "azure-test", "resume", SID, *args], isolated_env)
    wait_for(lambda: steps_of(lab, run_id).get("az-acceptance") == "running"
             and _recorded(lab, run_id, "ansible-playbook"), timeout=180)
    resumed.send_signal(signal.SIGTERM)
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 143, err
    assert f"track azure-test resume {SID}" in err
    [run] = track_runs(journal_of(lab))
    assert run.status == "interrupted" and run.steps["az-deploy"] == "done" and "az-destroy" not in run.steps
    drill.unlink()

    final = cli_process(["track", "azure-test", "resume", SID, *args], isolated_env)
    out, err = final.communicate(timeout=240)
    assert final.returncode == 0, err
    assert f"{run_id}: done" in out
    assert deploy_ledger(lab) == dict.fromkeys(VMS, 1), "no host was deployed twice"
    assert stack_resources(lab) == []
    with journal_of(lab) as journal:
        assert any(e.kind == "reconciled" for e in journal.events(run_id))
        assert journal.processes(run_id) == []


def test_an_overridden_guardrail_is_journalled_and_a_failed_destroy_names_what_is_left(
        catalog, lab, isolated_env):
    edit_site(lab, region="eastus")
    fault = lab.faults / f"{SID}.azure-destroy"
    fault.write_text("the resource group is locked")
    args = ["--catalog", str(catalog), "--lab", str(lab.root), "--by", "operator"]
    process = cli_process(["track", "azure-test", "run", SID, *args, "--override", "AZ-GRD-001",
                           "--reason", "a region test, approved by the CISO"], isolated_env)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 9, err
    assert "override: AZ-GRD-001 FAIL overridden" in err
    assert "destroy failed" in err and "resource(s) left" in err
    run_id = f"azure-test-{SID}"
    with journal_of(lab) as journal:
        [row] = [r for r in results(journal, run_id=run_id) if r.check_id == "AZ-GRD-001"]
        [run] = track_runs(journal)
    assert row.outcome == "FAIL" and row.overridden_by and row.overridden_by.startswith("operator")
    assert row.override_reason == "a region test, approved by the CISO"
    assert run.status == "destroy-failed" and run.passed and not run.destroyed
    assert run.resources_left and all("null_resource" in r for r in run.resources_left)
    assert stack_resources(lab)
    again = cli_process(["track", "azure-test", "run", SID, *args[:-2]], isolated_env)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 2 and f"track azure-test destroy {SID}" in err

    fault.unlink()
    destroyed = cli_process(["track", "azure-test", "destroy", SID, *args[:-2]], isolated_env)
    out, err = destroyed.communicate(timeout=240)
    assert destroyed.returncode == 0, err
    [run] = track_runs(journal_of(lab))
    assert run.status == "done" and run.destroyed and stack_resources(lab) == []


def test_the_terraform_of_the_track_gets_the_credentials_in_its_environment(catalog, lab):
    with_credentials(lab)
    from orchestrator.engine.tools import stack_for
    from orchestrator.engine.track import setup_for, track_context

    with open_session(catalog, lab.azure_site_file, None) as ctx:
        setup = setup_for(ctx, ctx.catalog.service(SID), "r", {"build": BUILD, "variables": {}})
        env = stack_for(track_context(ctx, setup), ctx.catalog.service(SID), "r", init=False)._tf.env
    assert env.secrets["ARM_CLIENT_SECRET"] == CANARY and "not_an_arm_name" not in env.secrets
    assert CANARY not in repr(setup)


def _recorded(layout, run_id: str, tool: str) -> bool:
    with journal_of(layout) as journal:
        return any(p.what.startswith(tool) for p in journal.processes(run_id))
