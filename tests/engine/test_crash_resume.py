"""kill -9 a real `logius-migrate wave run` between and inside steps; `wave resume` finishes, the lab
ends as an uninterrupted run leaves it, and no step was applied twice (the hosts' ledgers count)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from orchestrator.engine import run_wave
from orchestrator.journal import Journal, resolve_url
from tests.engine.conftest import (
    cli_process,
    host_files,
    ledger_counts,
    make_lab,
    one_service_catalog,
    session,
    state_shape,
    two_service_catalog,
    wait_for,
)

WAVES = {"one": ["alpha"], "two": ["alpha", "beta"]}


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """Each catalog's wave, run without interruption: what every interrupted run must end as."""
    made = {}
    base = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))
        patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        patch.delenv("LOGIUS_MIGRATE_DB", raising=False)

        def reference(kind: str):
            if kind not in made:
                make = two_service_catalog if kind == "two" else one_service_catalog
                catalog = make(base / kind / "catalog")
                layout = make_lab(base / kind / "lab", catalog)
                with session(catalog, layout) as ctx:
                    run_wave(ctx, 1, WAVES[kind], resume=False, approve=True)
                made[kind] = (catalog, layout)
            return made[kind]

        yield reference


def statuses(layout, key_suffix: str) -> list[str]:
    journal = Journal(resolve_url(None, layout.journal))
    try:
        return [e.status for e in journal.executions(run_id="wave-1") if e.key.endswith(key_suffix)]
    finally:
        journal.close()


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``, from /proc (ansible-runner starts ansible-playbook in a
    session of its own, out of reach of a process-group kill)."""
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found += children
            todo += children
    return found


def kill_group(process) -> None:
    """kill -9 the run and everything it started, at once: a crash of the machine, as far as
    the run can tell."""
    victims = descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def kill_main(process) -> None:
    """kill -9 the main process alone, as the OOM killer would: its terraform or ansible-playbook
    child runs on, and the resume must deal with it."""
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def recorded_tools(layout) -> list[str]:
    """What the run's recorded tool processes are doing, e.g. ``terraform apply``."""
    journal = Journal(resolve_url(None, layout.journal))
    try:
        return [p.what for p in journal.processes("wave-1")]
    finally:
        journal.close()


def applying(layout) -> bool:
    """A terraform apply or a playbook of the run is under way."""
    return any(w.startswith(("terraform apply", "ansible-playbook")) for w in recorded_tools(layout))


#: name: (catalog, drill pause, {fault file (below the lab): content}, the step to watch, its status,
#: wait for a recorded tool process, seconds after)
#: One point of each kind: inside a tool that finishes (terraform), inside a playbook that is
#: cancelled, and inside a step several services share (two rehosted services on the gateway's
#: cutover: a retired third one adds phases, not a service to that step). The kill between two
#: steps is the one of test_a_resume_right_after_a_kill_starts_within_two_seconds (after provision);
#: a kill at the pause before the approval gate is the same kill (the gate journals nothing before it
#: runs), and every resume here passes the gate.
KILL_POINTS = {
    "inside a terraform apply": ("one", None, {"faults/alpha.provision": "sleep 4"}, "alpha/provision",
                                 "running", True, 0.3),
    "inside replicate-data (a playbook)": ("one", None, {
        "hosts/lpc-alpha/etc/logius-lab/faults/alpha.replicate-data.sleep": "60"}, "alpha/replicate-data",
        "running", True, 1.0),
    "inside cutover (several services on the gateway)": ("two", None, {}, "alpha/cutover", "running",
                                                         False, 1.5),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_alone_resumes_at_once_without_repeating_a_step(point, references, tmp_path,
                                                                      isolated_env):
    kind, pause, faults, watched, status, tool, settle = KILL_POINTS[point]
    ref_catalog, ref_layout = references(kind)
    layout = make_lab(tmp_path / "lab", ref_catalog, secrets_from=ref_layout.root)
    for relative, content in faults.items():
        (layout.root / relative).write_text(content)
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="120")  # a resume must not wait for it
    if pause:
        layout.drill_pause.write_text(pause)
    args = ["--catalog", str(ref_catalog), "--lab", str(layout.root)]
    process = cli_process(["wave", "run", "1", "--approve", *args], env)
    wait_for(lambda: layout.journal.exists() and statuses(layout, watched)
             and all(s == status for s in statuses(layout, watched))
             and (not tool or applying(layout)))
    time.sleep(settle)
    kill_main(process)
    assert "done" not in set(statuses(layout, "/verify")), "killed too late to prove anything"
    for relative in faults:  # the drill is over; the orphan may still be inside it
        (layout.root / relative).unlink()
    layout.drill_pause.unlink(missing_ok=True)

    resumed = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    assert "wave-1: done" in out
    assert host_files(layout) == host_files(ref_layout)
    assert state_shape(layout) == state_shape(ref_layout)
    counts = ledger_counts(layout)
    assert counts == ledger_counts(ref_layout)
    assert all(n == 1 for steps in counts.values() for n in steps.values()), counts
    assert recorded_tools(layout) == [], "every orphaned tool was settled and forgotten"
    assert not (layout.site().stack_dir("alpha") / ".terraform.tfstate.lock.info").exists()


def test_a_resume_right_after_a_kill_starts_within_two_seconds(references, tmp_path, isolated_env):
    ref_catalog, ref_layout = references("one")
    layout = make_lab(tmp_path / "lab", ref_catalog, secrets_from=ref_layout.root)
    args = ["--catalog", str(ref_catalog), "--lab", str(layout.root)]
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="120")
    layout.drill_pause.write_text("provision:60")
    process = cli_process(["wave", "run", "1", "--approve", *args], env)
    wait_for(lambda: layout.journal.exists() and statuses(layout, "alpha/provision") == ["done"])
    kill_main(process)
    layout.drill_pause.unlink()
    launched = time.time()
    resumed = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    journal = Journal(resolve_url(None, layout.journal))
    try:
        taken = [e for e in journal.events("wave-1") if e.kind == "lease"]
    finally:
        journal.close()
    assert taken and f"pid {process.pid}; its process no longer runs on this host" in taken[0].message
    assert taken[0].at - launched < 2.0, f"work began {taken[0].at - launched:.2f}s after launch"
