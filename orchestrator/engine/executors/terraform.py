"""The Terraform phase: the services' stacks applied side by side (``STACKS_AT_ONCE`` at a time),
each after a rollback point of its state, retried by the service's own step policy, the stack
repaired after a failed attempt. The one place the engine applies a stack."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine.compare import record_changes, state_changes
from orchestrator.engine.executors.base import Change, RunScope, Work
from orchestrator.engine.executors.retries import retrying
from orchestrator.engine.tools import stack_for, tf_variables
from orchestrator.errors import (
    Cancelled,
    Interrupted,
    LogiusMigrateError,
    StalePlan,
    StepFailed,
    TransientStepError,
)
from orchestrator.runbook import Step

#: Applies wait mostly on process and provider start-up, not on the CPU: eight at a time.
STACKS_AT_ONCE = 8


class TerraformPhase:
    def __init__(self, scope: RunScope) -> None:
        self.scope = scope

    def plan(self, work: Work) -> list[Change]:
        """Each stack's ``terraform plan -out``, ``STACKS_AT_ONCE`` at a time, the plan file kept
        beside the stack for the run to apply (no state is written; a stack's working folder is
        prepared, as for an apply, when it is not yet). A stack that fails to plan is reported
        with its first error line and its service held."""
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(STACKS_AT_ONCE, len(work.items))) as pool:
            changes = list(pool.map(lambda item: self._saved_plan(*item), work.items))
        for (service, step), change in zip(work.items, changes, strict=True):
            if change.detail["error"]:
                work.failed(service, step, change.detail["error"])
        return changes

    def _saved_plan(self, service: Service, step: Step) -> Change:
        from orchestrator.steps.terraform import PRIVATE_DIR

        ctx = self.scope.ctx
        plan_file = ctx.site.stack_dir(service.id) / PRIVATE_DIR / f"{self.scope.run_id}.tfplan"
        detail: dict[str, Any] = {"service": service.id, "step": step.name, "plan_file": str(plan_file)}
        try:
            stack = stack_for(ctx, service, self.scope.run_id)
            detail.update(stack.saved_plan(tf_variables(ctx, service), plan_file), error=None)
        except LogiusMigrateError as exc:
            detail.update(resources=[], sha256=None, state_serial=None, state_lineage=None,
                          error=str(exc).splitlines()[0])
            return Change(service.id, step.name, f"cannot be planned: {detail['error']}", "stack", detail)
        actions = [f"{r['address']}: {', '.join(r['actions'])}" for r in detail["resources"]]
        return Change(service.id, step.name, "; ".join(actions) or "no change", "stack", detail)

    def apply(self, work: Work) -> None:
        """Apply the phase's stacks side by side; a rehearsed run's saved plans are checked first
        (the file is the one rehearsed, the state has not moved since), before any change."""
        stop = self.scope.ctx.stop
        self._refuse_stale([service for service, _ in work.items])

        def one(item: tuple[Service, Step]) -> tuple[Service, Step, str] | None:
            service, step = item
            if stop.requested:
                return None  # not begun: nothing starts after a stop request
            try:
                self._step(step, service)
                return None
            except (Cancelled, Interrupted):
                return None
            except StalePlan:
                raise
            except LogiusMigrateError as exc:
                return service, step, str(exc)

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(STACKS_AT_ONCE, len(work.items))) as pool:
            failures = [f for f in pool.map(one, work.items) if f]
        stop.check(f"during {work.step.name}")
        for service, step, error in failures:
            work.failed(service, step, error)

    def _step(self, step: Step, service: Service) -> None:
        scope = self.scope
        journal = scope.ctx.journal
        key = scope.begin(service, step)
        stack = stack_for(scope.ctx, service, scope.run_id)
        variables = tf_variables(scope.ctx, service)
        if not journal.has_rollback_point(key):
            snapshot = stack.snapshot(self._last_variables(service))
            journal.add_rollback_point(scope.run_id, service.id, step.name, "terraform",
                                       {**snapshot.as_payload(), "apply_variables": variables},
                                       step.point_of_no_return)
        outputs: dict[str, Any] = {}
        try:
            for attempt in retrying(step):
                with attempt:
                    outputs = self._attempt(stack, step, key, variables, self._plan_file(service))
        except TransientStepError as exc:
            journal.finish_step(key, "failed", error=str(exc))
            scope.ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(str(exc)) from None
        except Cancelled as exc:
            journal.finish_step(key, "interrupted", error=str(exc))
            raise
        except StalePlan as exc:
            journal.finish_step(key, "failed", error=str(exc))
            raise
        scope.finish(service, step, key, json.dumps(outputs, sort_keys=True))

    def _attempt(self, stack: Any, step: Step, key: str, variables: dict[str, Any],
                 plan_file: Path | None) -> Any:
        journal = self.scope.ctx.journal
        if self.scope.ctx.stop.requested:
            raise Cancelled(f"{key}: not retried after a stop request")
        number = journal.start_attempt(key)
        before = stack.state_text()
        try:
            if plan_file is not None:
                outputs = stack.apply_plan(plan_file, timeout=step.timeout_seconds)
            else:
                outputs = stack.apply(variables, timeout=step.timeout_seconds)
        except (Cancelled, StalePlan) as exc:
            journal.finish_attempt(key, number, "interrupted" if isinstance(exc, Cancelled) else "failed",
                                   str(exc))
            raise
        except LogiusMigrateError as exc:
            journal.finish_attempt(key, number, "failed", str(exc))
            for evidence in stack.repair():
                journal.log(self.scope.run_id, "terraform-repair", evidence)
            raise TransientStepError(str(exc)) from exc
        journal.finish_attempt(key, number, "ok")
        record_changes(journal, self.scope.run_id, state_changes(key.split("/")[-2],
                                                                 before, stack.state_text()))
        return outputs

    def _plan_file(self, service: Service) -> Path | None:
        saved = self.scope.saved_plans.get(service.id)
        return Path(saved["plan_file"]) if saved else None

    def _refuse_stale(self, services: list[Service]) -> None:
        """StalePlan, before any change, when a saved plan's file is not the one rehearsed or its
        stack's state moved since (what Terraform itself would refuse, found for every stack first)."""
        from orchestrator.steps.terraform import file_sha256

        for service in services:
            saved = self.scope.saved_plans.get(service.id)
            if not saved:
                continue
            path = Path(saved["plan_file"])
            if not path.is_file() or file_sha256(path) != saved["sha256"]:
                raise StalePlan(f"{service.id}: the saved Terraform plan {path} is missing or is not the "
                                f"one rehearsed; run `logius-migrate wave dry-run {self.scope.wave}` again")
            mark = stack_for(self.scope.ctx, service, self.scope.run_id).state_mark()
            if (mark["state_serial"], mark["state_lineage"]) != (saved["state_serial"],
                                                                 saved["state_lineage"]):
                raise StalePlan(f"{service.id}: its Terraform state moved since the dry-run (serial "
                                f"{saved['state_serial']} then, {mark['state_serial']} now); nothing was "
                                f"applied; run `logius-migrate wave dry-run {self.scope.wave}` again")

    def _last_variables(self, service: Service) -> dict[str, Any] | None:
        """The variables of the service's last unrestored apply (what a rollback goes back to)."""
        points = self.scope.ctx.journal.rollback_points(service=service.id, include_restored=True)
        for point in reversed(points):
            if point.kind == "terraform" and point.restored_at is None:
                return point.payload.get("apply_variables")
        return None
