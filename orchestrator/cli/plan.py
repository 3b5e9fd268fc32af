"""`logius-migrate plan`: assign services to waves and explain every placement."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import Day, catalog_option, echo_json, format_option


def plan_options(func: Any) -> Any:
    """The options that shape waves; `wave run` takes them too, so it runs the wave you planned."""
    for option in reversed([
        click.option("--start", type=Day(), default=None,
                     help="First day of wave 1 [default: calendar.planning_start in the catalog]."),
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
               pilot_waves: int, deadline: dt.date | None = None) -> Any:
    """Parse the plan options into PlanOptions and plan (the catalog's start date by default)."""
    from orchestrator.errors import InputError
    from orchestrator.planning import PlanOptions, plan_waves

    if start is not None:
        first_day = start
    elif catalog.calendar is not None and catalog.calendar.planning_start is not None:
        first_day = catalog.calendar.planning_start
    else:
        raise InputError("no start date: pass --start YYYY-MM-DD or set calendar.planning_start "
                         "in the catalog")
    options = PlanOptions(start=first_day, wave_length_days=wave_length, capacity=capacity,
                          pilot_waves=pilot_waves, deadline=deadline)
    return plan_waves(catalog, options)


@click.group("plan", invoke_without_command=True)
@catalog_option
@plan_options
@click.option("--deadline", type=Day(), default=None,
              help="Every service must be done by this day, or the plan is infeasible (exit 3).")
@click.option("--explain", "explain_id", metavar="SERVICE", default=None,
              help="Say why SERVICE sits in its wave, instead of printing the whole plan.")
@format_option("table", "json", "md")
@click.pass_context
def plan_cmd(ctx: click.Context, catalog_path: Path | None, start: dt.date | None, wave_length: int,
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
        _plan(catalog_path, start, wave_length, capacity, pilot_waves, deadline, explain_id, fmt)


def _plan(catalog_path: Path | None, start: dt.date | None, wave_length: int, capacity: int,
          pilot_waves: int, deadline: dt.date | None, explain_id: str | None, fmt: str) -> None:
    from orchestrator.catalog import load_catalog
    from orchestrator.reports import plan_report

    catalog = load_catalog(catalog_path)
    if explain_id is not None:
        catalog.service(explain_id)  # a clear error for an unknown id, before planning
    plan = build_plan(catalog, start, wave_length, capacity, pilot_waves, deadline)

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
