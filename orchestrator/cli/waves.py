"""`logius-migrate wave|rollback|journal|runbook ...`: run, resume, inspect and undo waves."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import (
    by_option,
    catalog_option,
    echo_json,
    format_option,
    sign_option,
    signer_of,
    verbosity,
)
from orchestrator.cli.completion import service_ids, wave_numbers
from orchestrator.cli.dry_runs import dry_run_group
from orchestrator.cli.workspace import Workspace, pass_workspace, workspace_options


@click.command("runbook")
@click.argument("action", type=click.Choice(["show"]))
@click.argument("service_id", shell_complete=service_ids)
@catalog_option
@format_option("table", "json")
@pass_workspace
def runbook_cmd(ws: Workspace, action: str, service_id: str, fmt: str) -> None:
    """Show the steps that migrate SERVICE: kind, hosts, undo, point of no return, retries."""
    from dataclasses import asdict

    from orchestrator.runbook import runbook_for

    service = ws.catalog.service(service_id)
    steps = runbook_for(service)
    if fmt == "json":
        echo_json({"service": service.id, "disposition": service.disposition.value,
                   "steps": [asdict(s) for s in steps]})
        return
    from rich.table import Table

    from orchestrator.cli.base import console

    table = Table(title=f"Runbook for {service.id} ({service.disposition.value})", title_justify="left")
    for column in ("#", "step", "kind", "runs on", "undo", "no return", "tries"):
        table.add_column(column)
    for number, step in enumerate(steps, 1):
        table.add_row(str(number), step.name + (" (later)" if step.deferred else ""), step.kind,
                      ", ".join(step.runs_on) or "-", step.undo,
                      "yes" if step.point_of_no_return else "", str(step.retry.attempts))
    console().print(table)


@click.group("wave")
def wave_group() -> None:
    """Run, resume and inspect migration waves on a site: real hosts over SSH (--site FILE), or
    the local lab (the default)."""


@contextlib.contextmanager
def _progress() -> Iterator[Any]:
    """Rich progress bars on a terminal (one per phase, services done of all); plain timestamped
    lines on stderr otherwise, so logs and CI stay readable."""
    from orchestrator.engine import Progress
    from orchestrator.engine.wave import WAVE_SERVICE

    def on_note(text: str) -> None:  # shown even with --quiet: an override is never silent
        click.echo(text, err=True)

    if verbosity() < 0:  # --quiet: errors and overrides only
        yield Progress(on_note=on_note)
        return
    if not sys.stderr.isatty():
        def on_phase(phase: str, services: list[str]) -> None:
            click.echo(f"[{dt.datetime.now():%H:%M:%S}] {phase}: {', '.join(services)}", err=True)

        def on_step(service: str, step: str, status: str) -> None:
            if status == "failed":
                click.echo(f"  {service} {step}: failed", err=True)

        yield Progress(on_phase=on_phase, on_step=on_step, on_note=on_note)
        return

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    bars = Bars(SpinnerColumn(), TextColumn("{task.description:<16}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(), console=Console(stderr=True))
    current: dict[str, Any] = {}

    def on_bar_phase(phase: str, services: list[str]) -> None:
        current["task"] = bars.add_task(phase, total=len(services))

    def on_bar_step(service: str, step: str, status: str) -> None:
        if service == WAVE_SERVICE:  # the approval gate: a wave-level step, not a service's
            return
        if status in {"done", "failed"} and "task" in current:
            bars.advance(current["task"])
        if status == "failed":
            bars.console.print(f"[red]{service} {step}: failed[/red]")

    with bars:
        yield Progress(on_phase=on_bar_phase, on_step=on_bar_step,
                       on_note=lambda text: bars.console.print(text, markup=False))


def _approver(approve: bool) -> Any:
    if approve or not sys.stdin.isatty():
        return None
    return lambda question: click.confirm(question, default=False, err=True)


def _wave_command(name: str, resume: bool) -> Any:
    @click.argument("wave", type=click.IntRange(min=1), shell_complete=wave_numbers)
    @catalog_option
    @workspace_options
    @click.option("--plan", "plan_id", type=int, default=None,
                  help="The approved plan to take the wave from [default: the newest approved].")
    @click.option("--approve", is_flag=True, help="Approve the cutover gate in advance (otherwise "
                  "you are asked; without a terminal the run stops at the gate, exit 5).")
    @click.option("--override", "overrides", multiple=True, metavar="CHECK-ID[:SERVICE]",
                  help="Let a failing precondition pass for this run only, for every service or for "
                       "SERVICE alone (needs --reason; printed when applied, journalled with your "
                       "name). Repeat for several.")
    @by_option()
    @click.option("--reason", default=None, metavar="TEXT", help="Why the overridden checks may pass.")
    @sign_option()
    @_moved_plan_options
    @format_option("text", "json")
    def command(ws: Workspace, wave: int, plan_id: int | None, approve: bool, overrides: tuple[str, ...],
                reason: str | None, sign_with: Path | None, fmt: str, **moved: Any) -> None:
        from orchestrator.cli.logs import redact_with
        from orchestrator.engine import run_wave
        from orchestrator.engine.approved import members_of, plan_for_run
        from orchestrator.engine.stopping import StopRequest, stop_on_signals

        _refuse_plan_options(moved)
        granted = _overrides(overrides, reason)
        stop = StopRequest()
        with stop_on_signals(stop, lambda text: click.echo(text, err=True)), _progress() as progress, \
                ws.session(progress=progress, stop=stop, verbosity=verbosity()) as ctx:
            redact_with(ctx.redactor)
            if resume:
                from orchestrator.engine.wave import resumable

                resumable(ctx, wave)
            plan = plan_for_run(ctx.journal, plan_id, ctx.catalog, ctx.site)
            members = None if resume else members_of(plan, wave)
            if granted:
                decide_overrides(ws, ctx, "check-override", f"wave {wave}", granted, sign_with)
            ctx.signer = _cutover_signer(ws, ctx, wave, approve, sign_with)
            rehearsal = None
            if members is not None and ctx.site.require_dry_run:
                from orchestrator.engine.currency import approved_rehearsal

                rehearsal = approved_rehearsal(ctx, wave, plan, members)
            result = run_wave(ctx, wave, members, resume=resume, approve=approve,
                              approver=_approver(approve), plan=plan, overrides=granted,
                              rehearsal=rehearsal)
        if fmt == "json":
            echo_json({"run": result.run_id, "wave": result.wave, "status": result.status,
                       "applied": result.applied, "reconciled": result.reconciled,
                       "skipped": result.skipped})
            return
        click.echo(f"{result.run_id}: {result.status}; {len(result.applied)} step(s) applied, "
                   f"{len(result.reconciled)} reconciled after a crash, {len(result.skipped)} "
                   f"already done")

    command.__doc__ = ("Run wave WAVE of the approved plan: preconditions before each service's "
                       "first change, Terraform, Ansible phase by phase, a rollback point before "
                       "every change, the approval gate before cutover. A service that fails a "
                       "check or a step is held with its dependants while the others go on (exit "
                       "7). Refused when the plan is not approved, or the catalog or the site "
                       "changed since it was saved. Two operators cannot run the same wave at once."
                       if not resume else
                       "Continue wave WAVE after a crash, a failure, the approval gate, or with held "
                       "services (checked again: resolve their blockers first): steps a dead "
                       "process left running are reconciled first (done if their change is in "
                       "place), and no step is applied twice.")
    return wave_group.command(name)(command)


PLAN_OPTIONS = ("--start", "--wave-length", "--capacity", "--pilot-waves")


def _moved_plan_options(func: Any) -> Any:
    """The plan options `wave run` once took, kept hidden so that using one says where it went."""
    for flag in PLAN_OPTIONS:
        func = click.option(flag, "moved_" + flag[2:].replace("-", "_"), default=None, hidden=True,
                            expose_value=True)(func)
    return func


def _refuse_plan_options(moved: dict[str, Any]) -> None:
    from orchestrator.errors import InputError

    given = [name for name, value in moved.items() if value is not None]
    if given:
        flag = "--" + given[0].removeprefix("moved_").replace("_", "-")
        raise InputError(f"{flag} is a plan option: waves come from the approved plan; save one with "
                         f"`logius-migrate plan save {flag} ...` and have it approved")


def _cutover_signer(ws: Workspace, ctx: Any, wave: int, approve: bool, sign_with: Path | None) -> Any:
    """Who signs the cutover's approval at the gate; refused before any work where the site
    requires signatures and the operator has no key (an interactive run asks the same)."""
    from orchestrator.journal.decisions import policy_of, refuse_unsigned

    signer = signer_of(ctx.site, sign_with, ws.operator)
    refuse_unsigned(policy_of(ctx.site), signer, f"cutover-approval of wave {wave}")
    return signer


def decide_overrides(ws: Workspace, ctx: Any, kind: str, scope: str, granted: dict[str, str],
                     sign_with: Path | None) -> None:
    """Record each override (``kind``: check-override, guardrail-override) as a decision of the
    person (signed where the site verifies signatures) before the run; the run's owner is then
    that person, so the override's evidence names who decided it."""
    from orchestrator.identity import owner
    from orchestrator.journal.decisions import policy_of, record_each

    who = record_each(ctx.journal, policy_of(ctx.site), kind,
                      {f"{scope} {key}": why for key, why in sorted(granted.items())}, ws.operator,
                      {"scope": scope}, signer_of(ctx.site, sign_with, ws.operator), typed=ws.by is not None)
    ctx.owner = owner(who)


def _overrides(checks: tuple[str, ...], reason: str | None) -> dict[str, str]:
    from orchestrator.checks import known_ids
    from orchestrator.errors import InputError

    if not checks:
        if reason:
            raise InputError("--reason goes with --override CHECK-ID")
        return {}
    if not reason or not reason.strip():
        raise InputError("--override needs --reason TEXT (journalled with your name)")
    unknown = sorted({c.partition(":")[0] for c in checks} - set(known_ids()))
    if unknown:
        raise InputError(f"--override {unknown[0]}: no such check (checks: {', '.join(known_ids())})")
    empty = [c for c in checks if c.endswith(":")]
    if empty:
        raise InputError(f"--override {empty[0]}: name the service after the colon, or leave the colon out")
    return dict.fromkeys(checks, reason)


_wave_command("run", resume=False)
_wave_command("resume", resume=True)
wave_group.add_command(dry_run_group)


@wave_group.command("status")
@click.argument("wave", type=click.IntRange(min=1), shell_complete=wave_numbers)
@workspace_options
@format_option("table", "json")
def status_cmd(ws: Workspace, wave: int, fmt: str) -> None:
    """Show the runs of WAVE and the state of every step of the latest one."""
    with ws.journal(read_only=True) as journal:
        runs = [r for r in journal.runs(wave=wave) if r.kind == "wave"]
        if not runs:
            _refuse_unplanned(journal, wave)
            if fmt == "json":
                echo_json({"wave": wave, "runs": []})
            else:
                click.echo(f"wave {wave}: not started")
            return
        document = _status_document(journal, wave, runs)
    if fmt == "json":
        echo_json(document)
    else:
        _echo_status(document)


def _status_document(journal: Any, wave: int, runs: list[Any]) -> dict[str, Any]:
    """The wave's latest run: its members' states, overrides, steps with each attempt's outcome;
    and every run of the wave, with the members rolled back after it."""
    from orchestrator.engine.wave import wave_lock_name

    latest = runs[-1]
    members = list(latest.parsed_detail.services)
    states = {sid: journal.service_state(sid) for sid in members}
    outcomes = journal.attempt_outcomes(latest.id)
    lease = journal.lease_state(wave_lock_name(wave))
    return {"wave": wave, "run": latest.id, "status": latest.status, "services": members,
            "states": {sid: {"state": st.state, "run": st.run_id} for sid, st in states.items()},
            "lock": lease and {"owner": lease.owner, "host": lease.host, "pid": lease.pid,
                               "expires_at": lease.expires_at, "state": lease.state},
            "steps": [{"service": e.service, "step": e.step, "status": e.status, "attempts": e.attempts,
                       "outcomes": outcomes.get(e.key, [])} for e in journal.executions(run_id=latest.id)],
            "runs": [{"id": r.id, "status": r.status, "rolled_back": sorted(
                {e.service for e in journal.executions(run_id=r.id) if e.status == "rolled-back"})}
                for r in runs],
            "overrides": [e.message for e in journal.events(latest.id) if e.kind == "override"]}


def _echo_status(document: dict[str, Any]) -> None:
    click.echo(f"wave {document['wave']}: run {document['run']} is {document['status']}"
               + _lease_text(document["lock"]))
    if len(document["runs"]) > 1 or document["runs"][0]["rolled_back"]:
        click.echo("  runs: " + "; ".join(
            f"{r['id']} {r['status']}" + (f" (rolled back afterwards: {', '.join(r['rolled_back'])})"
                                          if r["rolled_back"] else "") for r in document["runs"]))
    for sid, st in document["states"].items():
        click.echo(f"  {sid:24} {st['state']}" + (f" (run {st['run']})" if st["run"] else ""))
    for note in document["overrides"]:
        click.echo(f"  {note}")
    for e in document["steps"]:
        click.echo(f"  {e['service']:24} {e['step']:16} {e['status']:12} attempts {e['attempts']}" +
                   (f" ({', '.join(e['outcomes'])})" if e["outcomes"] else ""))


def _refuse_unplanned(journal: Any, wave: int) -> None:
    """Refuse a wave that the plan `wave run` takes (the newest approved, else the newest saved)
    does not have. Without a saved plan, every wave is just not started."""
    from orchestrator.errors import InputError
    from orchestrator.journal.plans import list_plans

    plans = list_plans(journal)
    candidates = [p for p in plans if p.approved] or plans
    plan = candidates[-1] if candidates else None
    if plan is None or 1 <= wave <= len(plan.waves):
        return
    which = "the newest approved" if plan.approved else "the newest saved; none is approved"
    used = sum(1 for w in plan.waves if w["services"])
    count = f"{len(plan.waves)} wave" + ("" if len(plan.waves) == 1 else "s") + (
        f" ({used} with services)" if used != len(plan.waves) else "")
    raise InputError(f"wave {wave} does not exist in plan {plan.id} ({which}): it has {count}; see "
                     f"`logius-migrate plan show {plan.id}`")


def _lease_text(lease: dict[str, Any] | None) -> str:
    if lease is None:
        return ""
    if lease["state"] == "held":
        return f" (lease held by {lease['owner']})"
    why = "expired" if lease["state"] == "expired" else "its process is gone"
    return f" (lease of {lease['owner']} is stale: {why}; the next run or resume takes it over)"


@click.command("rollback")
@click.argument("service_id", shell_complete=service_ids)
@click.option("--to", "to_point", type=int, default=None,
              help="Rollback point id (see `journal show`) [default: before the wave].")
@click.option("--force", is_flag=True, help="Cross a point of no return (needs --reason).")
@click.option("--reason", default=None, help="Why the point of no return may be crossed; journalled.")
@catalog_option
@workspace_options
@by_option()
@sign_option()
@format_option("text", "json")
def rollback_cmd(ws: Workspace, service_id: str, to_point: int | None, force: bool, reason: str | None,
                 sign_with: Path | None, fmt: str) -> None:
    """Undo SERVICE's steps, newest first, back to a rollback point. Refuses to cross a point of
    no return (a completed cutover or decommission) without --force and --reason (exit 6)."""
    from orchestrator.cli.logs import redact_with
    from orchestrator.engine import rollback_service

    with ws.session(verbosity=verbosity()) as ctx:
        redact_with(ctx.redactor)
        signer = signer_of(ctx.site, sign_with, ws.operator) if force else None
        result = rollback_service(ctx, service_id, to_point, force=force, reason=reason, signer=signer,
                                  by=ws.operator, typed=ws.by is not None)
    if fmt == "json":
        echo_json({"service": result.service, "run": result.run_id, "to_point": result.to_point,
                   "undone": result.undone, "forced_reason": result.forced_reason})
        return
    click.echo(f"{result.service}: rolled back to point {result.to_point} in {result.run_id}; "
               f"undone: {', '.join(result.undone)}")


@click.group("journal")
def journal_group() -> None:
    """Read the journal (runs, steps, attempts, rollback points, events), verify its hash chain,
    checkpoint it and export it for an audit."""


@journal_group.command("show")
@click.option("--run", "run_id", default=None, help="Only this run.")
@workspace_options
@format_option("text", "json")
def journal_show_cmd(ws: Workspace, run_id: str | None, fmt: str) -> None:
    """Show runs, step executions, rollback points and events (secrets are never stored). A
    read-only journal (an auditor's copy) is read without a write."""
    from orchestrator.errors import InputError

    with ws.journal(read_only=True) as journal:
        runs = [r for r in journal.runs() if run_id is None or r.id == run_id]
        if run_id is not None and not runs:
            known = ", ".join(r.id for r in journal.runs()) or "none yet"
            raise InputError(f"--run {run_id}: no such run in journal {journal.display_url} (runs: {known})")
        document: dict[str, Any] = {
            "schema_version": journal.schema_version(),
            "service_states": {sid: {"state": st.state, "run": st.run_id}
                               for sid, st in journal.service_states().items()},
            "runs": [{"id": r.id, "wave": r.wave, "status": r.status, "owner": r.owner} for r in runs],
            "executions": [e.__dict__ for r in runs for e in journal.executions(run_id=r.id)],
            "rollback_points": [{"id": p.id, "run": p.run_id, "service": p.service, "before": p.step,
                                 "kind": p.kind, "point_of_no_return": p.point_of_no_return,
                                 "restored": p.restored_at is not None}
                                for r in runs for p in journal.rollback_points(run_id=r.id,
                                                                               include_restored=True)],
            "events": [{"run": e.run_id, "kind": e.kind, "message": e.message,
                        "at": dt.datetime.fromtimestamp(e.at, dt.UTC).isoformat(timespec="seconds")}
                       for e in journal.events(run_id)],
        }
    if fmt == "json":
        echo_json(document)
        return
    for sid, st in document["service_states"].items():
        click.echo(f"service {sid}: {st['state']}" + (f" (run {st['run']})" if st["run"] else ""))
    for r in document["runs"]:
        click.echo(f"run {r['id']} (wave {r['wave']}): {r['status']}, by {r['owner']}")
    for e in document["executions"]:
        click.echo(f"  step {e['key']}: {e['status']} ({e['attempts']} attempt(s))")
    for p in document["rollback_points"]:
        click.echo(f"  point {p['id']}: {p['service']} before {p['before']} ({p['kind']})"
                   + (" [point of no return]" if p["point_of_no_return"] else "")
                   + (" [restored]" if p["restored"] else ""))
    for e in document["events"]:
        click.echo(f"  {e['at']} {e['kind']}: {e['message']}")


@journal_group.command("init")
@workspace_options
@format_option("text", "json")
def journal_init_cmd(ws: Workspace, fmt: str) -> None:
    """Create a journal (a SQLite file, or the tables in a PostgreSQL database). Every other
    command refuses a journal that does not exist, so a mistyped --db never starts an empty one."""
    with ws.journal(create=True) as journal:
        if fmt == "json":
            echo_json({"journal": journal.display_url, "created": journal.created,
                       "schema_version": journal.schema_version()})
            return
        click.echo(f"journal {journal.display_url}: " + ("created" if journal.created else
                                                         "already there") +
                   f", schema version {journal.schema_version()}")


def _audit_commands() -> None:
    """`journal verify`, `journal checkpoint`, `journal export --audit` (cli/audit.py)."""
    from orchestrator.cli.audit import journal_checkpoint_cmd, journal_export_cmd, journal_verify_cmd

    for command in (journal_verify_cmd, journal_checkpoint_cmd, journal_export_cmd):
        journal_group.add_command(command)


_audit_commands()
