"""A programme's journal built through the journal's own API, as the engine and the commands
leave it: an approved plan of three waves of the shipped catalog; wave 1 done (cpa-register cut
over, digiinkoop decommissioned), wave 2 partial (digid in flight, officiele-publicaties held by an
open, overdue blocker); a waiver expiring soon; lpc-2.0 accepted and lpc-1.0 rejected after a
failed validation; a dry-run of wave 3 with unknowns, not approved."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

from orchestrator import clock
from orchestrator.catalog import load_catalog
from orchestrator.clock import NOW_ENV
from orchestrator.journal import Journal, RunDetail, execution_key
from orchestrator.journal.blockers import add_blocker, change
from orchestrator.journal.dry_runs import record_dry_run
from orchestrator.journal.plans import approve_plan, save_plan
from orchestrator.journal.releases import decide, record_validation
from tests.conftest import SEEDS

NOW = dt.datetime(2027, 1, 20, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
WAVES = [{"number": 1, "start": "2026-12-07", "end": "2027-01-03",
          "services": ["cpa-register", "digiinkoop"]},
         {"number": 2, "start": "2027-01-04", "end": "2027-01-31",
          "services": ["digid", "officiele-publicaties"]},
         {"number": 3, "start": "2027-02-01", "end": "2027-02-28", "services": ["mijnoverheid"]}]
HELD = "PRE-BLK-001 FAIL: BLK-0001 blocking, open: DNS delegation of the new zone"
STEPS = ("provision", "prepare-target", "freeze", "sync-data", "cutover")


def catalog():
    return load_catalog(SEEDS)


def empty_journal(path: Path) -> Journal:
    return Journal(f"sqlite:///{path}", create=True)


def run_steps(journal: Journal, run_id: str, service: str, steps: tuple[str, ...], last: str = "done",
              state: str | None = None) -> None:
    for seq, step in enumerate(steps):
        journal.begin_step(run_id, service, step, seq, "in-flight" if seq == 0 else None)
        final = last if seq == len(steps) - 1 else "done"
        journal.finish_step(execution_key(run_id, service, step), final,
                            service_state=state if seq == len(steps) - 1 else None)


@contextlib.contextmanager
def at(moment: str) -> Iterator[None]:
    """The tool's clock stands on ``moment`` (Amsterdam) for what the journal records meanwhile.
    The clock runs on from $LOGIUS_MIGRATE_NOW by the time this process has run, so the variable is
    set that much earlier."""
    before = os.environ.get(NOW_ENV)
    wanted = dt.datetime.fromisoformat(moment).replace(tzinfo=clock.AMSTERDAM)
    os.environ[NOW_ENV] = wanted.isoformat()
    os.environ[NOW_ENV] = (wanted - (clock.now() - wanted)).isoformat()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NOW_ENV, None)
        else:
            os.environ[NOW_ENV] = before


def build(path: Path) -> Journal:
    journal = empty_journal(path)
    with at("2026-12-01T10:00"):
        plan = save_plan(journal, "ann", {"start": "2026-12-07"}, "c" * 64, {}, "lab", "s" * 64, WAVES)
        approve_plan(journal, plan.id, "bob", "steering group 1 December", False)
        _releases(journal)
    _wave_1(journal, plan.id)
    with at("2027-01-05T08:00"):
        blocker = add_blocker(journal, "service:officiele-publicaties", "blocking",
                              "DNS delegation of the new zone", "netops", "ann", dt.date(2027, 1, 10))
        journal.create_run("wave-2", 2, "wave", "ann@host:1")
        detail = RunDetail(("digid", "officiele-publicaties"), plan.id, {"officiele-publicaties": HELD})
        journal.set_run_status("wave-2", "running", detail)
        run_steps(journal, "wave-2", "digid", STEPS[:3], last="failed")
    with at("2027-01-06T16:00"):
        journal.set_run_status("wave-2", "partial", detail)
        waived = add_blocker(journal, "platform", "major", "storage latency above 5 ms", "ops", "ann")
        change(journal, waived.id, "waive", "cio", "accepted for the pilot waves",
               ("cio", dt.date(2027, 1, 28)))
        add_blocker(journal, "wave:3", "minor", "runbook review", "migrations", "ann", dt.date(2027, 2, 15))
        _dry_run(journal, plan.id)
    assert blocker.id == "BLK-0001"
    return journal


def _wave_1(journal: Journal, plan_id: int) -> None:
    members = ("cpa-register", "digiinkoop")
    with at("2026-12-08T09:00"):
        journal.create_run("wave-1", 1, "wave", "ann@host:1")
        journal.set_run_status("wave-1", "running", RunDetail(members, plan_id, {}))
        run_steps(journal, "wave-1", "cpa-register", STEPS, state="cut-over")
    with at("2026-12-14T17:30"):
        run_steps(journal, "wave-1", "digiinkoop", ("decommission",), state="decommissioned")
        journal.set_run_status("wave-1", "done", RunDetail(members, plan_id, {}))


def _releases(journal: Journal) -> None:
    failed = {"release": "lpc-1.0", "manifest_sha256": "1" * 64, "outcome": "FAIL", "site": "lab",
              "results": [{"check": "REL-K8S-001", "outcome": "PASS", "shown": "PASS"},
                          {"check": "REL-MAN-004", "outcome": "FAIL", "shown": "FAIL"}]}
    rejected = record_validation(journal, failed, {}, "release-board")
    decide(journal, "lpc-1.0", "1" * 64, "rejected", rejected, "cio", "Kubernetes 1.22 is out of support")
    passed = {"release": "lpc-2.0", "manifest_sha256": "2" * 64, "outcome": "PASS", "site": "lab",
              "results": [{"check": "REL-K8S-001", "outcome": "PASS", "shown": "PASS"},
                          {"check": "REL-MAN-004", "outcome": "PASS", "shown": "PASS"}]}
    accepted = record_validation(journal, passed, {}, "release-board")
    decide(journal, "lpc-2.0", "2" * 64, "accepted", accepted, "cio", "validated on the lab")


def _dry_run(journal: Journal, plan_id: int) -> None:
    tasks = [{"phase": "prepare-target", "service": "mijnoverheid", "host": "mo-lpc-1", "task": t,
              "outcome": o, "reason": "", "diff": "", "paths": []}
             for t, o in (("a", "change"), ("b", "unknown"), ("c", "unknown"), ("d", "fail"))]
    record_dry_run(journal, {"wave": 3, "plan": plan_id, "by": "ann", "status": "partial",
                             "digests": {"catalog": "c" * 64, "site": "s" * 64, "inventory": "i" * 64},
                             "tasks": tasks})
