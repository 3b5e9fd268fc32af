"""The Terraform adapter with the real binary: state kept aside and repaired after a crash, stale
locks cleared, timeouts enforced, secrets only in a call's own environment."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import StepTimeout
from orchestrator.steps.processes import ChildWatch
from orchestrator.steps.terraform import LOCK_INFO, TerraformStack
from tests.engine.conftest import make_lab, one_service_catalog


@pytest.fixture
def stack(tmp_path, isolated_env):
    layout = make_lab(tmp_path / "lab", one_service_catalog(tmp_path / "catalog"))
    variables = {"service": "alpha", "hosts": ["lpc-alpha"], "release": "none",
                 "fault_file": str(layout.faults / "alpha.provision")}
    return layout, TerraformStack(layout.stack_dir("alpha"), layout.terraform_env()), variables


def test_an_emptied_state_and_a_stale_lock_are_repaired_with_evidence(stack):
    layout, tf, variables = stack
    tf.apply(variables)
    good = (layout.stack_dir("alpha") / "terraform.tfstate").read_text()
    variables = {**variables, "hosts": ["lpc-alpha", "lpc-alpha-2"]}
    tf.apply(variables)  # keeps the previous state aside first
    state = layout.stack_dir("alpha") / "terraform.tfstate"
    state.write_bytes(b"")  # what a kill inside terraform's state write leaves
    (layout.stack_dir("alpha") / LOCK_INFO).write_text(json.dumps({"ID": "x1", "Operation": "apply",
                                                                   "Who": "ann@h"}))
    evidence = tf.repair()
    assert evidence[0].startswith("alpha: terraform.tfstate was unreadable (0 bytes) after a crash; put back")
    assert evidence[1] == ("alpha: cleared a stale Terraform lock (lock x1 for apply by ann@h); no process "
                           "holds it")
    assert state.read_text() == good
    assert tf.plan(variables), "the interrupted change is seen as still to do"
    tf.apply(variables)
    assert not tf.plan(variables) and tf.repair() == []


def test_a_first_apply_killed_before_any_state_leaves_no_state(stack):
    layout, tf, variables = stack
    tf._keep_state_aside()  # as apply does before it runs
    (layout.stack_dir("alpha") / "terraform.tfstate").write_bytes(b"")
    assert "there was no state before the interrupted change" in tf.repair()[0]
    assert not (layout.stack_dir("alpha") / "terraform.tfstate").exists()


def test_a_step_timeout_interrupts_terraform(stack):
    layout, tf, variables = stack
    (layout.faults / "alpha.provision").write_text("sleep 60")
    begun = time.monotonic()
    with pytest.raises(StepTimeout, match="ran past its timeout of 2s"):
        tf.apply(variables, timeout=2)
    assert time.monotonic() - begun < 20
    (layout.faults / "alpha.provision").unlink()
    tf.repair()
    tf.apply(variables)
    assert not tf.plan(variables)


def test_the_pg_password_is_only_in_the_calls_environment(tmp_path, isolated_env, pg_url):
    """Never in argv (seen in /proc while terraform runs), never in .terraform/, never in our own
    process environment."""
    from orchestrator.engine.session import pg_backend
    from orchestrator.journal import resolve_url

    password = "pg-Secret-9d2"
    url = pg_url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@")
    layout = make_lab(tmp_path / "lab", one_service_catalog(tmp_path / "catalog"))
    backend = pg_backend(resolve_url(url, None))
    assert password not in backend.conn_str and backend.password == password
    seen = []

    def started(spawned: Any) -> None:
        try:
            seen.append(Path(f"/proc/{spawned.pid}/cmdline").read_bytes().decode(errors="replace"))
        except OSError:
            pass

    tf = TerraformStack(layout.stack_dir("alpha"), layout.terraform_env(), backend,
                        watch=ChildWatch(started=started))
    tf.init()
    tf.apply({"service": "alpha", "hosts": ["lpc-alpha"], "release": "none", "fault_file": "/nonexistent"})
    assert seen and all(password not in argv for argv in seen)
    files = [p for p in (layout.stack_dir("alpha") / ".terraform").rglob("*") if p.is_file()]
    assert files and all(password.encode() not in p.read_bytes() for p in files)
    assert password not in json.dumps(dict(os.environ))
