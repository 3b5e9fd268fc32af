"""Checking a site before the first wave: does everything it names exist and answer?"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import LogiusMigrateError
from orchestrator.sites import Site


@dataclass(frozen=True)
class SiteCheck:
    item: str
    ok: bool
    detail: str


def check_site(site: Site, journal_url: str | None) -> list[SiteCheck]:
    """Each thing the site names, checked: the inventory (read as Ansible reads it, hosts counted
    per group), modules, Terraform CLI config, secrets (counted, never shown), the journal, the
    kubeconfig and its context."""
    checks = [_run("inventory", lambda: _inventory(site))]
    checks += [_path(f"terraform.modules.{d}", m, folder=True) for d, m in sorted(site.modules.items())]
    if site.platform is not None:
        checks.append(_path("terraform.platform.module", site.platform[0], folder=True))
    if site.cli_config is not None:
        checks.append(_path("terraform.cli_config", site.cli_config))
    checks.append(_run("secrets", lambda: _count_secrets(site)))
    if journal_url is not None:
        checks.append(_run("journal", lambda: _journal(journal_url)))
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
    return f"{site.inventory}: " + ", ".join(f"{groups.get(g, 0)} {g}" for g in GROUPS) + " host(s)"


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
