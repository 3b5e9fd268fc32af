"""The executors only the Azure test track has: its environment's provisioning held to the
guardrails (a saved plan, AZ-GRD-* on that plan, then that plan applied), its destroy, and its
report. Ansible's steps (deploy, acceptance tests) go to the Ansible phase as a wave's do."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine.executors.base import Change, RunScope, Work
from orchestrator.engine.executors.retries import retrying
from orchestrator.engine.executors.terraform import TerraformPhase
from orchestrator.engine.tools import stack_for, tf_variables
from orchestrator.errors import Cancelled, LogiusMigrateError, StepFailed, TransientStepError
from orchestrator.runbook import Step


class GuardedProvision(TerraformPhase):
    """``az-provision``: ``terraform plan -out``, the guardrails on that plan (journalled as check
    results, overrides as for preconditions), then that very plan applied; a service whose plan
    breaks a guardrail is held before any change."""

    def plan(self, work: Work) -> list[Change]:
        from orchestrator.engine.guardrail_gate import guard

        changes = []
        for service, step in work.items:
            try:
                saved, plan_file = self._saved(service)
                verdict = guard(self.scope.ctx, service, self._document(service, plan_file), plan_file,
                                self.scope.overrides, record_in=None)
            except LogiusMigrateError as exc:
                work.failed(service, step, str(exc).splitlines()[0])
                continue
            actions = [f"{r['address']}: {', '.join(r['actions'])}" for r in saved["resources"]]
            changes.append(Change(service.id, step.name, "; ".join(actions) or "no change", "stack",
                                  {**saved, "service": service.id, "step": step.name,
                                   "plan_file": str(plan_file), "error": None,
                                   "guardrails": [r.as_dict() for r in verdict.results]}))
            if verdict.refused:
                work.failed(service, step, verdict.refused)
        return changes

    def apply(self, work: Work) -> None:
        from orchestrator.engine.guardrail_gate import guard

        allowed = []
        for service, step in work.items:
            if self.scope.done(service.id, step):
                continue
            saved, plan_file = self._saved(service)
            verdict = guard(self.scope.ctx, service, self._document(service, plan_file), plan_file,
                            self.scope.overrides, record_in=self.scope.run_id)
            if verdict.refused:
                assert work.hold is not None
                work.hold(service, verdict.refused)
                continue
            self.scope.saved_plans[service.id] = {**saved, "plan_file": str(plan_file)}
            allowed.append((service, step))
        if allowed:
            super().apply(Work(work.phase, allowed, work.failed, work.hold))

    def _saved(self, service: Service) -> tuple[dict[str, Any], Path]:
        from orchestrator.steps.terraform import PRIVATE_DIR

        ctx = self.scope.ctx
        plan_file = ctx.site.stack_dir(service.id) / PRIVATE_DIR / f"{self.scope.run_id}.tfplan"
        stack = stack_for(ctx, service, self.scope.run_id)
        return stack.saved_plan(tf_variables(ctx, service), plan_file), plan_file

    def _document(self, service: Service, plan_file: Path) -> dict[str, Any]:
        """The plan the guardrails judge: ``terraform show -json`` of the saved plan, or (a site
        whose module is a stand-in, the lab) the plan built from the azurerm module's own resources
        with the same variables."""
        ctx = self.scope.ctx
        azure = ctx.site.track
        if azure.guardrail_plan == "module" and azure.guardrail_module is not None:
            from orchestrator.guardrails.plan_json import build_plan, parse_module

            try:
                return build_plan(parse_module(azure.guardrail_module), tf_variables(ctx, service))
            except ImportError:
                raise LogiusMigrateError("the guardrails build the lab's plan with python-hcl2, which is "
                                         "not installed: pip install python-hcl2==8.1.4") from None
        return stack_for(ctx, service, self.scope.run_id).show_json(plan_file)


class Destroy:
    """``az-destroy``: ``terraform destroy`` of the environment, after a rollback point of its
    state; a destroy that still fails after its retries leaves the resources named in the run."""

    def __init__(self, scope: RunScope) -> None:
        self.scope = scope

    def plan(self, work: Work) -> list[Change]:
        changes = []
        for service, step in work.items:
            left = stack_for(self.scope.ctx, service, self.scope.run_id).resources()
            what = (f"destroys {len(left)} resource(s)" if left
                    else "destroys what az-provision creates (nothing is there yet)")
            changes.append(Change(service.id, step.name, what, "stack", {"resources": left}))
        return changes

    def apply(self, work: Work) -> None:
        for service, step in work.items:
            if self.scope.ctx.stop.requested or self.scope.done(service.id, step):
                continue
            try:
                self._destroy(service, step)
            except (StepFailed, TransientStepError) as exc:
                work.failed(service, step, str(exc))
        self.scope.ctx.stop.check(f"during {work.step.name}")

    def _destroy(self, service: Service, step: Step) -> None:
        scope, ctx = self.scope, self.scope.ctx
        key = scope.begin(service, step)
        stack = stack_for(ctx, service, scope.run_id)
        if not ctx.journal.has_rollback_point(key):
            ctx.journal.add_rollback_point(scope.run_id, service.id, step.name, "terraform",
                                           {**stack.snapshot(tf_variables(ctx, service)).as_payload(),
                                            "apply_variables": tf_variables(ctx, service)}, True)
        try:
            for attempt in retrying(step):
                with attempt:
                    self._attempt(stack, step, key, tf_variables(ctx, service))
        except TransientStepError as exc:
            ctx.journal.finish_step(key, "failed", error=str(exc))
            ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(str(exc)) from None
        except Cancelled as exc:
            ctx.journal.finish_step(key, "interrupted", error=str(exc))
            raise
        scope.finish(service, step, key, "destroyed: the state holds no resource")

    def _attempt(self, stack: Any, step: Step, key: str, variables: dict[str, Any]) -> None:
        journal = self.scope.ctx.journal
        number = journal.start_attempt(key)
        try:
            stack.destroy(variables, timeout=step.timeout_seconds)
        except Cancelled as exc:
            journal.finish_attempt(key, number, "interrupted", str(exc))
            raise
        except LogiusMigrateError as exc:
            journal.finish_attempt(key, number, "failed", str(exc))
            raise TransientStepError(str(exc)) from exc
        journal.finish_attempt(key, number, "ok")


class Report:
    """``az-report``: the track's report beside its stack (Markdown and JSON, the JUnit copied),
    from the journal's record of the run; changes nothing outside the report's folder."""

    def __init__(self, scope: RunScope) -> None:
        self.scope = scope

    def plan(self, work: Work) -> list[Change]:
        folder = self.scope.ctx.track.report_dir
        return [Change(s.id, st.name, f"writes the track's report in {folder}", "task")
                for s, st in work.items]

    def apply(self, work: Work) -> None:
        from orchestrator.reports.track import write_track_report

        for service, step in work.items:
            key = self.scope.begin(service, step)
            written = write_track_report(self.scope.ctx.journal, self.scope.run_id,
                                         self.scope.ctx.track.report_dir, self.scope.ctx.track.junit)
            self.scope.finish(service, step, key, json.dumps([str(p) for p in written]))
