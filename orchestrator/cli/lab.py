"""`logius-migrate lab ...`: the local lab (hosts as folders, offline Terraform, SQLite journal)."""

from __future__ import annotations

from pathlib import Path

import click

from orchestrator.cli.base import catalog_option, echo_json, format_option


def lab_option(func):
    return click.option("--lab", "lab_dir", type=click.Path(path_type=Path), default=None,
                        envvar="LOGIUS_MIGRATE_LAB", show_envvar=True,
                        help="Lab folder [default: ./.lab].")(func)


def site_option(func):
    return click.option("--site", "site_path", type=click.Path(path_type=Path), default=None,
                        envvar="LOGIUS_MIGRATE_SITE", show_envvar=True,
                        help="Site file: where waves run (inventory, Terraform, secrets, journal) "
                             "[default: the lab's, LAB/site.yml].")(func)


def site_of(site_path: Path | None, lab_dir: Path | None) -> Path | None:
    """--site, else the site file of --lab, else None (the default lab's)."""
    if site_path is not None:
        return site_path
    return Path(lab_dir) / "site.yml" if lab_dir is not None else None


def reading_journal(site_path: Path | None, lab_dir: Path | None, db: str | None):
    """The journal of --db ($LOGIUS_MIGRATE_DB), else the site's (default: the lab's), for a
    command that only reads it: it must exist; a read-only SQLite journal is read, never written."""
    import os

    from orchestrator.engine.session import journal_url
    from orchestrator.journal import DB_ENV, Journal
    from orchestrator.sites import default_site_path, load_site

    given = db or os.environ.get(DB_ENV)
    site = None if given else load_site(site_of(site_path, lab_dir) or default_site_path())
    return Journal(journal_url(site, db), read_only=True)


def db_option(func):
    return click.option("--db", default=None, envvar="LOGIUS_MIGRATE_DB", show_envvar=True,
                        help="Journal: a PostgreSQL URL or a journal file [default: the site's]. "
                             "It must exist (see `journal init`).")(func)


@click.group("lab")
def lab_group() -> None:
    """Build, inspect and remove the local lab the demo and the tests run waves on."""


@lab_group.command("up")
@catalog_option
@lab_option
@click.option("--transport", type=click.Choice(["local", "ssh"]), default="local", show_default=True,
              help="How Ansible reaches the lab's hosts: the local connection (fast), or SSH through "
                   "a real sshd of the lab's own on loopback addresses 127.0.0.2 and up.")
@format_option("text", "json")
def up_cmd(catalog_path: Path | None, lab_dir: Path | None, transport: str, fmt: str) -> None:
    """Build the lab: legacy, LPC and gateway hosts as folders (legacy seeded with config and
    data), a Terraform provider mirror and one initialised stack per moving service, the
    inventory rendered from the catalog, lab secrets and the journal. Running it again only
    adds what is missing."""
    from orchestrator.catalog import load_catalog
    from orchestrator.lab import LabLayout, default_lab_dir, lab_up

    report = lab_up(load_catalog(catalog_path), LabLayout(lab_dir or default_lab_dir()), transport)
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
def deliver_cmd(release: str, catalog_path: Path | None, lab_dir: Path | None, manifest_path: Path | None,
                fmt: str) -> None:
    """The supplier delivers RELEASE to the lab: its platform landing zone applied with real
    Terraform from the release's manifest, and every LPC host's etc/lpc-release naming it. The
    lab's Kubernetes API serves what was delivered at once. Delivering the release already there
    changes nothing."""
    from orchestrator.catalog import load_catalog
    from orchestrator.errors import InputError
    from orchestrator.lab import LabLayout, default_lab_dir
    from orchestrator.lab.delivery import deliver

    layout = LabLayout(lab_dir or default_lab_dir())
    if not layout.inventory.exists():
        raise InputError(f"lab {layout.root}: not built (run `logius-migrate lab up`)")
    done = deliver(layout, load_catalog(catalog_path), release, manifest_path)
    if fmt == "json":
        echo_json({"root": str(layout.root), **done.as_dict()})
        return
    changes = ", ".join(f"{n} to {what}" for what, n in done.changes.items() if n) or "no changes"
    click.echo(f"lab {layout.root}: {done.release} delivered from {done.manifest}: {len(done.hosts)} LPC "
               f"host(s) name it ({len(done.updated)} updated); Terraform: {changes}")


@lab_group.command("backup")
@lab_option
@format_option("text", "json")
def backup_cmd(lab_dir: Path | None, fmt: str) -> None:
    """Run the lab's nightly backup job now: the backup playbook on every legacy host, which
    dates each service's backup marker (what PRE-BAK-001 reads), as a real site's backup job
    does on its hosts."""
    from orchestrator import clock
    from orchestrator.lab import LabLayout, default_lab_dir, lab_backup

    layout = LabLayout(lab_dir or default_lab_dir())
    if not layout.inventory.exists():
        from orchestrator.errors import InputError

        raise InputError(f"lab {layout.root}: not built (run `logius-migrate lab up`)")
    hosts = lab_backup(layout)
    when = clock.now().isoformat(timespec="seconds")
    if fmt == "json":
        echo_json({"root": str(layout.root), "hosts": hosts, "at": when})
        return
    click.echo(f"lab {layout.root}: backup taken on {len(hosts)} legacy host(s) at {when}")


@lab_group.command("down")
@lab_option
def down_cmd(lab_dir: Path | None) -> None:
    """Remove exactly what `lab up` made, the lab's journal included (it says what that journal
    held: its runs and approved plans are gone with it); anything else in the folder stays."""
    from orchestrator.lab import LabLayout, default_lab_dir, lab_down

    layout = LabLayout(lab_dir or default_lab_dir())
    record = _journal_record(layout.journal) if layout.journal.exists() else None
    report = lab_down(layout)
    gone = "journal.db" in report.removed
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
