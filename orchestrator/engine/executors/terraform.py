"""The Terraform phase: the services' stacks applied side by side (``STACKS_AT_ONCE`` at a time),
each after a rollback point of its state, retried by the service's own step policy, the stack
repaired after a failed attempt. The one place the engine applies a stack."""

from __future__ import annotations

import concurrent.futures
import json
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine.executors.base import Change, RunScope, Work
from orchestrator.engine.executors.retries import retrying
from orchestrator.engine.tools import stack_for, tf_variables
from orchestrator.errors import Cancelled, Interrupted, LogiusMigrateError, StepFailed, TransientStepError
from orchestrator.runbook import Step

#: Applies wait mostly on process and provider start-up, not on the CPU: eight at a time.
STACKS_AT_ONCE = 8


class TerraformPhase:
    def __init__(self, scope: RunScope) -> None:
        self.scope = scope

    def plan(self, work: Work) -> list[Change]:
        """The resources each stack's plan would change (``terraform plan``: no state is written;
        the stack's working folder is prepared, as for an apply, when it is not yet)."""
        ctx = self.scope.ctx
        changes: list[Change] = []
        for service, step in work.items:
            stack = stack_for(ctx, service, self.scope.run_id)
            for resource in stack.planned_changes(tf_variables(ctx, service)):
                changes.append(Change(service.id, step.name,
                                      f"{resource['address']}: {', '.join(resource['actions'])}"))
        return changes

    def apply(self, work: Work) -> None:
        stop = self.scope.ctx.stop

        def one(item: tuple[Service, Step]) -> tuple[Service, Step, str] | None:
            service, step = item
            if stop.requested:
                return None  # not begun: nothing starts after a stop request
            try:
                self._step(step, service)
                return None
            except (Cancelled, Interrupted):
                return None
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
                    outputs = self._attempt(stack, step, key, variables)
        except TransientStepError as exc:
            journal.finish_step(key, "failed", error=str(exc))
            scope.ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(str(exc)) from None
        except Cancelled as exc:
            journal.finish_step(key, "interrupted", error=str(exc))
            raise
        scope.finish(service, step, key, json.dumps(outputs, sort_keys=True))

    def _attempt(self, stack: Any, step: Step, key: str, variables: dict[str, Any]) -> Any:
        journal = self.scope.ctx.journal
        if self.scope.ctx.stop.requested:
            raise Cancelled(f"{key}: not retried after a stop request")
        number = journal.start_attempt(key)
        try:
            outputs = stack.apply(variables, timeout=step.timeout_seconds)
        except Cancelled as exc:
            journal.finish_attempt(key, number, "interrupted", str(exc))
            raise
        except LogiusMigrateError as exc:
            journal.finish_attempt(key, number, "failed", str(exc))
            for evidence in stack.repair():
                journal.log(self.scope.run_id, "terraform-repair", evidence)
            raise TransientStepError(str(exc)) from exc
        journal.finish_attempt(key, number, "ok")
        return outputs

    def _last_variables(self, service: Service) -> dict[str, Any] | None:
        """The variables of the service's last unrestored apply (what a rollback goes back to)."""
        points = self.scope.ctx.journal.rollback_points(service=service.id, include_restored=True)
        for point in reversed(points):
            if point.kind == "terraform" and point.restored_at is None:
                return point.payload.get("apply_variables")
        return None
