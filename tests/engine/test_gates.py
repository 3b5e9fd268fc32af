"""The gates on the lab, through the command line: waves refused before any change (unaccepted
release, open blocker, stale plan, unapproved plan) with the lab byte-identical; a service that
fails mid-wave is held with its dependant while the independent one finishes, and a blocker is
opened for it; an override is journalled with the operator's name; Terraform's plan is checked
for protected resources."""

from __future__ import annotations

import json

import yaml

from orchestrator.journal import Journal, resolve_url
from orchestrator.journal.evidence import results
from tests.conftest import accept_release, service
from tests.engine.conftest import approve_plan, host_files, make_lab, small_catalog, state_files

RELEASES = [{"id": "r1", "name": "R1", "status": "accepted", "available": "2024-06-03"},
            {"id": "r2", "name": "R2", "status": "delivered", "available": "2024-12-02"}]


def catalog_with(folder, services, releases=()):
    path = small_catalog(folder, services)
    data = yaml.safe_load((path / "catalog.yaml").read_text())
    data["releases"] = list(releases)
    (path / "catalog.yaml").write_text(yaml.safe_dump(data))
    return path


def set_site(layout, **fields):
    site = yaml.safe_load(layout.site_file.read_text())
    site.update(fields)
    layout.site_file.write_text(yaml.safe_dump(site))


def alpha(**fields):
    return service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]}, **fields)


def beta(**fields):
    return service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]}, **fields)


def wave(run_cli, catalog, layout, *extra, command="run"):
    return run_cli("wave", command, "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root),
                   *extra)


def test_waves_are_refused_before_any_change(tmp_path, isolated_env, run_cli):
    catalog = catalog_with(tmp_path / "catalog", [alpha(min_release="r1"), beta()], RELEASES)
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    hosts, state = host_files(layout), state_files(layout)

    unapproved = wave(run_cli, catalog, layout)
    assert unapproved.exit_code == 2 and "no approved plan" in unapproved.stderr
    run_cli("plan", "save", "--catalog", str(catalog), "--lab", str(layout.root), "--by", "ann")
    pending = wave(run_cli, catalog, layout)
    assert "plan 1 is saved but not approved: logius-migrate plan approve 1" in pending.stderr

    set_site(layout, release="r2")  # a release the journal has not accepted
    stale = wave(run_cli, catalog, layout, "--plan", "1")
    assert stale.exit_code == 2 and "plan 1 is not approved" in stale.stderr
    approve_plan(catalog, layout)
    set_site(layout, release="r2", allow_self_approval=True)
    changed = wave(run_cli, catalog, layout)
    assert changed.exit_code == 2 and f"site file {layout.site_file} changed" in changed.stderr
    approve_plan(catalog, layout)
    unaccepted = wave(run_cli, catalog, layout)
    assert unaccepted.exit_code == 7, unaccepted.stderr
    assert "error: alpha: PRE-REL-001 FAIL: release r2 is not decided in the journal, not accepted" in \
        unaccepted.stderr
    assert host_files(layout) == hosts and state_files(layout) == state

    set_site(layout, release="r1")
    with Journal(resolve_url(layout.journal, None)) as journal:
        accept_release(journal, "r1", "lab")
    approve_plan(catalog, layout)
    blocker = run_cli("blocker", "add", "--scope", "platform", "--severity", "blocking", "--title",
                      "firewall change pending", "--owner", "network", "--lab", str(layout.root))
    assert blocker.stdout == "BLK-0001\n"
    blocked = wave(run_cli, catalog, layout, command="resume")
    assert blocked.exit_code == 7
    assert "alpha: PRE-BLK-001 FAIL: blocked by BLK-0001: firewall change pending" in blocked.stderr
    assert host_files(layout) == hosts and state_files(layout) == state
    with Journal(resolve_url(layout.journal, None)) as journal:
        evidence = [r for r in results(journal) if r.check_id == "PRE-BLK-001" and r.outcome == "FAIL"]
    assert evidence and "BLK-0001 blocking platform" in evidence[-1].evidence["answer"]


def test_a_failing_service_is_held_with_its_dependant_while_the_other_finishes(tmp_path, isolated_env,
                                                                             run_cli):
    catalog = catalog_with(tmp_path / "catalog", [
        alpha(), beta(), service("gamma", hosts={"legacy": ["legacy-gamma"], "target": ["lpc-gamma"]},
                                 dependencies=[{"service": "alpha", "kind": "soft"}])])
    layout = make_lab(tmp_path / "lab", catalog)
    fault = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.prepare-target.always"
    fault.write_text("always")
    partial = wave(run_cli, catalog, layout, "--format", "json")
    assert partial.exit_code == 7
    assert "error: alpha: prepare-target failed (BLK-0001): failed after 2 attempt(s): " in partial.stderr
    assert "error: beta" not in partial.stderr and "error: gamma" not in partial.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        states = {sid: journal.service_state(sid).state for sid in ("alpha", "beta", "gamma")}
        assert states == {"alpha": "in-flight", "beta": "cut-over", "gamma": "cut-over"}
        assert journal.run("wave-1").status == "partial"
    shown = json.loads(run_cli("blocker", "show", "BLK-0001", "--lab", str(layout.root), "--format",
                               "json").stdout)
    assert shown["scope"] == "service:alpha" and shown["severity"] == "blocking"
    fault_line = "failed lpc-alpha: lab fault injected: alpha prepare-target on lpc-alpha"
    assert shown["evidence"].splitlines() == [f"attempt {n}: {fault_line}" for n in (1, 2)]

    fault.unlink()
    still = wave(run_cli, catalog, layout, command="resume")
    assert still.exit_code == 7 and "PRE-BLK-001 FAIL: blocked by BLK-0001" in still.stderr
    run_cli("blocker", "resolve", "BLK-0001", "--reason", "fault removed", "--lab", str(layout.root))
    done = wave(run_cli, catalog, layout, command="resume")
    assert done.exit_code == 0, done.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        assert journal.service_state("alpha").state == "cut-over"


def test_an_override_is_journalled_with_the_operators_name_and_ends_with_its_run(tmp_path, isolated_env,
                                                                                 run_cli):
    catalog = catalog_with(tmp_path / "catalog", [alpha()])
    layout = make_lab(tmp_path / "lab", catalog)
    added = run_cli("blocker", "add", "--scope", "service:alpha", "--severity", "blocking", "--title",
                    "DNS cut-over not rehearsed", "--owner", "network", "--lab", str(layout.root),
                    "--catalog", str(catalog))
    assert added.exit_code == 0, added.stderr
    overridden = wave(run_cli, catalog, layout, "--override", "PRE-BLK-001", "--reason",
                      "CAB 47 accepted the risk")
    assert overridden.exit_code == 0, overridden.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        events = [e.message for e in journal.events("wave-1") if e.kind == "override"]
        owner = journal.run("wave-1").owner
        evidence = [r for r in results(journal, run_id="wave-1") if r.check_id == "PRE-BLK-001"]
    assert len(events) == 1 and events[0].startswith(
        f"override applied: PRE-BLK-001 FAIL for alpha let pass by {owner}: CAB 47 accepted the risk (")
    assert events[0] in overridden.stderr, "printed when applied"
    assert evidence[0].overridden_by == owner and evidence[0].outcome == "FAIL"
    assert evidence[0].override_reason == "CAB 47 accepted the risk"
    after = run_cli("check", "alpha", "--catalog", str(catalog), "--lab", str(layout.root), "--format",
                    "json")
    assert after.exit_code == 1  # the override ended with its run
    verdict = {r["check"]: r for r in json.loads(after.stdout)["results"]}["PRE-BLK-001"]
    assert verdict["outcome"] == "FAIL" and verdict["overridden_by"] is None
    unknown = wave(run_cli, catalog, layout, "--override", "PRE-NOPE-1", "--reason", "x")
    assert unknown.exit_code == 2 and "--override PRE-NOPE-1: no such check" in unknown.stderr
    bare = wave(run_cli, catalog, layout, "--override", "PRE-BLK-001")
    assert bare.exit_code == 2 and "--override needs --reason TEXT" in bare.stderr


def test_a_plan_that_destroys_a_protected_resource_is_held(tmp_path, isolated_env):
    from orchestrator.checks import run_checks
    from orchestrator.engine.gates import check_context
    from orchestrator.engine.tools import stack_for, tf_variables
    from tests.engine.conftest import session

    catalog = catalog_with(tmp_path / "catalog", [alpha(min_release="r1")], RELEASES)
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    set_site(layout, terraform={**yaml.safe_load(layout.site_file.read_text())["terraform"],
                                "protected": ["module.landing_zone.*"]})
    with session(catalog, layout) as ctx:
        service_ = ctx.service("alpha")
        checks = check_context(ctx, 1, ["alpha"], None)
        [fresh] = run_checks(checks, service_, only={"PRE-TF-001"})
        assert fresh.outcome.value == "PASS", fresh  # creates only
        stack_for(ctx, service_, "test").apply(tf_variables(ctx, service_))
        [same] = run_checks(checks, service_, only={"PRE-TF-001"})
        assert same.outcome.value == "PASS" and same.answer == "no changes"
    moved = catalog_with(tmp_path / "moved", [alpha(min_release="r2")], RELEASES)  # replaces it
    with session(moved, layout) as ctx:
        [doomed] = run_checks(check_context(ctx, 1, ["alpha"], None), ctx.service("alpha"),
                              only={"PRE-TF-001"})
    assert doomed.outcome.value == "FAIL", doomed
    assert doomed.summary.startswith("the plan destroys protected module.landing_zone.")


def test_an_override_for_one_service_leaves_its_wave_mates_check_failing(tmp_path, isolated_env, run_cli):
    """`--override CHECK:SERVICE` lets that check pass for that service alone; the operator comes
    from --by, with $USER and $LOGNAME unset; wave status shows the override."""
    from orchestrator.identity import login_name

    catalog = catalog_with(tmp_path / "catalog", [alpha(), beta()])
    layout = make_lab(tmp_path / "lab", catalog)
    for sid in ("alpha", "beta"):
        added = run_cli("blocker", "add", "--scope", f"service:{sid}", "--severity", "blocking", "--title",
                        f"{sid} not rehearsed", "--owner", "ops", "--lab", str(layout.root), "--catalog",
                        str(catalog))
        assert added.exit_code == 0, added.stderr
    anonymous = {"USER": None, "LOGNAME": None, "LOGIUS_MIGRATE_OPERATOR": None}
    foreign = wave(run_cli, catalog, layout, "--override", "PRE-BLK-001:gamma", "--reason", "x")
    assert foreign.exit_code == 2
    assert "--override PRE-BLK-001:gamma: gamma is not in this wave" in foreign.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        assert journal.runs() == [], "a foreign override is refused before a run starts"
    partial = run_cli("wave", "run", "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root),
                      "--override", "PRE-BLK-001:alpha", "--reason", "CAB 48", "--by", "ann", env=anonymous)
    assert partial.exit_code == 7, partial.stderr
    assert "override applied: PRE-BLK-001 FAIL for alpha let pass by ann@" in partial.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        assert journal.run("wave-1").owner.startswith("ann@")
        assert journal.service_state("alpha").state == "cut-over"
        assert journal.service_state("beta").state == "legacy"
        verdicts = {r.service: r for r in results(journal, run_id="wave-1")
                    if r.check_id == "PRE-BLK-001"}
    assert verdicts["beta"].outcome == "FAIL" and verdicts["beta"].overridden_by is None
    assert verdicts["alpha"].overridden_by.startswith("ann@")
    status = run_cli("wave", "status", "1", "--lab", str(layout.root))
    assert "  override applied: PRE-BLK-001 FAIL for alpha let pass by ann@" in status.stdout
    shown = run_cli("journal", "show", "--lab", str(layout.root))
    assert "override applied: PRE-BLK-001 FAIL for alpha" in shown.stdout
    resumed = run_cli("wave", "resume", "1", "--approve", "--catalog", str(catalog), "--lab",
                      str(layout.root), env=anonymous)
    assert resumed.exit_code == 7
    with Journal(resolve_url(layout.journal, None)) as journal:
        resumes = [e.message for e in journal.events("wave-1") if e.kind == "resume"]
    assert resumes and resumes[-1].startswith(f"resumed by {login_name()}@"), resumes
    assert "unknown" not in resumes[-1]
