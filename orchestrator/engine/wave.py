"""Running a wave: phase by phase, each step journalled before and after, a rollback point before
every change, one Ansible run per phase over the wave's hosts, Terraform stacks in parallel,
retries by each service's own step policy, a stop at the next safe point when asked, and resume
after a crash without applying a step, or migrating a service, twice.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from orchestrator.catalog.models import Service
from orchestrator.engine import reconcile, states
from orchestrator.engine.capture import record_file_points
from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.engine.gates import refuse_foreign_overrides
from orchestrator.engine.tools import child_watch, stack_for, tf_variables
from orchestrator.errors import (
    AwaitingApproval,
    Cancelled,
    InputError,
    Interrupted,
    LogiusMigrateError,
    StepFailed,
    StepTimeout,
    TransientStepError,
    WavePartial,
)
from orchestrator.journal import RunDetail, execution_key
from orchestrator.runbook import PHASES, Step, group_of, hosts_of, runbook_for
from orchestrator.sites.check import refuse_missing_hosts

WAVE_SERVICE = "_wave"  # the service name of wave-level executions (the approval gate)
DRILL_ENV = "LOGIUS_MIGRATE_DRILL_PAUSE"

__all__ = ["WAVE_SERVICE", "WaveResult", "run_wave", "wave_lock_name"]


@dataclass
class WaveResult:
    run_id: str
    wave: int
    status: str
    applied: list[str] = field(default_factory=list)
    reconciled: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def wave_lock_name(wave: int) -> str:
    return f"wave-{wave}"


def run_wave(ctx: EngineContext, wave: int, services: list[str] | None, resume: bool,
             approve: bool = False, approver: Callable[[str], bool] | None = None,
             plan: Any = None, overrides: dict[str, str] | None = None) -> WaveResult:
    """Run (or, with ``resume``, continue) wave ``wave``. ``services`` is the wave's membership
    from the plan; a resumed run uses what its first run recorded. ``plan`` is the saved plan the
    wave comes from (its window is what the contract-change check reads); ``overrides`` maps a
    check id to the operator's reason, for this run only."""
    ttl = lease_seconds()
    lease = ctx.journal.acquire_lock(wave_lock_name(wave), ctx.owner, ttl)
    keeper = LeaseKeeper(ctx.journal, lease, ttl)
    try:
        if not resume and services:
            refuse_foreign_overrides(overrides or {}, services)
            refuse_missing_hosts(ctx.site, [ctx.service(sid) for sid in services])
        run_id, members = _open_run(ctx, wave, services, resume, getattr(plan, "id", None))
        if lease.taken_over_from:
            ctx.journal.log(run_id, "lease", f"took over the lease of {lease.taken_over_from}")
        runner = _Runner(ctx, run_id, wave, members, keeper)
        return runner.run(approve, approver, resume, plan, overrides or {})
    finally:
        keeper.release()


def resumable(ctx: EngineContext, wave: int) -> Any:
    """The run of ``wave`` that `wave resume` would continue; InputError when there is none."""
    runs = [r for r in ctx.journal.runs(wave=wave) if r.kind == "wave"]
    latest = runs[-1] if runs else None
    if latest is None or latest.status in {"done", "rolled-back"}:
        state = "has no run" if latest is None else f"run {latest.id} is {latest.status}"
        raise InputError(f"wave {wave}: nothing to resume ({state}); start it with "
                         f"`logius-migrate wave run {wave}`")
    return latest


def _open_run(ctx: EngineContext, wave: int, services: list[str] | None,
              resume: bool, plan_id: int | None = None) -> tuple[str, list[str]]:
    runs = [r for r in ctx.journal.runs(wave=wave) if r.kind == "wave"]
    latest = runs[-1] if runs else None
    if resume:
        latest = resumable(ctx, wave)
        ctx.journal.set_run_status(latest.id, "running", latest.detail)
        ctx.journal.log(latest.id, "resume", f"resumed by {ctx.owner} (was {latest.status})")
        return latest.id, list(latest.parsed_detail.services)
    if latest is not None and latest.status not in {"done", "rolled-back"}:
        raise InputError(f"wave {wave} already has run {latest.id} ({latest.status}); continue it with "
                         f"`logius-migrate wave resume {wave}`")
    if not services:
        raise InputError(f"wave {wave} has no services in the plan")
    if runs:
        services = _not_yet_migrated(ctx, wave, runs, services)
    states.refuse_migrated(ctx.journal, wave, services)
    run_id = f"wave-{wave}" if latest is None else f"wave-{wave}.{len(runs) + 1}"
    ctx.journal.create_run(run_id, wave, "wave", ctx.owner)
    ctx.journal.set_run_status(run_id, "running", RunDetail(tuple(services), plan_id))
    source = f" from plan {plan_id}" if plan_id is not None else ""
    ctx.journal.log(run_id, "start", f"wave {wave}{source} started by {ctx.owner}: {', '.join(services)}")
    return run_id, services


def _not_yet_migrated(ctx: EngineContext, wave: int, runs: list[Any], services: list[str]) -> list[str]:
    """The members an earlier run of this wave has not migrated (never begun, or rolled back
    since): a new run takes exactly those. InputError when there are none."""
    earlier = {r.id for r in runs}
    done = {sid for sid in services if ctx.journal.service_state(sid).run_id in earlier
            and ctx.journal.service_state(sid).state not in states.STARTABLE}
    if len(done) == len(services):
        raise InputError(f"wave {wave} is done: every service of it was migrated by run "
                         f"{runs[-1].id if len(runs) == 1 else ', '.join(r.id for r in runs)}; nothing to "
                         f"run (roll a service back to run it again)")
    return [sid for sid in services if sid not in done]


class _Runner:
    def __init__(self, ctx: EngineContext, run_id: str, wave: int, members: list[str],
                 keeper: LeaseKeeper) -> None:
        self.ctx, self.run_id, self.wave, self.keeper = ctx, run_id, wave, keeper
        self.services = [ctx.service(sid) for sid in members]
        self.members = list(members)
        self.result = WaveResult(run_id, wave, "running")
        recorded = ctx.journal.run(run_id).parsed_detail  # type: ignore[union-attr]
        self.held_before: dict[str, str] = recorded.held or {}
        self.plan_id = recorded.plan
        self.held: dict[str, str] = {}  # service -> why it waits (a check, a step, a dependency)
        self.applied_hosts: dict[str, set[str]] = {}  # execution key -> hosts already applied

    @property
    def detail(self) -> RunDetail:
        return RunDetail(tuple(self.members), self.plan_id, self.held)

    # -- the loop ------------------------------------------------------------------------------

    def run(self, approve: bool, approver: Callable[[str], bool] | None, resume: bool,
            plan: Any, overrides: dict[str, str]) -> WaveResult:
        try:
            self._sweep()
            if resume:
                reconcile.settle_orphans(self.ctx, self.run_id)
                reconcile.close_attempts(self.ctx, self.run_id)
                reconcile.repair_stacks(self.ctx, self.run_id, self.services)
                refuse_missing_hosts(self.ctx.site, self.services)
            self._reconcile()
            self._gates(plan, overrides)
            for phase in PHASES:
                self._phase(phase, approve, approver)
        except Interrupted as exc:
            message = (f"wave {self.wave} {exc}; nothing past it ran; continue with "
                       f"`logius-migrate wave resume {self.wave}`")
            self._end("interrupted", message)
            raise Interrupted(message, exc.signum) from None
        except AwaitingApproval as exc:
            self._end("waiting-approval", str(exc), kind="gate")
            raise
        except LogiusMigrateError as exc:
            self._end("failed", str(exc))
            raise
        if self.held:
            count, total = len(self.held), len(self.members)
            went_on = (f"{count} of {total} service(s) held, the others went on" if count < total
                       else f"all {total} service(s) held")
            message = (f"wave {self.wave} partial: {went_on}; `logius-migrate wave resume "
                       f"{self.wave}` retries the held ones once the cause is gone")
            self._end("partial", message)
            raise WavePartial(message, self.held)
        self._end("done", f"wave {self.wave} done: {len(self.result.applied)} step(s) applied, "
                          f"{len(self.result.reconciled)} reconciled")
        return self.result

    def _sweep(self) -> None:
        """Remove what killed runs left in the temporary folder, and journal it."""
        from orchestrator.steps.ansible import sweep_leftovers

        swept = sweep_leftovers()
        if swept:
            self.ctx.journal.log(self.run_id, "swept", f"removed {len(swept)} temporary folder(s) of "
                                                       f"dead processes: {', '.join(swept[:10])}")

    # -- gates and held services ---------------------------------------------------------------

    def _gates(self, plan: Any, overrides: dict[str, str]) -> None:
        """Check every member not begun yet (and every one held before) before its first change."""
        from orchestrator.engine.gates import run_gates

        done = {e.service for e in self.ctx.journal.executions(run_id=self.run_id) if e.status == "done"}
        settled = {"cut-over", "decommissioned"}
        candidates = [sid for sid in self.members
                      if (sid not in done or sid in self.held_before)
                      and self.ctx.journal.service_state(sid).state not in settled]
        for sid, why in run_gates(self.ctx, self.run_id, self.wave, self.members, candidates, plan,
                                  overrides).items():
            self._hold(sid, why)

    def _hold(self, service_id: str, why: str) -> None:
        """Hold a service and the members that hard-depend on it; the rest of the wave goes on."""
        from orchestrator.engine.gates import dependants

        self.held[service_id] = why
        for sid, cause in dependants(self.ctx, self.members, {service_id}).items():
            if sid not in self.held:
                self.held[sid] = f"waits for {cause}, which is held"
                self.ctx.journal.log(self.run_id, "held", f"{sid} held: waits for {cause}")
        self.ctx.journal.set_run_status(self.run_id, "running", self.detail)

    def _step_failed(self, service: Service, step: Step, error: str) -> None:
        from orchestrator.engine.gates import open_failure_blocker

        blocker = open_failure_blocker(self.ctx, self.run_id, self.wave, service.id, step.name, error)
        self._hold(service.id, f"{step.name} failed ({blocker}): {error}")

    def _active(self) -> list[Service]:
        return [s for s in self.services if s.id not in self.held]

    def _end(self, status: str, message: str, kind: str | None = None) -> None:
        journal = self.ctx.journal
        if status == "interrupted":
            for execution in journal.executions(run_id=self.run_id):
                if execution.status == "running":
                    journal.finish_step(execution.key, "interrupted", error=message)
        journal.set_run_status(self.run_id, status, self.detail)
        journal.log(self.run_id, kind or status, message)
        self.result.status = status

    def _phase(self, phase: str, approve: bool, approver: Callable[[str], bool] | None) -> None:
        todo = [(s, step) for s in self._active() for step in runbook_for(s)
                if step.name == phase and not step.deferred]
        if not todo:
            return
        self.ctx.stop.check(f"before {phase}")
        if self.keeper.lost:
            raise LogiusMigrateError(f"{self.run_id}: the lease was lost (another process took "
                                     f"it over); stopping before {phase}")
        if todo[0][1].kind == "gate":
            _drill_pause(self.ctx, phase)
            self.ctx.stop.check("at the approval gate, before cutover")
            self._gate(todo[0][1], approve, approver)
            return
        pending = [(s, st) for s, st in todo if not self._done(s.id, st)]
        self.result.skipped += [f"{s.id}/{phase}" for s, st in todo if self._done(s.id, st)]
        if not pending:
            return
        self.ctx.progress.on_phase(phase, [s.id for s, _ in pending])
        if todo[0][1].kind == "terraform":
            self._terraform_phase(pending)
        else:
            self._ansible_phase(pending)
        _drill_pause(self.ctx, phase)

    def _key(self, service_id: str, step: Step) -> str:
        return execution_key(self.run_id, WAVE_SERVICE if step.wave_level else service_id, step.name)

    def _done(self, service_id: str, step: Step) -> bool:
        execution = self.ctx.journal.execution(self._key(service_id, step))
        return execution is not None and execution.status == "done"

    def _seq(self, step: Step) -> int:
        return PHASES.index(step.name)

    def _begin(self, service: Service, step: Step) -> str:
        execution = self.ctx.journal.begin_step(self.run_id, service.id, step.name, self._seq(step),
                                                service_state=states.state_on_begin(service, step))
        self.ctx.progress.on_step(service.id, step.name, "running")
        return execution.key

    def _finish(self, service: Service, step: Step, key: str, output: str) -> None:
        self.ctx.journal.finish_step(key, "done", output=output, service_state=states.state_on_done(step))
        self.result.applied.append(f"{service.id}/{step.name}")
        self.ctx.progress.on_step(service.id, step.name, "done")

    # -- reconciliation after a crash ----------------------------------------------------------

    def _reconcile(self) -> None:
        """Settle every step a dead or stopped process left unfinished: if its change is in
        place, it is done; otherwise it runs again, only where it is missing."""
        for execution in self.ctx.journal.executions(run_id=self.run_id):
            if execution.status not in reconcile.UNSETTLED or execution.service == WAVE_SERVICE:
                continue
            service = self.ctx.service(execution.service)
            step = next(s for s in runbook_for(service) if s.name == execution.step)
            applied, where, hosts = reconcile.is_applied(self.ctx, service, step, self.run_id)
            self.applied_hosts[execution.key] = hosts
            if applied:
                self.ctx.journal.finish_step(execution.key, "done",
                                             output=f"reconciled after a crash: {where}",
                                             service_state=states.state_on_done(step))
                self.ctx.journal.log(self.run_id, "reconciled", f"{execution.key}: {where}")
                self.result.reconciled.append(f"{service.id}/{step.name}")
            else:
                self.ctx.journal.log(self.run_id, "reconciled", f"{execution.key}: {where}; runs again")

    # -- the approval gate ---------------------------------------------------------------------

    def _gate(self, step: Step, approve: bool, approver: Callable[[str], bool] | None) -> None:
        key = self._key(WAVE_SERVICE, step)
        execution = self.ctx.journal.execution(key)
        if execution is not None and execution.status == "done":
            return
        question = (f"Wave {self.wave}: approve the cutover of "
                    f"{', '.join(s.id for s in self._active())}?")
        if approve:
            how = f"approved with --approve by {self.ctx.owner}"
        elif approver is not None and self._ask(approver, question):
            how = f"approved at the prompt by {self.ctx.owner}"
        else:
            raise AwaitingApproval(
                f"wave {self.wave} stopped at the approval gate before cutover (nothing past it "
                f"ran); continue with: logius-migrate wave resume {self.wave} --approve")
        self.ctx.stop.check("at the approval gate, before cutover")
        self.ctx.journal.begin_step(self.run_id, WAVE_SERVICE, step.name, self._seq(step))
        self.ctx.journal.finish_step(key, "done", output=how)
        self.ctx.journal.log(self.run_id, "gate", how)
        self.ctx.progress.on_step(WAVE_SERVICE, step.name, "done")

    def _ask(self, approver: Callable[[str], bool], question: str) -> bool:
        """The person's answer; a stop request at the prompt ends it at once (Interrupted)."""
        with self.ctx.stop.waiting("at the approval prompt, before cutover"):
            return approver(question)

    # -- Terraform -----------------------------------------------------------------------------

    def _terraform_phase(self, pending: list[tuple[Service, Step]]) -> None:
        def one(item: tuple[Service, Step]) -> tuple[Service, Step, str] | None:
            service, step = item
            if self.ctx.stop.requested:
                return None  # not begun: nothing starts after a stop request
            try:
                self._terraform_step(step, service)
                return None
            except (Cancelled, Interrupted):
                return None
            except LogiusMigrateError as exc:
                return service, step, str(exc)

        # Applies wait mostly on process and provider start-up, not on the CPU: eight at a time.
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(pending))) as pool:
            failures = [f for f in pool.map(one, pending) if f]
        self.ctx.stop.check(f"during {pending[0][1].name}")
        for service, step, error in failures:
            self._step_failed(service, step, error)

    def _terraform_step(self, step: Step, service: Service) -> None:
        journal = self.ctx.journal
        key = self._begin(service, step)
        stack = stack_for(self.ctx, service, self.run_id)
        variables = tf_variables(self.ctx, service)
        if not self._has_point(key):
            snapshot = stack.snapshot(self._last_variables(service))
            journal.add_rollback_point(self.run_id, service.id, step.name, "terraform",
                                       {**snapshot.as_payload(), "apply_variables": variables},
                                       step.point_of_no_return)
        outputs: dict[str, Any] = {}
        try:
            for attempt in _retrying(step):
                with attempt:
                    outputs = self._terraform_attempt(stack, step, key, variables)
        except TransientStepError as exc:
            journal.finish_step(key, "failed", error=str(exc))
            self.ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(str(exc)) from None
        except Cancelled as exc:
            journal.finish_step(key, "interrupted", error=str(exc))
            raise
        self._finish(service, step, key, json.dumps(outputs, sort_keys=True))

    def _terraform_attempt(self, stack: Any, step: Step, key: str, variables: dict[str, Any]) -> Any:
        journal = self.ctx.journal
        if self.ctx.stop.requested:
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
                journal.log(self.run_id, "terraform-repair", evidence)
            raise TransientStepError(str(exc)) from exc
        journal.finish_attempt(key, number, "ok")
        return outputs

    def _last_variables(self, service: Service) -> dict[str, Any] | None:
        for point in reversed(self.ctx.journal.rollback_points(service=service.id, include_restored=True)):
            if point.kind == "terraform" and point.restored_at is None:
                return point.payload.get("apply_variables")
        return None

    def _has_point(self, key: str) -> bool:
        return self.ctx.journal.has_rollback_point(key)

    # -- Ansible -------------------------------------------------------------------------------

    def _ansible_phase(self, pending: list[tuple[Service, Step]]) -> None:
        """Every batch of the phase runs (services that share a step policy share a playbook
        run); the phase fails after all of them, naming each failure."""
        for batch in _by_policy(pending):
            for service, error in self._ansible_batch(batch):
                self._step_failed(service, batch[0][1], error)

    def _ansible_batch(self, batch: list[tuple[Service, Step]]) -> list[tuple[Service, str]]:
        """One playbook run (retried by the batch's shared policy) over the batch's services;
        returns the services that still failed after the retries, with why."""
        step = batch[0][1]
        services = [s for s, _ in batch]
        keys = {s.id: self._begin(s, st) for s, st in batch}
        if step.mutating:
            fresh = [s for s in services if not self._has_point(keys[s.id])]
            record_file_points(self.ctx, self.run_id, step, fresh)
        pending = list(services)
        try:
            for attempt in _retrying(step):
                with attempt:
                    try:
                        pending = self._ansible_attempt(step, pending, keys)
                    except _StillFailing as exc:
                        pending = exc.services
                        raise
        except TransientStepError as exc:
            self._mark(pending, step, keys, "failed", str(exc))
            why = f"failed after {step.retry.attempts} attempt(s): {exc}"
            return [(s, why) for s in pending]
        except (Cancelled, Interrupted) as exc:
            self._mark(pending, step, keys, "interrupted", str(exc))
            raise self.ctx.stop.interrupted(f"during {step.name}") from None
        return []

    def _mark(self, services: list[Service], step: Step, keys: dict[str, str], status: str, why: str) -> None:
        for service in services:
            self.ctx.journal.finish_step(keys[service.id], status, error=why)
            self.ctx.progress.on_step(service.id, step.name, status)

    def _ansible_attempt(self, step: Step, pending: list[Service], keys: dict[str, str]) -> list[Service]:
        """Run the playbook once for ``pending``; returns who still needs it (empty: all done), or
        raises TransientStepError to retry them."""
        from orchestrator.steps import ansible

        journal = self.ctx.journal
        self.ctx.stop.check(f"before {step.name}")
        numbers = {s.id: journal.start_attempt(keys[s.id]) for s in pending}
        secrets = {"service_secrets": {s.id: self.ctx.secrets.get(s.id, {}) for s in pending}}
        try:
            result = ansible.run_playbook(ansible.PlaybookRequest(
                step.playbook, self.ctx.site.inventory, tuple(self._limit(step, pending, keys)),
                _phase_variables(step, pending), secret_variables=secrets, timeout=step.timeout_seconds,
                keep_private_data_dir=self._runner_dir(step),
                hooks=(self.ctx.site.before_phase, self.ctx.site.after_phase), verbosity=self.ctx.verbosity),
                watch=child_watch(self.ctx, self.run_id, cancel_on_first_stop=True))
        except (Cancelled, StepTimeout) as exc:
            outcome = "interrupted" if isinstance(exc, Cancelled) else "failed"
            for service in pending:
                journal.finish_attempt(keys[service.id], numbers[service.id], outcome, str(exc))
            raise
        failed = self._settle_hosts(step, pending, keys, numbers, result)
        return self._retry_or_done(step, failed, keys)

    def _settle_hosts(self, step: Step, pending: list[Service], keys: dict[str, str],
                      numbers: dict[str, int], result: Any) -> list[tuple[Service, str]]:
        failed = []
        for service in pending:
            bad = {h: m for h, m in result.failed_hosts.items() if h in hosts_of(service, step.runs_on)}
            if not bad and step.name == "verify":
                from orchestrator.engine.readiness import deployment_not_ready

                why = deployment_not_ready(self.ctx.site, service)
                bad = {"kubernetes": why} if why else {}
            if bad:
                message = "; ".join(f"{h}: {m}" for h, m in sorted(bad.items()))
                self.ctx.journal.finish_attempt(keys[service.id], numbers[service.id], "failed", message)
                failed.append((service, message))
            else:
                self.ctx.journal.finish_attempt(keys[service.id], numbers[service.id], "ok")
                self._finish(service, step, keys[service.id], result.summary())
        return failed

    def _retry_or_done(self, step: Step, failed: list[tuple[Service, str]],
                       keys: dict[str, str]) -> list[Service]:
        # A host that failed for one service may have applied another's part (the gateway runs
        # every service of the wave); a retry re-applies only where the ledger says it is missing.
        pending = []
        for service, _message in failed:
            applied, where, hosts = reconcile.is_applied(self.ctx, service, step, self.run_id)
            self.applied_hosts[keys[service.id]] = hosts
            if applied and step.mutating:
                self._finish(service, step, keys[service.id], f"applied: {where}")
            else:
                pending.append(service)
        if pending:
            raise _StillFailing(pending, "; ".join(f"{s.id}: {m}" for s, m in failed if s in pending))
        return pending

    def _limit(self, step: Step, services: list[Service], keys: dict[str, str]) -> list[str]:
        hosts: set[str] = set()
        for service in services:
            done = self.applied_hosts.get(keys[service.id], set())
            for host in hosts_of(service, step.runs_on):
                if host in done and group_of(service, host) in step.ledger_on:
                    continue
                hosts.add(host)
        return sorted(hosts)

    def _runner_dir(self, step: Step) -> Any:
        if self.ctx.keep_runner_dirs is None:
            return None
        from pathlib import Path

        return Path(self.ctx.keep_runner_dirs) / f"{self.run_id}-{step.name}"


class _StillFailing(TransientStepError):
    """Services whose part of a phase failed this attempt; a retry runs them again."""

    def __init__(self, services: list[Service], message: str) -> None:
        super().__init__(message)
        self.services = services


def _phase_variables(step: Step, services: list[Service]) -> dict[str, Any]:
    return {
        "step_name": step.name,
        "cutover_services": [{"id": s.id, "targets": list(s.hosts.target)} for s in services],
        "verify_services": [s.id for s in services],
        "decommission_services": [s.id for s in services],
    }


def _by_policy(pending: list[tuple[Service, Step]]) -> list[list[tuple[Service, Step]]]:
    """The phase's services in batches that share a step policy (retries, wait, timeout), so
    each service runs under its own policy."""
    batches: dict[tuple[Any, ...], list[tuple[Service, Step]]] = {}
    for service, step in pending:
        batches.setdefault((step.retry, step.timeout_seconds), []).append((service, step))
    return list(batches.values())


def _drill_pause(ctx: EngineContext, phase: str) -> None:
    """Crash drills: ``LOGIUS_MIGRATE_DRILL_PAUSE=PHASE:SECONDS`` holds the run still right after
    PHASE is journalled (for the gate, ``approve``: right before it), so an operator or a test can
    kill or stop it exactly there. A stop request ends the pause."""
    drill = os.environ.get(DRILL_ENV, "")
    if drill.partition(":")[0] == phase:
        ctx.stop.wait(float(drill.partition(":")[2] or 30))


def _retrying(step: Step) -> Retrying:
    return Retrying(stop=stop_after_attempt(max(1, step.retry.attempts)),
                    wait=wait_fixed(step.retry.wait_seconds),
                    retry=retry_if_exception_type(TransientStepError), reraise=True)
