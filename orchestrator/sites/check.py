"""Checking a site before the first wave: does everything it names exist and answer?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.catalog.models import Service
from orchestrator.errors import InputError, LogiusMigrateError
from orchestrator.sites import Site


@dataclass(frozen=True)
class SiteCheck:
    item: str
    ok: bool
    detail: str


def check_site(site: Site, journal_url: str | None) -> list[SiteCheck]:
    """Each thing the site names, checked: the inventory (read as Ansible reads it, hosts counted
    per group), modules, Terraform CLI config, secrets (counted, never shown), the journal, the
    kubeconfig and its context, the allowed signers (read, principals counted) and revocation list."""
    checks = [_run("inventory", lambda: _inventory(site))]
    checks += [_path(f"terraform.modules.{d}", m, folder=True) for d, m in sorted(site.modules.items())]
    if site.platform is not None:
        checks.append(_path("terraform.platform.module", site.platform[0], folder=True))
    if site.cli_config is not None:
        checks.append(_path("terraform.cli_config", site.cli_config))
    checks.append(_run("secrets", lambda: _count_secrets(site)))
    if journal_url is not None:
        checks.append(_run("journal", lambda: _journal(journal_url)))
    if site.signing.enabled():
        checks.append(_run("signing.allowed_signers", lambda: _allowed_signers(site)))
    if site.signing.revoked is not None:
        checks.append(_path("signing.revoked", site.signing.revoked))
    if site.kubernetes is not None:
        from orchestrator.steps.kubernetes import kubeconfig_context

        given = Path(site.kubernetes.kubeconfig).expanduser()
        path = given if given.is_absolute() else site.directory / given
        context = site.kubernetes.context
        checks.append(_run("kubernetes", lambda: f"context {kubeconfig_context(path, context)}"))
    return checks


def _path(item: str, path, folder: bool = False) -> SiteCheck:
    ok = path.is_dir() if folder else path.exists()
    return SiteCheck(item, ok, str(path) if ok else f"{path}: not found")


def _run(item: str, probe) -> SiteCheck:
    try:
        return SiteCheck(item, True, probe())
    except LogiusMigrateError as exc:
        return SiteCheck(item, False, str(exc))


def _inventory(site: Site) -> str:
    from collections import Counter

    from orchestrator.steps.ansible import GROUPS, load_inventory

    groups = Counter(v["group"] for v in load_inventory(site.inventory).values())
    counted = ", ".join(f"{groups.get(g, 0)} {g}" for g in GROUPS) + " host(s)"
    if not groups:
        raise InputError(f"{site.inventory}: the inventory has no hosts ({counted}); a wave needs "
                         f"its services' hosts in the groups {', '.join(GROUPS)}")
    return f"{site.inventory}: {counted}"


def missing_hosts(site: Site, services: list[Service]) -> list[str]:
    """The hosts the services' steps run on that the site's inventory lacks, or has in another
    group than the step needs, each as ``HOST (group G, for SERVICE)``."""
    from orchestrator.runbook import group_of, hosts_of, runbook_for
    from orchestrator.steps.ansible import load_inventory

    inventory = load_inventory(site.inventory)
    missing: dict[str, str] = {}
    for service in services:
        for step in runbook_for(service):
            for host in hosts_of(service, step.runs_on):
                group = group_of(service, host)
                found = inventory.get(host, {}).get("group")
                if found != group and host not in missing:
                    where = "missing" if found is None else f"in group {found}"
                    missing[host] = f"{host} (group {group}, for {service.id}: {where})"
    return [missing[h] for h in sorted(missing)]


def refuse_missing_hosts(site: Site, services: list[Service]) -> None:
    """InputError naming every host the services need that the inventory does not have."""
    missing = missing_hosts(site, services)
    if missing:
        raise InputError(f"{site.inventory}: the inventory lacks {len(missing)} host(s) the wave "
                         f"needs: {'; '.join(missing)}; add them to the inventory (`logius-migrate "
                         f"site check` counts its hosts), nothing was changed")


def _allowed_signers(site: Site) -> str:
    from orchestrator.signing import allowed

    assert site.signing.allowed_signers is not None
    entries = allowed.read(site.signing.allowed_signers)
    principals = sorted({p for e in entries for p in e.principals})
    required = "required" if site.signing.require else "not required"
    return f"{len(entries)} key(s) of {', '.join(principals) or 'nobody'}; signatures {required}"


def _count_secrets(site: Site) -> str:
    values = site.secrets()
    return f"{sum(len(v) for v in values.values())} secret(s) for {len(values)} service(s)"


def _journal(url: str) -> str:
    from orchestrator.journal import Journal

    journal = Journal(url)
    try:
        return f"{journal.display_url}, schema version {journal.schema_version()}"
    finally:
        journal.close()
