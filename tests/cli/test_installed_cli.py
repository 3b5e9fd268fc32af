"""The command as a platform engineer runs it once installed (pipx, or a venv's bin/logius-migrate
called without activating the venv): PATH lacks the venv's bin, and the tool still finds its own
ansible-playbook, ansible-inventory and terraform."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.engine.conftest import small_catalog

pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).parent / "logius-migrate"


@pytest.mark.skipif(not COMMAND.exists(), reason=f"no {COMMAND} (the package is not installed here)")
def test_lab_up_and_a_wave_run_with_a_path_that_lacks_the_venv(tmp_path):
    catalog, lab = small_catalog(tmp_path / "catalog"), tmp_path / "lab"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home"),
           "LOGIUS_MIGRATE_HOME": str(tmp_path / "home")}

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run([str(COMMAND), *args], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{' '.join(args)}: exit {done.returncode}: {done.stderr}"
        return done

    assert "3 services over local" in run("lab", "up", "--catalog", str(catalog), "--lab", str(lab)).stdout
    run("plan", "save", "--by", "a", "--catalog", str(catalog), "--lab", str(lab))
    run("plan", "approve", "1", "--by", "b", "--reason", "x", "--lab", str(lab))
    wave = run("wave", "run", "1", "--approve", "--catalog", str(catalog), "--lab", str(lab))
    assert wave.stdout.startswith("wave-1: done"), wave.stdout
