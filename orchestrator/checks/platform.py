"""Checks of the platform a service lands on: its release, open blockers, the Kubernetes namespace
and quota, and what the Terraform plan would destroy."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from orchestrator.checks.base import CheckContext, Outcome, Result, precondition

if TYPE_CHECKING:
    from orchestrator.sites import Site


@precondition("PRE-REL-001", "platform release accepted and recent enough")
def release(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-REL-001: the site runs a release accepted in the journal, at least the service's
    minimum (the rule of :mod:`orchestrator.policy.releases`, which the planner forecasts with)."""
    from orchestrator.policy import releases

    if not service.moves:
        return make(Outcome.PASS, "a retired service does not land on the platform")
    lab = _is_lab(ctx.site)
    site_release, where = releases.site_release(ctx.site, ctx.journal)
    order = [r.id for r in releases.in_order(ctx.catalog)]
    needed = service.min_release
    asked = f"site {ctx.site.name}: its release; journal: decisions; service: min_release"
    if not order and needed is None:
        return make(Outcome.PASS, "the catalog tracks no platform releases: nothing to accept", asked,
                    "no releases in the catalog")
    if site_release is None:
        first = needed or (order[0] if order else "RELEASE")
        return make(Outcome.FAIL, f"the site runs no accepted release ({where})", asked, "none",
                    releases.accept_commands(ctx.catalog, first, lab))
    if site_release not in order:
        return make(Outcome.FAIL, f"the site's release {site_release} is not in the catalog", asked,
                    f"catalog releases: {', '.join(order) or 'none'}", "name a release of the catalog")
    decision = releases.decisions(ctx.journal).get(site_release)
    if decision is None or decision.status != "accepted":
        state = f"{decision.status} on {decision.day}" if decision else "not decided in the journal"
        return make(Outcome.FAIL, f"release {site_release} is {state}, not accepted", asked,
                    f"{site_release}: {state} ({where})",
                    releases.accept_commands(ctx.catalog, site_release, lab))
    forged = _untrusted_acceptance(ctx, site_release)
    if forged:
        return make(Outcome.FAIL, forged, asked, f"{site_release}: {where}",
                    releases.accept_commands(ctx.catalog, site_release, lab))
    if needed is not None and order.index(site_release) < order.index(needed):
        return make(Outcome.FAIL, f"the site runs {site_release}; {service.id} needs {needed} or later",
                    asked, f"order: {' < '.join(order)}", releases.accept_commands(ctx.catalog, needed, lab))
    return make(Outcome.PASS, f"release {site_release} is accepted ({decision.by}, {decision.day})"
                + (f" and at least {needed}" if needed else ""), asked, f"{site_release}: {where}")


def _untrusted_blockers(ctx: CheckContext, settled: list[Any]) -> list[str]:
    """Why each waived or resolved blocker of ``settled`` is not to be believed (journal/blockers.py
    :func:`untrusted`), one line each."""
    from orchestrator.journal.blockers import untrusted
    from orchestrator.journal.decisions import policy_of

    policy = policy_of(ctx.site)
    return [why for b in settled if (why := untrusted(ctx.journal, policy, b))]


def _untrusted_acceptance(ctx: CheckContext, release_id: str) -> str | None:
    """Why the journal's newest decision on ``release_id`` is not to be believed (its decision does
    not check: a row forged with SQL, a signature that does not verify), or None."""
    from orchestrator.errors import Refused
    from orchestrator.journal.decisions import policy_of
    from orchestrator.journal.releases import check_decision, latest_decision

    row = latest_decision(ctx.journal, release_id)
    if row is None:
        return None
    try:
        check_decision(ctx.journal, policy_of(ctx.site), row)
    except Refused as exc:
        return str(exc)
    return None


def _is_lab(site: Site) -> bool:
    """Whether the site is a lab's (its folder holds the lab's manifest), so `lab deliver` exists."""
    return (site.directory / "manifest.json").is_file()


@precondition("PRE-BLK-001", "no open blocking issue")
def blockers(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-BLK-001: no blocker in force in the service's, wave's, release's or platform's scope."""
    from orchestrator.journal.blockers import in_scope, list_blockers

    scopes = {f"service:{service.id}", "platform"}
    if ctx.wave is not None:
        scopes.add(f"wave:{ctx.wave}")
    from orchestrator.policy.releases import site_release

    running, _ = site_release(ctx.site, ctx.journal)
    if running:
        scopes.add(f"release:{running}")
    today = ctx.now.date()
    every = list_blockers(ctx.journal)
    found = in_scope(every, scopes, today)
    forged = _untrusted_blockers(ctx, [b for b in every if b.scope in scopes and b not in found])
    if forged:
        return make(Outcome.FAIL, forged[0], f"blockers in force in {', '.join(sorted(scopes))}",
                    "; ".join(forged), "waive or resolve it again (logius-migrate blocker waive|resolve)")
    asked = f"blockers in force in {', '.join(sorted(scopes))}"
    listed = "; ".join(f"{b.id} {b.severity} {b.scope}: {b.title} ({b.state_on(today)})" for b in found)
    blocking = [b for b in found if b.severity == "blocking"]
    if blocking:
        return make(Outcome.FAIL, f"blocked by {', '.join(b.id for b in blocking)}: {blocking[0].title}",
                    asked, listed, "resolve the blocker, or waive it with an owner, reason and expiry")
    if any(b.severity == "major" for b in found):
        return make(Outcome.WARN, f"major issues open: {', '.join(b.id for b in found)}", asked, listed)
    return make(Outcome.PASS, "no blocking issue in force" + (f" ({listed})" if listed else ""),
                asked, listed or "none")


@precondition("PRE-K8S-001", "namespace exists with room in its quota")
def kubernetes(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-K8S-001: the target namespace exists and its quotas leave room for the requests. A
    service that declares no ``kubernetes`` section lands in the namespace named after its id
    (:func:`~orchestrator.catalog.workload.service_namespace`), with no requests to fit."""
    from orchestrator.catalog.workload import service_namespace, service_requests
    from orchestrator.steps.kubernetes import KubeError

    if not service.moves:
        return make(Outcome.PASS, "a retired service lands in no namespace", "", "nothing to check")
    if ctx.site.kubernetes is None:
        return make(Outcome.INCONCLUSIVE, "not checked: the site has no Kubernetes API", "",
                    "no 'kubernetes' in the site file", "give the site a kubeconfig")
    namespace, requests = service_namespace(service), service_requests(service)
    named = "" if service.kubernetes is not None else " (its id: the service declares no kubernetes section)"
    asked = f"GET namespace {namespace}{named} and its resourcequotas"
    try:
        client = ctx.kube()
        if client.namespace(namespace) is None:
            return make(Outcome.FAIL, f"namespace {namespace}{named} does not exist", asked,
                        "HTTP 404", f"create namespace {namespace}")
        quotas = client.resource_quotas(namespace)
    except KubeError as exc:
        return make(Outcome.INCONCLUSIVE, f"not checked: {exc}", asked, str(exc),
                    "make the API answer (credentials, network, server)")
    short = _quota_shortfalls(quotas, requests)
    answer = "; ".join(_quota_text(q) for q in quotas) or "no resource quotas"
    if short:
        return make(Outcome.FAIL, f"quota too small in {namespace}: {'; '.join(short)}", asked,
                    answer, "raise the quota or free room in the namespace")
    return make(Outcome.PASS, f"namespace {namespace}{named} exists; room for "
                + (", ".join(f"{k} {v}" for k, v in requests.items()) or "no declared requests"),
                asked, answer)


def _quota_shortfalls(quotas: list[dict[str, Any]], requests: dict[str, str]) -> list[str]:
    from orchestrator.steps.kubernetes import parse_quantity

    short = []
    for quota in quotas:
        status = quota.get("status") or {}
        hard, used = status.get("hard") or {}, status.get("used") or {}
        name = (quota.get("metadata") or {}).get("name", "?")
        for resource, wanted in requests.items():
            for key in (f"requests.{resource}", resource):
                if key in hard:
                    free = parse_quantity(hard[key]) - parse_quantity(used.get(key, "0"))
                    if parse_quantity(wanted) > free:
                        short.append(f"{name}: {key} needs {wanted}, {hard[key]} hard with "
                                     f"{used.get(key, '0')} used")
                    break
    return short


def _quota_text(quota: dict[str, Any]) -> str:
    status = quota.get("status") or {}
    name = (quota.get("metadata") or {}).get("name", "?")
    return f"{name}: hard {status.get('hard', {})}, used {status.get('used', {})}"


@precondition("PRE-TF-001", "Terraform plan destroys nothing protected")
def terraform(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-TF-001: the service's Terraform plan destroys no resource the site marks protected."""
    protected = list(ctx.site.protected)
    if not protected:
        return make(Outcome.PASS, "no resource is marked protected (terraform.protected)", "",
                    "nothing to check")
    if not service.moves:
        return make(Outcome.PASS, "a retired service has no landing zone", "", "nothing planned")
    if ctx.planner is None:
        return make(Outcome.INCONCLUSIVE, "not checked: no engine session", "", "")
    changes = ctx.planner(service)
    doomed = [c["address"] for c in changes if "delete" in c["actions"]
              and any(fnmatch.fnmatch(c["address"], p) for p in protected)]
    asked = f"terraform plan of {service.id}; protected: {', '.join(protected)}"
    answer = "; ".join(f"{c['address']}: {'/'.join(c['actions'])}" for c in changes) or "no changes"
    if doomed:
        return make(Outcome.FAIL, f"the plan destroys protected {', '.join(doomed)}", asked, answer,
                    "change the module or variables so that they are kept")
    return make(Outcome.PASS, "the plan destroys no protected resource", asked, answer)


CHECKS = [release, blockers, kubernetes, terraform]
