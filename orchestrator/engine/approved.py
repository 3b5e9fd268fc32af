"""Which saved plan a wave runs from, and whether it still stands: approved (by a decision that
checks: signed where the site verifies signatures, matching the plan's row), made from this very
catalog (content hash) and for this site. Anything else is refused, naming what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.errors import InputError, Refused

if TYPE_CHECKING:
    from orchestrator.catalog import Catalog
    from orchestrator.journal import Journal
    from orchestrator.journal.plans import SavedPlan
    from orchestrator.sites import Site


def plan_for_run(journal: Journal, plan_id: int | None, catalog: Catalog, site: Site) -> SavedPlan:
    """The approved plan to run (``plan_id``, else the newest approved); Refused when there is
    none, when it is not approved, or when the catalog or the site changed since it was saved.
    The catalog is the one the run loaded: its digest is of the very bytes the run uses."""
    from orchestrator.journal.decisions import policy_of
    from orchestrator.journal.plans import check_approved, get_plan, latest_approved, list_plans

    plan = get_plan(journal, plan_id) if plan_id is not None else latest_approved(journal)
    if plan is None:
        plans = list_plans(journal)
        newest = plans[-1] if plans else None
        hint = (f"plan {newest.id} is saved but not approved: logius-migrate plan approve "
                f"{newest.id} --by NAME --reason TEXT" if newest else
                "save one with `logius-migrate plan save`, then have it approved")
        raise Refused([f"no approved plan in journal {journal.display_url}; {hint}"], "nothing was run")
    if not plan.approved:
        raise Refused([f"plan {plan.id} is not approved: logius-migrate plan approve {plan.id} --by NAME "
                       f"--reason TEXT (someone other than {plan.saved_by})"], "nothing was run")
    check_approved(journal, plan, policy_of(site), site.allow_self_approval)
    changes = _changes(plan, catalog.digest, catalog.file_digests, site)
    if changes:
        raise Refused([f"plan {plan.id} no longer stands: {change}" for change in changes],
                      "nothing was run; save the plan again and have it approved "
                      "(logius-migrate plan save, plan approve)")
    return plan


def _changes(plan: SavedPlan, whole: str, files: dict[str, str], site: Site) -> list[str]:
    changes: list[str] = []
    if whole != plan.catalog_hash:
        before = plan.catalog_files
        for name in sorted(set(before) | set(files)):
            if name not in files:
                changes.append(f"catalog file {name} was removed")
            elif name not in before:
                changes.append(f"catalog file {name} was added")
            elif before[name] != files[name]:
                changes.append(f"catalog file {name} changed")
        if not changes:
            changes.append("the catalog changed")
    if site.name != plan.site_name:
        changes.append(f"it was saved for site {plan.site_name}, not {site.name}")
    elif site.digest != plan.site_hash:
        changes.append(f"site file {site.path} changed")
    return changes


def members_of(plan: SavedPlan, wave: int) -> list[str]:
    members = plan.wave(wave)["services"]
    if not members:
        raise InputError(f"wave {wave} of plan {plan.id} has no services")
    return list(members)
