"""Preconditions: small named checks with stable ids that run before a service's first change.

Each check answers PASS, WARN, FAIL or INCONCLUSIVE for one service, with its evidence: what was
asked, what came back, and what would make it pass. A FAIL stops the service before any change;
an INCONCLUSIVE holds it too (``on_inconclusive: hold``) unless the site says ``on_inconclusive:
warn``; an operator may override one check for one run (``--override ID --reason TEXT``,
journalled with their name).
"""

from __future__ import annotations

from typing import Any

from orchestrator.checks.base import (
    Check,
    CheckContext,
    KubeConnector,
    Outcome,
    Result,
    TerraformPlanner,
    maker,
    precondition,
    site_kube_client,
)

__all__ = ["Check", "CheckContext", "KubeConnector", "Outcome", "Result", "TerraformPlanner", "known_ids",
           "maker", "override_for", "precondition", "registry", "run_checks", "site_kube_client",
           "stopping", "with_overrides"]


def registry() -> list[Check]:
    """Every precondition, in id order."""
    from orchestrator.checks import platform, service, track

    return sorted([*platform.CHECKS, *service.CHECKS, *track.CHECKS], key=lambda c: c.check_id)


def run_checks(ctx: CheckContext, service: Any, only: set[str] | None = None) -> list[Result]:
    """Run every check (or ``only`` those ids) for ``service``; a check that raises is reported
    as INCONCLUSIVE with its error, never as a traceback."""
    from orchestrator.errors import LogiusMigrateError

    results = []
    for check in registry():
        if only is not None and check.check_id not in only:
            continue
        try:
            results.append(check.run(ctx, service))
        except (LogiusMigrateError, OSError, ValueError) as exc:
            results.append(Result(check.check_id, check.title, service.id, Outcome.INCONCLUSIVE,
                                  f"could not be checked: {exc}", remedy="fix what the error names"))
    return results


def stopping(results: list[Result], on_inconclusive: str) -> list[Result]:
    """The results that stop the service: FAILs, and INCONCLUSIVEs unless the site warns on
    them (``hold``, or its old spelling ``fail``); an overridden result never stops."""
    stops = {Outcome.FAIL} | ({Outcome.INCONCLUSIVE} if on_inconclusive != "warn" else set())
    return [r for r in results if r.outcome in stops and r.overridden_by is None]


def override_for(overrides: dict[str, str], check_id: str, service: str) -> str | None:
    """The reason ``overrides`` (``CHECK-ID`` or ``CHECK-ID:SERVICE`` -> reason) give for letting
    ``check_id`` pass for ``service``, or None: an override naming a service holds for it alone."""
    return overrides.get(f"{check_id}:{service}", overrides.get(check_id))


def with_overrides(results: list[Result], overrides: dict[str, str], by: str) -> list[Result]:
    """Mark the failing or inconclusive results that ``overrides`` let pass as overridden by ``by``."""
    from dataclasses import replace

    marked = []
    for r in results:
        reason = override_for(overrides, r.check_id, r.service)
        if reason is not None and r.outcome in (Outcome.FAIL, Outcome.INCONCLUSIVE):
            r = replace(r, overridden_by=by, override_reason=reason)
        marked.append(r)
    return marked


def known_ids() -> list[str]:
    return [c.check_id for c in registry()]
