"""Running a wave: phase by phase, each step journalled before and after, a rollback point before
every change, one Ansible run per phase over the wave's hosts, Terraform stacks in parallel,
retries by each service's own step policy, a stop at the next safe point when asked, and resume
after a crash without applying a step, or migrating a service, twice.

The runner here is the phase loop and the holding of services with their dependants; each kind of
step has its executor (``engine/executors/``: Terraform, Ansible, the approval gate), which applies
a phase's steps or, in the runner's ``plan`` mode, only says what they would change. Settling what
a crash left unfinished is ``engine/reconcile.py``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine import reconcile, states
from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.engine.executors.ansible import AnsiblePhase
from orchestrator.engine.executors.approval import ApprovalGate
from orchestrator.engine.executors.base import WAVE_SERVICE, Change, Executor, RunScope, Work
from orchestrator.engine.executors.terraform import TerraformPhase
from orchestrator.engine.gates import refuse_foreign_overrides
from orchestrator.errors import AwaitingApproval, InputError, Interrupted, LogiusMigrateError, WavePartial
from orchestrator.journal import RunDetail
from orchestrator.runbook import MIGRATION, Runbook, Step
from orchestrator.sites.check import refuse_missing_hosts

#: What the runner does with each phase's steps: apply them, or only plan them (say what they would
#: change, for a dry-run).
MODES = ("apply", "plan")

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
             plan: Any = None, overrides: dict[str, str] | None = None,
             rehearsal: Any = None) -> WaveResult:
    """Run (or, with ``resume``, continue) wave ``wave``. ``services`` is the wave's membership
    from the plan; a resumed run uses what its first run recorded. ``plan`` is the saved plan the
    wave comes from (its window is what the contract-change check reads); ``overrides`` maps a
    check id to the operator's reason, for this run only; ``rehearsal`` is the approved dry-run
    record whose saved Terraform plans the run applies (checked to be current by the caller)."""
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
        runner = _Runner(ctx, run_id, wave, members, keeper, ApprovalChoice(approve, approver))
        if rehearsal is not None:
            runner.scope.saved_plans = _applies(ctx, run_id, rehearsal)
            held = rehearsal.document["held"]
            runner.unrehearsed = {sid: f"held when wave {wave} was rehearsed (dry-run {rehearsal.id}: "
                                       f"{why}); rehearse it again to run it"
                                  for sid, why in held.items() if sid in members}
        return runner.run(resume, plan, overrides or {})
    finally:
        keeper.release()


def _applies(ctx: EngineContext, run_id: str, rehearsal: Any) -> dict[str, Any]:
    """The rehearsal's saved plans, by service, journalled with their digests as what the run applies."""
    saved = {s["service"]: s for s in rehearsal.document["stacks"] if s.get("sha256")}
    listed = ", ".join(f"{sid} {s['sha256'][:12]}" for sid, s in sorted(saved.items())) or "none"
    ctx.journal.log(run_id, "dry-run", f"applies dry-run {rehearsal.id} (approved by "
                                       f"{rehearsal.approved_by}); saved Terraform plans: {listed}")
    return saved


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


@dataclass(frozen=True)
class ApprovalChoice:
    """How the approval gate is passed: ``--approve``, or the person's answer to ``approver``."""

    approve: bool = False
    approver: Callable[[str], bool] | None = None


class _Runner:
    """The phase loop of one run, and the holding of services with their dependants; each phase's
    steps go to the executor of their kind, applied or (``mode="plan"``) only planned."""

    def __init__(self, ctx: EngineContext, run_id: str, wave: int, members: list[str],
                 keeper: LeaseKeeper, approval: ApprovalChoice, mode: str = "apply",
                 detail: RunDetail | None = None, runbook: Runbook = MIGRATION) -> None:
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: one of {', '.join(MODES)}")
        self.ctx, self.run_id, self.wave, self.keeper, self.mode = ctx, run_id, wave, keeper, mode
        self.runbook = runbook
        self.journalled = mode == "apply"  # a dry-run writes nothing of its own to the journal
        self.services = [ctx.service(sid) for sid in members]
        self.members = list(members)
        self.result = WaveResult(run_id, wave, "running")
        recorded = detail or ctx.journal.run(run_id).parsed_detail  # type: ignore[union-attr]
        self.held_before: dict[str, str] = recorded.held or {}
        self.plan_id = recorded.plan
        self.held: dict[str, str] = {}  # service -> why it waits (a check, a step, a dependency)
        self.scope = RunScope(ctx, run_id, wave, applied=self.result.applied)
        self.executors: dict[str, Executor] = {
            "terraform": TerraformPhase(self.scope), "ansible": AnsiblePhase(self.scope),
            "gate": ApprovalGate(self.scope, approval.approve, approval.approver, self._active),
            **self._more_executors()}
        self.changes: list[Change] = []  # what the planned phases would change (mode "plan")
        self.checks: dict[str, list[Any]] = {}  # service -> its preconditions' results
        #: Members the approved dry-run held (so it rehearsed nothing of them): the run holds them too.
        self.unrehearsed: dict[str, str] = {}

    def _more_executors(self) -> dict[str, Executor]:
        """The executors of step kinds only other runbooks have (the test track's)."""
        return {}

    @property
    def detail(self) -> RunDetail:
        return RunDetail(tuple(self.members), self.plan_id, self.held)

    # -- the loop ------------------------------------------------------------------------------

    def run(self, resume: bool, plan: Any, overrides: dict[str, str]) -> WaveResult:
        try:
            self._settle(resume)
            self._gates(plan, overrides)
            for phase in self.runbook.phases:
                self._phase(phase)
        except Interrupted as exc:
            message = (f"wave {self.wave} {exc}; nothing past it ran; continue with "
                       f"`logius-migrate wave resume {self.wave}`" if self.journalled else
                       f"the dry-run of wave {self.wave} {exc}; nothing was changed or recorded")
            self._end("interrupted", message)
            raise Interrupted(message, exc.signum) from None
        except AwaitingApproval as exc:
            self._end("waiting-approval", str(exc), kind="gate")
            raise
        except LogiusMigrateError as exc:
            self._end("failed", str(exc))
            raise
        if not self.journalled:
            self._end("rehearsed", f"wave {self.wave} rehearsed: {len(self.changes)} prediction(s)")
            return self.result
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

    def _settle(self, resume: bool) -> None:
        """Before anything else (a run, not a dry-run): what dead processes left in the temporary
        folder, and (``resume``) their tools, attempts and stacks; then the unfinished steps."""
        if not self.journalled:
            return
        self._sweep()
        if resume:  # a wave's hosts must all still be in the inventory; a track writes its own
            reconcile.after_crash(self.ctx, self.run_id, self.services, check_hosts=self.runbook is MIGRATION)
        self.result.reconciled += reconcile.settle_steps(self.ctx, self.run_id, WAVE_SERVICE,
                                                         self.scope.applied_hosts)

    def _sweep(self) -> None:
        """Remove what killed runs left in the temporary folder, and journal it."""
        from orchestrator.steps.ansible import sweep_leftovers

        swept = sweep_leftovers()
        if swept:
            self.ctx.journal.log(self.run_id, "swept", f"removed {len(swept)} temporary folder(s) of "
                                                       f"dead processes: {', '.join(swept[:10])}")

    def _phase(self, phase: str) -> None:
        todo = [(s, step) for s in self._active(phase) for step in self.runbook.steps(s)
                if step.name == phase and not step.deferred]
        if not todo:
            return
        self.ctx.stop.check(f"before {phase}")
        if self.keeper.lost:
            raise LogiusMigrateError(f"{self.run_id}: the lease was lost (another process took "
                                     f"it over); stopping before {phase}")
        kind = todo[0][1].kind
        if kind == "gate":
            self._pause(phase)
            self.ctx.stop.check("at the approval gate, before cutover")
            self._execute(self.executors[kind], Work(phase, todo, self._step_failed, self._held_by))
            return
        pending = [(s, st) for s, st in todo if not self.scope.done(s.id, st)]
        self.result.skipped += [f"{s.id}/{phase}" for s, st in todo if self.scope.done(s.id, st)]
        if not pending:
            return
        self.ctx.progress.on_phase(phase, [s.id for s, _ in pending])
        self._execute(self.executors.get(kind, self.executors["ansible"]),
                      Work(phase, pending, self._step_failed, self._held_by))
        self._pause(phase)

    def _execute(self, executor: Executor, work: Work) -> None:
        if self.mode == "plan":
            self.changes += executor.plan(work)
        else:
            executor.apply(work)

    def _pause(self, phase: str) -> None:
        """The site's pause hook: a file it names holding ``PHASE:SECONDS`` holds the run still
        right after PHASE is journalled (for the gate, ``approve``: right before it), so an
        operator or a test can kill or stop it exactly there. A stop request ends the pause."""
        hook = self.ctx.site.pause
        if hook is None or not hook.is_file():
            return
        name, _, seconds = hook.read_text().strip().partition(":")
        if name == phase:
            self.ctx.stop.wait(float(seconds or 30))

    def _end(self, status: str, message: str, kind: str | None = None) -> None:
        self.result.status = status
        if not self.journalled:
            return
        journal = self.ctx.journal
        if status == "interrupted":
            for execution in journal.executions(run_id=self.run_id):
                if execution.status == "running":
                    journal.finish_step(execution.key, "interrupted", error=message)
        journal.set_run_status(self.run_id, status, self.detail)
        journal.log(self.run_id, kind or status, message)
        if status in ("done", "partial", "failed"):
            from orchestrator.engine.checkpoint import end_of_wave

            end_of_wave(self.ctx, self.run_id, self.wave)

    # -- gates and held services ---------------------------------------------------------------

    def _gates(self, plan: Any, overrides: dict[str, str]) -> None:
        """Check every member not begun yet (and every one held before) before its first change."""
        from orchestrator.engine.gates import run_gates

        if not self.runbook.preconditions:
            return
        done = {e.service for e in self.ctx.journal.executions(run_id=self.run_id) if e.status == "done"}
        settled = {"cut-over", "decommissioned"}
        for sid, why in self.unrehearsed.items():
            self._hold(sid, why)
        candidates = [sid for sid in self.members
                      if (sid not in done or sid in self.held_before) and sid not in self.unrehearsed
                      and self.ctx.journal.service_state(sid).state not in settled]
        for sid, why in run_gates(self.ctx, self.run_id, self.wave, self.members, candidates, plan,
                                  overrides, record=self.journalled, seen=self.checks).items():
            self._hold(sid, why)

    def _hold(self, service_id: str, why: str) -> None:
        """Hold a service and the members that hard-depend on it; the rest of the wave goes on."""
        from orchestrator.engine.gates import dependants

        self.held[service_id] = why
        for sid, cause in dependants(self.ctx, self.members, {service_id}).items():
            if sid not in self.held:
                self.held[sid] = f"waits for {cause}, which is held"
                if self.journalled:
                    self.ctx.journal.log(self.run_id, "held", f"{sid} held: waits for {cause}")
        if self.journalled:
            self.ctx.journal.set_run_status(self.run_id, "running", self.detail)

    def _held_by(self, service: Service, why: str) -> None:
        self._hold(service.id, why)

    def _step_failed(self, service: Service, step: Step, error: str) -> None:
        from orchestrator.engine.gates import open_failure_blocker

        if not self.journalled:  # a dry-run: the run would hold it here; nothing is opened
            self._hold(service.id, f"{step.name} would fail: {error}")
            return
        blocker = open_failure_blocker(self.ctx, self.run_id, self.wave, service.id, step.name, error)
        self._hold(service.id, f"{step.name} failed ({blocker}): {error}")

    def _active(self, phase: str | None = None) -> list[Service]:
        """The members a phase runs for: those not held (a runbook may run some phases for all)."""
        return [s for s in self.services if s.id not in self.held]
