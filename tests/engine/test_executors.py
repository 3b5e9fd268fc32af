"""The executors' plan: what applying a phase's steps would change, said without changing anything
(the hook a dry-run uses), on a one-service lab with the real Terraform and the real inventory."""

from __future__ import annotations

from orchestrator.engine.executors.ansible import AnsiblePhase
from orchestrator.engine.executors.approval import ApprovalGate
from orchestrator.engine.executors.base import WAVE_SERVICE, RunScope, Work
from orchestrator.engine.executors.terraform import TerraformPhase
from orchestrator.engine.prediction import Rehearsed
from orchestrator.runbook import hosts_of, runbook_for
from tests.engine.conftest import host_files, make_lab, one_service_catalog, session, state_files


def _never_fails(*failure: object) -> None:
    raise AssertionError(f"plan reported a failure: {failure}")


def test_each_executor_plans_its_steps_and_changes_nothing(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    hosts, states = host_files(layout), state_files(layout)
    with session(catalog, layout) as ctx:
        executions = ctx.journal.executions()
        alpha = ctx.service("alpha")
        steps = {step.name: step for step in runbook_for(alpha)}
        scope = RunScope(ctx, "plan-only", 1, rehearsed=Rehearsed())
        terraform = TerraformPhase(scope).plan(Work("provision", [(alpha, steps["provision"])], _never_fails))
        ansible = AnsiblePhase(scope).plan(Work("cutover", [(alpha, steps["cutover"])], _never_fails))
        gate = ApprovalGate(scope, False, None, lambda: [alpha]).plan(
            Work("approve", [(alpha, steps["approve"])], _never_fails))
        assert ctx.journal.executions() == executions

    assert terraform and {(c.service, c.step) for c in terraform} == {("alpha", "provision")}
    assert all(r["actions"] == ["create"] for c in terraform for r in c.detail["resources"]), terraform
    assert [c.kind for c in terraform] == ["stack"] and terraform[0].detail["sha256"]
    cutover = steps["cutover"]
    assert {(c.service, c.step, c.kind, c.detail["host"]) for c in ansible} == \
        {("alpha", "cutover", "task", host) for host in hosts_of(alpha, cutover.runs_on)}
    routes = [c.detail for c in ansible if c.detail["task"] == "Route the services to their LPC hosts"]
    assert [(r["outcome"], r["paths"]) for r in routes] == [("change", ["etc/gateway/routes/alpha.conf"])]
    assert [(c.service, c.step) for c in gate] == [(WAVE_SERVICE, "approve")] and "alpha" in gate[0].what
    assert host_files(layout) == hosts
    assert {k: v for k, v in state_files(layout).items() if v is not None} == \
        {k: v for k, v in states.items() if v is not None}
