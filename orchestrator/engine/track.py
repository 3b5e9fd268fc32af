"""The Azure test track of a rebuild, on the wave's engine and journal: a run of kind ``track``
(``azure-test-SERVICE``, then ``.2``, ...) through the steps of ``runbook.AZURE_TEST``: provision
(the guardrails on the plan before it is applied), deploy, acceptance tests, report, destroy. One
lease per service, every step journalled before and after, a rollback point before each change,
a stop at the next safe point, a resume that reconciles what a crash left; the report and the
destroy run whatever the tests said: the environment does not outlive its test."""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from orchestrator import clock
from orchestrator.catalog.models import HostGroups, Service
from orchestrator.engine.context import EngineContext, LeaseKeeper, lease_seconds
from orchestrator.engine.executors.base import Executor
from orchestrator.engine.executors.track import Destroy, GuardedProvision, Report
from orchestrator.engine.wave import ApprovalChoice, WaveResult, _Runner
from orchestrator.errors import DestroyFailed, InputError, Interrupted, LogiusMigrateError, WavePartial
from orchestrator.journal import RunDetail
from orchestrator.journal.tracks import KIND
from orchestrator.runbook import AZURE_TEST, Step

TRACK = "azure-test"
#: The phases a track runs for every member, held or not (nothing outlives the test).
ALWAYS = ("az-report", "az-destroy")
_CREDENTIAL = re.compile(r"^ARM_[A-Z_]+$")


def lock_name(service_id: str) -> str:
    return f"track-{TRACK}-{service_id}"


@dataclass(frozen=True)
class TrackSetup:
    """One service's track run as the engine needs it: the module's variables (fixed when the
    run began), the test VMs, the cloud credentials (terraform's environment only) and where the
    inventory, the JUnit file and the report go."""

    service_id: str
    build: str
    variables: dict[str, Any]
    hosts: tuple[str, ...]
    stack_dir: Path
    run_id: str
    credentials: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def inventory(self) -> Path:
        return self.stack_dir / "inventory.yml"

    @property
    def junit(self) -> Path:
        return self.stack_dir / "junit" / f"{self.run_id}.xml"

    @property
    def report_dir(self) -> Path:
        return self.stack_dir.parent.parent / "reports" / self.run_id

    def view(self, service: Service) -> Service:
        """The service as the track sees it: no legacy host, the test VMs as its targets."""
        if service.id != self.service_id:
            return service
        return service.model_copy(update={"hosts": HostGroups(legacy=[], target=list(self.hosts))})


def track_variables(ctx: EngineContext, service: Service, today: dt.date) -> dict[str, Any]:
    """The environment module's variables: the site's conditions, the expiry its lifetime gives."""
    azure = ctx.site.track
    return {"service": service.id, "region": azure.region,
            "allowed_source_ranges": list(azure.allowed_ranges),
            "owner": azure.owner, "expires_on": (today + dt.timedelta(days=azure.lifetime_days)).isoformat(),
            "budget_amount": azure.budget_amount,
            "budget_start": today.replace(day=1).isoformat() + "T00:00:00Z",
            "budget_contacts": list(azure.budget_contacts), **azure.variables}


def tracked_service(ctx: EngineContext, service_id: str) -> Service:
    """The service, if it has a test track on this site; InputError naming what is missing."""
    if ctx.site.kind != TRACK or ctx.site.azure is None:
        raise InputError(f"{ctx.site.path}: site {ctx.site.name} is of kind {ctx.site.kind}, not azure-test; "
                         f"give the track's site with --site (the lab's: azure-test.yml in the lab)")
    service = ctx.catalog.service(service_id)
    track = service.test_track
    if track is None or track.track != TRACK:
        raise InputError(f"{service_id}: the catalog gives it no azure-test track (test_track); "
                         f"only a service with one goes through it")
    return service


def setup_for(ctx: EngineContext, service: Service, run_id: str, record: dict[str, Any]) -> TrackSetup:
    credentials = {k: v for k, v in ctx.secrets.get("azure", {}).items() if _CREDENTIAL.match(k)}
    variables = dict(record["variables"])
    hosts = tuple(f"{service.id}-azure-test-vm-{i}" for i in range(int(variables.get("vm_count", 2))))
    return TrackSetup(service.id, record["build"], variables, hosts, ctx.site.stack_dir(service.id), run_id,
                      credentials)


def track_context(ctx: EngineContext, setup: TrackSetup) -> EngineContext:
    """The context the track's run works in: its own inventory, its variables, its view of the service."""
    return replace(ctx, site=replace(ctx.site, inventory=setup.inventory), track=setup)


def write_inventory(ctx: EngineContext, setup: TrackSetup, addresses: dict[str, str]) -> None:
    """The test VMs' inventory (group ``azure_test``): on the lab, folders; on Azure, their private
    addresses (Terraform's ``host_addresses``) reached as the site says (through the bastion)."""
    import yaml

    azure = ctx.site.track
    common: dict[str, Any] = {"track_build": setup.build, "synthetic_data": str(azure.synthetic_data),
                              "junit_path": str(setup.junit), "staging_dir": str(setup.stack_dir / "staging")}
    if azure.connection == "local":
        common.update(ansible_connection="local", ansible_python_interpreter=sys.executable)
    else:
        common.update(ansible_connection="ssh", ansible_user=azure.ssh_user)
        if azure.ssh_common_args:
            common["ansible_ssh_common_args"] = azure.ssh_common_args
    hosts = {}
    for name in setup.hosts:
        host: dict[str, Any] = {"host_root": azure.host_root(ctx.site.directory, name),
                                "service": setup.service_id}
        if name in addresses:
            host["ansible_host"] = addresses[name]
        hosts[name] = host
    document = {"all": {"vars": common, "children": {"azure_test": {"hosts": hosts}}}}
    setup.stack_dir.mkdir(parents=True, exist_ok=True)
    setup.inventory.write_text("# Written by logius-migrate for the Azure test track.\n"
                               + yaml.safe_dump(document, sort_keys=True))


def run_track(ctx: EngineContext, service_id: str, resume: bool = False,
              overrides: dict[str, str] | None = None) -> WaveResult:
    """Run (``resume``: continue) the service's Azure test track on the site of ``ctx``."""
    service = tracked_service(ctx, service_id)
    ttl = lease_seconds()
    keeper = LeaseKeeper(ctx.journal, ctx.journal.acquire_lock(lock_name(service_id), ctx.owner, ttl), ttl)
    try:
        run_id, record = (_resumed(ctx, service) if resume else _opened(ctx, service))
        setup = setup_for(ctx, service, run_id, record)
        tctx = track_context(ctx, setup)
        write_inventory(tctx, setup, _addresses(tctx, service))
        runner = TrackRunner(tctx, run_id, 0, [service_id], keeper, ApprovalChoice(), runbook=AZURE_TEST)
        runner.scope.overrides = dict(overrides or {})
        return runner.run(resume, None, dict(overrides or {}))
    finally:
        keeper.release()


def destroy_track(ctx: EngineContext, service_id: str) -> WaveResult:
    """Destroy the environment of the service's newest track run (after a failed destroy, a held
    or interrupted run): its destroy step alone, journalled in that run."""
    service = tracked_service(ctx, service_id)
    ttl = lease_seconds()
    keeper = LeaseKeeper(ctx.journal, ctx.journal.acquire_lock(lock_name(service_id), ctx.owner, ttl), ttl)
    try:
        latest = _latest(ctx, service_id)
        if latest is None:
            raise InputError(f"{service_id}: no track run to destroy; nothing was provisioned")
        detail = latest.parsed_detail
        ctx.journal.set_run_status(latest.id, "running", detail)
        ctx.journal.log(latest.id, "destroy", f"destroy requested by {ctx.owner} (was {latest.status})")
        setup = setup_for(ctx, service, latest.id, detail.track or {})
        tctx = track_context(ctx, setup)
        runner = TrackRunner(tctx, latest.id, 0, [service_id], keeper, ApprovalChoice(), runbook=AZURE_TEST)
        runner.phases_only = ("az-destroy",)
        return runner.run(True, None, {})
    finally:
        keeper.release()


def rehearse_track(ctx: EngineContext, service_id: str) -> tuple[WaveResult, list[Any], dict[str, str]]:
    """The dry-run of the track: the plan and its guardrails, the playbooks in check mode; nothing
    is changed or journalled. Returns the result, the predicted changes and what would be held."""
    service = tracked_service(ctx, service_id)
    record = _record(ctx, service)
    setup = setup_for(ctx, service, f"dry-run-{TRACK}-{service_id}", record)
    tctx = track_context(ctx, setup)
    write_inventory(tctx, setup, _addresses(tctx, service))
    from orchestrator.engine.prediction import Rehearsed

    keeper = _NoLease()
    runner = TrackRunner(tctx, setup.run_id, 0, [service_id], keeper, ApprovalChoice(),  # type: ignore[arg-type]
                         mode="plan", detail=RunDetail((service_id,)), runbook=AZURE_TEST)
    runner.scope.rehearsed = Rehearsed()
    result = runner.run(False, None, {})
    return result, runner.changes, runner.held


class _NoLease:
    lost = False


def _record(ctx: EngineContext, service: Service) -> dict[str, Any]:
    azure = ctx.site.track
    return {"track": TRACK, "service": service.id, "build": service.test_track.build,  # type: ignore[union-attr]
            "site": ctx.site.name, "variables": track_variables(ctx, service, clock.today()),
            "budget": {"amount": azure.budget_amount, "contacts": list(azure.budget_contacts)}}


def _latest(ctx: EngineContext, service_id: str) -> Any:
    from orchestrator.journal.tracks import track_runs

    runs = track_runs(ctx.journal, service=service_id, track=TRACK)
    return ctx.journal.run(runs[-1].run_id) if runs else None


def _opened(ctx: EngineContext, service: Service) -> tuple[str, dict[str, Any]]:
    latest = _latest(ctx, service.id)
    if latest is not None and latest.status in {"running", "interrupted", "failed"}:
        raise InputError(f"{service.id}: track run {latest.id} is {latest.status}; continue it with "
                         f"`logius-migrate track azure-test resume {service.id}`")
    if latest is not None and latest.status == "destroy-failed":
        raise InputError(f"{service.id}: the environment of track run {latest.id} was not destroyed; run "
                         f"`logius-migrate track azure-test destroy {service.id}` first")
    from orchestrator.journal.tracks import track_runs

    count = len(track_runs(ctx.journal, service=service.id, track=TRACK))  # not a prefix: digipoort-x
    run_id = f"{TRACK}-{service.id}" + (f".{count + 1}" if count else "")
    record = _record(ctx, service)
    record["expires_on"] = record["variables"]["expires_on"]
    ctx.journal.create_run(run_id, 0, KIND, ctx.owner)
    ctx.journal.set_run_status(run_id, "running", RunDetail((service.id,), None, {}, record))
    ctx.journal.log(run_id, "start", f"azure-test track of {service.id} (build {record['build']}) started "
                                     f"by {ctx.owner} on site {ctx.site.name}; expires on "
                                     f"{record['expires_on']}")
    return run_id, record


def _resumed(ctx: EngineContext, service: Service) -> tuple[str, dict[str, Any]]:
    latest = _latest(ctx, service.id)
    if latest is None or latest.status in {"done", "destroyed"}:
        state = "has no track run" if latest is None else f"track run {latest.id} is {latest.status}"
        raise InputError(f"{service.id}: nothing to resume ({state}); start one with "
                         f"`logius-migrate track azure-test run {service.id}`")
    detail = latest.parsed_detail
    ctx.journal.set_run_status(latest.id, "running", detail)
    ctx.journal.log(latest.id, "resume", f"resumed by {ctx.owner} (was {latest.status})")
    return latest.id, dict(detail.track or {})


def _addresses(ctx: EngineContext, service: Service) -> dict[str, str]:
    """The VMs' private addresses from the environment's state (empty before it is provisioned)."""
    from orchestrator.engine.tools import stack_for

    if not (ctx.site.stack_dir(service.id) / "main.tf").exists():
        return {}
    stack = stack_for(ctx, service, "track", init=False)
    try:
        outputs = stack.outputs() if stack.state_text() is not None else {}
    except LogiusMigrateError:
        return {}
    return {str(k): str(v) for k, v in (outputs.get("host_addresses") or {}).items()}


class TrackRunner(_Runner):
    """The runner of the test track: the wave's phase loop over the track's steps, its own
    executors, the report and the destroy for every member, its own ending."""

    phases_only: tuple[str, ...] | None = None

    def _more_executors(self) -> dict[str, Executor]:
        return {"guarded-terraform": GuardedProvision(self.scope), "terraform-destroy": Destroy(self.scope),
                "track-report": Report(self.scope)}

    def _active(self, phase: str | None = None) -> list[Service]:
        if phase in ALWAYS:
            return list(self.services)
        return super()._active(phase)

    def _phase(self, phase: str) -> None:
        if self.phases_only is not None and phase not in self.phases_only:
            return
        super()._phase(phase)
        if not self.journalled:
            return
        if phase == "az-provision":
            for service in self.services:
                write_inventory(self.ctx, self.ctx.track, _addresses(self.ctx, service))
        elif phase == "az-acceptance":
            self._note_junit()

    def _note_junit(self) -> None:
        from orchestrator.reports.junit_read import tally

        if self.ctx.track.junit.is_file():
            self._update_record(junit={**tally(self.ctx.track.junit), "path": str(self.ctx.track.junit)})

    def _update_record(self, **fields: Any) -> None:
        run = self.ctx.journal.run(self.run_id)
        assert run is not None
        detail = run.parsed_detail
        record = {**(detail.track or {}), **fields}
        self.ctx.journal.set_run_status(self.run_id, run.status, replace(detail, track=record))

    @property
    def detail(self) -> RunDetail:
        run = self.ctx.journal.run(self.run_id) if self.journalled else None
        record = run.parsed_detail.track if run else None
        return RunDetail(tuple(self.members), None, self.held, record)

    def _step_failed(self, service: Service, step: Step, error: str) -> None:
        """Held, with why: the track's own result (PRE-AZT-001 reads it), no blocker opened."""
        self._hold(service.id, f"{step.name} failed: {error}")
        if self.journalled:
            self.ctx.journal.log(self.run_id, "held", f"{service.id} held: {step.name} failed: {error[:300]}")

    def run(self, resume: bool, plan: Any, overrides: dict[str, str]) -> WaveResult:
        sid = self.members[0]
        try:
            self._settle(resume)
            for phase in self.runbook.phases:
                self._phase(phase)
        except Interrupted as exc:
            message = (f"track run {self.run_id} {exc}; nothing past it ran; continue with "
                       f"`logius-migrate track azure-test resume {sid}`" if self.journalled else
                       f"the dry-run of the track {exc}; nothing was changed or recorded")
            self._end("interrupted", message)
            raise Interrupted(message, exc.signum) from None
        except LogiusMigrateError as exc:
            self._end("failed", str(exc))
            raise
        return self._finish(sid)

    def _finish(self, sid: str) -> WaveResult:
        if not self.journalled:
            self._end("rehearsed", f"track of {sid} rehearsed: {len(self.changes)} prediction(s)")
            return self.result
        steps = {e.step: e.status for e in self.ctx.journal.executions(run_id=self.run_id)}
        if steps.get("az-destroy") == "failed":
            return self._destroy_failed(sid)
        if self.phases_only is not None:
            status = "done" if steps.get("az-acceptance") == "done" else "destroyed"
            self.held = {} if status == "done" else self.held
            self._end(status, f"track run {self.run_id}: the environment was destroyed")
            return self.result
        if self.held:
            message = (f"track run {self.run_id} partial: {'; '.join(self.held.values())}; the environment "
                       f"was destroyed; fix the cause and run `logius-migrate track azure-test run {sid}` "
                       f"again")
            self._end("partial", message)
            raise WavePartial(message, self.held)
        self._end("done", f"track run {self.run_id} done: acceptance tests passed, the environment destroyed")
        return self.result

    def _destroy_failed(self, sid: str) -> WaveResult:
        from orchestrator.engine.tools import stack_for

        left = stack_for(self.ctx, self.services[0], self.run_id).resources()
        self._update_record(resources_left=left)
        message = (f"track run {self.run_id}: the destroy failed; {len(left)} resource(s) left: "
                   f"{', '.join(left[:10])}{' ...' if len(left) > 10 else ''}; run `logius-migrate track "
                   f"azure-test destroy {sid}` once the cause is gone")
        self._end("destroy-failed", message)
        raise DestroyFailed(message)
