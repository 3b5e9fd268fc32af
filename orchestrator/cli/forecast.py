"""`logius-migrate plan forecast`: when the approved plan will likely end, with what certainty,
and what each percentile costs (a Monte Carlo from the journal's own history)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from orchestrator.cli.base import Day, catalog_option, echo_json, format_option
from orchestrator.cli.plan import plan_cmd
from orchestrator.cli.workspace import Workspace, workspace_options

BAR_WIDTH = 40


@plan_cmd.command("forecast")
@catalog_option
@click.option("--iterations", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Monte Carlo iterations.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random draws (recorded in the output): the same seed, the same forecast.")
@click.option("--deadline", type=Day(), default=None, help="Also give the probability of ending by this day.")
@workspace_options
@format_option("table", "json", "md")
def forecast_cmd(ws: Workspace, iterations: int, seed: int, deadline: dt.date | None, fmt: str) -> None:
    """Forecast the end of the journal's newest approved plan, from where the programme stands:
    done services are not forecast again; each step takes its recorded times from the journal
    (else its share of the wave length, spread as the catalog's forecast: section says); failed
    attempts are retried; a wave ends with its slowest service; releases not accepted and open
    blockers delay what waits for them. See docs/forecast.md.

    \b
    Examples:
      logius-migrate plan forecast
      logius-migrate plan forecast --deadline 2025-06-30 --seed 7
      logius-migrate plan forecast --iterations 2000 --format json | jq .p90
    """
    from orchestrator.cli.progress import progress
    from orchestrator.forecast import forecast_programme

    catalog = ws.catalog
    with ws.journal(read_only=True) as journal, progress("forecast", iterations) as advance:
        result = forecast_programme(catalog, journal, today=ws.clock.today(), iterations=iterations,
                                    seed=seed, deadline=deadline, advance=advance)
    if fmt == "json":
        echo_json(result.to_dict())
    else:
        for line in (_markdown if fmt == "md" else _table)(result):
            click.echo(line)


def _percentile_rows(result: Any) -> list[tuple[str, str, str]]:
    cost = result.cost
    return [(f"P{p}", getattr(result, f"p{p}").isoformat(), f"+{cost[f'p{p}_meur']:.2f} M EUR")
            for p in (50, 80, 90)]


def _chances(result: Any) -> list[str]:
    lines = [f"by the contract end {result.contract_end}: {result.p_contract_end:.1%}"]
    if result.deadline is not None:
        lines.append(f"by the deadline {result.deadline}: {result.p_deadline:.1%}")
    return lines


def _table(result: Any) -> list[str]:
    lines = [f"Forecast of plan {result.plan} from {result.today}: {result.iterations} iterations, "
             f"seed {result.seed}",
             f"  deterministic plan ends {result.deterministic_end}"]
    lines += [f"  {name:<4} {day}  {cost} {result.cost['label']}"
              for name, day, cost in _percentile_rows(result)]
    lines += [f"  chance of ending {line}" for line in _chances(result)]
    lines.append(f"  each further month adds {result.cost['monthly_meur']:.2f} M EUR")
    lines.append("End dates (iterations per bin):")
    top = max(b["count"] for b in result.histogram)
    for b in result.histogram:
        bar = "#" * round(BAR_WIDTH * b["count"] / top) if top else ""
        lines.append(f"  {b['from']} .. {b['to']}  {bar:<{BAR_WIDTH}} {b['count']}")
    lines.append("Waves (P50 / P90 end): " + ", ".join(
        f"{w['number']}: {w['p50']} / {w['p90']}" for w in result.waves))
    lines += ["Assumed:"] + [f"  - {line}" for line in result.assumptions]
    return lines


def _markdown(result: Any) -> list[str]:
    lines = [f"# Forecast of plan {result.plan}", "",
             f"From {result.today}, {result.iterations} iterations, seed {result.seed}; the "
             f"deterministic plan ends {result.deterministic_end}.", "",
             f"| percentile | end | {result.cost['label']} added |", "|---|---|---|"]
    lines += [f"| {name} | {day} | {cost} |" for name, day, cost in _percentile_rows(result)]
    lines += [""] + [f"- Chance of ending {line}" for line in _chances(result)]
    lines += ["", "| from | to | iterations |", "|---|---|---|"]
    lines += [f"| {b['from']} | {b['to']} | {b['count']} |" for b in result.histogram]
    lines += ["", "| wave | P50 end | P90 end |", "|---|---|---|"]
    lines += [f"| {w['number']} | {w['p50']} | {w['p90']} |" for w in result.waves]
    lines += ["", "Assumed:", ""] + [f"- {line}" for line in result.assumptions]
    return lines
