"""Two operators can never run the same wave at once; a dead run's lease is taken over safely."""

from __future__ import annotations

import time

from orchestrator.journal import Journal, resolve_url
from tests.engine.conftest import cli_process, make_lab, one_service_catalog, wait_for
from tests.engine.test_crash_resume import kill_group, statuses


def test_two_runs_of_the_same_wave_exactly_one_proceeds(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    args = ["wave", "run", "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root)]
    first, second = cli_process(args, isolated_env), cli_process(args, isolated_env)
    results = {p.pid: (p.wait(timeout=240), *p.communicate()) for p in (first, second)}
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 4], results
    winner = next(pid for pid, (code, _, _) in results.items() if code == 0)
    loser_err = next(err for code, _, err in results.values() if code == 4)
    assert "wave-1 is held by " in loser_err and f":{winner} (host " in loser_err
    assert loser_err.count("\n") == 1, "one line, no traceback"


def test_a_lease_from_another_host_is_taken_over_only_after_expiry(tmp_path, isolated_env):
    """A dead process on this host is known dead at once (see the crash tests); one on another
    host cannot be checked from here, so its lease is honoured until it expires."""
    from sqlalchemy import update

    from orchestrator.journal import schema

    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    args = ["--catalog", str(catalog), "--lab", str(layout.root)]
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="4")
    layout.drill_pause.write_text("provision:60")
    process = cli_process(["wave", "run", "1", "--approve", *args], env)
    wait_for(lambda: layout.journal.exists() and statuses(layout, "/provision") == ["done"])
    kill_group(process)
    layout.drill_pause.unlink()
    journal = Journal(resolve_url(None, layout.journal))
    with journal.engine.begin() as connection:
        connection.execute(update(schema.locks).values(host="elsewhere.example"))
    journal.close()

    early = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    _, err = early.communicate(timeout=60)
    assert early.returncode == 4
    assert "wave-1 is held by " in err and f"(host elsewhere.example, pid {process.pid})" in err

    time.sleep(4.2)
    late = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    out, err = late.communicate(timeout=240)
    assert late.returncode == 0, err
    journal = Journal(resolve_url(None, layout.journal))
    try:
        taken = [e.message for e in journal.events("wave-1") if e.kind == "lease"]
        assert journal.lock_holder("wave-1") is None, "the lease is released at the end"
    finally:
        journal.close()
    assert taken and f":{process.pid} (pid {process.pid}; its lease expired)" in taken[0]
