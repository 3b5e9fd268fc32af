"""`logius-migrate track azure-test guardrails`: the Rijkscloud conditions of the Azure test track
(AZ-GRD-*) on a `terraform show -json` plan, checkov's findings beside them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import echo_json, format_option

EXIT_INCONCLUSIVE = 8


@click.group("track")
def track_group() -> None:
    """The tracks a service goes through before its LPC wave (the Azure test track of a rebuild)."""


@track_group.group("azure-test")
def azure_test_group() -> None:
    """The Azure test and development track of a rebuild (Digipoort), under the Rijkscloud conditions."""


@azure_test_group.command("guardrails")
@click.argument("plan_json", type=click.Path(path_type=Path))
@click.option("--policy", type=click.Path(path_type=Path), default=None,
              help="The conditions (allowed_regions, allowed_ranges, max_expiry_days, other_site_names) "
                   "[default: terraform/modules/azure-test-environment/policy.yaml].")
@click.option("--runbook", type=click.Path(path_type=Path), default=None,
              help="The track's runbook ({steps: [{name, kind, reads}]}); without it AZ-GRD-006 and "
                   "AZ-GRD-007 are INCONCLUSIVE.")
@click.option("--checkov/--no-checkov", default=True, show_default=True,
              help="Also run checkov on the plan ($LOGIUS_MIGRATE_CHECKOV or checkov on PATH).")
@format_option("table", "json", "md")
def guardrails_cmd(plan_json: Path, policy: Path | None, runbook: Path | None, checkov: bool,
                   fmt: str) -> None:
    """Check PLAN_JSON (`terraform show -json PLANFILE`) against the guardrails AZ-GRD-001..007,
    each PASS, FAIL or INCONCLUSIVE with its evidence; checkov's findings are listed beside them,
    marked as checkov's, and do not decide the exit code.

    \b
    Exit codes: 0 every guardrail passed, 1 one failed, 2 bad input (plan, policy, runbook),
    8 none failed but some were INCONCLUSIVE.
    """
    from orchestrator.clock import today
    from orchestrator.guardrails import Outcome, evaluate, load_plan, load_policy, load_runbook, overall

    rules = load_policy(policy)
    steps = load_runbook(runbook) if runbook else None
    plan = load_plan(plan_json)
    results = evaluate(plan, rules, steps, today())
    if checkov:
        from orchestrator.guardrails.checkov import scan_plan

        results += scan_plan(plan_json)
    outcome = overall(results)
    _render(fmt, str(plan_json), outcome.value, results)
    if outcome is Outcome.FAIL:
        raise SystemExit(1)
    if outcome is Outcome.INCONCLUSIVE:
        raise SystemExit(EXIT_INCONCLUSIVE)


def _render(fmt: str, plan: str, outcome: str, results: list[Any]) -> None:
    counts: dict[str, int] = {}
    for r in results:
        counts[f"{r.source} {r.outcome.value}"] = counts.get(f"{r.source} {r.outcome.value}", 0) + 1
    if fmt == "json":
        echo_json({"plan": plan, "outcome": outcome, "counts": counts,
                   "results": [r.as_dict() for r in results]})
        return
    if fmt == "md":
        click.echo(f"# Guardrails on {plan}: {outcome}\n\n"
                   "| source | id | outcome | summary |\n| --- | --- | --- | --- |")
        for r in results:
            click.echo(f"| {r.source} | {r.guardrail} | {r.outcome.value} | {r.summary} |")
        for r in (r for r in results if r.outcome.value != "PASS"):
            click.echo(f"\n## {r.guardrail}: {r.title}\n\n"
                       + "".join(f"- {e.line()}\n" for e in r.evidence[:20])
                       + (f"\nRemedy: {r.remedy}" if r.remedy else ""))
        return
    said = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    click.echo(f"guardrails on {plan}: {outcome} ({said})")
    for r in results:
        click.echo(f"  {r.source:8} {r.guardrail:12} {r.outcome.value:12} {r.summary}")
        if r.outcome.value != "PASS":
            for e in r.evidence[:10]:
                click.echo(f"      {e.line()}")
            if len(r.evidence) > 10:
                click.echo(f"      ... {len(r.evidence) - 10} more (--format json has them all)")
            if r.remedy:
                click.echo(f"      remedy: {r.remedy}")
