"""`logius-migrate report`: the programme dashboard for the steering group and the workgroups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import catalog_option, echo_json, format_option
from orchestrator.cli.workspace import Workspace, workspace_options

DEFAULT_OUT = Path("dashboard")


@click.command("report")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help=f"Folder for dashboard.html, dashboard.md and status.json (made if missing) "
                   f"[default: ./{DEFAULT_OUT}].")
@click.option("--now", "now", default=None, metavar="ISO",
              help="The moment the report stands on (ISO 8601; no zone: Amsterdam) [default: the "
                   "tool's clock]. The same journal and --now give the same bytes.")
@catalog_option
@workspace_options
@format_option("text", "json")
def report_cmd(ws: Workspace, out_dir: Path | None, now: str | None, fmt: str) -> None:
    """Write the programme dashboard from the journal, the catalog and the approved plan:
    dashboard.html (one self-contained page: inline SVG and CSS, no script, prints to PDF),
    dashboard.md and status.json. It shows the timeline (the plan's waves, the runs as they
    happened, today, the legacy contract end, the forecast's P50 and P90), progress per state and
    per wave with the services held and why, the blocker board, the supplier's releases, each
    service's downtime budget, the cost of delay and the next waves' rehearsals. A journal in
    which nothing ran yet still gives a dashboard that says so. --format json prints the status
    document (the same as status.json).

    \b
    Examples:
      logius-migrate report                                  # into ./dashboard
      logius-migrate report --out board-2027-03-01 --now 2027-03-01T09:00
      logius-migrate report --format json | jq .progress.line
    """
    from orchestrator.cli.progress import progress
    from orchestrator.dashboard import gather_status
    from orchestrator.dashboard.status import PARTS
    from orchestrator.reports.dashboard import write_reports

    folder = _folder(out_dir or DEFAULT_OUT)
    moment = _moment(now, ws)
    catalog = ws.catalog
    with ws.journal(read_only=True) as journal, progress("dashboard", PARTS) as advance:
        document = gather_status(catalog, journal, now=moment, forecast=_forecast(catalog, journal, moment),
                                 advance=advance)
    paths = write_reports(document, folder)
    if fmt == "json":
        echo_json(document)
        return
    click.echo(f"{document['progress']['line']}; {len(document['blockers']['blockers'])} blocker(s) not "
               f"resolved, {document['blockers']['overdue']} overdue; reports in {folder}: "
               + ", ".join(p.name for p in paths))


def _folder(path: Path) -> Path:
    from orchestrator.errors import InputError

    if path.exists() and not path.is_dir():
        raise InputError(f"report --out {path}: is a file, not a folder; give a folder (made if missing)")
    return path


def _moment(value: str | None, ws: Workspace) -> dt.datetime:
    from orchestrator.clock import AMSTERDAM
    from orchestrator.errors import InputError

    if value is None:
        return ws.clock.now()
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"report --now {value!r}: not an ISO 8601 date or time "
                         f"(e.g. 2027-03-01 or 2027-03-01T09:00)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=AMSTERDAM)


def _forecast(catalog: Any, journal: Any, moment: dt.datetime) -> dict[str, Any] | None:
    """The forecast's dict for the dashboard (`plan forecast`'s, with its defaults: 10,000
    iterations, seed 0); None without an approved plan, or with nothing left to forecast."""
    from orchestrator.clock import AMSTERDAM
    from orchestrator.errors import InputError
    from orchestrator.forecast import forecast_programme

    try:
        found = forecast_programme(catalog, journal, today=moment.astimezone(AMSTERDAM).date())
    except InputError:
        return None
    return dict(found.to_dict())
