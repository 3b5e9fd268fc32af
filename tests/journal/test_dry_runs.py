"""Dry-run records on SQLite and on a real PostgreSQL server: recorded redacted with their id,
approved by a second person only, compared prediction by prediction; an older journal gains them."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from orchestrator.errors import InputError, Refused
from orchestrator.journal import Journal, Redactor, resolve_url, schema
from orchestrator.journal.dry_runs import (
    DryRun,
    approve_dry_run,
    diff_dry_runs,
    get_dry_run,
    latest_approved_dry_run,
    list_dry_runs,
    record_dry_run,
)

SECRET = "hunter2-secret"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return resolve_url(None, tmp_path / "journal.db")
    return resolve_url(request.getfixturevalue("pg_url"), tmp_path / "unused.db")


@pytest.fixture
def journal(url):
    opened = Journal(url, Redactor([SECRET]), create=True)
    yield opened
    opened.close()


def document(wave: int = 1, by: str = "alice", status: str = "complete", **fields: Any) -> dict[str, Any]:
    """A dry-run document as the contract shapes it: one stack, two tasks, one held service."""
    doc: dict[str, Any] = {
        "format": "logius-migrate/dry-run 1", "id": None, "wave": wave, "plan": 1,
        "services": ["cpa-register", "digiinkoop"], "only": None, "by": by,
        "at": "2026-12-01T19:00:00+01:00", "site": "lab",
        "digests": {"catalog": "a" * 64, "site": "b" * 64, "inventory": "c" * 64}, "status": status,
        "checks": [{"service": "cpa-register", "check": "PRE-REL-001", "outcome": "PASS",
                    "summary": "accepted", "evidence": "release R1 accepted"}],
        "held": {"digiinkoop": "PRE-BLK-001 FAIL: B-2 open"},
        "stacks": [{"service": "cpa-register", "step": "provision",
                    "plan_file": "dry-runs/1/cpa-register.tfplan", "sha256": "d" * 64, "state_serial": 4,
                    "state_lineage": None, "error": None,
                    "resources": [{"address": "module.lz.null_resource.zone", "actions": ["create"],
                                   "unknown": ["id"]}]}],
        "tasks": [{"phase": "prepare-target", "service": "cpa-register", "host": "cpa-lpc-1",
                   "task": "Create the application directories", "outcome": "change", "reason": "",
                   "diff": "--- before\n+++ after\n+dir", "paths": ["etc/cpa-register"]},
                  {"phase": "cutover", "service": "cpa-register", "host": "cpa-lpc-1",
                   "task": "Switch the gateway", "outcome": "unknown",
                   "reason": "the module cannot run in check mode", "diff": "", "paths": []}],
        "gate": {"question": "Wave 1: approve the cutover of cpa-register?"}, "services_detail": [],
    }
    doc.update(fields)
    return doc


def test_a_dry_run_is_recorded_with_its_id_and_read_back(journal):
    given_doc = document()
    first = record_dry_run(journal, given_doc)
    second = record_dry_run(journal, document(wave=2, by="bob", status="partial", plan=None))
    assert given_doc["id"] is None, "the caller's document is left as it was"
    assert dataclasses.is_dataclass(first) and type(first).__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert (first.wave, first.plan_id, first.created_by, first.status, first.approved) == (
        1, 1, "alice", "complete", False)
    assert first.digests == {"catalog": "a" * 64, "site": "b" * 64, "inventory": "c" * 64}
    assert first.document == {**given_doc, "id": first.id}
    assert (second.id, second.plan_id, second.document["id"]) == (first.id + 1, None, first.id + 1)
    assert get_dry_run(journal, first.id) == first
    assert [d.id for d in list_dry_runs(journal)] == [first.id, second.id]
    assert list_dry_runs(journal, wave=2) == [second] and list_dry_runs(journal, wave=3) == []
    assert [e.message for e in journal.events() if e.kind == "dry-run"] == [
        f"dry-run {first.id} of wave 1 recorded by alice: complete, 2 task(s), 1 stack(s), 1 held",
        f"dry-run {second.id} of wave 2 recorded by bob: partial, 2 task(s), 1 stack(s), 1 held"]
    known = rf"\(dry-runs: {first.id}, {second.id}\)"
    with pytest.raises(InputError, match=rf"dry-run 99: no such dry-run in journal .*{known}"):
        get_dry_run(journal, 99)


def test_an_unknown_dry_run_of_an_empty_journal_says_none_was_recorded(journal):
    with pytest.raises(InputError, match=r"\(dry-runs: none recorded yet\)"):
        get_dry_run(journal, 1)


def test_a_document_without_its_digests_is_not_recorded(journal):
    with pytest.raises(ValueError, match="needs by, digests.inventory"):
        record_dry_run(journal, document(by="", digests={"catalog": "a" * 64, "site": "b" * 64}))
    assert list_dry_runs(journal) == []


def test_a_dry_run_is_approved_by_someone_else_once(journal):
    dry_run = record_dry_run(journal, document(by="alice"))
    with pytest.raises(Refused, match=f"dry-run {dry_run.id} not approved") as refused:
        approve_dry_run(journal, dry_run.id, "alice", "looks right", allow_self_approval=False)
    assert refused.value.problems == [f"dry-run {dry_run.id} was rehearsed by alice: a dry-run is approved "
                                      f"by someone else (or the site sets allow_self_approval: true)"]
    with pytest.raises(InputError, match="needs --by NAME and --reason TEXT"):
        approve_dry_run(journal, dry_run.id, "bob", "  ", allow_self_approval=False)
    assert latest_approved_dry_run(journal, 1) is None
    approved = approve_dry_run(journal, dry_run.id, "bob", "the diffs are what we expect",
                               allow_self_approval=False)
    assert (approved.approved, approved.approved_by, approved.approval_reason) == (
        True, "bob", "the diffs are what we expect")
    assert approved.approved_at is not None and approved.approved_at >= approved.created_at
    with pytest.raises(InputError, match=f"dry-run {dry_run.id} was already approved by bob"):
        approve_dry_run(journal, dry_run.id, "carol", "again", allow_self_approval=False)
    assert latest_approved_dry_run(journal, 1) == approved and latest_approved_dry_run(journal, 2) is None


def test_the_site_may_allow_the_maker_to_approve_and_the_newest_approval_counts(journal):
    older = record_dry_run(journal, document(by="alice"))
    newer = record_dry_run(journal, document(by="alice"))
    record_dry_run(journal, document(by="alice"))  # the newest, not approved
    for dry_run in (newer, older):
        approve_dry_run(journal, dry_run.id, "alice", "single operator site", allow_self_approval=True)
    latest = latest_approved_dry_run(journal, 1)
    assert latest is not None and (latest.id, latest.approved_by) == (newer.id, "alice")


def test_a_failed_dry_run_cannot_be_approved(journal):
    failed = record_dry_run(journal, document(status="failed", tasks=[], stacks=[]))
    with pytest.raises(InputError, match=f"dry-run {failed.id} failed: nothing was rehearsed"):
        approve_dry_run(journal, failed.id, "bob", "fine", allow_self_approval=False)
    assert not get_dry_run(journal, failed.id).approved


def test_a_secret_never_reaches_the_stored_dry_run(journal):
    tasks = document()["tasks"]
    tasks[0]["diff"] = f"--- before\n+++ after\n-password={SECRET}\n+password=***"
    tasks[1]["reason"] = f"the host was unreachable: login {SECRET} refused"
    doc = document(tasks=tasks, held={"digiinkoop": f"PRE-BLK-001 FAIL: {SECRET}"})
    dry_run = record_dry_run(journal, doc)
    approve_dry_run(journal, dry_run.id, "bob", f"checked, {SECRET} rotated", allow_self_approval=False)
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.dry_runs)).one()
    assert SECRET not in json.dumps([str(v) for v in row]) and SECRET not in str(journal.events())
    stored = get_dry_run(journal, dry_run.id)
    assert stored.document["tasks"][0]["diff"].endswith("-password=***\n+password=***")
    assert stored.document["tasks"][1]["reason"] == "the host was unreachable: login *** refused"
    assert stored.approval_reason == "checked, *** rotated"
    assert stored.digests == document()["digests"]


def test_a_secret_inside_a_digest_leaves_the_digests_comparable(url):
    """The digests hold no secret: a short secret that happens to occur in one is not redacted
    there (the record would never match its catalog again), only everywhere else."""
    with Journal(url, Redactor(["cccc", "dddd"]), create=True) as opened:
        doc = document(site="lab-cccc")
        stored = record_dry_run(opened, doc).document
    assert stored["digests"] == doc["digests"] and stored["stacks"][0]["sha256"] == "d" * 64
    assert stored["site"] == "lab-***"


# -- comparing two rehearsals ----------------------------------------------------------------

def in_memory(doc: dict[str, Any], number: int = 1) -> DryRun:
    digests = doc.get("digests") or {}
    return DryRun(number, doc.get("wave", 1), doc.get("plan"), doc.get("by", "alice"), 0.0,
                  digests.get("catalog", ""), digests.get("site", ""), digests.get("inventory", ""),
                  doc.get("status", "complete"), doc, None, None, None)


def test_the_diff_names_a_changed_outcome_a_new_resource_and_a_changed_digest():
    first = document()
    second = copy.deepcopy(first)
    second["tasks"][1]["outcome"] = "fail"
    second["stacks"][0]["resources"].append({"address": "module.lz.null_resource.dns", "actions": ["create"],
                                             "unknown": []})
    second["digests"]["inventory"] = "e" * 64
    second["held"] = {}
    assert diff_dry_runs(in_memory(first), in_memory(second, 2)) == [
        {"kind": "digest", "key": "inventory", "first": "c" * 64, "second": "e" * 64},
        {"kind": "held", "key": "digiinkoop", "first": "PRE-BLK-001 FAIL: B-2 open", "second": None},
        {"kind": "resource", "key": "cpa-register/module.lz.null_resource.dns", "first": None,
         "second": ["create"]},
        {"kind": "task", "key": "cutover/cpa-register/cpa-lpc-1/Switch the gateway", "first": "unknown",
         "second": "fail"}]
    assert diff_dry_runs(in_memory(first), in_memory(copy.deepcopy(first), 2)) == []


def test_a_task_name_used_twice_is_compared_occurrence_by_occurrence():
    first = document()
    first["tasks"].append({**first["tasks"][0], "outcome": "no-change"})
    second = copy.deepcopy(first)
    second["tasks"][2]["outcome"] = "change"
    assert diff_dry_runs(in_memory(first), in_memory(second)) == [
        {"kind": "task", "key": "prepare-target/cpa-register/cpa-lpc-1/Create the application directories#2",
         "first": "no-change", "second": "change"}]


def one_of(*values: str) -> st.SearchStrategy[str]:
    return st.sampled_from(values)


NAMES = one_of("alpha", "beta", "gamma")
TASKS = st.lists(st.fixed_dictionaries({
    "phase": one_of("provision", "cutover"), "service": NAMES, "host": one_of("h1", "h2"),
    "task": one_of("t", "u"), "outcome": one_of("change", "no-change", "unknown", "fail")}), max_size=6)
RESOURCES = st.lists(st.fixed_dictionaries({
    "address": one_of("r.a", "r.b", "r.c"),
    "actions": st.lists(one_of("create", "update", "delete", "read"), min_size=1, max_size=2)}), max_size=3)
DOCUMENTS = st.fixed_dictionaries({
    "digests": st.fixed_dictionaries({"catalog": one_of("a", "b"), "site": one_of("a", "b"),
                                      "inventory": one_of("a", "b")}),
    "held": st.dictionaries(NAMES, one_of("blocked", "waits"), max_size=2),
    "stacks": st.lists(st.fixed_dictionaries({"service": NAMES, "resources": RESOURCES}), max_size=3),
    "tasks": TASKS})


@given(DOCUMENTS, DOCUMENTS)
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_diff_is_empty_with_itself_and_swaps_when_turned_round(a, b):
    first, second = in_memory(a), in_memory(b, 2)
    assert diff_dry_runs(first, in_memory(copy.deepcopy(a), 2)) == []
    forward, backward = diff_dry_runs(first, second), diff_dry_runs(second, first)
    assert [{**item, "first": item["second"], "second": item["first"]} for item in backward] == forward
    assert forward == sorted(forward, key=lambda item: (item["kind"], item["key"]))
    assert all(item["first"] != item["second"] for item in forward)


# -- an older journal ------------------------------------------------------------------------

def journal_at(url: str, version: int) -> int:
    """Make a journal at schema ``version`` with the alembic revisions up to it; the version its
    ``meta`` records."""
    from alembic import command
    from alembic.config import Config

    from orchestrator.journal.opening import make_engine

    engine = make_engine(url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "orchestrator.journal:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, f"{version:04d}")
    with engine.connect() as connection:
        recorded = int(connection.execute(select(schema.meta.c.value)).scalar_one())
    engine.dispose()
    return recorded


def test_a_journal_of_schema_4_is_upgraded_on_open_and_records_dry_runs(url):
    assert journal_at(url, 4) == 4
    with Journal(url, Redactor([SECRET])) as opened:
        assert opened.schema_version() == schema.SCHEMA_VERSION == 8
        dry_run = record_dry_run(opened, document(tasks=[{**document()["tasks"][0], "diff": SECRET}]))
    with Journal(url) as reopened:
        assert list_dry_runs(reopened) == [dry_run] and dry_run.document["tasks"][0]["diff"] == "***"
