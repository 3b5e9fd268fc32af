"""The journal hands out frozen dataclasses, not dicts, for every group of tables; a run's detail is
parsed and written in one place, byte for byte as before."""

from __future__ import annotations

import dataclasses
import json

import pytest

from orchestrator.journal import Journal, Redactor, RunDetail, resolve_url


@pytest.fixture
def journal(tmp_path):
    opened = Journal(resolve_url(None, tmp_path / "journal.db"), Redactor(["hunter2-secret"]), create=True)
    yield opened
    opened.close()


def frozen(record: object) -> bool:
    return dataclasses.is_dataclass(record) and type(record).__dataclass_params__.frozen  # type: ignore[attr-defined]


def test_a_run_detail_is_written_as_the_runner_always_wrote_it():
    assert RunDetail(("alpha", "beta"), 3).to_json() == json.dumps({"services": ["alpha", "beta"], "plan": 3})
    held = {"beta": "waits for alpha"}
    assert RunDetail(("alpha", "beta"), None, held).to_json() == json.dumps(
        {"services": ["alpha", "beta"], "plan": None, "held": held})
    assert RunDetail.parse("") == RunDetail()
    assert RunDetail.parse(RunDetail(("a",), 1, {}).to_json()) == RunDetail(("a",), 1, {})


def test_a_run_records_its_detail_and_reads_it_back_typed(journal):
    journal.create_run("wave-1", 1, "wave", "me")
    journal.set_run_status("wave-1", "running", RunDetail(("alpha",), 2))
    run = journal.run("wave-1")
    assert run.detail == '{"services": ["alpha"], "plan": 2}'
    assert run.parsed_detail == RunDetail(("alpha",), 2, None)


def test_events_attempts_and_leases_are_frozen_records(journal):
    journal.create_run("wave-1", 1, "wave", "me")
    key = journal.begin_step("wave-1", "alpha", "provision", 0).key
    number = journal.start_attempt(key)
    journal.finish_attempt(key, number, "failed", "hunter2-secret leaked")
    journal.log("wave-1", "start", "go")
    lease = journal.acquire_lock("wave-1", "ann@host:1", ttl_seconds=30)
    attempt, event = journal.attempts(key)[0], journal.events("wave-1")[0]
    holder, state = journal.lock_holder("wave-1"), journal.lease_state("wave-1")
    assert all(frozen(r) for r in (attempt, event, holder, state))
    assert (attempt.number, attempt.outcome, attempt.error) == (1, "failed", "*** leaked")
    assert (event.run_id, event.kind, event.message) == ("wave-1", "start", "go")
    assert holder.owner == state.owner == "ann@host:1" and holder.token == lease.token
    assert state.state == "held"
    journal.release_lock(lease)


def test_releases_evidence_and_blocker_history_are_frozen_records(journal):
    from orchestrator.journal.blockers import add_blocker, history
    from orchestrator.journal.releases import (
        decide,
        decisions,
        latest_decision,
        record_validation,
        validations,
    )

    doc = {"release": "R1", "manifest_sha256": "ab" * 32, "outcome": "PASS", "site": "lab", "results": []}
    validation_id = record_validation(journal, doc, {"report.json": "cd" * 32}, "ann")
    decide(journal, "R1", "ab" * 32, "accepted", validation_id, "bob", "fine")
    blocker = add_blocker(journal, "platform", "minor", "slow disks", "ann", "ann")
    validation, decision = validations(journal)[0], decisions(journal)[0]
    change = history(journal, blocker.id)[0]
    assert all(frozen(r) for r in (validation, decision, change))
    assert (validation.id, validation.results, validation.reports) == (
        validation_id, doc, {"report.json": "cd" * 32})
    assert (decision.validation_id, decision.status) == (validation_id, "accepted")
    assert latest_decision(journal, "R1") == decision
    assert (change.blocker_id, change.action, change.by) == (blocker.id, "opened", "ann")


def test_the_redactor_has_its_own_module_and_is_still_exported():
    from orchestrator.journal import Redactor as exported
    from orchestrator.journal.redaction import Redactor as own

    assert exported is own and own(["x1"])("ax1b") == "a***b"
