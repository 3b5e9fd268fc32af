"""The built wheel installs into a fresh virtual environment outside the clone and runs the main
job from an unrelated folder: the playbooks, Terraform modules, inventory templates and seeds travel
inside the package. It runs as a platform engineer runs it once installed (pipx, or a venv's
bin/logius-migrate called without activating the venv): PATH lacks the venv's bin, and the tool still
finds its own ansible-playbook, ansible-inventory and terraform (the wave runs all three)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import PROJECT

pytestmark = pytest.mark.slow


def test_the_wheel_installs_and_runs_a_wave_outside_the_clone(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(PROJECT), "--no-deps", "--quiet", "-w",
                    str(dist)], check=True, cwd=tmp_path)
    wheel = next(dist.glob("logius_migrate-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in ("orchestrator/_data/playbooks/cutover.yml",
                    "orchestrator/_data/terraform/lab/landing-zone/main.tf",
                    "orchestrator/_data/inventories/lab.yml.j2", "orchestrator/_data/seeds/calendar.yaml",
                    "orchestrator/lab/hooks/before-phase.yml", "orchestrator/_data/audit/verify.py",
                    "orchestrator/_data/audit/README.md",
                    "orchestrator/journal/migrations/versions/0002_service_states.py",
                    "orchestrator/py.typed"):
        assert shipped in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # Dependencies come from the registry (or pip's cache): a real install.
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                    "--disable-pip-version-check", str(wheel)], check=True, cwd=tmp_path)

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGIUS_MIGRATE", "TF_", "VIRTUAL_ENV"))}
    env.update(HOME=str(tmp_path / "home"), PATH="/usr/bin:/bin")  # not the venv's bin
    command = venv / "bin" / "logius-migrate"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(command), *args], cwd=elsewhere, env=env, capture_output=True,
                              text=True, timeout=600)

    # the subject is the installed tool, not the rehearsal nor who signs
    up = run("lab", "up", "--no-require-dry-run", "--unsigned")
    assert up.returncode == 0, up.stderr
    saved = run("plan", "save", "--by", "planner")
    assert saved.returncode == 0, saved.stderr
    approved = run("plan", "approve", "1", "--by", "reviewer", "--reason", "wheel test")
    assert approved.returncode == 0, approved.stderr
    held = json.loads(run("check", "--wave", "1", "--format", "json").stdout)  # no release accepted
    remedy = next(r["remedy"] for r in held["results"]
                  if r["check"] == "PRE-REL-001" and r["outcome"] == "FAIL")
    manifest = remedy.split("logius-migrate release validate ")[1].split(";")[0]
    assert Path(manifest).is_file() and str(PROJECT) not in manifest, "the installed package's manifest"
    validated = run("release", "validate", manifest, "--out", str(tmp_path / "report"))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    release = Path(manifest).stem
    assert run("release", "accept", release, "--by", "board", "--reason", "wheel test").returncode == 0
    assert run("check", "--wave", "1").returncode == 0
    wave = run("wave", "run", "1", "--approve")
    assert wave.returncode == 0, wave.stderr
    assert wave.stdout.startswith("wave-1: done")
    status = run("wave", "status", "1")
    assert "cut-over (run wave-1)" in status.stdout
    assert str(PROJECT) not in (elsewhere / ".lab" / "site.yml").read_text(), "nothing points into the clone"
