"""The tamper-evident chain: the journal's own writes keep it intact, on SQLite and PostgreSQL; every
edit made behind the tool's back (sqlite3, psql) is named by `journal verify`, record, table and key."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from orchestrator.journal import Journal, chain, checkpoints, resolve_url, schema
from orchestrator.journal.blockers import add_blocker, change
from orchestrator.journal.plans import approve_plan, save_plan
from tests.conftest import accept_release


def new_journal(path: Path) -> Journal:
    return Journal(resolve_url(path, None), create=True)


def use(journal: Journal) -> None:
    """A little of everything the journal records: a plan saved and approved, a run with a step,
    its attempts (one closed by the crash sweep), states, a rollback point, events, a blocker
    waived, a release validated and accepted."""
    import datetime as dt

    plan = save_plan(journal, "ann", {"capacity": 3}, "a" * 64, {"services.yaml": "b" * 64}, "lab",
                     "c" * 64, [{"number": 1, "services": ["alpha"]}])
    approve_plan(journal, plan.id, "bob", "looks right", allow_self_approval=False)
    journal.create_run("wave-1", 1, "wave", "ann@host:1")
    step = journal.begin_step("wave-1", "alpha", "provision", 1, service_state="in-flight")
    journal.finish_attempt(step.key, journal.start_attempt(step.key), "transient", "timeout")
    journal.start_attempt(step.key)
    journal.close_open_attempts("wave-1", "its process died")
    journal.finish_step(step.key, "done", output="ok", service_state="cut-over")
    point = journal.add_rollback_point("wave-1", "alpha", "provision", "files", {"paths": []}, True)
    journal.mark_restored(point)
    journal.log("wave-1", "cutover", "alpha cut over by ann")
    blocker = add_blocker(journal, "platform", "major", "storage latency", "ops", "ann")
    change(journal, blocker.id, "waive", "bob", "accepted for wave 1", ("bob", dt.date(2027, 1, 1)))
    accept_release(journal, "R1", "lab")
    journal.set_run_status("wave-1", "done", "")


def tamper(path: Path, *statements: str) -> None:
    with sqlite3.connect(path) as connection:
        for statement in statements:
            connection.execute(statement)


def findings(journal: Journal) -> list[tuple[str, str, str, int | None]]:
    return [(f.kind, f.table, f.key, f.seq) for f in chain.verify(journal).findings]


def newest(journal: Journal, table: str, key: str) -> int:
    with journal.engine.connect() as connection:
        return int(connection.execute(select(schema.chain.c.seq).where(
            schema.chain.c.tbl == table, schema.chain.c.row_key == key).order_by(
            schema.chain.c.seq.desc()).limit(1)).scalar_one())


@pytest.fixture
def used(tmp_path):
    path = tmp_path / "journal.db"
    with new_journal(path) as journal:
        use(journal)
    return path


def test_the_journals_own_writes_keep_the_chain_intact(used):
    with Journal(resolve_url(used, None)) as journal:
        report = chain.verify(journal)
        with journal.engine.connect() as connection:
            tables = {row.tbl for row in connection.execute(select(schema.chain.c.tbl))}
    assert report.intact, report.findings
    assert tables == {"plans", "events", "runs", "executions", "attempts", "service_states",
                      "rollback_points", "blockers", "blocker_history", "release_validations",
                      "release_decisions", "decisions"}
    assert report.size > 20 and report.since is None


def test_an_approver_changed_with_sqlite3_is_named(used):
    with Journal(resolve_url(used, None)) as journal:
        approval = newest(journal, "plans", "1")
        tamper(used, "UPDATE plans SET approved_by = 'ann' WHERE id = 1")
        report = chain.verify(journal)
    assert [(f.kind, f.table, f.key, f.seq) for f in report.findings] == [("altered", "plans", "1", approval)]
    assert report.first is not None
    assert report.first.problem == f"plans 1 was altered: it differs from chain record {approval}"


def test_a_deleted_event_a_flipped_status_and_an_inserted_row_are_each_named(used):
    with Journal(resolve_url(used, None)) as journal:
        event, step = newest(journal, "events", "2"), newest(journal, "executions", "1")
        forged = len(journal.events()) + 1
        tamper(used, "DELETE FROM events WHERE id = 2",
               "UPDATE executions SET status = 'failed' WHERE id = 1",
               "INSERT INTO events (run_id, at, kind, message) VALUES ('wave-1', 1.0, 'override', 'forged')")
        found = findings(journal)
    assert found == sorted([("removed", "events", "2", event), ("altered", "executions", "1", step)],
                           key=lambda f: f[3]) + [("inserted", "events", str(forged), None)]


def test_an_inserted_row_has_no_record(used):
    tamper(used, "INSERT INTO blockers (id, scope, severity, title, owner, status, evidence, created_at, "
                 "updated_at) VALUES ('BLK-0099', 'platform', 'minor', 'forged', 'eve', 'resolved', '', "
                 "1, 1)")
    with Journal(resolve_url(used, None)) as journal:
        assert findings(journal) == [("inserted", "blockers", "BLK-0099", None)]


def test_a_chain_record_edited_or_removed_breaks_the_link(used):
    with Journal(resolve_url(used, None)) as journal:
        tamper(used, "UPDATE chain SET digest = '" + "0" * 64 + "' WHERE seq = 3")
        first = chain.verify(journal).first
        assert first is not None and (first.kind, first.seq) == ("link", 3)
        assert first.problem.startswith("chain record 3 (") and "was edited" in first.problem
        tamper(used, "DELETE FROM chain WHERE seq = 2")
        first = chain.verify(journal).first
    assert first is not None and (first.kind, first.seq) == ("link", 2)
    assert first.problem.startswith("chain record 2 removed")


def test_the_last_records_removed_are_caught_by_the_checkpoint(used):
    with Journal(resolve_url(used, None)) as journal:
        point = checkpoints.write(journal, "lab")
        size = point.size
        tamper(used, f"DELETE FROM chain WHERE seq >= {size}")  # the tail, the checkpoint's own record too
        report = chain.verify(journal)
    problems = [f.problem for f in report.findings if f.kind == "checkpoint"]
    assert problems == [f"checkpoint 1 (size {size}) covers {size} records but the chain has {size - 1}: "
                        f"the last 1 record(s) were removed"]
    assert report.checkpoints == 1


def test_journal_verify_exits_1_and_names_the_first_record(used, run_cli):
    ok = run_cli("journal", "verify", "--db", str(used))
    assert ok.exit_code == 0 and "intact" in ok.stdout, ok.stderr
    tamper(used, "UPDATE executions SET status = 'failed' WHERE id = 1")
    shown = run_cli("journal", "verify", "--db", str(used), "--format", "json")
    assert shown.exit_code == 1
    document = json.loads(shown.stdout)
    assert document["intact"] is False and document["first"]["table"] == "executions"
    text = run_cli("journal", "verify", "--db", str(used))
    assert text.exit_code == 1 and "first: executions 1 was altered" in text.stdout


def test_writes_of_many_rows_and_updates_that_change_their_own_where_are_chained(tmp_path):
    with new_journal(tmp_path / "j.db") as journal:
        with journal.engine.begin() as connection:
            connection.execute(insert(schema.events), [
                {"run_id": None, "at": 1, "kind": "a", "message": f"m{i}"} for i in range(5)])
            connection.execute(update(schema.events).where(schema.events.c.kind == "a").values(kind="b"))
        with journal.engine.connect() as connection:
            records = connection.execute(select(schema.chain).order_by(schema.chain.c.seq))
            ops = [(r.row_key, r.op) for r in records]
        assert ops == [(str(i), "insert") for i in range(1, 6)] + [(str(i), "update") for i in range(1, 6)]
        assert chain.verify(journal).intact


def test_writers_at_once_never_share_a_record_number(tmp_path):
    path = tmp_path / "j.db"
    new_journal(path).close()

    def write(n: int) -> None:
        with Journal(resolve_url(path, None)) as journal:
            for i in range(15):
                journal.log(None, "k", f"{n}-{i}")

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Journal(resolve_url(path, None)) as journal:
        report = chain.verify(journal)
    assert report.intact and report.size == 60


def test_row_intact_names_what_changed(used):
    with Journal(resolve_url(used, None)) as journal:
        with journal.engine.connect() as connection:
            assert chain.row_intact(connection, "plans", "1") is None
        tamper(used, "UPDATE plans SET approved_by = 'eve' WHERE id = 1")
        with journal.engine.connect() as connection:
            said = chain.row_intact(connection, "plans", "1") or ""
            assert "plans 1 was changed outside this tool" in said
            assert "has no record" in (chain.row_intact(connection, "plans", "7") or "")


def test_an_upgraded_journal_is_chained_from_the_upgrade_and_says_so(tmp_path):
    from tests.journal.test_faults import older_journal

    path = tmp_path / "old.db"
    older_journal(path, 7)
    tamper(path, "INSERT INTO runs (id, wave, kind, status, owner, created_at, updated_at, detail, "
                 "started_at) "
                 "VALUES ('wave-1', 1, 'wave', 'done', 'ann', 1.0, 2.0, '', 1.0)",
           "INSERT INTO events (run_id, at, kind, message) VALUES ('wave-1', 1.5, 'start', 'begun')")
    with Journal(resolve_url(path, None)) as journal:
        report = chain.verify(journal)
        with journal.engine.connect() as connection:
            ops = [(r.tbl, r.row_key, r.op) for r in connection.execute(select(schema.chain))]
    assert ops == [("runs", "wave-1", "baseline"), ("events", "1", "baseline")]
    assert report.intact and report.since is not None
    assert (report.since_line() or "").startswith("history before 20")
    tamper(path, "UPDATE events SET message = 'never begun' WHERE id = 1")
    with Journal(resolve_url(path, None)) as journal:
        assert findings(journal) == [("altered", "events", "1", 2)]


def test_a_journal_on_postgresql_is_chained_and_its_tampering_named(pg_url):
    import psycopg

    with Journal(resolve_url(pg_url, None), create=True) as journal:
        use(journal)
        assert chain.verify(journal).intact
        approval = newest(journal, "plans", "1")
        with psycopg.connect(pg_url) as connection:
            connection.execute("UPDATE plans SET approved_by = 'ann' WHERE id = 1")
            connection.execute("DELETE FROM events WHERE id = 1")
        found = findings(journal)
    assert ("altered", "plans", "1", approval) in found
    assert [f[:3] for f in found if f[0] == "removed"] == [("removed", "events", "1")]


WRITES = st.lists(st.sampled_from(["log", "run", "status", "blocker", "waive", "step"]), min_size=1,
                  max_size=12)
TAMPERS = ("UPDATE events SET message = message || '!' WHERE id = (SELECT min(id) FROM events)",
           "DELETE FROM events WHERE id = (SELECT max(id) FROM events)",
           "INSERT INTO events (run_id, at, kind, message) VALUES (NULL, 0.5, 'x', 'forged')",
           "UPDATE chain SET op = 'update' WHERE seq = 1",
           "DELETE FROM chain WHERE seq = 1",
           "UPDATE chain SET hash = prev WHERE seq = (SELECT max(seq) FROM chain)")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=WRITES, tamper_with=st.sampled_from(TAMPERS))
def test_any_writes_then_any_one_tamper_is_detected(tmp_path_factory, writes, tamper_with):
    path = tmp_path_factory.mktemp("h") / "j.db"
    with new_journal(path) as journal:
        journal.log(None, "first", "the first event")
        runs = 0
        for write in writes:
            if write == "log":
                journal.log(None, "k", "something happened")
            elif write == "run" or (write in ("status", "step") and not runs):
                runs += 1
                journal.create_run(f"wave-{runs}", runs, "wave", "ann")
            elif write == "status":
                journal.set_run_status(f"wave-{runs}", "done", "")
            elif write == "step":
                step = journal.begin_step(f"wave-{runs}", "alpha", f"s{len(writes)}", 1)
                journal.finish_step(step.key, "done")
            else:
                blocker = add_blocker(journal, "platform", "minor", "t", "ops", "ann")
                if write == "waive":
                    import datetime as dt

                    change(journal, blocker.id, "waive", "bob", "ok", ("bob", dt.date(2027, 1, 1)))
        assert chain.verify(journal).intact
        tamper(path, tamper_with)
        assert not chain.verify(journal).intact, tamper_with


VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.text(),
                   st.floats(allow_nan=False, allow_infinity=False))


@given(row=st.dictionaries(st.text(min_size=1), VALUES, max_size=8))
def test_the_canonical_form_is_what_json_dumps_writes(row):
    """The bundle's verify.py digests rows with json.dumps alone: the chain's faster encoder must
    write exactly the same text, and a raw row (a tuple, SQLite's 0/1 for booleans) the same digest."""
    kept = {name: value for name, value in row.items() if value is not None}
    assert chain.canonical(row) == json.dumps(kept, sort_keys=True, separators=(",", ":"))


def test_a_raw_row_has_the_digest_of_the_row_read_through_sqlalchemy(used):
    with Journal(resolve_url(used, None)) as journal, journal.engine.connect() as connection:
        for name in ("rollback_points", "executions", "plans"):
            tbl = chain.table(name)
            typed = [dict(row._mapping) for row in connection.execute(select(tbl))]
            raw = connection.exec_driver_sql(f"SELECT * FROM {name}").fetchall()
            assert [chain.tuple_digest(tbl)(row) for row in raw] == [chain.row_digest(r) for r in typed]
