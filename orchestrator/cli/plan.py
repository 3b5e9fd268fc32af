"""`logius-migrate plan`: assign services to waves and explain every placement."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

import click

from orchestrator.cli.base import Day, catalog_option, echo_json, format_option
from orchestrator.cli.workspace import Workspace, pass_workspace


def plan_options(func: Any) -> Any:
    """The options that shape waves; `wave run` takes them too, so it runs the wave you planned."""
    for option in reversed([
        click.option("--start", type=Day(), default=None,
                     help="First day of wave 1 [default: today, or calendar.planning_start when later]."),
        click.option("--wave-length", type=click.IntRange(min=1), default=28, show_default=True,
                     help="Days per wave."),
        click.option("--capacity", type=click.IntRange(min=1), default=3, show_default=True,
                     help="At most this many services per wave."),
        click.option("--pilot-waves", type=click.IntRange(min=0), default=1, show_default=True,
                     help="The first N waves take only pilot candidates (size S, criticality low "
                          "or medium)."),
    ]):
        func = option(func)
    return func


def build_plan(catalog: Any, start: dt.date | None, wave_length: int, capacity: int,
               pilot_waves: int, deadline: dt.date | None = None, standing: Any = None) -> Any:
    """:func:`planned`'s plan."""
    return planned(catalog, start, wave_length, capacity, pilot_waves, deadline, standing)[1]


def planned(catalog: Any, start: dt.date | None, wave_length: int, capacity: int,
            pilot_waves: int, deadline: dt.date | None = None, standing: Any = None) -> tuple[Any, Any]:
    """The catalog left to plan and its plan. Plan from ``start``, else from today (the tool's
    clock) or the catalog's planning start when that is later, and from where the programme
    stands (``standing``, read from the journal): what is done is not placed again, releases are
    usable when the release rule says."""
    from orchestrator import clock
    from orchestrator.planning import PlanOptions, plan_waves
    from orchestrator.planning.standing import Standing, adjust

    today = clock.today()
    if start is not None:
        first_day = start
    else:
        planned = catalog.calendar.planning_start if catalog.calendar is not None else None
        first_day = max(today, planned) if planned else today
    options = PlanOptions(start=first_day, wave_length_days=wave_length, capacity=capacity,
                          pilot_waves=pilot_waves, deadline=deadline)
    standing = standing or Standing(today)
    left = adjust(catalog, standing, wave_length)
    return left, plan_with_done(plan_waves(left, options), standing)


def plan_with_done(plan: Any, standing: Any) -> Any:
    """The plan with the services it does not place because they are done or in flight, and where
    its test tracks stand."""
    import dataclasses

    if not hasattr(plan, "done"):
        return plan
    from orchestrator.planning.stages import with_standing
    from orchestrator.planning.waves import Done

    plan = with_standing(plan, standing.tracks)
    if not standing.states:
        return plan
    return dataclasses.replace(plan, done=tuple(Done(*s) for s in standing.states))


def _standing_here(ws: Workspace) -> Any:
    """Where the programme stands by the journal `plan save` would use ($LOGIUS_MIGRATE_DB, the
    site's, the lab's), when there is one; else nothing is done yet. `plan` never creates it."""
    from orchestrator.errors import InputError, JournalUnavailable

    if not ws.db_given and not ws.site_file.exists():
        return standing_of(ws.catalog, None)
    try:
        journal = ws.journal(read_only=True)
    except (InputError, JournalUnavailable):
        return standing_of(ws.catalog, None)
    with journal:
        return standing_of(ws.catalog, journal)


def _echo_past(entry: Any, fmt: str) -> None:
    where = f" in run {entry.run_id}" if entry.run_id else ""
    if fmt == "json":
        echo_json({"service": entry.service_id, "wave": None, "state": entry.state, "run": entry.run_id,
                   "reasons": [f"{entry.state}{where}: not planned again"]})
        return
    click.echo(f"{entry.service_id} is {entry.state}{where}: not planned again")


def standing_of(catalog: Any, journal: Any) -> Any:
    """Where the programme stands by ``journal`` (None: nothing done yet)."""
    from orchestrator import clock
    from orchestrator.planning.standing import Standing, read_standing

    return read_standing(journal, catalog, clock.today()) if journal is not None else Standing(clock.today())


@click.group("plan", invoke_without_command=True)
@catalog_option
@plan_options
@click.option("--deadline", type=Day(), default=None,
              help="Every service must be done by this day, or the plan is infeasible (exit 3).")
@click.option("--explain", "explain_id", metavar="SERVICE", default=None,
              help="Say why SERVICE sits in its wave, instead of printing the whole plan.")
@format_option("table", "json", "md")
@pass_workspace
@click.pass_context
def plan_cmd(ctx: click.Context, ws: Workspace, start: dt.date | None, wave_length: int,
             capacity: int, pilot_waves: int, deadline: dt.date | None,
             explain_id: str | None, fmt: str) -> None:
    """Assign every service to a wave, deterministically; `plan save` and `plan approve` make it
    the plan that `wave run` takes its waves from.

    Hard dependencies move first; pilots (small, low criticality) lead; no wave holds more than
    --capacity services; blackout windows and application-contract changes keep a service out of
    a wave; a service waits for its minimum infrastructure release; retired services are
    decommissioned after their dependants moved. The plan ends with its end date and the cost of
    running past the legacy contract end.

    \b
    Examples:
      logius-migrate plan
      logius-migrate plan --capacity 4 --wave-length 14 --format md > plan.md
      logius-migrate plan --explain digipoort
      logius-migrate plan save --capacity 4 && logius-migrate plan approve 1 --by NAME --reason TEXT
    """
    if ctx.invoked_subcommand is not None:
        given = [name for name in ctx.params
                 if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE]
        if given:
            flag = next(p.opts[0] for p in ctx.command.params if p.name == given[0])
            raise click.UsageError(f"options go after the subcommand: logius-migrate plan "
                                   f"{ctx.invoked_subcommand} {flag} ...")
        return
    from orchestrator.gcpause import gc_paused

    with gc_paused():  # millions of acyclic objects on a large catalog: see gcpause
        _plan(ws, start, wave_length, capacity, pilot_waves, deadline, explain_id, fmt)
        ws.forget()  # freed while the collector is still paused


def _plan(ws: Workspace, start: dt.date | None, wave_length: int, capacity: int,
          pilot_waves: int, deadline: dt.date | None, explain_id: str | None, fmt: str) -> None:
    from orchestrator.reports import plan_report

    catalog = ws.catalog
    if explain_id is not None:
        catalog.service(explain_id)  # a clear error for an unknown id, before planning
    standing = _standing_here(ws)
    past = {s.service_id: s for s in standing.states}
    if explain_id in past:
        _echo_past(past[explain_id], fmt)
        return
    catalog, plan = planned(catalog, start, wave_length, capacity, pilot_waves, deadline, standing)

    if explain_id is not None:
        from orchestrator.planning.explain import explain_placement

        explanation = explain_placement(catalog, plan, explain_id)
        if fmt == "json":
            echo_json({"service": explain_id, "wave": explanation.wave,
                       "earliest": explanation.earliest_wave, "reasons": explanation.lines()})
            return
        click.echo(f"{explain_id} is in wave {explanation.wave}:")
        for line in explanation.lines():
            click.echo(f"  - {line}")
        return

    if fmt == "json":
        plan_report.write_json(catalog, plan, sys.stdout)
    elif fmt == "md":
        for piece in plan_report.markdown(catalog, plan):
            sys.stdout.write(piece)
    else:
        plan_report.render_table(catalog, plan, sys.stdout)
