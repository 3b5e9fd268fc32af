"""`logius-migrate plan save|approve|show|list|diff`: the plans `wave run` takes its waves from."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from orchestrator.cli.base import (
    Day,
    by_option,
    catalog_option,
    echo_json,
    format_option,
    sign_option,
    signer_of,
)
from orchestrator.cli.plan import build_plan, plan_cmd, plan_options, standing_of
from orchestrator.cli.workspace import Workspace, workspace_options


def plan_waves_document(plan: Any) -> list[dict[str, Any]]:
    return [{"number": w.number, "start": w.start.isoformat(), "end": w.end.isoformat(),
             "services": [p.service_id for p in w.placements]} for w in plan.waves]


@plan_cmd.command("save")
@catalog_option
@plan_options
@click.option("--deadline", type=Day(), default=None, help="Plan to meet this day (exit 3 if it cannot).")
@workspace_options
@by_option()
@sign_option()
@format_option("text", "json")
def save_cmd(ws: Workspace, start: dt.date | None, wave_length: int, capacity: int, pilot_waves: int,
             deadline: dt.date | None, sign_with: Any, fmt: str) -> None:
    """Record the plan of these options in the journal, with the catalog's content hash and the
    site it is for. `wave run` uses it once someone else has approved it."""
    from orchestrator.journal.plans import save_plan

    catalog = ws.catalog
    whole = catalog.digest
    with ws.journal(site=True) as journal:
        site = ws.site
        plan = build_plan(catalog, start, wave_length, capacity, pilot_waves, deadline,
                          standing_of(catalog, journal))
        options = {"start": plan.options.start.isoformat(), "wave_length_days": wave_length,
                   "capacity": capacity, "pilot_waves": pilot_waves,
                   "deadline": deadline.isoformat() if deadline else None}
        from orchestrator.journal.decisions import policy_of

        saved = save_plan(journal, ws.operator, options, whole, catalog.file_digests, site.name,
                          site.digest, plan_waves_document(plan), policy_of(site),
                          signer_of(site, sign_with, ws.operator), typed=ws.by is not None)
    if fmt == "json":
        echo_json({"id": saved.id, "saved_by": saved.saved_by, "catalog_hash": saved.catalog_hash,
                   "waves": len(saved.waves)})
        return
    used = sum(1 for w in saved.waves if w["services"])
    click.echo(f"plan {saved.id} saved by {saved.saved_by}: {used} waves, ends {plan.end_date}, catalog "
               f"sha256 {whole[:12]}, site {site.name}; approve it with: logius-migrate plan approve "
               f"{saved.id} --by NAME --reason TEXT")


@plan_cmd.command("approve")
@click.argument("plan_id", type=int)
@click.option("--by", default=None, metavar="NAME",
              help="Who approves (not who saved it); signed, the key's principal [default: it].")
@click.option("--reason", required=True, metavar="TEXT", help="Why it may run; journalled.")
@sign_option()
@workspace_options
@format_option("text", "json")
def approve_cmd(ws: Workspace, plan_id: int, reason: str, sign_with: Any, fmt: str) -> None:
    """Approve saved plan PLAN_ID. Refused for the person who saved it, unless the site sets
    allow_self_approval: true; signed where the site verifies signatures (--sign-with)."""
    from orchestrator.journal.decisions import policy_of
    from orchestrator.journal.plans import approve_plan

    with ws.journal(site=True) as journal:
        site = ws.site
        signer = signer_of(site, sign_with, ws.by)
        by = ws.by or (ws.operator if signer is not None else "")
        plan = approve_plan(journal, plan_id, by, reason, site.allow_self_approval, policy_of(site),
                            signer, typed=ws.by is not None)
    if fmt == "json":
        echo_json({"id": plan.id, "approved_by": plan.approved_by, "reason": plan.approval_reason})
        return
    click.echo(f"plan {plan.id} approved by {plan.approved_by}: {plan.approval_reason}")


@plan_cmd.command("list")
@workspace_options
@format_option("text", "json")
def list_cmd(ws: Workspace, fmt: str) -> None:
    """The saved plans: who saved and approved each, its options and waves."""
    from orchestrator.journal.plans import list_plans

    with ws.journal(read_only=True, site=True) as journal:
        plans = list_plans(journal)
    if fmt == "json":
        echo_json([_plan_summary(p) for p in plans])
        return
    if not plans:
        click.echo("no saved plans (logius-migrate plan save)")
    for p in plans:
        s = _plan_summary(p)
        click.echo(f"plan {p.id}: saved by {p.saved_by} {s['saved_at']}, "
                   + (f"approved by {p.approved_by}" if p.approved else "not approved")
                   + f"; {s['waves_used']} waves from {p.options['start']}, capacity {p.options['capacity']}")


def _plan_summary(plan: Any) -> dict[str, Any]:
    def when(stamp: float | None) -> str | None:
        return dt.datetime.fromtimestamp(stamp, dt.UTC).isoformat(timespec="seconds") if stamp else None

    return {"id": plan.id, "saved_by": plan.saved_by, "saved_at": when(plan.saved_at),
            "approved_by": plan.approved_by, "approved_at": when(plan.approved_at),
            "approval_reason": plan.approval_reason, "options": plan.options,
            "catalog_hash": plan.catalog_hash, "site": plan.site_name,
            "waves_used": sum(1 for w in plan.waves if w["services"])}


@plan_cmd.command("show")
@click.argument("plan_id", type=int, required=False)
@workspace_options
@format_option("text", "json")
def show_cmd(ws: Workspace, plan_id: int | None, fmt: str) -> None:
    """A saved plan (default: the newest): its approval and its waves."""
    from orchestrator.errors import InputError
    from orchestrator.journal.plans import get_plan, list_plans

    with ws.journal(read_only=True, site=True) as journal:
        if plan_id is None:
            plans = list_plans(journal)
            if not plans:
                raise InputError("no saved plans yet: logius-migrate plan save")
            plan_id = plans[-1].id
        plan = get_plan(journal, plan_id)
    if fmt == "json":
        echo_json({**_plan_summary(plan), "waves": plan.waves})
        return
    summary = _plan_summary(plan)
    click.echo(f"plan {plan.id}: saved by {plan.saved_by} {summary['saved_at']}; "
               + (f"approved by {plan.approved_by} {summary['approved_at']}: {plan.approval_reason}"
                  if plan.approved else "NOT approved"))
    click.echo(f"  options {plan.options}; catalog sha256 {plan.catalog_hash[:12]}; site {plan.site_name}")
    for wave in plan.waves:
        if wave["services"]:
            click.echo(f"  wave {wave['number']:>3} {wave['start']} .. {wave['end']}: "
                       + ", ".join(wave["services"]))


@plan_cmd.command("diff")
@click.argument("first", type=int)
@click.argument("second", type=int)
@workspace_options
@format_option("text", "json")
def diff_cmd(ws: Workspace, first: int, second: int, fmt: str) -> None:
    """Which services sit in another wave in plan SECOND than in plan FIRST."""
    from orchestrator.journal.plans import diff_plans, get_plan

    with ws.journal(read_only=True, site=True) as journal:
        changes = diff_plans(get_plan(journal, first), get_plan(journal, second))
    if fmt == "json":
        echo_json({"from": first, "to": second, "changes": changes})
        return
    if not changes:
        click.echo(f"plans {first} and {second} place every service in the same wave")
    for change in changes:
        was = f"wave {change['from']}" if change["from"] else "absent"
        now = f"wave {change['to']}" if change["to"] else "absent"
        click.echo(f"  {change['service']:28} {was} -> {now}")
