"""SIGINT (Ctrl-C) and SIGTERM stop a real `wave run` at the next safe point: the running
Terraform apply finishes, a running playbook is cancelled, nothing else starts, the run is
journalled `interrupted`, the lease is released, the exit code is 130 or 143, and `wave resume`
finishes the wave with every step applied once.

Both signals reach one handler (orchestrator/engine/stopping.py), which only records which one
came: past it, the stop takes one path whatever the signal. So each place is proven with one signal,
and each signal at more than one place: SIGTERM inside a terraform apply (the stop is then seen at the
next phase boundary, the same check a signal between two phases meets); SIGINT inside a playbook, at
the approval prompt, and inside an apply in the second-Ctrl-C test (whose first Ctrl-C lets the
apply run on). The safe-point test shows the exit codes 143 and 130 both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from orchestrator.journal import Journal, resolve_url
from tests.conftest import PROJECT
from tests.engine.conftest import cli_process, ledger_counts, make_lab, one_service_catalog, wait_for
from tests.engine.test_crash_resume import applying, recorded_tools, statuses

#: name: (the signal sent there, drill pause, {fault file below the lab: content}, step to watch, its
#: status, wait for a recorded tool, the step that must end up done / interrupted, steps that must
#: not have begun)
POINTS = {
    "inside a terraform apply": (signal.SIGTERM, None, {"faults/alpha.provision": "sleep 3"},
                                 "alpha/provision", "running", True, ("provision", "done"), "prepare-target"),
    "inside a playbook": (signal.SIGINT, None,
                          {"hosts/lpc-alpha/etc/logius-lab/faults/alpha.replicate-data.sleep": "60"},
                          "alpha/replicate-data", "running", True, ("replicate-data", "interrupted"),
                          "freeze"),
}


@pytest.fixture
def lab(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    return catalog, make_lab(tmp_path / "lab", catalog)


def journal_of(layout) -> Journal:
    return Journal(resolve_url(None, layout.journal))


def start(catalog, layout, env, faults, pause):
    for relative, content in faults.items():
        (layout.root / relative).write_text(content)
    if pause:
        layout.drill_pause.write_text(pause)
    args = ["wave", "run", "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root)]
    return cli_process(args, env)


def resume_to_the_end(catalog, layout, env) -> None:
    resumed = cli_process(["wave", "resume", "1", "--approve", "--catalog", str(catalog), "--lab",
                           str(layout.root)], env)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    assert "wave-1: done" in out
    counts = ledger_counts(layout)
    assert counts["lpc-alpha/alpha"] == {"prepare-target": 1, "replicate-data": 1, "final-sync": 1}
    assert all(n == 1 for steps in counts.values() for n in steps.values()), counts


@pytest.mark.parametrize("point", list(POINTS))
def test_a_signal_stops_the_wave_at_a_safe_point_and_resume_finishes(point, lab, isolated_env):
    catalog, layout = lab
    signum, pause, faults, watched, status, tool, (stopped_step, stopped_status), not_begun = POINTS[point]
    process = start(catalog, layout, isolated_env, faults, pause)
    wait_for(lambda: layout.journal.exists() and statuses(layout, watched) == [status]
             and (not tool or applying(layout)))
    process.send_signal(signum)
    out, err = process.communicate(timeout=90)
    assert process.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert f"{name}: stopping at the next safe point" in err
    assert f"error: wave 1 stopped by {name}" in err and "wave resume 1" in err
    journal = journal_of(layout)
    try:
        assert journal.run("wave-1").status == "interrupted"
        assert journal.lock_holder("wave-1") is None, "the lease is released"
        steps = {e.step: e.status for e in journal.executions(run_id="wave-1")}
        assert steps[stopped_step] == stopped_status
        assert not_begun not in steps, "nothing started after the stop"
        assert [e.kind for e in journal.events("wave-1")][-1] == "interrupted"
    finally:
        journal.close()
    assert recorded_tools(layout) == []
    for relative in faults:
        (layout.root / relative).unlink()
    layout.drill_pause.unlink(missing_ok=True)
    resume_to_the_end(catalog, layout, isolated_env)


def test_a_second_ctrl_c_interrupts_a_running_terraform_at_once(lab, isolated_env):
    catalog, layout = lab
    process = start(catalog, layout, isolated_env, {"faults/alpha.provision": "sleep 60"}, None)
    wait_for(lambda: layout.journal.exists() and applying(layout))
    process.send_signal(signal.SIGINT)
    time.sleep(1.0)
    assert process.poll() is None, "the first Ctrl-C lets the apply finish"
    asked = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert time.monotonic() - asked < 20, "stopped at once, not after the 60 s apply"
    assert "SIGINT again: interrupting the running tools now" in err
    journal = journal_of(layout)
    try:
        assert journal.execution("wave-1/alpha/provision").status == "interrupted"
        assert [a.outcome for a in journal.attempts("wave-1/alpha/provision")] == ["interrupted"]
    finally:
        journal.close()
    (layout.root / "faults/alpha.provision").unlink()
    resume_to_the_end(catalog, layout, isolated_env)


def test_one_signal_at_the_approval_prompt_ends_it_at_once(lab, isolated_env):
    """Under a terminal the run asks before cutover; one stop request there ends the prompt at
    once: nothing past the gate runs, the run is journalled interrupted, the lease is free. Ctrl-C,
    as a person at the prompt sends it (the handler's prompt branch takes either signal alike)."""
    import pty

    signum = signal.SIGINT
    catalog, layout = lab
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "wave", "run", "1", "--catalog", str(catalog), "--lab",
         str(layout.root)], env=isolated_env, cwd=PROJECT, stdin=terminal, stderr=terminal,
        stdout=subprocess.PIPE, start_new_session=True)
    os.close(terminal)
    seen = _read_until(controller, b"approve the cutover", 120)
    assert b"approve the cutover of alpha?" in seen, seen
    time.sleep(0.3)
    process.send_signal(signum)
    process.wait(timeout=30)
    err = (seen + _read_until(controller, None, 5)).decode(errors="replace")
    os.close(controller)
    assert process.returncode == 128 + signum, err
    name = signal.Signals(signum).name
    assert f"{name}: stopped at the approval prompt" in err and "wave resume 1" in err
    with journal_of(layout) as journal:
        assert journal.run("wave-1").status == "interrupted"
        assert journal.lock_holder("wave-1") is None, "the lease is released"
        steps = {e.step: e.status for e in journal.executions(run_id="wave-1")}
        assert "approve" not in steps and "cutover" not in steps, "nothing past the gate ran"
        assert [e.kind for e in journal.events("wave-1")][-1] == "interrupted"
    resume_to_the_end(catalog, layout, isolated_env)


def _read_until(fd: int, mark: bytes | None, seconds: float) -> bytes:
    """What the terminal shows until ``mark`` appears (None: until it closes), at most ``seconds``."""
    import select

    seen = b""
    deadline = time.monotonic() + seconds
    while (mark is None or mark not in seen) and time.monotonic() < deadline:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the other side closed
                break
            if not chunk:
                break
            seen += chunk
    return seen
