"""The Ansible phases: one playbook run per batch of services that share a step policy, over the
hosts where the step is still missing, retried by that policy; a rollback point of the files
before a changing step; the hosts' ledgers decide what a retry runs again. The one place the
engine runs a phase's playbook."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine import reconcile
from orchestrator.engine.capture import record_file_points
from orchestrator.engine.compare import ChangeRecorder, record_changes
from orchestrator.engine.executors.base import Change, RunScope, Work
from orchestrator.engine.executors.retries import retrying
from orchestrator.engine.tools import child_watch
from orchestrator.errors import Cancelled, Interrupted, LogiusMigrateError, StepTimeout, TransientStepError
from orchestrator.runbook import Step, group_of, hosts_of

Batch = list[tuple[Service, Step]]


class _StillFailing(TransientStepError):
    """Services whose part of a phase failed this attempt; a retry runs them again."""

    def __init__(self, services: list[Service], message: str) -> None:
        super().__init__(message)
        self.services = services


class AnsiblePhase:
    def __init__(self, scope: RunScope) -> None:
        self.scope = scope

    def plan(self, work: Work) -> list[Change]:
        """Each batch's playbook in check mode (``--check --diff``; nothing is changed), and what
        it says of every task on every host (``engine/prediction.py``: would change, no change,
        unknown and why, would fail). A service with a task that would fail is held, as the run
        would hold it."""
        changes: list[Change] = []
        for batch in by_policy(work.items):
            step, services = batch[0][1], [s for s, _ in batch]
            predicted = self._rehearse(step, services, {s.id: self.scope.key(s.id, st) for s, st in batch})
            changes += [Change(p.service, step.name, f"{p.task} on {p.host}: {p.outcome}", "task",
                               p.as_dict()) for p in predicted]
            failing = {p.service: f"{p.task} on {p.host}: {p.reason}"
                       for p in predicted if p.outcome == "fail"}
            for service in services:
                if service.id in failing:
                    work.failed(service, step, failing[service.id])
        return changes

    def _rehearse(self, step: Step, services: list[Service], keys: dict[str, str]) -> list[Any]:
        from orchestrator.engine.prediction import PhasePredictor
        from orchestrator.steps.ansible import load_inventory

        ctx = self.scope.ctx
        hosts = self._limit(step, services, keys)
        predictor = PhasePredictor(step.name, load_inventory(ctx.site.inventory), self.scope.rehearsed,
                                   ctx.redactor)
        result, error = None, None
        try:
            result = self._run_playbook(step, services, keys, check=True, on_event=predictor.handle)
        except Cancelled:
            raise ctx.stop.interrupted(f"during the rehearsal of {step.name}") from None
        except LogiusMigrateError as exc:
            error = str(exc).splitlines()[0]
        return list(predictor.finish(hosts, result, error))

    def apply(self, work: Work) -> None:
        """Every batch of the phase runs; the phase fails after all of them, naming each failure."""
        for batch in by_policy(work.items):
            for service, error in self._batch(batch):
                work.failed(service, batch[0][1], error)

    def _batch(self, batch: Batch) -> list[tuple[Service, str]]:
        """One playbook run (retried by the batch's shared policy) over the batch's services;
        returns the services that still failed after the retries, with why."""
        scope, step = self.scope, batch[0][1]
        services = [s for s, _ in batch]
        keys = {s.id: scope.begin(s, st) for s, st in batch}
        if step.mutating:
            fresh = [s for s in services if not scope.ctx.journal.has_rollback_point(keys[s.id])]
            record_file_points(scope.ctx, scope.run_id, step, fresh)
        pending = list(services)
        try:
            for attempt in retrying(step):
                with attempt:
                    try:
                        pending = self._attempt(step, pending, keys)
                    except _StillFailing as exc:
                        pending = exc.services
                        raise
        except TransientStepError as exc:
            self._mark(pending, step, keys, "failed", str(exc))
            why = f"failed after {step.retry.attempts} attempt(s): {exc}"
            return [(s, why) for s in pending]
        except (Cancelled, Interrupted) as exc:
            self._mark(pending, step, keys, "interrupted", str(exc))
            raise scope.ctx.stop.interrupted(f"during {step.name}") from None
        return []

    def _mark(self, services: list[Service], step: Step, keys: dict[str, str], status: str, why: str) -> None:
        for service in services:
            self.scope.ctx.journal.finish_step(keys[service.id], status, error=why)
            self.scope.ctx.progress.on_step(service.id, step.name, status)

    def _attempt(self, step: Step, pending: list[Service], keys: dict[str, str]) -> list[Service]:
        """Run the playbook once for ``pending``; returns who still needs it (empty: all done), or
        raises TransientStepError to retry them."""
        journal = self.scope.ctx.journal
        self.scope.ctx.stop.check(f"before {step.name}")
        numbers = {s.id: journal.start_attempt(keys[s.id]) for s in pending}
        recorder = ChangeRecorder(step.name)
        try:
            result = self._run_playbook(step, pending, keys, on_event=recorder.handle)
        except (Cancelled, StepTimeout) as exc:
            outcome = "interrupted" if isinstance(exc, Cancelled) else "failed"
            for service in pending:
                journal.finish_attempt(keys[service.id], numbers[service.id], outcome, str(exc))
            raise
        finally:
            record_changes(journal, self.scope.run_id, recorder.changed)
        failed = self._settle_hosts(step, pending, keys, numbers, result)
        return self._retry_or_done(step, failed, keys)

    def _run_playbook(self, step: Step, pending: list[Service], keys: dict[str, str], check: bool = False,
                      on_event: Callable[[dict[str, Any]], None] | None = None) -> Any:
        """The phase's one call of the Ansible adapter (``check``: in check mode, for a dry-run,
        without the site's hooks: they go around real changes, and a rehearsal makes none)."""
        from orchestrator.steps import ansible

        ctx = self.scope.ctx
        if step.playbook is None:
            raise LogiusMigrateError(f"{step.name}: an Ansible step that names no playbook")
        secrets = {"service_secrets": {s.id: ctx.secrets.get(s.id, {}) for s in pending}}
        return ansible.run_playbook(ansible.PlaybookRequest(
            step.playbook, ctx.site.inventory, tuple(self._limit(step, pending, keys)),
            phase_variables(step, pending), secret_variables=secrets, check=check,
            timeout=step.timeout_seconds, keep_private_data_dir=self._runner_dir(step),
            hooks=(None, None) if check else (ctx.site.before_phase, ctx.site.after_phase),
            verbosity=ctx.verbosity),
            watch=child_watch(ctx, self.scope.run_id, cancel_on_first_stop=True), on_event=on_event)

    def _settle_hosts(self, step: Step, pending: list[Service], keys: dict[str, str],
                      numbers: dict[str, int], result: Any) -> list[tuple[Service, str]]:
        journal, failed = self.scope.ctx.journal, []
        for service in pending:
            bad = {h: m for h, m in result.failed_hosts.items() if h in hosts_of(service, step.runs_on)}
            if not bad and step.name == "verify":
                from orchestrator.engine.readiness import deployment_not_ready

                why = deployment_not_ready(self.scope.ctx.site, service)
                bad = {"kubernetes": why} if why else {}
            if bad:
                message = "; ".join(f"{h}: {m}" for h, m in sorted(bad.items()))
                journal.finish_attempt(keys[service.id], numbers[service.id], "failed", message)
                failed.append((service, message))
            else:
                journal.finish_attempt(keys[service.id], numbers[service.id], "ok")
                self.scope.finish(service, step, keys[service.id], result.summary())
        return failed

    def _retry_or_done(self, step: Step, failed: list[tuple[Service, str]],
                       keys: dict[str, str]) -> list[Service]:
        # A host that failed for one service may have applied another's part (the gateway runs
        # every service of the wave); a retry re-applies only where the ledger says it is missing.
        scope, pending = self.scope, []
        for service, _message in failed:
            applied, where, hosts = reconcile.is_applied(scope.ctx, service, step, scope.run_id)
            scope.applied_hosts[keys[service.id]] = hosts
            if applied and step.mutating:
                scope.finish(service, step, keys[service.id], f"applied: {where}")
            else:
                pending.append(service)
        if pending:
            raise _StillFailing(pending, "; ".join(f"{s.id}: {m}" for s, m in failed if s in pending))
        return pending

    def _limit(self, step: Step, services: list[Service], keys: dict[str, str]) -> list[str]:
        """The hosts to run on: the services' hosts, less those whose ledger has the step."""
        hosts: set[str] = set()
        for service in services:
            done = self.scope.applied_hosts.get(keys[service.id], set())
            for host in hosts_of(service, step.runs_on):
                if host in done and group_of(service, host) in step.ledger_on:
                    continue
                hosts.add(host)
        return sorted(hosts)

    def _runner_dir(self, step: Step) -> Path | None:
        folder = self.scope.ctx.keep_runner_dirs
        return None if folder is None else Path(folder) / f"{self.scope.run_id}-{step.name}"


def phase_variables(step: Step, services: list[Service]) -> dict[str, Any]:
    return {
        "step_name": step.name,
        "cutover_services": [{"id": s.id, "targets": list(s.hosts.target)} for s in services],
        "verify_services": [s.id for s in services],
        "decommission_services": [s.id for s in services],
    }


def by_policy(pending: Batch) -> list[Batch]:
    """The phase's services in batches that share a step policy (retries, wait, timeout), so
    each service runs under its own policy."""
    batches: dict[tuple[Any, ...], Batch] = {}
    for service, step in pending:
        batches.setdefault((step.retry, step.timeout_seconds), []).append((service, step))
    return list(batches.values())
