"""`logius-migrate lab ...`: the local lab (hosts as folders, offline Terraform, SQLite journal)."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.base import catalog_option, echo_json, format_option
from orchestrator.cli.workspace import Workspace, lab_option, pass_workspace


@click.group("lab")
def lab_group() -> None:
    """Build, inspect and remove the local lab the demo and the tests run waves on."""


@lab_group.command("up")
@catalog_option
@lab_option
@click.option("--transport", type=click.Choice(["local", "ssh"]), default="local", show_default=True,
              help="How Ansible reaches the lab's hosts: the local connection (fast), or SSH through "
                   "a real sshd of the lab's own on loopback addresses 127.0.0.2 and up.")
@click.option("--require-dry-run/--no-require-dry-run", default=True, show_default=True,
              help="Whether the lab's site makes `wave run N` apply an approved dry-run of wave N "
                   "(`wave dry-run N`, then `wave dry-run approve`) and refuse without one.")
@click.option("--unsigned", is_flag=True, default=False,
              help="Write no signing block in the lab's site (and no keys): decisions are recorded "
                   "unsigned, as with --by NAME alone. By default the lab's two example people, ann "
                   "and bob, get keys (keys/) and decisions must be signed.")
@format_option("text", "json")
@pass_workspace
def up_cmd(ws: Workspace, transport: str, require_dry_run: bool, unsigned: bool, fmt: str) -> None:
    """Build the lab: legacy, LPC and gateway hosts as folders (legacy seeded with config and
    data), a Terraform provider mirror and one initialised stack per moving service, the
    inventory rendered from the catalog, lab secrets and the journal. Running it again only
    adds what is missing (the site file too: `lab down` first to change --require-dry-run or
    --unsigned)."""
    from orchestrator.lab import lab_up

    report = lab_up(ws.catalog, ws.lab, transport, require_dry_run, signing=not unsigned)
    if fmt == "json":
        echo_json({"root": str(report.root), "created": report.created, "kept": report.kept,
                   "hosts": report.hosts, "services": report.services})
        return
    click.echo(f"lab {report.root}: {report.hosts} hosts for {report.services} services over {transport}; "
               f"{len(report.created)} item(s) created, {len(report.kept)} already there; site file "
               f"{report.root / 'site.yml'}")


@lab_group.command("status")
@lab_option
@format_option("text", "json")
@pass_workspace
def status_cmd(ws: Workspace, fmt: str) -> None:
    """Say whether the lab is up and which of its pieces are present."""
    from orchestrator.lab import lab_status

    status = lab_status(ws.lab)
    if fmt == "json":
        echo_json(status)
        return
    if not status["items"]:
        click.echo(f"lab {status['root']}: not built (run `logius-migrate lab up`)")
        return
    missing = [item for item, present in status["items"].items() if not present]
    api = status["kubeapi"]
    click.echo(f"lab {status['root']}: {'up' if status['up'] else 'incomplete'}, "
               f"{len(status['hosts'])} hosts, release {status['release'] or 'none'} delivered, "
               f"Kubernetes API stand-in " + (f"at {api['server']} (pid {api['pid']})" if api["running"]
                                               else "not running")
               + (f"; missing: {', '.join(missing)}" if missing else ""))


@lab_group.command("deliver")
@click.argument("release")
@catalog_option
@lab_option
@click.option("--manifest", "manifest_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The release manifest [default: the release's, found beside the catalog or shipped].")
@format_option("text", "json")
@pass_workspace
def deliver_cmd(ws: Workspace, release: str, manifest_path: Path | None, fmt: str) -> None:
    """The supplier delivers RELEASE to the lab: its platform landing zone applied with real
    Terraform from the release's manifest, and every LPC host's etc/lpc-release naming it. The
    lab's Kubernetes API serves what was delivered at once. Delivering the release already there
    changes nothing."""
    from orchestrator.errors import InputError
    from orchestrator.lab.delivery import deliver

    layout = ws.lab
    if not layout.inventory.exists():
        raise InputError(f"lab {layout.root}: not built (run `logius-migrate lab up`)")
    done = deliver(layout, ws.catalog, release, manifest_path)
    if fmt == "json":
        echo_json({"root": str(layout.root), **done.as_dict()})
        return
    changes = ", ".join(f"{n} to {what}" for what, n in done.changes.items() if n) or "no changes"
    click.echo(f"lab {layout.root}: {done.release} delivered from {done.manifest}: {len(done.hosts)} LPC "
               f"host(s) name it ({len(done.updated)} updated); Terraform: {changes}")


@lab_group.command("backup")
@lab_option
@format_option("text", "json")
@pass_workspace
def backup_cmd(ws: Workspace, fmt: str) -> None:
    """Run the lab's nightly backup job now: the backup playbook on every legacy host, which
    dates each service's backup marker (what PRE-BAK-001 reads), as a real site's backup job
    does on its hosts."""
    from orchestrator.lab import lab_backup

    layout = ws.lab
    if not layout.inventory.exists():
        from orchestrator.errors import InputError

        raise InputError(f"lab {layout.root}: not built (run `logius-migrate lab up`)")
    hosts = lab_backup(layout)
    when = ws.clock.now().isoformat(timespec="seconds")
    if fmt == "json":
        echo_json({"root": str(layout.root), "hosts": hosts, "at": when})
        return
    click.echo(f"lab {layout.root}: backup taken on {len(hosts)} legacy host(s) at {when}")


@lab_group.command("down")
@lab_option
@format_option("text", "json")
@pass_workspace
def down_cmd(ws: Workspace, fmt: str) -> None:
    """Remove exactly what `lab up` made, the lab's journal included (it says what that journal
    held: its runs and approved plans are gone with it); anything else in the folder stays."""
    from orchestrator.lab import lab_down

    layout = ws.lab
    record = _journal_record(layout.journal) if layout.journal.exists() else None
    report = lab_down(layout)
    gone = "journal.db" in report.removed
    if fmt == "json":
        echo_json({"lab": str(report.root), "removed": sorted(report.removed),
                   "journal": record if gone else None})
        return
    click.echo(f"lab {report.root}: removed {len(report.removed)} item(s)" +
               (f", the lab's journal among them ({record})" if gone and record else ""))


def _journal_record(path: Path) -> str | None:
    """What the lab's journal holds, in a few words (None if it cannot be read)."""
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.plans import list_plans

    try:
        with Journal(resolve_url(path, None), read_only=True) as journal:
            runs, plans = journal.runs(), list_plans(journal)
    except Exception:  # noqa: BLE001 - a damaged journal goes all the same; nothing to count
        return None
    approved = sum(1 for plan in plans if plan.approved)
    return f"{len(runs)} run(s), {len(plans)} plan(s) of which {approved} approved"
