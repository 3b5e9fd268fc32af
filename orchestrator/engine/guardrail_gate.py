"""The guardrails as a gate of the Azure test track: the Rijkscloud conditions (AZ-GRD-*) on the
plan of a service's test environment, journalled as check results like the preconditions, an
override (``--override AZ-GRD-00N --reason``) journalled with the operator for this run only; a
FAIL (or an INCONCLUSIVE, unless the site says ``on_inconclusive: warn``) of ours refuses the apply.
checkov's findings are journalled beside ours and never refuse anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import clock
from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext


@dataclass(frozen=True)
class Verdict:
    results: list[Any]  # guardrails.Result, ours then checkov's
    refused: str | None  # why the apply is refused, or None


def policy_of(ctx: EngineContext, service: Service) -> Any:
    """The site's conditions, the service's legacy and LPC hosts and data stores among the names
    no step or variable may hold."""
    from orchestrator.guardrails import Policy

    azure = ctx.site.track
    original = ctx.catalog.service(service.id)
    names = {*azure.other_site_names, *original.hosts.legacy, *original.hosts.target,
             *(store.name for store in original.data_stores)}
    return Policy(allowed_regions=frozenset(azure.allowed_regions),
                  allowed_ranges=tuple(azure.allowed_ranges), max_expiry_days=azure.max_expiry_days,
                  other_site_names=frozenset(names))


def track_runbook(ctx: EngineContext) -> Any:
    """The track's runbook as the guardrails see it: each step's kind and what it reads."""
    from orchestrator.guardrails import TrackRunbook, TrackStep
    from orchestrator.runbook import AZURE_TEST_STEPS, TRACK_KINDS

    reads = {"az-deploy": (str(ctx.site.track.synthetic_data),)}
    return TrackRunbook(tuple(TrackStep(s.name, TRACK_KINDS[s.name], reads.get(s.name, ()))
                              for s in AZURE_TEST_STEPS))


def guard(ctx: EngineContext, service: Service, document: dict[str, Any], plan_file: Path,
          overrides: dict[str, str], record_in: str | None) -> Verdict:
    """The guardrails on ``document`` (a plan in ``terraform show -json``'s format), journalled
    in run ``record_in`` (None: a dry-run, nothing journalled)."""
    from orchestrator.guardrails import OURS, Outcome, evaluate, parse_plan

    plan = parse_plan(document, str(plan_file))
    results = evaluate(plan, policy_of(ctx, service), track_runbook(ctx), clock.today())
    if ctx.site.track.checkov:
        from orchestrator.guardrails.checkov import scan_plan

        shown = plan_file.with_suffix(".json")
        shown.write_text(_json(document))
        results += scan_plan(shown)
    blocking = {Outcome.FAIL} if ctx.site.on_inconclusive == "warn" else {Outcome.FAIL, Outcome.INCONCLUSIVE}
    refused = [r for r in results
               if r.source == OURS and r.outcome in blocking and r.guardrail not in overrides]
    if record_in is not None:
        _record(ctx, record_in, service, results, overrides)
    if not refused:
        return Verdict(results, None)
    said = "; ".join(f"{r.guardrail} {r.outcome.value}: {r.summary}" for r in refused)
    return Verdict(results, f"the guardrails refused the apply ({said}); fix the site or the module, or "
                            f"--override {refused[0].guardrail} --reason TEXT")


def _record(ctx: EngineContext, run_id: str, service: Service, results: list[Any],
            overrides: dict[str, str]) -> None:
    from orchestrator.checks.base import Outcome as CheckOutcome
    from orchestrator.checks.base import Result as CheckResult
    from orchestrator.journal.evidence import record_results

    rows = []
    for r in results:
        reason = overrides.get(r.guardrail) if r.outcome.value != "PASS" else None
        rows.append(CheckResult(r.guardrail, r.title, service.id, CheckOutcome(r.outcome.value), r.summary,
                                asked=f"{r.source}: {r.title}",
                                answer="; ".join(e.line() for e in r.evidence[:20]), remedy=r.remedy,
                                overridden_by=ctx.owner if reason else None, override_reason=reason))
        if reason:
            note = f"{r.guardrail} {r.outcome.value} overridden for {service.id} by {ctx.owner}: {reason}"
            ctx.journal.log(run_id, "override", note)
            ctx.progress.on_note(f"override: {note}")
    record_results(ctx.journal, run_id, rows)
    failed = [f"{r.guardrail} {r.outcome.value}" for r in results if r.outcome.value != "PASS"]
    ctx.journal.log(run_id, "guardrails", f"{service.id}: {len(results)} result(s)"
                    + (f"; not passed: {', '.join(failed)}" if failed else "; all passed"))


def _json(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)
