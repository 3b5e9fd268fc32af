"""The whole programme on the lab, as `scripts/programme.sh` replays it: the shipped catalog from
the first LPC delivery (rejected) to every service in its final state, through every wave of its
approved plans, each wave rehearsed first (a dry-run whose recall against the run is 100%), with
no override anywhere. Real Ansible, Terraform and the lab's Kubernetes API;
slow (minutes), run once in CI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.catalog import load_catalog
from tests.conftest import PROJECT, SEEDS

FINAL = {"rehost": "cut-over", "rebuild": "cut-over", "new-build": "cut-over", "retire": "decommissioned"}


@pytest.mark.slow
def test_the_whole_programme_reaches_every_final_state_with_no_override(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGIUS_MIGRATE_")}
    env.update(LOGIUS_MIGRATE_LAB=str(tmp_path / "lab"), PROGRAMME_NO_SETUP="1",
               PROGRAMME_OUT=str(tmp_path / "reports"), LOGIUS_MIGRATE_HOME=str(tmp_path / "home"),
               PATH=f"{Path(sys.executable).parent}:{env['PATH']}")
    done = subprocess.run([str(PROJECT / "scripts/programme.sh")], capture_output=True, text=True,
                          env=env, timeout=2400, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "--override" not in done.stderr
    assert "programme: wave 1 held on lpc-1.0, as it must be" in done.stderr
    shown = subprocess.run([sys.executable, "-m", "orchestrator", "journal", "show", "--format", "json"],
                           capture_output=True, text=True, env=env, check=True)
    journal = json.loads(shown.stdout)
    states = {sid: s["state"] for sid, s in journal["service_states"].items()}
    catalog = load_catalog(SEEDS)
    assert states == {s.id: FINAL[s.disposition.value] for s in catalog.services}
    assert done.stdout.strip().splitlines()[-1].startswith("programme: ")
    # Digipoort's rebuild went through the Azure test track before its LPC wave, which let it go.
    assert "azure-test-digipoort: done" in done.stdout
    # Every wave was rehearsed, and its run changed nothing the rehearsal did not predict.
    compared = [line for line in done.stdout.splitlines()
                if line.startswith("dry-run ") and " against " in line]  # not the approvals' lines
    rehearsed = sorted((tmp_path / "reports").glob("dry-run-*"))
    assert compared and len(compared) == len(rehearsed), (compared, rehearsed)
    assert all(": recall 100% " in line for line in compared), compared
    reports = {"dry-run.md", "dry-run.html", "dry-run.json"}
    assert all({p.name for p in folder.iterdir()} == reports for folder in rehearsed)
    assert not [e for e in journal["events"] if "override" in e["message"].lower()]
