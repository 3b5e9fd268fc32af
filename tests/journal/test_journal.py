"""The journal on SQLite and on a real PostgreSQL server: the same behaviour on both."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import update

from orchestrator.errors import InputError, LockHeld
from orchestrator.journal import Journal, Redactor, resolve_url, schema


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return resolve_url(None, tmp_path / "journal.db")
    return resolve_url(request.getfixturevalue("pg_url"), tmp_path / "unused.db")


@pytest.fixture
def journal(url):
    opened = Journal(url, Redactor(["hunter2-secret"]), create=True)
    yield opened
    opened.close()


def test_a_new_journal_stores_its_schema_version_and_reopens(url):
    Journal(url, create=True).close()
    again = Journal(url)
    assert again.schema_version() == schema.SCHEMA_VERSION
    again.close()


def test_journal_init_says_created_only_when_it_created_the_journal(url, run_cli):
    """On an empty PostgreSQL database as on a new SQLite file: created, then already there."""
    from orchestrator.journal import display_url

    first, again = (run_cli("journal", "init", "--db", url) for _ in range(2))
    version = schema.SCHEMA_VERSION
    assert (first.exit_code, first.stdout) == (0, f"journal {display_url(url)}: created, schema version "
                                                  f"{version}\n")
    assert (again.exit_code, again.stdout) == (0, f"journal {display_url(url)}: already there, schema "
                                                  f"version {version}\n")


def test_a_journal_from_a_newer_tool_is_refused(journal, url):
    with journal.engine.begin() as connection:
        connection.execute(update(schema.meta).values(value=str(schema.SCHEMA_VERSION + 1)))
    with pytest.raises(InputError, match="newer than this tool"):
        Journal(url)


def test_a_done_step_stays_done_and_attempts_are_numbered(journal):
    journal.create_run("wave-1", 1, "wave", "me")
    execution = journal.begin_step("wave-1", "alpha", "provision", 0)
    assert execution.key == "wave-1/alpha/provision" and execution.status == "running"
    first = journal.start_attempt(execution.key)
    journal.finish_attempt(execution.key, first, "failed", "boom")
    second = journal.start_attempt(execution.key)
    journal.finish_attempt(execution.key, second, "ok")
    journal.finish_step(execution.key, "done", output="ok")
    assert journal.begin_step("wave-1", "alpha", "provision", 0).status == "done"
    assert [a.outcome for a in journal.attempts(execution.key)] == ["failed", "ok"]
    assert len(journal.executions(run_id="wave-1")) == 1


def test_secrets_are_redacted_everywhere_the_journal_writes(journal):
    journal.create_run("wave-1", 1, "wave", "me")
    key = journal.begin_step("wave-1", "alpha", "prepare", 0).key
    journal.finish_step(key, "failed", output="pw=hunter2-secret", error="hunter2-secret leaked")
    journal.add_rollback_point("wave-1", "alpha", "prepare", "files", {"v": "hunter2-secret"}, False)
    journal.log("wave-1", "note", "hunter2-secret")
    journal.set_run_status("wave-1", "failed", "hunter2-secret")
    texts = [str(journal.execution(key)), str(journal.rollback_points()), str(journal.events()),
             str(journal.run("wave-1"))]
    assert all("hunter2" not in text for text in texts)
    assert "pw=***" in texts[0]


def test_a_lease_is_exclusive_until_it_expires_then_taken_over(journal):
    first = journal.acquire_lock("wave-1", "ann@host:1", ttl_seconds=0.5)
    with pytest.raises(LockHeld, match="held by ann@host:1"):
        journal.acquire_lock("wave-1", "bob@host:2", ttl_seconds=0.5)
    time.sleep(0.6)
    second = journal.acquire_lock("wave-1", "bob@host:2", ttl_seconds=30)
    assert second.taken_over_from.startswith("ann@host:1")
    assert not journal.renew_lock(first, 30), "the old holder must learn it lost the lease"
    journal.release_lock(first)  # a stale release does not free the new holder's lease
    assert journal.lock_holder("wave-1").owner == "bob@host:2"
    journal.release_lock(second)
    assert journal.lock_holder("wave-1") is None


def test_of_many_contenders_exactly_one_gets_the_lease(url):
    journals = [Journal(url, create=True) for _ in range(6)]
    winners, losers = [], []
    barrier = threading.Barrier(len(journals))

    def contend(number: int, journal: Journal) -> None:
        barrier.wait()
        try:
            journal.acquire_lock("wave-7", f"op{number}", ttl_seconds=30)
            winners.append(number)
        except LockHeld:
            losers.append(number)

    threads = [threading.Thread(target=contend, args=(n, j)) for n, j in enumerate(journals)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for journal in journals:
        journal.close()
    assert len(winners) == 1 and len(losers) == 5


def test_the_url_of_a_journal_never_shows_its_password():
    journal_url = resolve_url("postgresql://ops:s3cret@db.example:5432/j", None)
    assert journal_url == "postgresql+psycopg://ops:s3cret@db.example:5432/j"
    from orchestrator.journal import display_url

    shown = display_url(journal_url)
    assert "s3cret" not in shown and shown.endswith("ops:***@db.example:5432/j")


BLOCKER_WRITER = """
import sys
from orchestrator.journal import Journal
from orchestrator.journal.blockers import add_blocker
with Journal(sys.argv[1]) as journal:
    for number in range(12):
        add_blocker(journal, "platform", "minor", f"{sys.argv[2]} {number}", "ops", sys.argv[2])
"""


def test_blockers_opened_by_two_processes_at_once_all_get_ids_of_their_own(journal, url):
    """The engine opens a blocker when a step fails while an operator may be adding one: the next
    id is taken by one of them, and the other takes the one after, nothing lost."""
    import subprocess
    import sys

    writers = [subprocess.Popen([sys.executable, "-c", BLOCKER_WRITER, url, name],
                                stderr=subprocess.PIPE, text=True) for name in ("engine", "operator")]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    from orchestrator.journal.blockers import list_blockers

    found = list_blockers(journal)
    assert len(found) == 24 and len({b.id for b in found}) == 24
    assert sorted(b.id for b in found) == [f"BLK-{n:04d}" for n in range(1, 25)]
