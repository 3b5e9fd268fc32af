"""Shell completion of service ids and wave numbers (Click's completion protocol).

Enable it with ``eval "$(_LOGIUS_MIGRATE_COMPLETE=bash_source logius-migrate)"`` (or zsh_source,
fish_source). Service ids come from the catalog (the one --catalog names if it came first, else the
default); wave numbers from the plan `wave run` would take: the approved plan in the journal the
command would use (--plan's, else the newest approved). What cannot be read offers nothing."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem

from orchestrator.cli.workspace import FIELDS, Workspace


def _workspace(ctx: click.Context) -> Workspace:
    """The workspace of the command being completed, from the options given so far."""
    return Workspace(**{name: ctx.params.get(name) for name in FIELDS})


def service_ids(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    try:
        catalog = _workspace(ctx).catalog
    except Exception:  # noqa: BLE001 - completion never fails loudly: it offers nothing
        return []
    return [CompletionItem(s.id, help=s.name) for s in catalog.services if s.id.startswith(incomplete)]


def _approved_plan(ctx: click.Context) -> Any:
    """The approved plan `wave run` would take (--plan's, else the newest approved), or None."""
    plan_id = ctx.params.get("plan_id")
    with _workspace(ctx).journal(read_only=True) as journal:
        from orchestrator.journal.plans import get_plan, latest_approved

        plan = latest_approved(journal) if plan_id is None else get_plan(journal, plan_id)
    return plan if plan is not None and plan.approved else None


def wave_numbers(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    try:
        plan = _approved_plan(ctx)
    except Exception:  # noqa: BLE001 - no journal, no plan: nothing to offer
        return []
    if plan is None:
        return []
    return [CompletionItem(str(w["number"]), help=", ".join(w["services"]))
            for w in plan.waves if w["services"] and str(w["number"]).startswith(incomplete)]
