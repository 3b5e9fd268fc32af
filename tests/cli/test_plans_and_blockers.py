"""`plan save|approve|list|show|diff` and `blocker add|list|show|mitigate|waive|resolve` through
the command line, on a bare site with a real SQLite journal."""

from __future__ import annotations

import json

import pytest

from tests.checks.conftest import write_site
from tests.conftest import service, write_catalog


@pytest.fixture
def where(tmp_path):
    catalog = write_catalog(tmp_path / "catalog", {"c.yaml": {
        "services": [service(f"s{i}") for i in range(5)],
        "calendar": {"planning_start": "2027-01-04"}}})
    site = write_site(tmp_path / "site", release="r1")
    return {"catalog": ["--catalog", str(catalog)], "site": ["--site", str(site)], "path": site}


def test_a_plan_is_saved_then_approved_by_someone_else(where, run_cli):
    saved = run_cli("plan", "save", *where["catalog"], *where["site"], "--by", "ann", "--format", "json")
    assert saved.exit_code == 0, saved.stderr
    assert json.loads(saved.stdout)["id"] == 1
    mine = run_cli("plan", "approve", "1", "--by", "ann", "--reason", "looks fine", *where["site"])
    assert mine.exit_code == 2
    assert "error: plan 1 was saved by ann: a plan is approved by someone else" in mine.stderr
    theirs = run_cli("plan", "approve", "1", "--by", "bob", "--reason", "CAB 12", *where["site"])
    assert theirs.exit_code == 0 and theirs.stdout == "plan 1 approved by bob: CAB 12\n"
    again = run_cli("plan", "approve", "1", "--by", "cas", "--reason", "x", *where["site"])
    assert again.exit_code == 2 and "already approved by bob" in again.stderr
    shown = json.loads(run_cli("plan", "show", "1", *where["site"], "--format", "json").stdout)
    assert shown["approved_by"] == "bob" and shown["options"]["capacity"] == 3
    assert [w["services"] for w in shown["waves"]] == [["s0", "s1", "s2"], ["s3", "s4"]]


def test_self_approval_when_the_site_allows_it(where, run_cli, tmp_path):
    site = write_site(tmp_path / "lenient", allow_self_approval=True)
    run_cli("plan", "save", *where["catalog"], "--site", str(site), "--by", "ann")
    approved = run_cli("plan", "approve", "1", "--by", "ann", "--reason", "alone on duty",
                       "--site", str(site))
    assert approved.exit_code == 0, approved.stderr


def test_plans_are_listed_and_diffed_by_service_and_wave(where, run_cli):
    run_cli("plan", "save", *where["catalog"], *where["site"], "--by", "ann")
    run_cli("plan", "save", "--capacity", "2", *where["catalog"], *where["site"], "--by", "ann")
    listed = json.loads(run_cli("plan", "list", *where["site"], "--format", "json").stdout)
    assert [(p["id"], p["options"]["capacity"], p["approved_by"]) for p in listed] == \
        [(1, 3, None), (2, 2, None)]
    diff = json.loads(run_cli("plan", "diff", "1", "2", *where["site"], "--format", "json").stdout)
    assert diff["changes"] == [{"service": "s2", "from": 1, "to": 2}, {"service": "s4", "from": 2, "to": 3}]
    text = run_cli("plan", "diff", "1", "2", *where["site"]).stdout
    assert "s4                           wave 2 -> wave 3" in text


def test_options_before_the_subcommand_are_refused(where, run_cli):
    result = run_cli("plan", "--capacity", "2", "save", *where["catalog"], *where["site"])
    assert result.exit_code == 2
    assert "options go after the subcommand: logius-migrate plan save --capacity ..." in result.stderr


def test_the_blocker_register(where, run_cli):
    site = where["site"]
    added = run_cli("blocker", "add", "--scope", "service:s1", "--severity", "blocking", "--title",
                    "TLS handshake fails on the ingress", "--owner", "supplier", "--due", "2027-02-01",
                    *where["catalog"], *site, "--by", "ann")
    assert added.exit_code == 0 and added.stdout == "BLK-0001\n"
    second = run_cli("blocker", "add", "--scope", "platform", "--severity", "major", "--title",
                     "storage latency", "--owner", "ops", *site, "--format", "json")
    assert json.loads(second.stdout) == {"id": "BLK-0002"}
    bad = run_cli("blocker", "add", "--scope", "team:x", "--severity", "major", "--title", "t",
                  "--owner", "o", *site)
    assert bad.exit_code == 2 and "use platform, release:ID, wave:N or service:ID" in bad.stderr
    no_reason = run_cli("blocker", "resolve", "BLK-0001", *site)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    waived = run_cli("blocker", "waive", "BLK-0001", "--owner", "cio", "--reason", "workaround: "
                     "TLS terminated at the gateway", "--expires", "2027-01-31", *site, "--by", "bob")
    assert waived.stdout == "BLK-0001: waived\n"
    md = run_cli("blocker", "list", "--format", "md", *site, env={"LOGIUS_MIGRATE_NOW": "2027-02-10"}).stdout
    assert md.startswith("# Blocking issues, 2027-02-10\n\n2 in force (1 blocking), 1 overdue.")
    assert "| BLK-0001 | blocking | service:s1 | TLS handshake fails on the ingress | supplier | " \
           "**2027-02-01 (overdue)** | waiver expired 2027-01-31 |" in md
    run_cli("blocker", "resolve", "BLK-0001", "--reason", "fixed in r1.1", *site, "--by", "ann")
    shown = json.loads(run_cli("blocker", "show", "BLK-0001", *site, "--format", "json").stdout)
    assert [(h["action"], h["by"]) for h in shown["history"]] == [
        ("opened", "ann"), ("waived", "bob"), ("resolved", "ann")]
    assert "waiver owned by cio, expires 2027-01-31" in shown["history"][1]["detail"]
    open_ones = json.loads(run_cli("blocker", "list", *site, "--format", "json").stdout)
    assert [b["id"] for b in open_ones] == ["BLK-0002"]


def test_a_blocker_scope_must_name_what_exists(where, run_cli):
    """A scope naming a service, release or wave that does not exist could never block anything:
    refused in one line naming what exists nearby, and nothing written."""
    def add(scope):
        return run_cli("blocker", "add", "--scope", scope, "--severity", "blocking", "--title", "t",
                       "--owner", "o", *where["catalog"], *where["site"], "--by", "ann")

    refusals = {
        "service:s11": "error: --scope service:s11: the catalog has no service 's11'; did you mean "
                       "service:s1? (services: s0, s1, s2, s3, s4)\n",
        "service:no-such": "error: --scope service:no-such: the catalog has no service 'no-such'; its "
                           "services: s0, s1, s2, s3, s4\n",
        "release:r1": "error: --scope release:r1: the catalog has no release 'r1'; it has no releases\n",
        "wave:1": "error: --scope wave:1: no plan is saved yet, so there is no wave 1; save one first "
                  "(logius-migrate plan save)\n",
    }
    for scope, line in refusals.items():
        result = add(scope)
        assert (result.exit_code, result.stdout, result.stderr) == (2, "", line)
    run_cli("plan", "save", *where["catalog"], *where["site"], "--by", "ann")  # two waves
    beyond = add("wave:3")
    assert (beyond.exit_code, beyond.stderr) == (
        2, "error: --scope wave:3: no saved plan has a wave 3; the longest, plan 1, has waves 1..2\n")
    assert json.loads(run_cli("blocker", "list", "--all", *where["site"], "--format", "json").stdout) == []
    for scope in ("service:s4", "wave:2", "platform"):
        assert add(scope).exit_code == 0, scope


@pytest.mark.parametrize("flag", ["--capacity", "--start", "--wave-length", "--pilot-waves"])
def test_plan_options_no_longer_change_a_waves_members_at_run_time(flag, run_cli, tmp_path):
    result = run_cli("wave", "run", "1", flag, "2", "--lab", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert result.stderr == (f"error: {flag} is a plan option: waves come from the approved plan; save "
                             f"one with `logius-migrate plan save {flag} ...` and have it approved\n")


def test_a_saved_plan_numbers_its_waves_as_plan_shows_them(tmp_path, run_cli):
    """Nothing can move for months before `late`: the saved plan has waves 1 and 2 (not 1 and
    5), with their dates, so `plan show` and `wave run 2` speak of the wave `plan` calls 2."""
    catalog = write_catalog(tmp_path / "catalog", {"c.yaml": {
        "services": [service("s0"), service("late", not_before="2027-05-01")],
        "calendar": {"planning_start": "2027-01-04"}}})
    site = ["--site", str(write_site(tmp_path / "site"))]
    planned = json.loads(run_cli("plan", "--catalog", str(catalog), "--format", "json").stdout)
    assert [(w["number"], w["start"]) for w in planned["waves"]] == [(1, "2027-01-04"), (2, "2027-05-24")]
    assert planned["gaps"][0]["reason"] == "nothing can move: late may not move before 2027-05-01"
    run_cli("plan", "save", "--catalog", str(catalog), *site, "--by", "ann")
    shown = json.loads(run_cli("plan", "show", "1", *site, "--format", "json").stdout)
    assert shown["waves"] == [
        {"number": 1, "start": "2027-01-04", "end": "2027-01-31", "services": ["s0"]},
        {"number": 2, "start": "2027-05-24", "end": "2027-06-20", "services": ["late"]}]
    assert "  wave   2 2027-05-24 .. 2027-06-20: late" in run_cli("plan", "show", "1", *site).stdout
    beyond = run_cli("wave", "status", "3", *site)
    assert "it has 2 waves" in beyond.stderr
