"""Each precondition with a passing, a failing and, where it applies, an inconclusive case, on a
bare site with a real SQLite journal. (Freezes: test_windows; Kubernetes: test_kubernetes;
Terraform's protected resources: tests/engine/test_gates.)"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from orchestrator.checks import Outcome, run_checks, stopping, with_overrides
from orchestrator.checks.platform import blockers, release, terraform
from orchestrator.checks.service import backups, budget, contract_change, dependencies
from orchestrator.journal.blockers import add_blocker, change
from orchestrator.journal.plans import SavedPlan
from tests.checks.conftest import NOW, context, write_site
from tests.conftest import accept_release, service


def outcome(result) -> str:
    return result.outcome.value


# -- PRE-REL-001 -------------------------------------------------------------------------------

def test_release_accepted_and_recent_enough(bare_site, tmp_path):
    """The site runs the release of its newest acceptance in the journal (else its site file's),
    which must be accepted there: the catalog's status is history, not a decision."""
    site, journal = bare_site
    ctx = context(site, journal, [service("app", min_release="r1"), service("new", min_release="r2")])
    undecided = release(ctx, ctx.catalog.service("app"))
    assert outcome(undecided) == "FAIL"
    assert undecided.summary == "release r1 is not decided in the journal, not accepted"
    assert "logius-migrate release accept r1 --by NAME --reason TEXT" in undecided.remedy
    accept_release(journal, "r1", "test-site")
    assert outcome(release(ctx, ctx.catalog.service("app"))) == "PASS"
    late = release(ctx, ctx.catalog.service("new"))
    assert outcome(late) == "FAIL" and late.summary == "the site runs r1; new needs r2 or later"
    assert "release accept r2" in late.remedy and "lab deliver" not in late.remedy
    accept_release(journal, "r2", "another-site")  # validated elsewhere: this site stays on r1
    assert outcome(release(ctx, ctx.catalog.service("new"))) == "FAIL"
    accept_release(journal, "r2", "test-site")
    assert outcome(release(ctx, ctx.catalog.service("new"))) == "PASS"
    accept_release(journal, "r2", "test-site", decision="rejected")
    rejected = release(ctx, ctx.catalog.service("new"))
    assert outcome(rejected) == "FAIL" and rejected.summary.startswith("release r2 is rejected on ")
    none = context(write_site(tmp_path / "none", name="elsewhere"), journal)
    nothing = release(none, none.catalog.service("app"))
    assert outcome(nothing) == "FAIL" and nothing.summary.startswith("the site runs no accepted release")


# -- PRE-BLK-001 -------------------------------------------------------------------------------

def test_blockers_in_every_scope_and_state(bare_site):
    site, journal = bare_site
    ctx = context(site, journal, wave=2)
    app = ctx.catalog.service("app")
    assert outcome(blockers(ctx, app)) == "PASS"
    minor = add_blocker(journal, "service:app", "minor", "typo in the runbook", "ann", "ann")
    assert outcome(blockers(ctx, app)) == "PASS"
    major = add_blocker(journal, "wave:2", "major", "slow storage", "bob", "bob")
    assert outcome(blockers(ctx, app)) == "WARN"
    blocking = add_blocker(journal, "release:r1", "blocking", "ingress drops TLS", "supplier", "ann")
    result = blockers(ctx, app)
    assert outcome(result) == "FAIL" and result.summary == f"blocked by {blocking.id}: ingress drops TLS"
    change(journal, blocking.id, "waive", "ann", "workaround in place", ("cio", NOW.date()))
    assert outcome(blockers(ctx, app)) == "WARN"  # waived until today: the major one is left
    later = context(site, journal, wave=2, now=NOW + dt.timedelta(days=1))
    expired = blockers(later, app)
    assert outcome(expired) == "FAIL" and "waiver expired" in expired.answer
    change(journal, blocking.id, "resolve", "ann", "fixed in r1.1")
    change(journal, major.id, "resolve", "bob", "storage replaced")
    assert outcome(blockers(later, app)) == "PASS"
    add_blocker(journal, "platform", "blocking", "datacentre power", "ops", "ops")
    assert outcome(blockers(ctx, app)) == "FAIL"
    assert minor.id == "BLK-0001"


def test_a_resolution_needs_a_reason(bare_site):
    from orchestrator.errors import InputError

    _, journal = bare_site
    blocker = add_blocker(journal, "service:app", "blocking", "x", "ann", "ann")
    with pytest.raises(InputError, match="needs --reason"):
        change(journal, blocker.id, "resolve", "ann", "  ")


# -- PRE-DEP-001 -------------------------------------------------------------------------------

def test_hard_dependencies_moved_first(bare_site):
    site, journal = bare_site
    services = [service("db"), service("app", dependencies=[{"service": "db"}]),
                service("old", disposition="retire"), service("user", dependencies=[{"service": "old"}])]
    ctx = context(site, journal, services)
    assert outcome(dependencies(ctx, ctx.catalog.service("db"))) == "PASS"
    waiting = dependencies(ctx, ctx.catalog.service("app"))
    assert outcome(waiting) == "FAIL" and waiting.answer == "db: legacy"
    assert outcome(dependencies(ctx, ctx.catalog.service("user"))) == "PASS"  # retired: not a move
    same_wave = context(site, journal, services, members=["db", "app"])
    assert outcome(dependencies(same_wave, same_wave.catalog.service("app"))) == "PASS"
    journal.set_service_state("db", "cut-over", None)
    assert outcome(dependencies(ctx, ctx.catalog.service("app"))) == "PASS"


# -- PRE-CON-001 -------------------------------------------------------------------------------

def plan_with(waves) -> SavedPlan:
    return SavedPlan(id=7, saved_by="ann", saved_at=0, options={}, catalog_hash="", catalog_files={},
                     site_name="test-site", site_hash="", waves=waves, approved_by="bob",
                     approved_at=0, approval_reason="ok")


def test_no_contract_change_in_the_waves_window(bare_site):
    site, journal = bare_site
    services = [service("app", contract_change={"date": "2027-03-10"}), service("plain")]
    plan = plan_with([{"number": 1, "start": "2027-03-01", "end": "2027-03-28", "services": ["app"]},
                      {"number": 2, "start": "2027-03-29", "end": "2027-04-25", "services": []}])
    inside = context(site, journal, services, plan=plan, wave=1)
    result = contract_change(inside, inside.catalog.service("app"))
    assert outcome(result) == "FAIL"
    assert "falls in wave 1 as it runs (2027-03-10 to 2027-03-28)" in result.summary
    on_time = dt.datetime(2027, 3, 29, 9, tzinfo=dt.UTC)
    outside = context(site, journal, services, plan=plan, wave=2, now=on_time)
    assert outcome(contract_change(outside, outside.catalog.service("app"))) == "PASS"
    early = context(site, journal, services, plan=plan, wave=2)  # wave 2 run on the day of the change
    assert outcome(contract_change(early, early.catalog.service("app"))) == "FAIL"
    late = context(site, journal, services, plan=plan, wave=1, now=dt.datetime(2027, 4, 2, tzinfo=dt.UTC))
    assert outcome(contract_change(late, late.catalog.service("app"))) == "PASS"  # after the change
    assert outcome(contract_change(outside, outside.catalog.service("plain"))) == "PASS"
    unplanned = context(site, journal, services)
    assert outcome(contract_change(unplanned, unplanned.catalog.service("app"))) == "INCONCLUSIVE"


# -- PRE-BAK-001 -------------------------------------------------------------------------------

DATA = [{"name": "app-db", "size_gb": 1, "sync": "rsync"}]

def test_backups_by_marker(bare_site, tmp_path):
    _, journal = bare_site
    site = write_site(tmp_path / "marked", backups={"marker": "{site_dir}/backups/{host}/{service}.stamp"})
    services = [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA, backup_max_age_hours=12)]
    ctx = context(site, journal, services, now=dt.datetime.now(dt.UTC))
    app = ctx.catalog.service("app")
    missing = backups(ctx, app)
    assert outcome(missing) == "FAIL" and "no backup found" in missing.summary
    marker = tmp_path / "marked" / "backups" / "legacy-app" / "app.stamp"
    marker.parent.mkdir(parents=True)
    marker.touch()
    assert outcome(backups(ctx, app)) == "PASS"
    old = time.time() - 13 * 3600
    os.utime(marker, (old, old))
    stale = backups(ctx, app)
    assert outcome(stale) == "FAIL" and stale.summary == "last backup 13.0 h ago, limit 12.0 h"
    marker.write_text((dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat())
    assert outcome(backups(ctx, app)) == "PASS"  # the time written in it counts


def test_backups_apply_to_legacy_data_and_their_remedy_names_the_sites_backup_job(bare_site, tmp_path):
    """A new build (no legacy host) and a service without data stores have no legacy data to back
    up; a missing backup's remedy is the command the site names for taking one."""
    _, journal = bare_site
    site = write_site(tmp_path / "marked", backups={"marker": "{site_dir}/backups/{host}/{service}.stamp",
                                                    "take": "logius-migrate lab backup"})
    services = [service("fresh", disposition="new-build", hosts={"target": ["lpc-fresh"]}, data_stores=DATA),
                service("stateless", hosts={"legacy": ["legacy-s"], "target": ["lpc-s"]}),
                service("app", hosts={"legacy": ["legacy-app"], "target": ["lpc-app"]}, data_stores=DATA)]
    ctx = context(site, journal, services, now=dt.datetime.now(dt.UTC))
    for sid in ("fresh", "stateless"):
        result = backups(ctx, ctx.catalog.service(sid))
        assert outcome(result) == "PASS" and result.summary.startswith("no legacy data to back up"), result
    missing = backups(ctx, ctx.catalog.service("app"))
    assert outcome(missing) == "FAIL" and missing.remedy == "take a fresh backup: logius-migrate lab backup"


def test_backups_by_command_and_without_a_source(bare_site, tmp_path):
    site, journal = bare_site
    ctx = context(site, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)])
    assert outcome(backups(ctx, ctx.catalog.service("app"))) == "INCONCLUSIVE"
    fresh = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    good = write_site(tmp_path / "cmd", backups={"command": ["echo", fresh]})
    ctx = context(good, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)],
                  now=dt.datetime.now(dt.UTC))
    assert outcome(backups(ctx, ctx.catalog.service("app"))) == "PASS"
    broken = write_site(tmp_path / "broken", backups={"command": ["false"]})
    ctx = context(broken, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)])
    [result] = run_checks(ctx, ctx.catalog.service("app"), only={"PRE-BAK-001"})
    assert outcome(result) == "INCONCLUSIVE" and "false exited 1" in result.summary
    hung = write_site(tmp_path / "hung", backups={"command": ["sleep", "5"], "timeout_seconds": 1})
    ctx = context(hung, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)])
    [result] = run_checks(ctx, ctx.catalog.service("app"), only={"PRE-BAK-001"})
    assert outcome(result) == "INCONCLUSIVE" and "sleep gave no answer within 1 s" in result.summary
    absent = write_site(tmp_path / "absent", backups={"command": ["/nonexistent/backup-age"]})
    ctx = context(absent, journal, [service("app", hosts={"legacy": ["legacy-app"]}, data_stores=DATA)])
    [result] = run_checks(ctx, ctx.catalog.service("app"), only={"PRE-BAK-001"})
    assert outcome(result) == "INCONCLUSIVE"
    assert "/nonexistent/backup-age cannot be run: No such file or directory" in result.summary


# -- PRE-AVL-001 -------------------------------------------------------------------------------

def test_downtime_against_the_periods_budget(bare_site):
    """The budget is the norm's share of the period holding the moment: a month by default (the
    30 days of April 2027: 0.2% is 86.4 min), or the period the calendar states."""
    site, journal = bare_site
    services = [service("app", availability_norm=99.8, size="M"),
                service("tight", availability_norm=99.99), service("unknown"),
                service("big", availability_norm=99.8, expected_downtime_minutes=120)]
    april = dt.datetime(2027, 4, 10, 12, tzinfo=dt.UTC)
    ctx = context(site, journal, services, now=april)
    app = budget(ctx, ctx.catalog.service("app"))
    assert outcome(app) == "PASS" and app.answer == ("0.0 min used, 86.4 min left; expected 30 min "
                                                     "(default for size M)")
    assert "month 2027-04-01..2027-04-30" in app.summary
    tight = budget(ctx, ctx.catalog.service("tight"))
    assert outcome(tight) == "FAIL" and "exceeds the 4.3 min left" in tight.summary
    assert outcome(budget(ctx, ctx.catalog.service("big"))) == "FAIL"
    four = context(site, journal, services, now=april, calendar={"availability_period": "four-months"})
    big = budget(four, four.catalog.service("big"))
    assert outcome(big) == "PASS" and "of 345.6 min left in four-months 2027-01-01..2027-04-30" in big.summary
    assert outcome(budget(ctx, ctx.catalog.service("unknown"))) == "INCONCLUSIVE"
    with_norm = context(site, journal, services, calendar={"availability_norm": 99.5})
    assert outcome(budget(with_norm, with_norm.catalog.service("unknown"))) == "PASS"


def test_downtime_already_journalled_counts_against_the_budget(bare_site):
    from sqlalchemy import update

    from orchestrator.journal import schema

    site, journal = bare_site
    journal.create_run("wave-1", 1, "wave", "ann")
    for step, seq in (("freeze", 4), ("cutover", 7)):
        journal.begin_step("wave-1", "app", step, seq)
        journal.finish_step(f"wave-1/app/{step}", "done")
    start = NOW.timestamp() - 70 * 60  # the freeze began 70 minutes before NOW, cutover ended at NOW
    with journal.engine.begin() as connection:
        connection.execute(update(schema.executions).where(schema.executions.c.step == "freeze")
                           .values(started_at=start))
        connection.execute(update(schema.executions).where(schema.executions.c.step == "cutover")
                           .values(finished_at=NOW.timestamp()))
    ctx = context(site, journal, [service("app", availability_norm=99.8, expected_downtime_minutes=20)])
    result = budget(ctx, ctx.catalog.service("app"))
    assert outcome(result) == "FAIL" and result.answer.startswith("70.0 min used, 19.3 min left")  # 31 days
    next_month = context(site, journal, [service("app", availability_norm=99.8,
                                                 expected_downtime_minutes=20)],
                         now=dt.datetime(2027, 4, 2, tzinfo=dt.UTC))
    assert outcome(budget(next_month, next_month.catalog.service("app"))) == "PASS"


# -- PRE-TF-001, overrides and stopping ----------------------------------------------------------

def test_nothing_protected_passes_without_planning(bare_site):
    site, journal = bare_site
    ctx = context(site, journal)
    result = terraform(ctx, ctx.catalog.service("app"))
    assert outcome(result) == "PASS" and "no resource is marked protected" in result.summary


def test_inconclusive_stops_unless_the_site_warns_and_an_override_lets_one_check_pass(bare_site):
    site, journal = bare_site
    accept_release(journal, "r1", "test-site")
    ctx = context(site, journal, [service("app", availability_norm=99.99, hosts={"legacy": ["legacy-app"]},
                                          data_stores=DATA)])
    results = run_checks(ctx, ctx.catalog.service("app"))
    assert [r.check_id for r in results] == sorted(r.check_id for r in results)
    stops = {r.check_id for r in stopping(results, "fail")}
    assert stops == {"PRE-AVL-001", "PRE-BAK-001", "PRE-K8S-001"}  # a FAIL and two INCONCLUSIVE
    assert {r.check_id for r in stopping(results, "warn")} == {"PRE-AVL-001"}
    overridden = with_overrides(results, {"PRE-AVL-001": "approved by the CAB"}, "ann")
    assert not stopping(overridden, "warn")
    [avl] = [r for r in overridden if r.check_id == "PRE-AVL-001"]
    assert avl.overridden_by == "ann" and avl.outcome is Outcome.FAIL


def test_the_terraform_check_plans_with_the_planner_it_is_given(tmp_path):
    """PRE-TF-001 asks the planner the checks receive (the engine gives one per session), not the
    engine itself: without one it is inconclusive; a planned delete of a protected address fails."""
    from orchestrator.journal import Journal, resolve_url

    path = write_site(tmp_path / "site", release="r1",
                      terraform={"work_dir": "work", "modules": {"rehost": "module"},
                                 "protected": ["module.db.*"]})
    journal = Journal(resolve_url(tmp_path / "site" / "journal.db", None))
    try:
        unplanned = context(path, journal)
        assert outcome(terraform(unplanned, unplanned.catalog.service("app"))) == "INCONCLUSIVE"
        asked = []

        def planner(changes):
            def plan(service):
                asked.append(service.id)
                return changes
            return plan

        keeps = context(path, journal, planner=planner([{"address": "module.db.x", "actions": ["update"]}]))
        assert outcome(terraform(keeps, keeps.catalog.service("app"))) == "PASS"
        doomed = context(path, journal, planner=planner([{"address": "module.db.x", "actions": ["delete"]}]))
        result = terraform(doomed, doomed.catalog.service("app"))
        assert outcome(result) == "FAIL" and result.summary == "the plan destroys protected module.db.x"
        assert asked == ["app", "app"]
    finally:
        journal.close()
