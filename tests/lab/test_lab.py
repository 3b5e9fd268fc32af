"""The lab: built from the catalog, twice harmlessly, torn down to exactly what it made."""

from __future__ import annotations

import json

from orchestrator.lab import LabLayout
from orchestrator.steps import ansible
from tests.engine.conftest import host_files, make_lab, small_catalog


def test_lab_up_twice_is_harmless_and_keeps_what_waves_changed(tmp_path, isolated_env, run_cli):
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    config = layout.host_root("legacy-alpha") / "etc/alpha/app.conf"
    config.write_text("changed by a wave\n")
    before = host_files(layout)
    again = run_cli("lab", "up", "--unsigned", "--catalog", str(catalog), "--lab", str(layout.root),
                    "--format", "json")  # as make_lab made it
    report = json.loads(again.stdout)
    assert again.exit_code == 0 and report["created"] == []
    assert host_files(layout) == before


def test_lab_down_removes_only_what_lab_up_made(tmp_path, isolated_env, run_cli):
    catalog = small_catalog(tmp_path / "catalog")
    root = tmp_path / "lab"
    up = run_cli("lab", "up", "--catalog", str(catalog), "--lab", str(root))
    assert up.exit_code == 0 and "hosts for 3 services" in up.stdout
    status = json.loads(run_cli("lab", "status", "--lab", str(root), "--format", "json").stdout)
    assert status["up"] and set(status["hosts"]) == {"gateway", "legacy-alpha", "legacy-beta",
                                                      "legacy-gamma", "lpc-alpha", "lpc-beta"}
    (root / "notes.txt").write_text("mine")
    (root / "hosts" / "mine").mkdir()
    down = run_cli("lab", "down", "--lab", str(root))
    assert down.exit_code == 0
    assert down.stdout.endswith(", the lab's journal among them (0 run(s), 0 plan(s) of which 0 approved)\n")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == [
        "hosts", "hosts/mine", "notes.txt"]
    assert "not built" in run_cli("lab", "status", "--lab", str(root)).stdout


def test_the_inventory_is_rendered_from_the_catalog(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    hosts = ansible.load_inventory(layout.inventory)
    assert hosts["lpc-alpha"]["group"] == "lpc" and hosts["lpc-alpha"]["service"] == "alpha"
    assert hosts["legacy-gamma"]["data_role"] is True
    assert all(h["host_root"] == str(layout.host_root(name)) for name, h in hosts.items())
    assert all(h["ansible_connection"] == "local" for h in hosts.values())


def test_playbooks_in_check_mode_change_nothing_and_report_diffs(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    layout: LabLayout = make_lab(tmp_path / "lab", catalog)
    before = host_files(layout)
    result = ansible.run_playbook(ansible.PlaybookRequest("freeze.yml", layout.inventory,
                                                          ["legacy-alpha", "legacy-beta"],
                                                          {"step_name": "freeze"}, check=True))
    assert result.succeeded, result.summary()
    assert host_files(layout) == before
    assert {d["host"] for d in result.diffs} == {"legacy-alpha", "legacy-beta"}
    assert any("mode = read-only" in json.dumps(d["diff"]) for d in result.diffs)


def test_captures_through_ansible_equal_the_local_fast_path(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    paths = {"legacy-alpha": ["etc/alpha", "var/lib/alpha", "var/archive/alpha"],
             "gateway": ["etc/gateway/routes/alpha.conf"]}
    fast = ansible.capture(layout.inventory, paths)
    slow = ansible.capture(layout.inventory, paths, use_ansible=True)
    assert slow == fast
    assert [e["state"] for e in fast["legacy-alpha"]][:2] == ["directory", "file"]


def test_the_labs_backup_job_is_what_a_stale_backups_remedy_names(tmp_path, isolated_env, run_cli,
                                                                  monkeypatch):
    """PRE-BAK-001 on the lab, by the tool's one clock: 30 hours after `lab up` took its backup the
    check fails, its remedy is `logius-migrate lab backup`, and running that command (it dates the
    marker by the same clock) makes the check pass."""
    import datetime as dt

    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    args = ["--catalog", str(catalog), "--lab", str(layout.root), "--format", "json"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=30)
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", later.isoformat())

    def verdict():
        result = run_cli("check", "alpha", *args)
        return {r["check"]: r for r in json.loads(result.stdout)["results"]}["PRE-BAK-001"]

    stale = verdict()
    assert stale["outcome"] == "FAIL" and stale["remedy"] == "take a fresh backup: logius-migrate lab backup"
    taken = run_cli("lab", "backup", "--lab", str(layout.root))
    assert taken.exit_code == 0
    assert taken.stdout.startswith(f"lab {layout.root}: backup taken on 3 legacy host(s)")
    assert verdict()["outcome"] == "PASS"
