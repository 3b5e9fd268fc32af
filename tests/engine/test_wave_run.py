"""Running a wave for real on a small lab: real Ansible, real Terraform, a real SQLite journal."""

from __future__ import annotations

import base64

import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.errors import AwaitingApproval
from orchestrator.runbook import runbook_for
from orchestrator.steps.terraform import TerraformStack
from tests.engine.conftest import (
    host_files,
    ledger_counts,
    make_lab,
    one_service_catalog,
    session,
    small_catalog,
)

WAVE = ["alpha", "beta", "gamma"]


@pytest.fixture
def lab(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    return catalog, make_lab(tmp_path / "lab", catalog)


@pytest.fixture
def lab_one(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    return catalog, make_lab(tmp_path / "lab", catalog)


def test_a_wave_runs_every_step_once_retrying_a_transient_fault(lab):
    catalog, layout = lab
    fault = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.replicate-data.once"
    fault.write_text("once")
    with session(catalog, layout) as ctx:
        result = run_wave(ctx, 1, WAVE, resume=False, approve=True)
        executions = ctx.journal.executions(run_id=result.run_id)
        points = ctx.journal.rollback_points(run_id=result.run_id)
        services = {s: ctx.service(s) for s in WAVE}
        retried = ctx.journal.attempts("wave-1/alpha/replicate-data")
        beta = ctx.journal.attempts("wave-1/beta/replicate-data")
    assert result.status == "done"
    assert [a.outcome for a in retried] == ["failed", "ok"]
    assert "lab fault injected: alpha replicate-data" in retried[0].error
    assert [a.outcome for a in beta] == ["ok"] and not fault.exists()
    expected = {(s, step.name) for s, svc in services.items() for step in runbook_for(svc)
                if not step.deferred and not step.wave_level}
    assert {(e.service, e.step) for e in executions if e.service != "_wave"} == expected
    assert all(e.status == "done" and e.attempts <= (2 if e.key.endswith("alpha/replicate-data") else 1)
               for e in executions)
    mutating = {(s, step.name) for s, svc in services.items() for step in runbook_for(svc)
                if step.mutating and not step.deferred}
    assert {(p.service, p.step) for p in points} == mutating
    assert all(count == 1 for steps in ledger_counts(layout).values() for count in steps.values())
    route = (layout.host_root("gateway") / "etc/gateway/routes/alpha.conf").read_text()
    assert "backend = lpc" in route
    assert not (layout.host_root("gateway") / "etc/gateway/routes/gamma.conf").exists()
    archive = layout.host_root("legacy-gamma") / "var/archive/gamma"
    assert (archive / "var/lib/gamma/gamma-archive/part-0001.dat").exists()
    assert (archive / "etc/gamma/app.conf").exists() and (archive / "srv/gamma/VERSION").exists()
    legacy = (layout.host_root("legacy-alpha") / "var/lib/alpha/alpha-db/part-0001.dat").read_bytes()
    assert (layout.host_root("lpc-alpha") / "var/lib/alpha/alpha-db/part-0001.dat").read_bytes() == legacy
    stack = TerraformStack(layout.site().stack_dir("alpha"), layout.site().terraform_env())
    assert "module.landing_zone.null_resource.placement[\"lpc-alpha\"]" in stack.resources()
    assert not stack.plan({"service": "alpha", "hosts": ["lpc-alpha"], "release": "none",
                           "fault_file": str(layout.faults / "alpha.provision")})


def test_without_approval_the_run_stops_cleanly_at_the_gate(lab_one):
    import os

    catalog, layout = lab_one
    environment = dict(os.environ)
    with session(catalog, layout) as ctx:
        with pytest.raises(AwaitingApproval, match="wave resume 1 --approve"):
            run_wave(ctx, 1, ["alpha"], resume=False)
        assert ctx.journal.run("wave-1").status == "waiting-approval"
        steps = {(e.service, e.step) for e in ctx.journal.executions(run_id="wave-1")}
        assert ("alpha", "final-sync") in steps and ("alpha", "cutover") not in steps
        route = layout.host_root("gateway") / "etc/gateway/routes/alpha.conf"
        assert "backend = legacy" in route.read_text()
        asked = []
        result = run_wave(ctx, 1, None, resume=True, approver=lambda q: asked.append(q) or True)
    assert result.status == "done" and asked == ["Wave 1: approve the cutover of alpha?"]
    assert "alpha/provision" in result.skipped and "alpha/cutover" in result.applied
    assert dict(os.environ) == environment, "adapters never change the process-wide environment"


def test_a_canary_secret_never_leaves_the_host_it_is_meant_for(lab_one, tmp_path, run_cli):
    catalog, layout = lab_one
    canary = "canary-Secret-7f3a9c1e"
    secrets = {"alpha": {"db_password": canary}}
    layout.secrets.write_text(__import__("json").dumps(secrets))
    runner_dirs = tmp_path / "runner"
    with session(catalog, layout, keep_runner_dirs=runner_dirs) as ctx:
        run_wave(ctx, 1, ["alpha"], resume=False, approve=True)
        app_conf = (layout.host_root("lpc-alpha") / "etc/alpha/app.conf").read_text()
        rollback_service(ctx, "alpha", force=True, reason=f"drill (not {canary[:6]})")
    assert canary in app_conf
    encoded = base64.b64encode(canary.encode()).decode()
    shown = run_cli("journal", "show", "--lab", str(layout.root), "--format", "json")
    status = run_cli("wave", "status", "1", "--lab", str(layout.root))
    places = {"journal show": shown.output, "wave status": status.output}
    for path in [*layout.root.glob("journal.db*"), *runner_dirs.rglob("*"),
                 *(tmp_path / "home").rglob("*")]:
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("latin-1")
    assert any("artifacts" in p for p in places), "the runner's private data dirs were kept"
    with session(catalog, layout) as ctx:  # rollback points hold files: decode every one
        points = ctx.journal.rollback_points(include_restored=True)
    captured = [base64.b64decode(e["content"]).decode("latin-1") for p in points if p.kind == "files"
                for entries in p.payload["hosts"].values() for e in entries if "content" in e]
    assert any("logius-secret:alpha.db_password" in text for text in captured), "app.conf was captured"
    places.update({f"rollback point content {n}": text for n, text in enumerate(captured)})
    leaks = [where for where, text in places.items() if canary in text or encoded in text]
    assert leaks == []


def test_host_trees_are_deterministic_for_the_same_catalog(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    first = make_lab(tmp_path / "one", catalog)
    second = make_lab(tmp_path / "two", catalog)
    assert host_files(first) == host_files(second)


def test_steps_a_crash_left_running_are_reconciled_not_reapplied(lab):
    """As if the process died right after some changes, before journalling them done, and
    before the ledger line of another (alpha's freeze): reconciled where applied, finished only
    where missing."""
    from sqlalchemy import update

    from orchestrator.journal import schema

    catalog, layout = lab
    with session(catalog, layout) as ctx:
        with pytest.raises(AwaitingApproval):
            run_wave(ctx, 1, WAVE, resume=False)
        ledger = layout.host_root("legacy-alpha") / "var/lib/logius-migrate/ledger/alpha"
        ledger.write_text(ledger.read_text().replace("freeze\n", ""))
        with ctx.journal.engine.begin() as connection:
            connection.execute(update(schema.executions).where(schema.executions.c.key.in_(
                ["wave-1/alpha/final-sync", "wave-1/beta/provision", "wave-1/gamma/archive",
                 "wave-1/alpha/freeze", "wave-1/beta/freeze"])).values(status="running"))
        result = run_wave(ctx, 1, None, resume=True, approve=True)
        events = [e.message for e in ctx.journal.events("wave-1") if e.kind == "reconciled"]
    assert sorted(result.reconciled) == ["alpha/final-sync", "beta/freeze", "beta/provision",
                                         "gamma/archive"]
    assert "alpha/freeze" in result.applied
    assert any("terraform plan shows no changes" in e for e in events)
    assert any("alpha/freeze: not yet applied on legacy-alpha; runs again" in e for e in events)
    assert all(n == 1 for steps in ledger_counts(layout).values() for n in steps.values())


def test_each_service_runs_under_its_own_step_policy(tmp_path, isolated_env):
    from orchestrator.errors import WavePartial
    from tests.conftest import service

    catalog = small_catalog(tmp_path / "catalog", [
        service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]},
                step_policy={"prepare-target": {"attempts": 1}}),
        service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]},
                step_policy={"prepare-target": {"attempts": 3, "wait_seconds": 0}})])
    layout = make_lab(tmp_path / "lab", catalog)
    for sid in ("alpha", "beta"):
        faults = layout.host_root(f"lpc-{sid}") / "etc/logius-lab/faults"
        (faults / f"{sid}.prepare-target.always").write_text("x")
    with session(catalog, layout) as ctx:
        with pytest.raises(WavePartial) as caught:
            run_wave(ctx, 1, ["alpha", "beta"], resume=False, approve=True)
        assert all(why.startswith("prepare-target failed") for why in caught.value.held.values())
        attempts = {sid: len(ctx.journal.attempts(f"wave-1/{sid}/prepare-target"))
                    for sid in ("alpha", "beta")}
    assert attempts == {"alpha": 1, "beta": 3}


@pytest.mark.parametrize("inventory", ["empty", "without lpc-alpha"])
def test_an_inventory_lacking_the_waves_hosts_is_refused_before_any_change(inventory, lab_one, run_cli):
    """`wave run` refuses in one line naming the missing hosts; no run starts, nothing is built."""
    import yaml

    catalog, layout = lab_one
    text = layout.inventory.read_text()
    header, document = text.splitlines()[0], yaml.safe_load(text)
    groups = document["all"]["children"]
    if inventory == "empty":
        for body in groups.values():
            body["hosts"] = {}
    else:
        del groups["lpc"]["hosts"]["lpc-alpha"]
    layout.inventory.write_text(header + "\n" + yaml.safe_dump(document))
    result = run_cli("wave", "run", "1", "--approve", "--catalog", str(catalog), "--lab", str(layout.root))
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert "lpc-alpha (group lpc, for alpha: missing)" in result.stderr
    assert "nothing was changed" in result.stderr
    if inventory == "empty":
        assert "legacy-alpha (group legacy, for alpha: missing)" in result.stderr
        assert "gateway (group gateway, for alpha: missing)" in result.stderr
    with session(catalog, layout) as ctx:
        assert ctx.journal.runs() == [], "no run was started"
    assert not (layout.site().stack_dir("alpha") / "terraform.tfstate").exists(), "nothing was provisioned"
    assert ledger_counts(layout) == {}
