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


# -- the track on the engine ---------------------------------------------------------------------

SITE_ENV = "LOGIUS_MIGRATE_AZURE_SITE"
LAB_SITE = "azure-test.yml"
SITE_HELP = "The azure-test site [default: $LOGIUS_MIGRATE_AZURE_SITE, else the lab's azure-test.yml]."


def _track_site(ws: Any) -> None:
    """The track's site: --site, else $LOGIUS_MIGRATE_AZURE_SITE, else the lab's azure-test.yml."""
    import os

    if ws.site_path is None:
        ws.site_path = Path(os.environ.get(SITE_ENV) or ws.lab.root / LAB_SITE)


def _granted(overrides: tuple[str, ...], reason: str | None) -> dict[str, str]:
    from orchestrator.errors import InputError
    from orchestrator.guardrails import TITLES

    if not overrides:
        if reason:
            raise InputError("--reason goes with --override AZ-GRD-00N")
        return {}
    if not reason or not reason.strip():
        raise InputError("--override needs --reason TEXT (journalled with your name)")
    unknown = sorted(set(overrides) - set(TITLES))
    if unknown:
        raise InputError(f"--override {unknown[0]}: no such guardrail (guardrails: "
                         f"{', '.join(sorted(TITLES))})")
    return dict.fromkeys(overrides, reason)


def _track_command(name: str, doc: str) -> Any:
    from orchestrator.cli.base import by_option, catalog_option, sign_option, verbosity
    from orchestrator.cli.completion import service_ids
    from orchestrator.cli.workspace import workspace_options

    @click.argument("service", shell_complete=service_ids)
    @catalog_option
    @workspace_options
    @click.option("--override", "overrides", multiple=True, metavar="AZ-GRD-00N",
                  help="Let a failing guardrail pass for this run only (needs --reason; journalled "
                       "with your name). Repeat for several.")
    @click.option("--reason", default=None, metavar="TEXT", help="Why the overridden guardrails may pass.")
    @by_option()
    @sign_option()
    @format_option("text", "json")
    def command(ws: Any, service: str, overrides: tuple[str, ...], reason: str | None, sign_with: Any,
                fmt: str) -> None:
        from orchestrator.cli.logs import redact_with
        from orchestrator.cli.waves import _progress, decide_overrides
        from orchestrator.engine.stopping import StopRequest, stop_on_signals
        from orchestrator.engine.track import destroy_track, run_track

        granted = _granted(overrides, reason)
        _track_site(ws)
        stop = StopRequest()
        with stop_on_signals(stop, lambda text: click.echo(text, err=True)), _progress() as progress, \
                ws.session(progress=progress, stop=stop, verbosity=verbosity()) as ctx:
            redact_with(ctx.redactor)
            if name == "destroy":
                result = destroy_track(ctx, service)
            else:
                if granted:
                    decide_overrides(ws, ctx, "guardrail-override", f"track {service}", granted, sign_with)
                result = run_track(ctx, service, resume=name == "resume", overrides=granted)
        if fmt == "json":
            echo_json({"run": result.run_id, "service": service, "status": result.status,
                       "applied": result.applied, "reconciled": result.reconciled, "skipped": result.skipped})
            return
        click.echo(f"{result.run_id}: {result.status}; {len(result.applied)} step(s) applied, "
                   f"{len(result.reconciled)} reconciled after a crash, {len(result.skipped)} already done")

    command.__doc__ = doc
    return azure_test_group.command(name)(command)


_EXITS = ("\b\nExit codes: 0 done, 7 held (a guardrail or a step; the environment destroyed), 9 the "
          "destroy failed (resources named), 130/143 stopped by a signal, 4 another operator runs it, "
          "2 bad input.")
_track_command("run", "Run SERVICE's Azure test track on the azure-test site: provision (terraform plan, "
               "the guardrails AZ-GRD-* on that plan, then that plan applied), deploy the rebuild and its "
               "synthetic data set, its acceptance tests (JUnit), the report, destroy. Each step "
               "journalled, a rollback point before each change; the report and the destroy run whatever "
               "the tests said.\n\n" + _EXITS)
_track_command("resume", "Continue SERVICE's track run after a crash, a stop or a held step: what a dead "
               "process left running is reconciled first (done if its change is in place), and no "
               "step is applied twice.\n\n" + _EXITS)
_track_command("destroy", "Destroy the environment of SERVICE's newest track run (after a failed "
               "destroy, or a held or interrupted run), journalled in that run.\n\n" + _EXITS)


@azure_test_group.command("dry-run")
@click.argument("service")
@click.option("--catalog", "catalog_path", type=click.Path(path_type=Path), default=None,
              envvar="LOGIUS_MIGRATE_CATALOG",
              help="Catalog folder or YAML file [default: the project's seeds/].")
@click.option("--site", "site_path", type=click.Path(path_type=Path), default=None,
              help=SITE_HELP)
@click.option("--lab", "lab_dir", type=click.Path(path_type=Path), default=None, help="The lab's folder.")
@click.option("--db", default=None, help="The journal [default: the site's].")
@format_option("text", "json")
def dry_run_cmd(service: str, catalog_path: Path | None, site_path: Path | None, lab_dir: Path | None,
                db: str | None, fmt: str) -> None:
    """Rehearse SERVICE's track: the environment's `terraform plan` and the guardrails on it, the
    playbooks in check mode; nothing is changed or journalled. Exit 0 nothing would be held, 7 the
    track would hold it (a guardrail FAIL, a step that would fail)."""
    from orchestrator.cli.workspace import Workspace
    from orchestrator.engine.track import rehearse_track

    ws = Workspace(catalog_path, site_path, lab_dir, db)
    _track_site(ws)
    with ws.session() as ctx:
        result, changes, held = rehearse_track(ctx, service)
    document = {"service": service, "status": result.status, "held": held,
                "changes": [{"step": c.step, "what": c.what, "guardrails": c.detail.get("guardrails")}
                            for c in changes]}
    if fmt == "json":
        echo_json(document)
    else:
        click.echo(f"dry-run of the azure-test track of {service}: {len(changes)} prediction(s), "
                   f"{'held: ' + '; '.join(held.values()) if held else 'nothing held'}")
        for change in changes:
            click.echo(f"  {change.step:14} {change.what[:150]}")
            for g in change.detail.get("guardrails") or []:
                click.echo(f"      {g['source']:8} {g['guardrail']:12} {g['outcome']:12} "
                           f"{g['summary'][:100]}")
    if held:
        raise SystemExit(7)


@azure_test_group.command("status")
@click.argument("service")
@click.option("--site", "site_path", type=click.Path(path_type=Path), default=None,
              help=SITE_HELP)
@click.option("--lab", "lab_dir", type=click.Path(path_type=Path), default=None, help="The lab's folder.")
@click.option("--db", default=None, help="The journal [default: the site's].")
@format_option("table", "json")
def status_cmd(service: str, site_path: Path | None, lab_dir: Path | None, db: str | None, fmt: str) -> None:
    """SERVICE's track runs, newest last: build, status, steps, guardrails, acceptance tests,
    budget, expiry, and what a failed destroy left."""
    from orchestrator.cli.workspace import Workspace
    from orchestrator.journal.evidence import results
    from orchestrator.journal.tracks import track_runs

    ws = Workspace(None, site_path, lab_dir, db)
    _track_site(ws)
    with ws.journal(read_only=True) as journal:
        runs = track_runs(journal, service=service)
        guardrails = {r.run_id: [{"id": e.check_id, "outcome": e.outcome, "summary": e.summary,
                                  "overridden_by": e.overridden_by}
                                 for e in results(journal, run_id=r.run_id)] for r in runs}
    document: dict[str, Any] = {"service": service, "runs": [{
        "run": r.run_id, "build": r.build, "status": r.status, "steps": r.steps, "passed": r.passed,
        "destroyed": r.destroyed, "budget": r.budget, "expires_on": r.expires_on, "junit": r.junit,
        "resources_left": list(r.resources_left), "held": r.held, "guardrails": guardrails[r.run_id]}
        for r in runs]}
    if fmt == "json":
        echo_json(document)
        return
    if not runs:
        click.echo(f"{service}: no azure-test track run")
        return
    for run in document["runs"]:
        junit = run["junit"]
        tally = junit and f"{junit['tests'] - junit['failures']} of {junit['tests']} passed"
        click.echo(f"{run['run']}: {run['status']} (build {run['build']}); acceptance "
                   f"{tally or 'not run'}; destroyed: {'yes' if run['destroyed'] else 'no'}; expires on "
                   f"{run['expires_on']}; budget {run['budget'].get('amount')}")
        for step, state in run["steps"].items():
            click.echo(f"  {step:14} {state}")
        failed = [g["id"] for g in run["guardrails"] if g["outcome"] != "PASS"]
        click.echo(f"  guardrails: {len(run['guardrails'])} result(s)"
                   + (f", not passed: {', '.join(failed)}" if failed else ""))
        if run["resources_left"]:
            click.echo(f"  resources left: {', '.join(run['resources_left'])}")
