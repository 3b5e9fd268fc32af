"""Runs carry when they started and finished (schema 7): set by the journal as the run goes, and
filled from what an older journal holds when it is upgraded."""

from __future__ import annotations

from sqlalchemy import insert

from orchestrator.journal import Journal, schema
from orchestrator.journal.opening import make_engine
from tests.dashboard.programme import at
from tests.journal.test_dry_runs import journal_at


def test_a_run_starts_when_created_and_finishes_once_at_its_first_final_status(tmp_path):
    journal = Journal(f"sqlite:///{tmp_path / 'j.db'}", create=True)
    with at("2027-01-04T09:00"):
        journal.create_run("wave-1", 1, "wave", "ann@h:1")
    with at("2027-01-04T12:00"):
        journal.set_run_status("wave-1", "failed")
    failed = journal.run("wave-1")
    with at("2027-01-05T09:00"):
        journal.set_run_status("wave-1", "running")
    with at("2027-01-05T15:00"):
        journal.set_run_status("wave-1", "done")
    done = journal.run("wave-1")
    with at("2027-01-09T10:00"):
        journal.set_run_status("wave-1", "rolled-back")
    rolled_back = journal.run("wave-1")
    assert failed and done and rolled_back
    assert failed.finished_at is None and failed.started_at is not None
    assert round((done.finished_at - done.started_at) / 3600) == 30  # type: ignore[operator]
    assert rolled_back.finished_at == done.finished_at and rolled_back.status == "rolled-back"


def test_a_schema_6_journal_is_upgraded_to_7_with_its_runs_times_filled(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert journal_at(url, 6) == 6
    engine = make_engine(url)
    with engine.begin() as connection:  # the columns of schema 6 only: the new ones are not there yet
        for run_id, status, created, updated in (("wave-1", "done", 100.0, 500.0),
                                                 ("wave-2", "partial", 600.0, 900.0),
                                                 ("wave-1.2", "rolled-back", 1000.0, 1200.0)):
            connection.execute(insert(schema.runs).values(
                id=run_id, wave=1, kind="wave", status=status, owner="ann", created_at=created,
                updated_at=updated, detail=""))
    engine.dispose()
    with Journal(url) as journal:
        assert journal.schema_version() == schema.SCHEMA_VERSION == 8
        times = {r.id: (r.started_at, r.finished_at) for r in journal.runs()}
    assert times == {"wave-1": (100.0, 500.0), "wave-2": (600.0, None), "wave-1.2": (1000.0, 1200.0)}
