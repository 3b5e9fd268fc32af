"""`logius-migrate catalog ...`: validate, list and show the service catalog."""

from __future__ import annotations

import logging

import click

from orchestrator.cli.base import catalog_option, console, echo_json, format_option
from orchestrator.cli.completion import service_ids
from orchestrator.cli.workspace import Workspace, pass_workspace


@click.group("catalog")
def catalog_group() -> None:
    """Validate and inspect the service catalog (seeds/)."""


@catalog_group.command("validate")
@catalog_option
@format_option("text", "json")
@pass_workspace
def validate_cmd(ws: Workspace, fmt: str) -> None:
    """Check every file of the catalog and report all problems at once.

    Each problem is one line naming the file, the item and the field; the exit code is 2 when
    there is any. Values the source documents do not give are listed as warnings.
    """
    from orchestrator.errors import CatalogError
    from orchestrator.gcpause import gc_paused

    try:
        with gc_paused():  # see gcpause: a large catalog is millions of acyclic objects
            catalog = ws.catalog
    except CatalogError as exc:
        if fmt == "json":
            echo_json({"valid": False, "problems": exc.problems})
            raise SystemExit(exc.exit_code) from None
        raise
    counts = {"services": len(catalog.services), "releases": len(catalog.releases),
              "facts": len(catalog.facts), "criteria": len(catalog.criteria)}
    if fmt == "json":
        echo_json({"valid": True, **counts, "warnings": list(catalog.warnings)})
        return
    for warning in catalog.warnings:
        logging.getLogger("logius_migrate.catalog").warning("warning: %s", warning)
    click.echo("catalog valid: " + ", ".join(f"{n} {k}" for k, n in counts.items())
               + (f"; {len(catalog.warnings)} items still rest on assumptions" if catalog.warnings else ""))


@catalog_group.command("list")
@catalog_option
@format_option("table", "json")
@pass_workspace
def list_cmd(ws: Workspace, fmt: str) -> None:
    """List the services, with disposition, size, criticality and minimum release."""
    catalog = ws.catalog
    if fmt == "json":
        echo_json([s.model_dump(mode="json") for s in catalog.services])
        return
    from rich.table import Table

    table = Table(title=f"{len(catalog.services)} services")
    for column in ("id", "name", "domain", "size", "criticality", "disposition", "min release",
                   "hard deps"):
        table.add_column(column)
    for s in catalog.services:
        hard = ", ".join(d.service for d in s.dependencies if d.kind.value == "hard")
        table.add_row(s.id, s.name, s.domain, s.size.value, s.criticality.value,
                      s.disposition.value, s.min_release or "-", hard or "-")
    console().print(table)


@catalog_group.command("show")
@click.argument("service_id", shell_complete=service_ids)
@catalog_option
@format_option("text", "json")
@pass_workspace
def show_cmd(ws: Workspace, service_id: str, fmt: str) -> None:
    """Show everything the catalog says about one service, and what depends on it."""
    catalog = ws.catalog
    service = catalog.service(service_id)
    data = service.model_dump(mode="json")
    data["defined_in"] = catalog.origin[("services", service.id)]
    data["dependants"] = sorted(s.id for s in catalog.services
                                if any(d.service == service.id for d in s.dependencies))
    if fmt == "json":
        echo_json(data)
        return
    for key, value in data.items():
        if value in (None, [], {}):
            continue
        if isinstance(value, list):
            click.echo(f"{key}:")
            for item in value:
                click.echo(f"  - {_flat(item)}")
        else:
            click.echo(f"{key}: {_flat(value)}")


def _flat(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_flat(v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, list):
        return "[" + ", ".join(_flat(v) for v in value) + "]"
    return str(value)
