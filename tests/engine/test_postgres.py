"""The same engine with the journal on a real PostgreSQL server and Terraform's state in it."""

from __future__ import annotations

import time

import psycopg
import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.engine.session import pg_backend
from orchestrator.journal import Journal, resolve_url
from orchestrator.steps.terraform import TerraformStack
from tests.engine.conftest import (
    approve_plan,
    cli_process,
    host_files,
    ledger_counts,
    make_lab,
    one_service_catalog,
    session,
    small_catalog,
    wait_for,
)
from tests.engine.test_crash_resume import kill_group
from tests.steps.test_terraform import stack_databases

WAVE = ["alpha", "beta", "gamma"]


@pytest.fixture
def pg_journal(pg_url):
    """A journal created in a fresh PostgreSQL database, as `journal init --db URL` does."""
    Journal(resolve_url(pg_url, None), create=True).close()
    return pg_url


def test_a_wave_runs_and_rolls_back_with_everything_in_postgresql(tmp_path, isolated_env, pg_journal):
    pg_url = pg_journal
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    before = host_files(layout)
    with session(catalog, layout, db=pg_url) as ctx:
        assert ctx.journal.url.startswith("postgresql+psycopg://")
        result = run_wave(ctx, 1, WAVE, resume=False, approve=True)
        assert result.status == "done"
        for sid in ("alpha", "beta"):
            rollback_service(ctx, sid, force=True, reason="postgres drill")
        assert ctx.journal.run("wave-1").status == "done"  # gamma's decommission stands
        rollback_service(ctx, "gamma", force=True, reason="postgres drill")
        assert ctx.journal.run("wave-1").status == "rolled-back"
    assert host_files(layout) == before
    assert not (layout.site().stack_dir("alpha") / "terraform.tfstate").exists(), "state lives in PostgreSQL"
    backend = pg_backend(resolve_url(pg_url, None))
    with psycopg.connect(pg_url) as connection:
        schemas = {row[0] for row in connection.execute("SELECT nspname FROM pg_namespace")}
        runs = connection.execute("SELECT id, status FROM runs").fetchall()
    assert stack_databases(pg_url) == {backend.database(layout.site().stack_dir(sid))
                                       for sid in ("alpha", "beta")}
    assert not any(name.startswith("tf_") for name in schemas), "no state in the journal's database"
    assert runs == [("wave-1", "rolled-back")]
    stack = TerraformStack(layout.site().stack_dir("alpha"), layout.site().terraform_env(), backend)
    assert stack.resources() == [], "the rollback destroyed the landing zone in the pg backend"


def test_a_killed_run_resumes_on_postgresql(tmp_path, isolated_env, pg_journal):
    pg_url = pg_journal
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    approve_plan(catalog, layout, db=pg_url)
    args = ["--catalog", str(catalog), "--lab", str(layout.root), "--db", pg_url]

    def replicate_status() -> list[str]:
        journal = Journal(resolve_url(pg_url, None))
        try:
            return [e.status for e in journal.executions() if e.key == "wave-1/alpha/replicate-data"]
        finally:
            journal.close()

    process = cli_process(["wave", "run", "1", "--approve", *args], isolated_env)
    wait_for(lambda: replicate_status() == ["running"])
    time.sleep(1.0)
    kill_group(process)
    time.sleep(2.2)
    resumed = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    out, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    counts = ledger_counts(layout)
    assert counts["lpc-alpha/alpha"] == {"prepare-target": 1, "replicate-data": 1, "final-sync": 1}
    assert all(n == 1 for steps in counts.values() for n in steps.values())


@pytest.mark.parametrize("wave", [1])
def test_wave_status_reads_the_postgresql_journal(wave, tmp_path, isolated_env, pg_journal, run_cli):
    pg_url = pg_journal
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    result = run_cli("wave", "status", str(wave), "--lab", str(layout.root), "--db", pg_url)
    assert result.exit_code == 0 and result.stdout == f"wave {wave}: not started\n"
