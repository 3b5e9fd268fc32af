"""The kill trial: kill -9 of the main process alone (as the OOM killer does) 0.2 s and 1 s into
each Ansible phase of a one-service wave, then resume. No tool of the dead run is left running (its
ansible-playbook, the playbook's workers, their tasks), the resume names each tool it found
recorded, and at the end every ledger line was written exactly once.

The two delays land at the two moments that differ (what ran below the killed process, read from
/proc at each kill, at load 8 to 12): at 0.2 s the guard and a bare ansible-playbook still loading
the playbook (a tool known before it can do anything); at 1 s, in most phases, the playbook's worker
and its task (a /bin/sh and the module's python) too. A third delay, 3 s, landed among the workers
as well, or after the phase had ended (the loop then kills in the next one): nothing new.
"""

from __future__ import annotations

import signal
import tempfile
import time
from pathlib import Path

import pytest

from orchestrator import liveness
from orchestrator.catalog import load_catalog
from orchestrator.journal import Journal, resolve_url
from orchestrator.runbook import hosts_of, runbook_for
from orchestrator.steps.guard import holders
from tests.engine.conftest import cli_process, ledger_counts, make_lab, one_service_catalog, wait_for
from tests.engine.test_crash_resume import descendants

ANSIBLE_PHASES = ("prepare-target", "replicate-data", "freeze", "final-sync", "cutover", "verify")


def journal_of(layout) -> Journal:
    return Journal(resolve_url(None, layout.journal))


def execution(layout, step: str):
    if not layout.journal.exists():
        return None
    with journal_of(layout) as journal:
        return journal.execution(f"wave-1/alpha/{step}")


def begun_since(layout, step: str, since: float) -> bool:
    found = execution(layout, step)
    return found is not None and (found.status == "done" or (found.started_at or 0) >= since)


def recorded(layout) -> list:
    with journal_of(layout) as journal:
        return journal.processes("wave-1")


def events(layout, kind: str) -> list[str]:
    with journal_of(layout) as journal:
        return [e.message for e in journal.events("wave-1") if e.kind == kind]


def open_attempts(layout) -> list[str]:
    with journal_of(layout) as journal:
        return [key for key, outcomes in journal.attempt_outcomes("wave-1").items() if "running" in outcomes]


def kill_into(process, layout, step: str, launched: float, delay: float) -> dict:
    """Kill the main process ``delay`` s after ``step`` began (or wherever it is once that step
    is done); return what ran below it and which tools the journal held at that moment."""
    wait_for(lambda: begun_since(layout, step, launched) or process.poll() is not None, timeout=120)
    time.sleep(delay)
    below = {pid: liveness.process_start(pid) for pid in descendants(process.pid)}
    tools = recorded(layout)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return {"below": below, "tools": tools, "pid": process.pid}


def still_running(trial: dict) -> list[int]:
    alive = [pid for pid, started in trial["below"].items()
             if started is not None and liveness.is_alive(pid, started)]
    return alive + [pid for tool in trial["tools"] if tool.token for pid in holders(tool.token)]


def expected_ledgers(catalog) -> dict[str, dict[str, int]]:
    """Every mutating step once on every host whose ledger records it."""
    service = load_catalog(catalog).service("alpha")
    expected: dict[str, dict[str, int]] = {}
    for step in runbook_for(service):
        if step.ledger_on and not step.deferred:
            for host in hosts_of(service, step.ledger_on):
                expected.setdefault(f"{host}/alpha", {})[step.name] = 1
    return expected


@pytest.mark.parametrize("delay", [0.2, 1.0], ids=["0.2s", "1s"])
def test_no_tool_of_a_killed_run_outlives_it_in_any_ansible_phase(delay, tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    args = ["1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root)]
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="120")
    trials, finished = [], False
    for step in ANSIBLE_PHASES:
        found = execution(layout, step)
        if found is not None and found.status == "done":
            continue  # the previous kill came after this phase had ended
        launched = time.time()
        process = cli_process(["wave", "resume" if trials else "run", *args], env)
        trial = kill_into(process, layout, step, launched, delay)
        if process.returncode != -signal.SIGKILL:
            assert process.returncode == 0, process.stderr.read()
            finished = True  # the wave ended before the kill
            break
        wait_for(lambda trial=trial: not still_running(trial), timeout=10)
        trials.append((step, trial))
    assert len(trials) >= 3, f"too few kills landed inside the wave: {[s for s, _ in trials]}"

    if not finished:
        resumed = cli_process(["wave", "resume", *args], isolated_env)
        out, err = resumed.communicate(timeout=240)
        assert resumed.returncode == 0, err
        assert "wave-1: done" in out
    assert ledger_counts(layout) == expected_ledgers(catalog)
    orphans = " | ".join(events(layout, "orphan"))
    for step, trial in trials:
        assert not still_running(trial), f"a tool of the run killed in {step} still runs"
        for tool in trial["tools"]:
            assert f"pid {tool.pid}" in orphans, f"the resume did not name {tool.what} (pid {tool.pid})"
        left = list(Path(tempfile.gettempdir()).glob(f"logius-*-{trial['pid']}-*"))
        assert left == [], f"the temporary folders of the run killed in {step} stayed: {left}"
    assert recorded(layout) == [], "every recorded tool was settled and forgotten"
    assert any(trial["tools"] for _, trial in trials), "no kill came while a playbook ran"
    assert open_attempts(layout) == [], "every attempt ended in a final state"
    assert events(layout, "swept"), "what the killed runs left behind was swept, and journalled"
