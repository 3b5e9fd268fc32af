"""Shell completion of service ids and wave numbers (Click's completion protocol).

Enable it with ``eval "$(_LOGIUS_MIGRATE_COMPLETE=bash_source logius-migrate)"`` (or zsh_source,
fish_source). The catalog is the one --catalog names if it came first, else the default."""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem


def _catalog(ctx: click.Context) -> Any:
    from orchestrator.catalog import load_catalog

    try:
        return load_catalog(ctx.params.get("catalog_path"))
    except Exception:  # noqa: BLE001 - completion never fails loudly: it offers nothing
        return None


def service_ids(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    catalog = _catalog(ctx)
    if catalog is None:
        return []
    return [CompletionItem(s.id, help=s.name) for s in catalog.services if s.id.startswith(incomplete)]


def wave_numbers(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    catalog = _catalog(ctx)
    if catalog is None:
        return []
    from orchestrator.cli.plan import build_plan

    params = ctx.params
    try:  # the plan options given so far, else the defaults
        plan = build_plan(catalog, params.get("start"), params.get("wave_length") or 28,
                          params.get("capacity") or 3, params.get("pilot_waves", 1))
    except Exception:  # noqa: BLE001
        return []
    return [CompletionItem(str(w.number), help=", ".join(p.service_id for p in w.placements))
            for w in plan.waves if str(w.number).startswith(incomplete)]
