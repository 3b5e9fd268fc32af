"""`logius-migrate blocker add|list|show|mitigate|waive|resolve|reopen`: the register of blocking
issues that the gates read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

from orchestrator.cli.base import Day, catalog_option, echo_json, format_option, sign_option, signer_of
from orchestrator.cli.workspace import Workspace, workspace_options


def _where(func: Any) -> Any:
    """--site, --lab, --db (the workspace) and --format."""
    return workspace_options(format_option("text", "json")(func))


def _today(ws: Workspace) -> dt.date:
    """The day of the moment: the tool's one clock."""
    return ws.clock.now().date()


@click.group("blocker")
def blocker_group() -> None:
    """The register of blocking issues: each with an id (BLK-0001), a scope (platform,
    release:ID, wave:N or service:ID), a severity, an owner, a due date and its full history. A
    blocking one in force stops every service in its scope (check PRE-BLK-001)."""


@blocker_group.command("add")
@click.option("--scope", required=True, help="platform, release:ID, wave:N or service:ID.")
@click.option("--severity", required=True, type=click.Choice(["blocking", "major", "minor"]))
@click.option("--title", required=True, help="What is wrong, in one line.")
@click.option("--owner", required=True, help="Who resolves it.")
@click.option("--due", type=Day(), default=None, help="When it should be resolved.")
@click.option("--by", default=None, help="Who records it [default: you].")
@catalog_option
@_where
def add_cmd(ws: Workspace, scope: str, severity: str, title: str, owner: str, due: dt.date | None,
            fmt: str) -> None:
    """Open a blocker; prints its id. Its scope must exist: a service or release of the catalog, a
    wave of a saved plan, or the platform."""
    from orchestrator.journal.blockers import add_blocker

    with ws.journal() as journal:
        _check_scope_exists(scope, ws, journal)
        blocker = add_blocker(journal, scope, severity, title, owner, ws.operator, due)
    if fmt == "json":
        echo_json({"id": blocker.id})
    else:
        click.echo(blocker.id)


def _check_scope_exists(scope: str, ws: Workspace, journal: Any) -> None:
    """Refuse a scope naming a service, release or wave that does not exist: it could never block."""
    from orchestrator.journal.blockers import check_scope, check_scope_exists

    kind = check_scope(scope).partition(":")[0]
    services: list[str] = []
    releases: list[str] = []
    plan_waves: dict[int, int] = {}
    if kind in ("service", "release"):
        catalog = ws.catalog
        services, releases = [s.id for s in catalog.services], [r.id for r in catalog.releases]
    elif kind == "wave":
        from orchestrator.journal.plans import list_plans

        plan_waves = {plan.id: len(plan.waves) for plan in list_plans(journal)}
    check_scope_exists(scope, services, releases, plan_waves)


@blocker_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Resolved ones too.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "md"]), default="table",
              show_default=True, help="Output format (md: for the steering meeting).")
@workspace_options(db_first=True)
def list_cmd(ws: Workspace, show_all: bool, fmt: str) -> None:
    """The blockers: blocking first, then by due date."""
    from orchestrator.journal.blockers import list_blockers

    with ws.journal(read_only=True) as journal:
        blockers = list_blockers(journal, include_resolved=show_all)
    today = _today(ws)
    rank = {"blocking": 0, "major": 1, "minor": 2}
    blockers.sort(key=lambda b: (b.status == "resolved", rank[b.severity], b.due or "9999", b.id))
    rows = [_row(b, today) for b in blockers]
    if fmt == "json":
        echo_json(rows)
    elif fmt == "md":
        click.echo(_markdown(rows, today), nl=False)
    else:
        if not rows:
            click.echo("no blockers in force" if not show_all else "no blockers")
        for r in rows:
            click.echo(f"{r['id']}  {r['severity']:8} {r['state']:22} {r['scope']:22} "
                       f"due {r['due'] or '-':10} {r['owner']}: {r['title']}")


def _row(blocker: Any, today: dt.date) -> dict[str, Any]:
    overdue = bool(blocker.due and blocker.status != "resolved" and blocker.due < today.isoformat())
    return {"id": blocker.id, "scope": blocker.scope, "severity": blocker.severity,
            "title": blocker.title, "owner": blocker.owner, "due": blocker.due,
            "status": blocker.status, "state": blocker.state_on(today),
            "in_force": blocker.in_force(today), "overdue": overdue,
            "waiver": None if blocker.waiver_owner is None else {
                "owner": blocker.waiver_owner, "reason": blocker.waiver_reason,
                "expires": blocker.waiver_expires}}


def _markdown(rows: list[dict[str, Any]], today: dt.date) -> str:
    in_force = [r for r in rows if r["in_force"]]
    lines = [f"# Blocking issues, {today}", "",
             f"{len(in_force)} in force ({sum(r['severity'] == 'blocking' for r in in_force)} blocking), "
             f"{sum(r['overdue'] for r in rows)} overdue.", "",
             "| id | severity | scope | title | owner | due | state |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        due = f"**{r['due']} (overdue)**" if r["overdue"] else (r["due"] or "-")
        waived = r["status"] == "waived" and not r["in_force"]
        state = r["state"] + (f" until {r['waiver']['expires']} ({r['waiver']['owner']}: "
                              f"{r['waiver']['reason']})" if waived else "")
        lines.append(f"| {r['id']} | {r['severity']} | {r['scope']} | {r['title'].replace('|', '/')} | "
                     f"{r['owner']} | {due} | {state} |")
    return "\n".join(lines) + "\n"


@blocker_group.command("show")
@click.argument("blocker_id")
@_where
def show_cmd(ws: Workspace, blocker_id: str, fmt: str) -> None:
    """One blocker with its full history."""
    from orchestrator.journal.blockers import get_blocker, history

    with ws.journal(read_only=True) as journal:
        blocker = get_blocker(journal, blocker_id)
        events = history(journal, blocker.id)
    row = _row(blocker, _today(ws))
    row["evidence"] = blocker.evidence
    row["history"] = [{"at": dt.datetime.fromtimestamp(e.at, dt.UTC).isoformat(timespec="seconds"),
                       "action": e.action, "by": e.by, "detail": e.detail} for e in events]
    if fmt == "json":
        echo_json(row)
        return
    click.echo(f"{row['id']}: {row['title']}")
    for key in ("scope", "severity", "owner", "due", "state"):
        click.echo(f"  {key}: {row[key] or '-'}")
    if blocker.evidence:
        click.echo("  evidence:\n" + "\n".join(f"    {line}" for line in blocker.evidence.splitlines()))
    for e in row["history"]:
        click.echo(f"  {e['at']} {e['action']} by {e['by']}: {e['detail']}")


def _change_command(action: str, doc: str) -> None:
    @click.argument("blocker_id")
    @click.option("--reason", required=True, help="Why; journalled in its history.")
    @click.option("--by", default=None, help="Who [default: you; signed, the key's principal].")
    @_where
    def command(ws: Workspace, blocker_id: str, reason: str, fmt: str, sign_with: Any = None,
                **waiver: Any) -> None:
        from orchestrator.journal.blockers import DECIDED, change
        from orchestrator.journal.decisions import policy_of

        decided = action in DECIDED
        site = _site_for_decision(ws, sign_with) if decided else None
        signer = signer_of(site, sign_with, ws.operator) if site is not None else None
        with ws.journal() as journal:
            terms = (waiver["owner"], waiver["expires"]) if action == "waive" else None
            blocker = change(journal, blocker_id, action, ws.operator, reason, terms, policy_of(site),
                             signer, typed=ws.by is not None)
        if fmt == "json":
            echo_json({"id": blocker.id, "status": blocker.status})
        else:
            click.echo(f"{blocker.id}: {blocker.status}")

    command.__doc__ = doc
    if action in ("waive", "resolve"):
        command = sign_option()(command)
    if action == "waive":
        command = click.option("--expires", type=Day(), required=True,
                               help="The day after which it blocks again.")(command)
        command = click.option("--owner", required=True, help="Who owns the waiver.")(command)
    blocker_group.command(action)(command)


def _site_for_decision(ws: Workspace, sign_with: Any) -> Any:
    """The site whose signing rules a waiver or resolution follows; None where no site file is
    there to read (a journal named by --db alone) and no key was given."""
    if sign_with is None and ws.db_given and not ws.site_file.is_file():
        return None
    return ws.site


_change_command("mitigate", "Record a mitigation: it still blocks until resolved or waived.")
_change_command("waive", "Waive it until --expires, with an --owner and a reason; expired, it blocks again.")
_change_command("resolve", "Resolve it (a reason is required); it no longer blocks.")
_change_command("reopen", "Open a resolved or waived blocker again.")
