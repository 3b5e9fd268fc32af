"""`logius-migrate wave dry-run N | list | show | diff | approve | compare`: rehearse a wave, read
and compare rehearsals, approve one, and measure one against the run that followed it."""

from __future__ import annotations

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
from orchestrator.cli.workspace import Workspace, workspace_options

REHEARSE = "rehearse"


class _DryRunGroup(click.Group):
    """A group whose first argument, when it names no subcommand, is the wave to rehearse:
    `wave dry-run 3` is `wave dry-run rehearse 3`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        first = args[0] if args else ""
        if first not in self.commands and (first.isdigit() or (first.startswith("-") and first not in
                                                               {"--help", "-h"})):
            args = [REHEARSE, *args]  # a mistyped command stays "No such command"
        return super().parse_args(ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, "WAVE [--service ID] [--out DIR] | COMMAND [ARGS]...")


@click.group("dry-run", cls=_DryRunGroup)
def dry_run_group() -> None:
    """Rehearse wave WAVE of the approved plan on the site, changing nothing: every
    precondition, `terraform plan -out` per stack (the plan file kept), every Ansible phase with
    --check --diff, and per service the expected downtime, phase durations, rollback points,
    point of no return and blockers. Each task on each host is predicted as would change (with the
    diff), no change, unknown (and why) or would fail. The journal gains one dry-run record; a
    second person approves it (`wave dry-run approve ID`), and on a site with require_dry_run
    (the lab's default) `wave run WAVE` applies exactly its saved plans or refuses.

    The rehearsal's options (--service ID, --plan ID, --out DIR, --format table|json|md, --site,
    --lab, --db, --by): `logius-migrate wave dry-run 1 --help`. Exit 0 when it rehearsed (the
    report names anything it could not), 1 when nothing could be, 4 when another operator runs
    the wave, 130/143 when stopped (nothing recorded).

    \b
    Examples:
      logius-migrate wave dry-run 1 --out rehearsal-1      # table, plus dry-run.md/.html/.json
      logius-migrate wave dry-run approve 1 --by reviewer --reason "board 12 May"
      logius-migrate wave dry-run compare 1 wave-1          # after the run: recall, precision
    """


@dry_run_group.command(REHEARSE, hidden=True)
@click.argument("wave", type=click.IntRange(min=1), shell_complete=wave_numbers)
@click.option("--service", "only", default=None, metavar="ID", shell_complete=service_ids,
              help="Rehearse this one service of the wave.")
@click.option("--plan", "plan_id", type=int, default=None,
              help="The approved plan to take the wave from [default: the newest approved].")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write dry-run.md, dry-run.html and dry-run.json into this folder.")
@catalog_option
@workspace_options
@by_option()
@sign_option()
@format_option("table", "json", "md")
def rehearse_cmd(ws: Workspace, wave: int, only: str | None, plan_id: int | None, out_dir: Path | None,
                 sign_with: Path | None, fmt: str) -> None:
    """Rehearse wave WAVE (see `logius-migrate wave dry-run --help`)."""
    from orchestrator.cli.logs import redact_with
    from orchestrator.engine.approved import plan_for_run
    from orchestrator.engine.rehearsal import rehearse_wave
    from orchestrator.engine.stopping import StopRequest, stop_on_signals
    from orchestrator.journal.decisions import policy_of, refuse_unsigned
    from orchestrator.journal.dry_runs import record_dry_run

    stop = StopRequest()
    with stop_on_signals(stop, lambda text: click.echo(text, err=True)), \
            ws.session(progress=_phase_lines(), stop=stop, verbosity=verbosity()) as ctx:
        redact_with(ctx.redactor)
        signer = signer_of(ctx.site, sign_with, ws.operator)
        refuse_unsigned(policy_of(ctx.site), signer, f"dry-run of wave {wave}")
        plan = plan_for_run(ctx.journal, plan_id, ctx.catalog, ctx.site)
        if only is not None:
            ctx.service(only)
        document = rehearse_wave(ctx, wave, plan, only)
        record = record_dry_run(ctx.journal, document, policy_of(ctx.site), signer,
                                typed=ws.by is not None)
    _emit(record.document, fmt, out_dir)
    if record.status == "failed":
        raise click.exceptions.Exit(1)


def _phase_lines() -> Any:
    """A timestamped line on stderr as each phase is rehearsed (none with --quiet)."""
    import datetime as dt

    from orchestrator.engine import Progress

    def on_phase(phase: str, services: list[str]) -> None:
        click.echo(f"[{dt.datetime.now():%H:%M:%S}] rehearsing {phase}: {', '.join(services)}", err=True)

    return Progress() if verbosity() < 0 else Progress(on_phase=on_phase)


def _emit(document: dict[str, Any], fmt: str, out_dir: Path | None) -> None:
    from orchestrator.reports.dry_run import render_markdown, render_table, write_reports

    if out_dir is not None:
        for path in write_reports(document, out_dir):
            click.echo(f"wrote {path}", err=True)
    if fmt == "json":
        echo_json(document)
    elif fmt == "md":
        click.echo(render_markdown(document), nl=False)
    else:
        click.echo(render_table(document), nl=False)


@dry_run_group.command("list")
@click.option("--wave", type=click.IntRange(min=1), default=None, help="Only this wave's.")
@workspace_options
@format_option("table", "json")
def list_cmd(ws: Workspace, wave: int | None, fmt: str) -> None:
    """The recorded dry-runs: wave, plan, status, who rehearsed and who approved each."""
    from orchestrator.journal.dry_runs import list_dry_runs

    with ws.journal(read_only=True, site=True) as journal:
        records = list_dry_runs(journal, wave)
    rows = [{"id": r.id, "wave": r.wave, "plan": r.plan_id, "status": r.status, "by": r.created_by,
             "at": r.document.get("at"), "approved_by": r.approved_by} for r in records]
    if fmt == "json":
        echo_json(rows)
        return
    for row in rows:
        approved = f"approved by {row['approved_by']}" if row["approved_by"] else "not approved"
        click.echo(f"{row['id']:>4}  wave {row['wave']}  plan {row['plan']}  {row['status']:<8}  "
                   f"by {row['by']} at {row['at']}  {approved}")
    if not rows:
        click.echo("no dry-run recorded" + (f" for wave {wave}" if wave else ""))


@dry_run_group.command("show")
@click.argument("dry_run_id", type=int)
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Also write dry-run.md, dry-run.html and dry-run.json into this folder.")
@workspace_options
@format_option("table", "json", "md")
def show_cmd(ws: Workspace, dry_run_id: int, out_dir: Path | None, fmt: str) -> None:
    """Show recorded dry-run DRY_RUN_ID, as it was rehearsed."""
    from orchestrator.journal.dry_runs import get_dry_run

    with ws.journal(read_only=True, site=True) as journal:
        record = get_dry_run(journal, dry_run_id)
    _emit(record.document, fmt, out_dir)


@dry_run_group.command("diff")
@click.argument("first", type=int)
@click.argument("second", type=int)
@workspace_options
@format_option("text", "json")
def diff_cmd(ws: Workspace, first: int, second: int, fmt: str) -> None:
    """What dry-run SECOND predicts differently from dry-run FIRST: task outcomes, Terraform
    actions, held services, and what it was made from."""
    from orchestrator.journal.dry_runs import diff_dry_runs, get_dry_run

    with ws.journal(read_only=True, site=True) as journal:
        differences = diff_dry_runs(get_dry_run(journal, first), get_dry_run(journal, second))
    if fmt == "json":
        echo_json(differences)
        return
    for item in differences:
        click.echo(f"{item['kind']:<8} {item['key']}: {item['first']} -> {item['second']}")
    if not differences:
        click.echo(f"dry-runs {first} and {second} predict the same")


@dry_run_group.command("approve")
@click.argument("dry_run_id", type=int)
@click.option("--by", default=None, metavar="NAME",
              help="Who approves (not who rehearsed it); signed, the key's principal [default: it].")
@click.option("--reason", required=True, metavar="TEXT", help="Why it may run; journalled.")
@sign_option()
@workspace_options
@format_option("text", "json")
def approve_cmd(ws: Workspace, dry_run_id: int, reason: str, sign_with: Path | None, fmt: str) -> None:
    """Approve dry-run DRY_RUN_ID, so `wave run` may apply it. Refused for the person who
    rehearsed it, unless the site sets allow_self_approval: true; signed where the site verifies
    signatures (--sign-with)."""
    from orchestrator.journal.decisions import policy_of
    from orchestrator.journal.dry_runs import approve_dry_run

    with ws.journal(site=True) as journal:
        site = ws.site
        signer = signer_of(site, sign_with, ws.by)
        by = ws.by or (ws.operator if signer is not None else "")
        record = approve_dry_run(journal, dry_run_id, by, reason, site.allow_self_approval,
                                 policy_of(site), signer, typed=ws.by is not None)
    if fmt == "json":
        echo_json({"id": record.id, "wave": record.wave, "approved_by": record.approved_by,
                   "reason": record.approval_reason})
        return
    click.echo(f"dry-run {record.id} of wave {record.wave} approved by {record.approved_by}: "
               f"{record.approval_reason}")


@dry_run_group.command("compare")
@click.argument("dry_run_id", type=int)
@click.argument("run_id")
@workspace_options
@format_option("text", "json")
def compare_cmd(ws: Workspace, dry_run_id: int, run_id: str, fmt: str) -> None:
    """Measure dry-run DRY_RUN_ID against run RUN_ID of the same wave: every change the run made
    (Ansible tasks per host, Terraform resources) must have been predicted as a change or an
    unknown (recall, which must be 100%); precision is the share of predicted changes that
    happened; the unknown share is of every prediction (tasks and Terraform resources). Exit 1
    when the recall is below 100%."""
    from orchestrator.engine.compare import compare
    from orchestrator.journal.dry_runs import get_dry_run

    with ws.journal(read_only=True, site=True) as journal:
        found = compare(get_dry_run(journal, dry_run_id).document, journal, run_id)
    if fmt == "json":
        echo_json(found)
    else:
        click.echo(f"dry-run {dry_run_id} against {run_id}: recall {found['recall']:.0%} "
                   f"({found['predicted']} of {found['happened']} change(s) predicted), precision "
                   f"{found['precision']:.0%}, unknown {found['unknown_share']:.0%} of "
                   f"{found['predictions']} prediction(s)")
        for miss in found["missed"]:
            click.echo(f"  missed: {miss}")
    if found["missed"]:
        raise click.exceptions.Exit(1)
