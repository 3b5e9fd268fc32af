"""`logius-migrate plan save|approve|show|list|diff`: the plans `wave run` takes its waves from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import Day, by_option, catalog_option, echo_json, format_option
from orchestrator.cli.lab import db_option, lab_option, site_of, site_option
from orchestrator.cli.plan import build_plan, plan_cmd, plan_options, standing_of


def operator_name() -> str:
    """Who is at the keyboard: $LOGIUS_MIGRATE_OPERATOR, else the login name."""
    from orchestrator.identity import person

    return person()


def site_and_journal(site_path: Path | None, lab_dir: Path | None, db: str | None,
                     read_only: bool = False) -> tuple[Any, Any]:
    """The site (default: the lab's) and its journal (or --db's), which must exist; ``read_only``
    for a command that only reads (a read-only SQLite journal is then read, never written)."""
    from orchestrator.engine.session import journal_url
    from orchestrator.journal import Journal
    from orchestrator.sites import default_site_path, load_site

    site = load_site(site_of(site_path, lab_dir) or default_site_path())
    return site, Journal(journal_url(site, db), read_only=read_only)


def plan_waves_document(plan: Any) -> list[dict[str, Any]]:
    return [{"number": w.number, "start": w.start.isoformat(), "end": w.end.isoformat(),
             "services": [p.service_id for p in w.placements]} for w in plan.waves]


@plan_cmd.command("save")
@catalog_option
@plan_options
@click.option("--deadline", type=Day(), default=None, help="Plan to meet this day (exit 3 if it cannot).")
@site_option
@lab_option
@db_option
@by_option()
@format_option("text", "json")
def save_cmd(catalog_path: Path | None, start: dt.date | None, wave_length: int, capacity: int,
             pilot_waves: int, deadline: dt.date | None, site_path: Path | None, lab_dir: Path | None,
             db: str | None, by: str | None, fmt: str) -> None:
    """Record the plan of these options in the journal, with the catalog's content hash and the
    site it is for. `wave run` uses it once someone else has approved it."""
    from orchestrator.catalog import load_catalog
    from orchestrator.catalog.loader import catalog_digest
    from orchestrator.journal.plans import save_plan

    catalog = load_catalog(catalog_path)
    whole, files = catalog_digest(catalog_path)
    site, journal = site_and_journal(site_path, lab_dir, db)
    try:
        plan = build_plan(catalog, start, wave_length, capacity, pilot_waves, deadline,
                          standing_of(catalog, journal))
        options = {"start": plan.options.start.isoformat(), "wave_length_days": wave_length,
                   "capacity": capacity, "pilot_waves": pilot_waves,
                   "deadline": deadline.isoformat() if deadline else None}
        saved = save_plan(journal, by or operator_name(), options, whole, files, site.name, site.digest,
                          plan_waves_document(plan))
    finally:
        journal.close()
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
@click.option("--by", required=True, metavar="NAME", help="Who approves (not who saved it).")
@click.option("--reason", required=True, metavar="TEXT", help="Why it may run; journalled.")
@site_option
@lab_option
@db_option
@format_option("text", "json")
def approve_cmd(plan_id: int, by: str, reason: str, site_path: Path | None, lab_dir: Path | None,
                db: str | None, fmt: str) -> None:
    """Approve saved plan PLAN_ID. Refused for the person who saved it, unless the site sets
    allow_self_approval: true."""
    from orchestrator.journal.plans import approve_plan

    site, journal = site_and_journal(site_path, lab_dir, db)
    try:
        plan = approve_plan(journal, plan_id, by, reason, site.allow_self_approval)
    finally:
        journal.close()
    if fmt == "json":
        echo_json({"id": plan.id, "approved_by": plan.approved_by, "reason": plan.approval_reason})
        return
    click.echo(f"plan {plan.id} approved by {plan.approved_by}: {plan.approval_reason}")


@plan_cmd.command("list")
@site_option
@lab_option
@db_option
@format_option("text", "json")
def list_cmd(site_path: Path | None, lab_dir: Path | None, db: str | None, fmt: str) -> None:
    """The saved plans: who saved and approved each, its options and waves."""
    from orchestrator.journal.plans import list_plans

    _, journal = site_and_journal(site_path, lab_dir, db, read_only=True)
    try:
        plans = list_plans(journal)
    finally:
        journal.close()
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
@site_option
@lab_option
@db_option
@format_option("text", "json")
def show_cmd(plan_id: int | None, site_path: Path | None, lab_dir: Path | None, db: str | None,
             fmt: str) -> None:
    """A saved plan (default: the newest): its approval and its waves."""
    from orchestrator.errors import InputError
    from orchestrator.journal.plans import get_plan, list_plans

    _, journal = site_and_journal(site_path, lab_dir, db, read_only=True)
    try:
        if plan_id is None:
            plans = list_plans(journal)
            if not plans:
                raise InputError("no saved plans yet: logius-migrate plan save")
            plan_id = plans[-1].id
        plan = get_plan(journal, plan_id)
    finally:
        journal.close()
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
@site_option
@lab_option
@db_option
@format_option("text", "json")
def diff_cmd(first: int, second: int, site_path: Path | None, lab_dir: Path | None, db: str | None,
             fmt: str) -> None:
    """Which services sit in another wave in plan SECOND than in plan FIRST."""
    from orchestrator.journal.plans import diff_plans, get_plan

    _, journal = site_and_journal(site_path, lab_dir, db, read_only=True)
    try:
        changes = diff_plans(get_plan(journal, first), get_plan(journal, second))
    finally:
        journal.close()
    if fmt == "json":
        echo_json({"from": first, "to": second, "changes": changes})
        return
    if not changes:
        click.echo(f"plans {first} and {second} place every service in the same wave")
    for change in changes:
        was = f"wave {change['from']}" if change["from"] else "absent"
        now = f"wave {change['to']}" if change["to"] else "absent"
        click.echo(f"  {change['service']:28} {was} -> {now}")
