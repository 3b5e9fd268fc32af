"""`logius-migrate lab ...`: the local lab (hosts as folders, offline Terraform, SQLite journal)."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.base import catalog_option, echo_json, format_option


def lab_option(func):
    return click.option("--lab", "lab_dir", type=click.Path(path_type=Path), default=None,
                        envvar="LOGIUS_MIGRATE_LAB", show_envvar=True,
                        help="Lab folder [default: ./.lab].")(func)


def db_option(func):
    return click.option("--db", default=None, envvar="LOGIUS_MIGRATE_DB", show_envvar=True,
                        help="Journal: a PostgreSQL URL or a SQLite file [default: the lab's "
                             "journal.db]. With PostgreSQL, Terraform keeps its state there too.")(func)


@click.group("lab")
def lab_group() -> None:
    """Build, inspect and remove the local lab the demo and the tests run waves on."""


@lab_group.command("up")
@catalog_option
@lab_option
@format_option("text", "json")
def up_cmd(catalog_path: Path | None, lab_dir: Path | None, fmt: str) -> None:
    """Build the lab: legacy, LPC and gateway hosts as folders (legacy seeded with config and
    data), a Terraform provider mirror and one initialised stack per moving service, the
    inventory rendered from the catalog, lab secrets and the journal. Running it again only
    adds what is missing."""
    from orchestrator.catalog import load_catalog
    from orchestrator.lab import LabLayout, default_lab_dir, lab_up

    report = lab_up(load_catalog(catalog_path), LabLayout(lab_dir or default_lab_dir()))
    if fmt == "json":
        echo_json({"root": str(report.root), "created": report.created, "kept": report.kept,
                   "hosts": report.hosts, "services": report.services})
        return
    click.echo(f"lab {report.root}: {report.hosts} hosts for {report.services} services; "
               f"{len(report.created)} item(s) created, {len(report.kept)} already there")


@lab_group.command("status")
@lab_option
@format_option("text", "json")
def status_cmd(lab_dir: Path | None, fmt: str) -> None:
    """Say whether the lab is up and which of its pieces are present."""
    from orchestrator.lab import LabLayout, default_lab_dir, lab_status

    status = lab_status(LabLayout(lab_dir or default_lab_dir()))
    if fmt == "json":
        echo_json(status)
        return
    if not status["items"]:
        click.echo(f"lab {status['root']}: not built (run `logius-migrate lab up`)")
        return
    missing = [item for item, present in status["items"].items() if not present]
    click.echo(f"lab {status['root']}: {'up' if status['up'] else 'incomplete'}, "
               f"{len(status['hosts'])} hosts" + (f"; missing: {', '.join(missing)}" if missing else ""))


@lab_group.command("down")
@lab_option
def down_cmd(lab_dir: Path | None) -> None:
    """Remove exactly what `lab up` made; anything else in the folder stays."""
    from orchestrator.lab import LabLayout, default_lab_dir, lab_down

    report = lab_down(LabLayout(lab_dir or default_lab_dir()))
    click.echo(f"lab {report.root}: removed {len(report.removed)} item(s)")
