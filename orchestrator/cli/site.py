"""`logius-migrate site check`: a site file validated, and everything it names checked."""

from __future__ import annotations

import click

from orchestrator.cli.base import echo_json, format_option
from orchestrator.cli.workspace import Workspace, workspace_options


@click.group("site")
def site_group() -> None:
    """Check the site a wave runs on (real hosts, or the lab)."""


@site_group.command("check")
@workspace_options
@format_option("text", "json")
def check_cmd(ws: Workspace, fmt: str) -> None:
    """Validate the site file, then check that its inventory, Terraform modules, secrets (counted,
    never shown), journal and kubeconfig context are there. Exit 2 if anything is not."""
    from orchestrator.errors import LogiusMigrateError
    from orchestrator.sites.check import check_site

    site = ws.site
    try:
        url: str | None = ws.journal_url()
    except LogiusMigrateError:
        url = None
    checks = check_site(site, url)
    if fmt == "json":
        echo_json({"site": str(site.path), "ok": all(c.ok for c in checks),
                   "checks": [{"item": c.item, "ok": c.ok, "detail": c.detail} for c in checks]})
    else:
        for c in checks:
            click.echo(f"{'ok  ' if c.ok else 'FAIL'} {c.item:28} {c.detail}")
    if not all(c.ok for c in checks):
        raise click.exceptions.Exit(2)
