"""`logius-migrate check --wave N | SERVICE`: the preconditions, with their evidence."""

from __future__ import annotations

from typing import Any

import click

from orchestrator.cli.base import catalog_option, console, echo_json
from orchestrator.cli.completion import service_ids
from orchestrator.cli.workspace import Workspace, workspace_options


@click.command("check")
@click.argument("service_id", required=False, shell_complete=service_ids)
@click.option("--wave", type=click.IntRange(min=1), default=None, help="Every service of this wave.")
@click.option("--plan", "plan_id", type=int, default=None,
              help="The saved plan the wave comes from [default: the newest approved, else the newest].")
@catalog_option
@workspace_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table",
              show_default=True, help="Output format.")
def check_cmd(ws: Workspace, service_id: str | None, wave: int | None, plan_id: int | None,
              fmt: str) -> None:
    """Run the preconditions for SERVICE or for every service of --wave N, as `wave run` would
    before each service's first change, and journal the evidence. Exit 1 when any service would
    be stopped (a FAIL, or an INCONCLUSIVE unless the site says on_inconclusive: warn).

    \b
    Examples:
      logius-migrate check --wave 1
      logius-migrate check digid --format json
    """
    from orchestrator.checks import stopping
    from orchestrator.cli.base import verbosity
    from orchestrator.engine.gates import check_services
    from orchestrator.errors import InputError

    if (service_id is None) == (wave is None):
        raise InputError("check takes a SERVICE or --wave N (one of them)")
    with ws.session(verbosity=verbosity()) as ctx:
        plan = _plan(ctx.journal, plan_id)
        if wave is not None:
            if plan is None:
                raise InputError("check --wave needs a saved plan: logius-migrate plan save")
            members = list(plan.wave(wave)["services"])
            if not members:  # as `wave run N` refuses it
                raise InputError(f"wave {wave} has no services in plan {plan.id}; nothing to check")
        elif service_id is not None:
            ctx.service(service_id)
            members = [service_id]
            wave = plan.wave_of(service_id) if plan else None
        found = check_services(ctx, None, wave, members, members, plan, {})
        results = [r for sid in members for r in found[sid]]
        stops = stopping(results, ctx.site.on_inconclusive)
    document = {"wave": wave, "plan": plan.id if plan else None, "on_inconclusive": ctx.site.on_inconclusive,
                "results": [r.as_dict() for r in results],
                "stopped": sorted({r.service for r in stops})}
    _render(document, fmt)
    if stops:
        raise SystemExit(1)


def _plan(journal: Any, plan_id: int | None) -> Any:
    from orchestrator.journal.plans import get_plan, latest_approved, list_plans

    if plan_id is not None:
        return get_plan(journal, plan_id)
    plans = list_plans(journal)
    return latest_approved(journal) or (plans[-1] if plans else None)


COLOURS = {"PASS": "green", "WARN": "yellow", "FAIL": "red", "INCONCLUSIVE": "magenta"}


def _render(document: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        echo_json(document)
        return
    if fmt == "md":
        click.echo(_markdown(document), nl=False)
        return
    from rich.table import Table

    title = f"Preconditions, wave {document['wave']}" if document["wave"] else "Preconditions"
    table = Table(title=title + (f" (plan {document['plan']})" if document["plan"] else ""),
                  title_justify="left")
    for column in ("service", "check", "outcome", "summary"):
        table.add_column(column)
    previous = None
    for r in document["results"]:
        overridden = " (overridden)" if r["overridden_by"] else ""
        outcome = f"[{COLOURS[r['outcome']]}]{r['outcome']}[/]{overridden}"
        first = r["service"] != previous
        table.add_row(r["service"] if first else "", r["check"], outcome, r["summary"],
                      end_section=False)
        if first and previous is not None:
            table.rows[-2].end_section = True
        previous = r["service"]
    out = console()
    out.print(table)
    stopped = document["stopped"]
    out.print(f"would stop: {', '.join(stopped)}" if stopped else "nothing would stop; "
              f"INCONCLUSIVE {'warns' if document['on_inconclusive'] == 'warn' else 'stops'} on this site")


def _markdown(document: dict[str, Any]) -> str:
    heading = f"# Preconditions, wave {document['wave']}" if document["wave"] else "# Preconditions"
    lines = [heading,
             "", "| service | check | outcome | summary | asked | answer | to pass |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in document["results"]:
        cells = [r["service"], r["check"], r["outcome"], r["summary"], r["asked"], r["answer"], r["remedy"]]
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in cells) + " |")
    stopped = document["stopped"]
    lines += ["", f"Would stop: {', '.join(stopped)}." if stopped else "Nothing would stop."]
    return "\n".join(lines) + "\n"
