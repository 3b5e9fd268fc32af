"""What a precondition is: its outcome and result (with the evidence), the context it may consult
(the catalog, the site, the journal, the moment, a Terraform planner and a Kubernetes client), and
how one is declared (:func:`precondition`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.catalog import Catalog
    from orchestrator.journal import Journal
    from orchestrator.sites import Site


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


#: What a Terraform plan of a service's stack would change, one ``{"address", "actions"}`` per
#: resource: the engine gives the checks one (on the run's site, backend and journal).
TerraformPlanner = Callable[[Any], list[dict[str, Any]]]
#: A Kubernetes client for a site, or None when the site has no cluster.
KubeConnector = Callable[[Any], Any]


@dataclass
class CheckContext:
    """What the checks may consult. ``now`` is the moment of the change (aware); ``plan`` the
    saved plan the wave comes from, if any; ``planner`` what a service's Terraform plan would
    change (None outside a wave session); ``connect`` the site's Kubernetes client; ``watch`` the
    run's ChildWatch (a command a check runs is recorded and stops on request), if in a run."""

    catalog: Catalog
    site: Site
    journal: Journal
    now: dt.datetime
    plan: Any = None
    wave: int | None = None
    members: list[str] = field(default_factory=list)
    planner: TerraformPlanner | None = None
    connect: KubeConnector | None = None
    watch: Any = None
    _kube: Any = None

    def kube(self) -> Any:
        """The site's Kubernetes client (made once), or None when the site has no cluster."""
        if self._kube is None:
            self._kube = (self.connect or site_kube_client)(self.site)
        return self._kube

    def close(self) -> None:
        """Close the Kubernetes client, if one was made."""
        if self._kube is not None:
            self._kube.close()
            self._kube = None


def site_kube_client(site: Site) -> Any:
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
