"""Running a wave: phase by phase, each step journalled before and after, a rollback point before
every change, one Ansible run per phase over the wave's hosts, Terraform stacks in parallel,
retries by the step's policy, resume after a crash without applying a step twice.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.errors import (
    AwaitingApproval,
    InputError,
    LogiusMigrateError,
    StepFailed,
    TransientStepError,
)
from orchestrator.journal import execution_key
from orchestrator.runbook import LEDGER_DIR, PHASES, Step, group_of, hosts_of, runbook_for, touched_paths

WAVE_SERVICE = "_wave"  # the service name of wave-level executions (the approval gate)


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
             approve: bool = False, approver: Callable[[str], bool] | None = None) -> WaveResult:
    """Run (or, with ``resume``, continue) wave ``wave``. ``services`` is the wave's membership
    from the plan; a resumed run uses what its first run recorded."""
    ttl = lease_seconds()
    lease = ctx.journal.acquire_lock(wave_lock_name(wave), ctx.owner, ttl)
    keeper = LeaseKeeper(ctx.journal, lease, ttl)
    try:
        run_id, members = _open_run(ctx, wave, services, resume)
        if lease.taken_over_from:
            ctx.journal.log(run_id, "lease", f"took over the expired lease of {lease.taken_over_from}")
        return _Runner(ctx, run_id, wave, members, keeper).run(approve, approver)
    finally:
        keeper.release()


def _open_run(ctx: EngineContext, wave: int, services: list[str] | None,
              resume: bool) -> tuple[str, list[str]]:
    runs = [r for r in ctx.journal.runs(wave=wave) if r.kind == "wave"]
    latest = runs[-1] if runs else None
    if resume:
        if latest is None or latest.status in {"done", "rolled-back"}:
            state = "has no run" if latest is None else f"run {latest.id} is {latest.status}"
            raise InputError(f"wave {wave}: nothing to resume ({state}); start it with "
                             f"`logius-migrate wave run {wave}`")
        ctx.journal.set_run_status(latest.id, "running", latest.detail)
        ctx.journal.log(latest.id, "resume", f"resumed by {ctx.owner} (was {latest.status})")
        return latest.id, json.loads(latest.detail)["services"]
    if latest is not None and latest.status != "rolled-back":
        hint = (f"continue it with `logius-migrate wave resume {wave}`" if latest.status != "done"
                else "roll its services back first to run it again")
        raise InputError(f"wave {wave} already has run {latest.id} ({latest.status}); {hint}")
    if not services:
        raise InputError(f"wave {wave} has no services in the plan")
    run_id = f"wave-{wave}" if latest is None else f"wave-{wave}.{len(runs) + 1}"
    ctx.journal.create_run(run_id, wave, "wave", ctx.owner)
    ctx.journal.set_run_status(run_id, "running", json.dumps({"services": services}))
    ctx.journal.log(run_id, "start", f"wave {wave} started by {ctx.owner}: {', '.join(services)}")
    return run_id, services


class _Runner:
    def __init__(self, ctx: EngineContext, run_id: str, wave: int, members: list[str],
                 keeper: LeaseKeeper) -> None:
        self.ctx, self.run_id, self.wave, self.keeper = ctx, run_id, wave, keeper
        self.services = [ctx.service(sid) for sid in members]
        self.result = WaveResult(run_id, wave, "running")
        self.detail = ctx.journal.run(run_id).detail  # type: ignore[union-attr]
        self.applied_hosts: dict[str, set[str]] = {}  # execution key -> hosts already applied

    # -- the loop ------------------------------------------------------------------------------

    def run(self, approve: bool, approver: Callable[[str], bool] | None) -> WaveResult:
        journal = self.ctx.journal
        try:
            self._reconcile()
            for phase in PHASES:
                todo = [(s, step) for s in self.services for step in runbook_for(s)
                        if step.name == phase and not step.deferred]
                if not todo:
                    continue
                if self.keeper.lost:
                    raise LogiusMigrateError(f"{self.run_id}: the lease was lost (another process took "
                                             f"it over); stopping before {phase}")
                step = todo[0][1]
                if step.kind == "gate":
                    self._gate(step, approve, approver)
                    continue
                pending = [s for s, st in todo if not self._done(s.id, st)]
                self.result.skipped += [f"{s.id}/{phase}" for s, st in todo if self._done(s.id, st)]
                if not pending:
                    continue
                self.ctx.progress.on_phase(phase, [s.id for s in pending])
                if step.kind == "terraform":
                    self._terraform_phase(step, pending)
                else:
                    self._ansible_phase(step, pending)
                _drill_pause(phase)
        except AwaitingApproval as exc:
            journal.set_run_status(self.run_id, "waiting-approval", self.detail)
            journal.log(self.run_id, "gate", str(exc))
            self.result.status = "waiting-approval"
            raise
        except LogiusMigrateError as exc:
            journal.set_run_status(self.run_id, "failed", self.detail)
            journal.log(self.run_id, "failed", str(exc))
            self.result.status = "failed"
            raise
        journal.set_run_status(self.run_id, "done", self.detail)
        journal.log(self.run_id, "done", f"wave {self.wave} done: {len(self.result.applied)} step(s) "
                                         f"applied, {len(self.result.reconciled)} reconciled")
        self.result.status = "done"
        return self.result

    def _key(self, service_id: str, step: Step) -> str:
        return execution_key(self.run_id, WAVE_SERVICE if step.wave_level else service_id, step.name)

    def _done(self, service_id: str, step: Step) -> bool:
        execution = self.ctx.journal.execution(self._key(service_id, step))
        return execution is not None and execution.status == "done"

    def _seq(self, step: Step) -> int:
        return PHASES.index(step.name)

    # -- reconciliation after a crash ----------------------------------------------------------

    def _reconcile(self) -> None:
        """Settle every step a dead process left ``running``: if its change is in place, it is
        done; otherwise it runs again, only where it is missing."""
        for execution in self.ctx.journal.executions(run_id=self.run_id):
            if execution.status != "running":
                continue
            if execution.service == WAVE_SERVICE:
                continue
            service = self.ctx.service(execution.service)
            step = next(s for s in runbook_for(service) if s.name == execution.step)
            applied, where = self._is_applied(service, step)
            if applied:
                self.ctx.journal.finish_step(execution.key, "done",
                                             output=f"reconciled after a crash: {where}")
                self.ctx.journal.log(self.run_id, "reconciled", f"{execution.key}: {where}")
                self.result.reconciled.append(f"{service.id}/{step.name}")
            else:
                self.ctx.journal.log(self.run_id, "reconciled", f"{execution.key}: {where}; runs again")

    def _is_applied(self, service: Service, step: Step) -> tuple[bool, str]:
        if step.kind == "terraform":
            stack = self._stack(service)
            changes = stack.plan(self._tf_variables(service))
            return (not changes, "terraform plan shows no changes" if not changes
                    else "terraform plan shows changes")
        if not step.mutating or not step.ledger_on:
            return False, "read-only step"
        from orchestrator.steps import ansible

        ledger_hosts = hosts_of(service, step.ledger_on)
        captured = ansible.capture(self.ctx.layout.inventory,
                                   {h: [f"{LEDGER_DIR}/{service.id}"] for h in ledger_hosts})
        done_hosts = set()
        for host, entries in captured.items():
            entry = entries[0]
            if entry["state"] == "file":
                lines = base64.b64decode(entry["content"]).decode().splitlines()
                if step.name in lines:
                    done_hosts.add(host)
        self.applied_hosts[self._key(service.id, step)] = done_hosts
        if done_hosts == set(ledger_hosts):
            return True, f"applied on every host ({', '.join(sorted(done_hosts))})"
        missing = sorted(set(ledger_hosts) - done_hosts)
        return False, f"not yet applied on {', '.join(missing)}"

    # -- the approval gate ---------------------------------------------------------------------

    def _gate(self, step: Step, approve: bool, approver: Callable[[str], bool] | None) -> None:
        key = self._key(WAVE_SERVICE, step)
        execution = self.ctx.journal.execution(key)
        if execution is not None and execution.status == "done":
            return
        question = (f"Wave {self.wave}: approve the cutover of "
                    f"{', '.join(s.id for s in self.services)}?")
        if approve:
            how = f"approved with --approve by {self.ctx.owner}"
        elif approver is not None and approver(question):
            how = f"approved at the prompt by {self.ctx.owner}"
        else:
            raise AwaitingApproval(
                f"wave {self.wave} stopped at the approval gate before cutover (nothing past it "
                f"ran); continue with: logius-migrate wave resume {self.wave} --approve")
        self.ctx.journal.begin_step(self.run_id, WAVE_SERVICE, step.name, self._seq(step))
        self.ctx.journal.finish_step(key, "done", output=how)
        self.ctx.journal.log(self.run_id, "gate", how)
        self.ctx.progress.on_step(WAVE_SERVICE, step.name, "done")

    # -- Terraform -----------------------------------------------------------------------------

    def _stack(self, service: Service) -> Any:
        from orchestrator.steps.terraform import TerraformStack

        stack = TerraformStack(self.ctx.layout.stack_dir(service.id), self.ctx.pg_conn_str)
        if not stack.initialized:
            stack.init()
        return stack

    def _tf_variables(self, service: Service) -> dict[str, Any]:
        return {"service": service.id, "hosts": list(service.hosts.target),
                "release": service.min_release or "none",
                "fault_file": str(self.ctx.layout.faults / f"{service.id}.provision")}

    def _terraform_phase(self, step: Step, services: list[Service]) -> None:
        def one(service: Service) -> str | None:
            try:
                self._terraform_step(step, service)
                return None
            except LogiusMigrateError as exc:
                return f"{service.id}: {exc}"

        with concurrent.futures.ThreadPoolExecutor(max_workers=min(4, len(services))) as pool:
            errors = [e for e in pool.map(one, services) if e]
        if errors:
            raise StepFailed(f"{step.name} failed: " + "; ".join(errors))

    def _terraform_step(self, step: Step, service: Service) -> None:
        journal = self.ctx.journal
        execution = journal.begin_step(self.run_id, service.id, step.name, self._seq(step))
        self.ctx.progress.on_step(service.id, step.name, "running")
        stack = self._stack(service)
        variables = self._tf_variables(service)
        if not self._has_point(execution.key):
            snapshot = stack.snapshot(self._last_variables(service))
            journal.add_rollback_point(self.run_id, service.id, step.name, "terraform",
                                       {**snapshot.as_payload(), "apply_variables": variables},
                                       step.point_of_no_return)
        outputs: dict[str, Any] = {}
        try:
            for attempt in _retrying(step):
                with attempt:
                    number = journal.start_attempt(execution.key)
                    try:
                        outputs = stack.apply(variables)
                    except LogiusMigrateError as exc:
                        journal.finish_attempt(execution.key, number, "failed", str(exc))
                        raise TransientStepError(str(exc)) from exc
                    journal.finish_attempt(execution.key, number, "ok")
        except TransientStepError as exc:
            journal.finish_step(execution.key, "failed", error=str(exc))
            self.ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(str(exc)) from None
        journal.finish_step(execution.key, "done", output=json.dumps(outputs, sort_keys=True))
        self.result.applied.append(f"{service.id}/{step.name}")
        self.ctx.progress.on_step(service.id, step.name, "done")

    def _last_variables(self, service: Service) -> dict[str, Any] | None:
        for point in reversed(self.ctx.journal.rollback_points(service=service.id, include_restored=True)):
            if point.kind == "terraform" and point.restored_at is None:
                return point.payload.get("apply_variables")
        return None

    def _has_point(self, key: str) -> bool:
        return any(p.execution_key == key for p in self.ctx.journal.rollback_points(run_id=self.run_id))

    # -- Ansible -------------------------------------------------------------------------------

    def _phase_variables(self, step: Step, services: list[Service]) -> dict[str, Any]:
        return {
            "step_name": step.name,
            "cutover_services": [{"id": s.id, "targets": list(s.hosts.target)} for s in services],
            "verify_services": [s.id for s in services],
            "decommission_services": [s.id for s in services],
        }

    def _ansible_phase(self, step: Step, services: list[Service]) -> None:
        from orchestrator.steps import ansible

        journal = self.ctx.journal
        keys = {}
        for service in services:
            execution = journal.begin_step(self.run_id, service.id, step.name, self._seq(step))
            keys[service.id] = execution.key
            self.ctx.progress.on_step(service.id, step.name, "running")
        if step.mutating:
            self._record_file_points(step, [s for s in services if not self._has_point(keys[s.id])])
        pending = list(services)
        secrets = {"service_secrets": {s.id: self.ctx.secrets.get(s.id, {}) for s in services}}
        try:
            for attempt in _retrying(step):
                with attempt:
                    numbers = {s.id: journal.start_attempt(keys[s.id]) for s in pending}
                    limit = self._limit(step, pending, keys)
                    result = ansible.run_playbook(
                        step.playbook, self.ctx.layout.inventory, limit,
                        self._phase_variables(step, pending), secret_variables=secrets,
                        timeout=step.timeout_seconds, keep_private_data_dir=self._runner_dir(step))
                    failed = []
                    for service in pending:
                        bad = {h: m for h, m in result.failed_hosts.items()
                               if h in hosts_of(service, step.runs_on)}
                        if bad:
                            message = "; ".join(f"{h}: {m}" for h, m in sorted(bad.items()))
                            journal.finish_attempt(keys[service.id], numbers[service.id], "failed", message)
                            failed.append((service, message))
                        else:
                            journal.finish_attempt(keys[service.id], numbers[service.id], "ok")
                            journal.finish_step(keys[service.id], "done", output=result.summary())
                            self.result.applied.append(f"{service.id}/{step.name}")
                            self.ctx.progress.on_step(service.id, step.name, "done")
                    if failed:
                        pending = []
                        for service, _message in failed:
                            # A host that failed for one service may have applied another's part
                            # (the gateway runs every service of the wave); a retry re-applies
                            # only where the ledger says it is missing.
                            applied, where = self._is_applied(service, step)
                            if applied and step.mutating:
                                journal.finish_step(keys[service.id], "done", output=f"applied: {where}")
                                self.result.applied.append(f"{service.id}/{step.name}")
                                self.ctx.progress.on_step(service.id, step.name, "done")
                            else:
                                pending.append(service)
                        if pending:
                            raise TransientStepError("; ".join(f"{s.id}: {m}" for s, m in failed
                                                               if s in pending))
        except TransientStepError as exc:
            for service in pending:
                journal.finish_step(keys[service.id], "failed", error=str(exc))
                self.ctx.progress.on_step(service.id, step.name, "failed")
            raise StepFailed(f"{step.name} failed after {step.retry.attempts} attempt(s): {exc}") from None

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

        folder = Path(self.ctx.keep_runner_dirs) / f"{self.run_id}-{step.name}"
        return folder

    def _flat_secrets(self) -> dict[str, str]:
        return flat_secrets(self.ctx.secrets)

    def _record_file_points(self, step: Step, services: list[Service]) -> None:
        from orchestrator.steps import ansible

        if not services:
            return
        wanted: dict[str, dict[str, list[str]]] = {}
        for service in services:
            for host in hosts_of(service, step.runs_on):
                wanted.setdefault(service.id, {})[host] = touched_paths(service, group_of(service, host))
        by_host: dict[str, list[str]] = {}
        for per_host in wanted.values():
            for host, paths in per_host.items():
                by_host.setdefault(host, []).extend(paths)
        captured = ansible.capture(self.ctx.layout.inventory, by_host)
        inventory = ansible.load_inventory(self.ctx.layout.inventory)
        for service in services:
            hosts = {}
            for host, paths in wanted[service.id].items():
                roots = tuple(f"{inventory[host]['host_root']}/{p}" for p in paths)
                below = tuple(f"{r}/" for r in roots)
                entries = [e for e in captured[host] if e["path"] in roots or e["path"].startswith(below)]
                hosts[host] = ansible.mask_secrets(entries, self._flat_secrets())
            payload: dict[str, Any] = {"hosts": hosts}
            if step.name == "cutover":
                payload["routing"] = "legacy" if service.hosts.legacy else "none"
            self.ctx.journal.add_rollback_point(self.run_id, service.id, step.name, "files", payload,
                                                step.point_of_no_return)


def _drill_pause(phase: str) -> None:
    """Crash drills: ``LOGIUS_MIGRATE_DRILL_PAUSE=PHASE:SECONDS`` holds the run still right after
    PHASE is journalled, so an operator (or a test) can kill it exactly between two steps."""
    import os
    import time

    drill = os.environ.get("LOGIUS_MIGRATE_DRILL_PAUSE", "")
    if drill.partition(":")[0] == phase:
        time.sleep(float(drill.partition(":")[2] or 30))


def flat_secrets(secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """``service.name`` -> value, for masking and unmasking captured files."""
    return {f"{service}.{name}": value for service, values in secrets.items()
            for name, value in values.items()}


def _retrying(step: Step) -> Retrying:
    return Retrying(stop=stop_after_attempt(max(1, step.retry.attempts)),
                    wait=wait_fixed(step.retry.wait_seconds),
                    retry=retry_if_exception_type(TransientStepError), reraise=True)
