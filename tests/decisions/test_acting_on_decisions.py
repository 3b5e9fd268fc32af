"""What acts on a decision checks it first, through the command line on the smallest lab: a plan's
approval forged with SQL, a release acceptance or a waiver forged with SQL, each refused before
any change; on the signed lab (ann and bob's keys), the whole path from save to a run."""

from __future__ import annotations

import json

from sqlalchemy import text

from orchestrator.journal import Journal, resolve_url
from tests.conftest import accept_release
from tests.engine.conftest import approve_plan, host_files, make_lab, one_service_catalog, state_files
from tests.engine.test_gates import RELEASES, alpha, catalog_with, set_site


def wave_run(run_cli, catalog, layout, command="run", *extra):
    return run_cli("wave", command, "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root),
                   *extra)


def sql(layout, statement: str, **values) -> None:
    with Journal(resolve_url(layout.journal, None)) as journal, journal.engine.begin() as connection:
        connection.execute(text(statement), values)


def nothing_ran(layout) -> bool:
    with Journal(resolve_url(layout.journal, None)) as journal:
        return journal.runs() == [] and journal.executions() == []


def test_an_approval_forged_with_sql_is_refused_before_any_change(tmp_path, isolated_env, run_cli):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    hosts, state = host_files(layout), state_files(layout)
    saved = run_cli("plan", "save", "--catalog", str(catalog), "--lab", str(layout.root), "--by", "eve")
    assert saved.exit_code == 0, saved.stderr
    sql(layout, "update plans set approved_by = 'mallory', approved_at = 1.0e9, approval_reason = 'CAB' "
                "where id = 1")
    forged = wave_run(run_cli, catalog, layout)
    assert forged.exit_code == 2, forged.output
    assert forged.stderr == ("error: plan 1: its approval by mallory is no decision in the journal (a row "
                             "written around the tool); approve it again: logius-migrate plan approve 1; "
                             "not acted on\n")
    assert nothing_ran(layout) and host_files(layout) == hosts and state_files(layout) == state

    approved = run_cli("plan", "approve", "1", "--by", "bob", "--reason", "CAB 12", "--lab", str(layout.root))
    assert approved.exit_code == 0, approved.stderr
    sql(layout, "update plans set approved_by = 'eve' where id = 1")  # eve approves her own plan
    changed = wave_run(run_cli, catalog, layout)
    assert changed.exit_code == 2
    assert changed.stderr == ("error: decision 2 (plan-approval plan 1): its statement says by 'bob', the "
                              "journal 'eve'; not acted on\n")
    assert nothing_ran(layout) and host_files(layout) == hosts and state_files(layout) == state


def test_a_forged_acceptance_or_waiver_holds_the_service_before_any_change(tmp_path, isolated_env,
                                                                            run_cli):
    catalog = catalog_with(tmp_path / "catalog", [alpha(min_release="r1")], RELEASES)
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    set_site(layout, release="r1")
    with Journal(resolve_url(layout.journal, None)) as journal:
        accept_release(journal, "r1", "lab")
    approve_plan(catalog, layout)
    hosts, state = host_files(layout), state_files(layout)
    sql(layout, "update release_decisions set by = 'eve'")
    forged = wave_run(run_cli, catalog, layout)
    assert forged.exit_code == 7, forged.output
    assert "its statement says by 'release-board', the journal 'eve'; not acted on" in forged.stderr
    sql(layout, "update release_decisions set by = 'release-board'")
    added = run_cli("blocker", "add", "--scope", "platform", "--severity", "blocking", "--title",
                    "firewall change pending", "--owner", "network", "--lab", str(layout.root))
    assert added.exit_code == 0, added.stderr
    sql(layout, "update blockers set status = 'waived', waiver_owner = 'eve', waiver_expires = '2099-01-01'")
    waived = wave_run(run_cli, catalog, layout, "resume")
    assert waived.exit_code == 7, waived.output
    assert ("PRE-BLK-001 FAIL: BLK-0001 is waived, but no blocker-waived decision made it so (a row written "
            "around the tool); not acted on") in waived.stderr
    assert host_files(layout) == hosts and state_files(layout) == state


def test_the_signed_lab_from_saving_a_plan_to_running_its_wave(tmp_path, isolated_env, run_cli,
                                                               monkeypatch):
    monkeypatch.delenv("LOGIUS_MIGRATE_SIGNING_KEY", raising=False)
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False, signing=True)
    lab = ["--lab", str(layout.root)]
    unsigned = run_cli("plan", "save", "--catalog", str(catalog), *lab, "--by", "carol")
    assert unsigned.exit_code == 2
    assert unsigned.stderr == ("error: plan-saved plan 1: unsigned, and the site requires signatures "
                               "(signing.require_signatures): sign it with --sign-with KEY\n")
    saved = run_cli("plan", "save", "--catalog", str(catalog), *lab, "--by", "ann")  # the lab's key of ann
    assert saved.exit_code == 0, saved.stderr
    own = run_cli("plan", "approve", "1", "--reason", "CAB 12", *lab, "--sign-with", str(layout.keys / "ann"))
    assert own.exit_code == 2
    assert own.stderr.startswith("error: plan 1 was saved by ann: a plan is approved by someone else")
    assert own.stderr.count("\n") == 1
    other = run_cli("plan", "approve", "1", "--reason", "CAB 12", *lab,
                    "--sign-with", str(layout.keys / "bob.pub").removesuffix(".pub"))
    assert other.exit_code == 0 and other.stdout == "plan 1 approved by bob: CAB 12\n", other.stderr
    override = ["--override", "PRE-BLK-001", "--reason", "known issue"]
    unsigned_override = wave_run(run_cli, catalog, layout, "run", *override)
    assert unsigned_override.exit_code == 2 and unsigned_override.stderr == (
        "error: check-override wave 1 PRE-BLK-001: unsigned, and the site requires signatures "
        "(signing.require_signatures): sign it with --sign-with KEY\n")
    assert nothing_ran(layout)
    ran = wave_run(run_cli, catalog, layout, "run", *override, "--by", "bob")  # the lab's key of bob
    assert ran.exit_code == 0, ran.stderr
    forced = ["rollback", "alpha", "--force", "--reason", "the supplier asks", "--catalog", str(catalog),
              *lab]
    unsigned_rollback = run_cli(*forced, "--by", "carol")
    assert unsigned_rollback.exit_code == 2
    assert unsigned_rollback.stderr.startswith("error: forced-rollback rollback alpha to point 1: unsigned")
    rolled = run_cli(*forced, "--sign-with", str(layout.keys / "ann"))
    assert rolled.exit_code == 0, rolled.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        from orchestrator.journal.decisions import all_decisions, verify_all

        made = [(d.kind, d.subject, d.principal) for d in all_decisions(journal)]
        assert made[-5:] == [("plan-saved", "plan 1", "ann"), ("plan-approval", "plan 1", "bob"),
                             ("check-override", "wave 1 PRE-BLK-001", "bob"),
                             ("cutover-approval", "wave 1 run wave-1", "bob"),  # the gate's --approve
                             ("forced-rollback", "rollback alpha to point 1", "ann")]
        assert verify_all(journal, layout.site().signing) == []


def test_the_decision_commands_sign_with_the_key_given(tmp_path, keys, run_cli, monkeypatch):
    from tests.checks.conftest import write_site
    from tests.conftest import service, write_catalog
    from tests.decisions.conftest import allowed_signers

    monkeypatch.delenv("LOGIUS_MIGRATE_SIGNING_KEY", raising=False)
    catalog = ["--catalog", str(write_catalog(tmp_path / "catalog", {"c.yaml": {
        "services": [service("s0")], "calendar": {"planning_start": "2027-01-04"}}}))]
    allowed_signers(tmp_path / "site", keys)
    site = ["--site", str(write_site(tmp_path / "site", signing={
        "allowed_signers": "allowed_signers", "require_signatures": True}))]
    saved = run_cli("plan", "save", *catalog, *site, "--sign-with", str(keys["ann"]))
    assert saved.exit_code == 0 and saved.stdout.startswith("plan 1 saved by ann:"), saved.stderr
    typed = run_cli("plan", "approve", "1", "--by", "carol", "--reason", "CAB", *site, "--sign-with",
                    str(keys["bob"]))
    assert typed.exit_code == 2 and typed.stderr.count("\n") == 1
    assert typed.stderr.startswith("error: plan-approval plan 1: --by carol, but the key ")
    approved = run_cli("plan", "approve", "1", "--by", "Bob ", "--reason", "CAB", *site, "--sign-with",
                       str(keys["bob"]))
    assert approved.stdout == "plan 1 approved by bob: CAB\n", approved.stderr
    added = run_cli("blocker", "add", "--scope", "platform", "--severity", "major", "--title", "t",
                    "--owner", "o", *site)  # not a decision: nothing to sign
    assert added.exit_code == 0, added.stderr
    eve = run_cli("blocker", "waive", "BLK-0001", "--owner", "cio", "--reason", "r", "--expires",
                  "2099-01-01", *site, "--sign-with", str(keys["eve"]))
    assert eve.exit_code == 2 and "is not in the allowed signers" in eve.stderr
    assert eve.stderr.count("\n") == 1
    waived = run_cli("blocker", "waive", "BLK-0001", "--owner", "cio", "--reason", "r", "--expires",
                     "2099-01-01", *site, "--sign-with", str(keys["bob"]))
    assert waived.exit_code == 0 and waived.stdout == "BLK-0001: waived\n", waived.stderr
    intact = run_cli("journal", "verify", *site, "--format", "json")
    assert intact.exit_code == 0 and json.loads(intact.stdout)["decisions"] == [], intact.output
    sql_at = tmp_path / "site" / "journal.db"
    with Journal(resolve_url(sql_at, None)) as journal, journal.engine.begin() as connection:
        connection.execute(text("update decisions set statement = replace(statement, 'CAB', 'cab') "
                                "where kind = 'plan-approval'"))
    tampered = json.loads(run_cli("journal", "verify", *site, "--format", "json").stdout)
    assert [d["record"] for d in tampered["decisions"]] == ["decision 2 (plan-approval plan 1)"]
    help_text = " ".join(run_cli("plan", "approve", "--help").stdout.split())
    assert "private key file, or a .pub whose key is in your" in help_text
