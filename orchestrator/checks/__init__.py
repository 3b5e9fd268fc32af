"""Preconditions: small named checks with stable ids that run before a service's first change.

Each check answers PASS, WARN, FAIL or INCONCLUSIVE for one service, with its evidence: what was
asked, what came back, and what would make it pass. A FAIL stops the service before any change;
an INCONCLUSIVE holds it too (``on_inconclusive: hold``) unless the site says ``on_inconclusive:
warn``; an operator may override one check for one run (``--override ID --reason TEXT``,
journalled with their name).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Outcome(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class Result:
    check_id: str
    title: str
    service: str
    outcome: Outcome
    summary: str
    asked: str = ""
    answer: str = ""
    remedy: str = ""
    overridden_by: str | None = None
    override_reason: str | None = None

    def evidence(self) -> dict[str, str]:
        return {"asked": self.asked, "answer": self.answer, "remedy": self.remedy}

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check_id, "title": self.title, "service": self.service,
                "outcome": self.outcome.value, "summary": self.summary, **self.evidence(),
                "overridden_by": self.overridden_by, "override_reason": self.override_reason}


def maker(check_id: str, title: str, service: Any) -> Callable[..., Result]:
    """A constructor of one check's results for one service."""
    def make(outcome: Outcome, summary: str, asked: str = "", answer: str = "",
             remedy: str = "") -> Result:
        return Result(check_id, title, service.id, outcome, summary, asked, answer, remedy)
    return make


@dataclass
class CheckContext:
    """What the checks may consult. ``now`` is the moment of the change (aware); ``plan`` the
    saved plan the wave comes from, if any; ``engine`` an EngineContext (for Terraform); ``watch``
    the run's ChildWatch (a command a check runs is recorded and stops on request), if in a run."""

    catalog: Any
    site: Any
    journal: Any
    now: dt.datetime
    plan: Any = None
    wave: int | None = None
    members: list[str] = field(default_factory=list)
    engine: Any = None
    watch: Any = None
    _kube: Any = None

    def kube(self) -> Any:
        """The site's Kubernetes client (made once), or None when the site has no cluster."""
        if self._kube is None:
            self._kube = site_kube_client(self.site)
        return self._kube

    def close(self) -> None:
        """Close the Kubernetes client, if one was made."""
        if self._kube is not None:
            self._kube.close()
            self._kube = None


def site_kube_client(site: Any) -> Any:
    """A client for the site's Kubernetes API (its kubeconfig and context), or None when the
    site has none. ``LOGIUS_MIGRATE_KUBE_TIMEOUT`` sets the per-call timeout (default 10 s)."""
    import os
    from pathlib import Path

    if site.kubernetes is None:
        return None
    from orchestrator.steps.kubernetes import KubeClient

    config = site.kubernetes
    path = (site.directory / Path(config.kubeconfig).expanduser()).resolve()
    return KubeClient(path, config.context,
                      timeout=float(os.environ.get("LOGIUS_MIGRATE_KUBE_TIMEOUT", "10")))


@dataclass(frozen=True)
class Check:
    """A precondition: its id and title, and its body, which gets the context, the service and a
    ``make`` for its results (see :func:`maker`). Called as ``check(ctx, service)``."""

    check_id: str
    title: str
    body: Callable[[CheckContext, Any, Callable[..., Result]], Result]

    def run(self, ctx: CheckContext, service: Any) -> Result:
        return self.body(ctx, service, maker(self.check_id, self.title, service))

    __call__ = run


def precondition(check_id: str, title: str) -> Callable[[Callable[..., Result]], Check]:
    """Declare a precondition's id and title once, on its body."""
    return lambda body: Check(check_id, title, body)


def registry() -> list[Check]:
    """Every precondition, in id order."""
    from orchestrator.checks import platform, service

    return sorted([*platform.CHECKS, *service.CHECKS], key=lambda c: c.check_id)


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
