"""A service is never migrated twice: once a run has begun or finished migrating it, every way of
asking for it again is refused before anything changes (the lab's hosts and Terraform state stay
byte-identical)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from orchestrator.journal import Journal, chain, checkpoints, resolve_url, schema
from tests.conftest import service
from tests.engine.conftest import approve_plan, host_files, make_lab, small_catalog, state_files

TWO = [service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]}),
       service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]},
               data_stores=[{"name": "beta-db", "size_gb": 1, "sync": "rsync"}])]


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """Wave 1 (alpha and beta) run to the end, then a write lands on LPC."""
    from click.testing import CliRunner

    from orchestrator.cli import cli

    base = tmp_path_factory.mktemp("double")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))
        patch.setenv("LOGIUS_MIGRATE_HOME", str(base / "home"))
        patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        patch.delenv("LOGIUS_MIGRATE_DB", raising=False)
        catalog = small_catalog(base / "catalog", TWO)
        layout = make_lab(base / "lab", catalog)
        ran = CliRunner().invoke(cli, ["wave", "run", "1", "--approve", "--catalog", str(catalog),
                                       "--lab", str(layout.root)], catch_exceptions=False)
        assert ran.exit_code == 0, ran.output
        (layout.host_root("lpc-beta") / "var/lib/beta/beta-db/written-on-lpc.dat").write_text("new\n")
        yield catalog, layout


def unchanged(layout, run):
    """Run ``run()``; assert the hosts and Terraform state are byte-identical afterwards."""
    hosts, state = host_files(layout), state_files(layout)
    result = run()
    assert host_files(layout) == hosts and state_files(layout) == state
    return result


def test_a_cut_over_service_in_a_later_wave_is_refused(migrated, run_cli):
    catalog, layout = migrated
    approve_plan(catalog, layout, "--capacity", "1")  # other options: beta sits in wave 2
    result = unchanged(layout, lambda: run_cli("wave", "run", "2", "--approve",
                                               "--catalog", str(catalog), "--lab", str(layout.root)))
    assert result.exit_code == 2
    assert "error: wave 2: beta is cut-over in run wave-1 (done)" in result.stderr
    assert "nothing was changed" in result.stderr and "Traceback" not in result.stderr


def test_an_edited_catalog_cannot_migrate_a_service_again(migrated, run_cli, tmp_path):
    catalog, layout = migrated
    edited = yaml.safe_load((catalog / "catalog.yaml").read_text())
    later = dt.date.today() + dt.timedelta(days=200)
    edited["services"][0]["not_before"] = later.isoformat()  # alpha moves to a later wave
    (tmp_path / "edited").mkdir()
    (tmp_path / "edited" / "catalog.yaml").write_text(yaml.safe_dump(edited))
    plan = json.loads(run_cli("plan", "--catalog", str(tmp_path / "edited"), "--format", "json").stdout)
    wave = next(w["number"] for w in plan["waves"] if "alpha" in [p["id"] for p in w["services"]])
    assert wave > 1
    stale = unchanged(layout, lambda: run_cli("wave", "run", str(wave), "--approve", "--catalog",
                                              str(tmp_path / "edited"), "--lab", str(layout.root)))
    assert stale.exit_code == 2 and "no longer stands: catalog file catalog.yaml changed" in stale.stderr
    approve_plan(tmp_path / "edited", layout)
    result = unchanged(layout, lambda: run_cli("wave", "run", str(wave), "--approve", "--catalog",
                                               str(tmp_path / "edited"), "--lab", str(layout.root)))
    assert result.exit_code == 2 and f"wave {wave}: alpha is cut-over in run wave-1" in result.stderr


def test_a_deleted_journal_is_not_silently_recreated(migrated, run_cli):
    catalog, layout = migrated
    aside = layout.journal.with_name("journal.moved")
    layout.journal.rename(aside)
    try:
        for args in (["wave", "run", "2", "--approve", "--catalog", str(catalog)],
                     ["wave", "status", "1"], ["journal", "show"],
                     ["rollback", "beta", "--catalog", str(catalog)]):
            result = unchanged(layout, lambda args=args: run_cli(*args, "--lab", str(layout.root)))
            assert result.exit_code == 2, args
            assert result.stderr == (f"error: journal {layout.journal} does not exist; create one with "
                                     f"`logius-migrate journal init --db {layout.journal}` (or "
                                     f"`logius-migrate lab up`), or pass the right --db\n")
            assert not layout.journal.exists()
    finally:
        aside.rename(layout.journal)


@pytest.mark.parametrize("typo", ["jornal.db", "foo://bar", "sqlite:///nowhere/j.db"])
def test_a_mistyped_db_is_refused_and_creates_nothing(typo, migrated, run_cli):
    catalog, layout = migrated
    db = str(layout.root / typo) if "://" not in typo else typo
    before = sorted(p.name for p in layout.root.iterdir())
    result = unchanged(layout, lambda: run_cli("wave", "run", "2", "--approve",
                                               "--catalog", str(catalog), "--lab", str(layout.root),
                                               "--db", db))
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.stderr
    expected = "not a journal URL" if typo.startswith("foo") else "does not exist"
    assert expected in result.stderr
    assert sorted(p.name for p in layout.root.iterdir()) == before


def test_states_are_shown_by_status_and_journal_show(migrated, run_cli):
    catalog, layout = migrated
    status = run_cli("wave", "status", "1", "--lab", str(layout.root), "--format", "json")
    assert json.loads(status.stdout)["states"] == {"alpha": {"state": "cut-over", "run": "wave-1"},
                                                   "beta": {"state": "cut-over", "run": "wave-1"}}
    shown = run_cli("journal", "show", "--lab", str(layout.root))
    assert "service beta: cut-over (run wave-1)" in shown.stdout
    unknown = run_cli("journal", "show", "--run", "wave-9", "--lab", str(layout.root))
    assert unknown.exit_code == 2 and "--run wave-9: no such run" in unknown.stderr


def test_a_version_1_journal_is_upgraded_and_keeps_what_was_migrated(migrated, tmp_path):
    """A journal made by the previous version of the tool (schema 1, no states) is upgraded by
    the alembic revisions; the states are derived from its finished steps."""
    import shutil
    import sqlite3

    _catalog, layout = migrated
    old = tmp_path / "v1.db"
    shutil.copyfile(layout.journal, old)
    with sqlite3.connect(old) as connection:  # back to version 1, as the previous tool left it
        for table in ("decisions", "chain", "checkpoints",  # 8's
                      "dry_runs", "release_decisions", "release_validations",  # 6's, 4's, then 3's
                      "check_results", "blocker_history", "blockers", "plans"):
            connection.execute(f"DROP TABLE {table}")
        connection.execute("DROP TABLE service_states")
        connection.execute("DROP TABLE processes")
        connection.execute("DROP TABLE alembic_version")
        connection.execute("ALTER TABLE locks DROP COLUMN pid_started")
        connection.execute("ALTER TABLE runs DROP COLUMN started_at")  # 7's
        connection.execute("ALTER TABLE runs DROP COLUMN finished_at")
        connection.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    journal = Journal(resolve_url(old, None))
    try:
        assert journal.schema_version() == schema.SCHEMA_VERSION
        assert {s: st.state for s, st in journal.service_states().items()} == {
            "alpha": "cut-over", "beta": "cut-over"}
        report = chain.verify(journal)
        assert report.intact and report.since is not None and report.size > 10, report.findings
    finally:
        journal.close()


def test_the_wave_left_its_chain_intact_and_a_checkpoint_of_its_end(migrated, run_cli):
    _catalog, layout = migrated
    verified = run_cli("journal", "verify", "--lab", str(layout.root), "--format", "json")
    assert verified.exit_code == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["intact"] and report["checkpoints"] == 1 and report["chained_since"] is None
    with Journal(resolve_url(layout.journal, None)) as journal:
        (point,) = checkpoints.every(journal)
        said = [e.message for e in journal.events("wave-1") if e.kind == "checkpoint"]
    assert point.wave == 1 and point.note.startswith("logius-migrate/")
    assert said == [f"checkpoint 1 of the journal at the end of wave 1: {point.size} records, root "
                    f"{point.root[:16]}, " + ("unsigned" if point.signature is None else
                                              f"signed by {point.principal}")]
