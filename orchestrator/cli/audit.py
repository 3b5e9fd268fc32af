"""`journal verify`, `journal checkpoint` and `journal export --audit`: the tamper-evident chain
checked, a checkpoint of it written, and a bundle an auditor checks offline."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from orchestrator.cli.base import by_option, echo_json, format_option
from orchestrator.cli.workspace import workspace_options

if TYPE_CHECKING:
    from orchestrator.cli.workspace import Workspace

VERIFY_EXITS = """\b
Exit codes:
  0  intact: every record, row, checkpoint and signature holds
  1  something was altered, removed or inserted (the first named, then each one)
  2  bad input: no such journal"""


def site_policy(ws: Workspace) -> tuple[str, Any]:
    """The site's name and signing policy; with --db and no readable site: ("journal", None)."""
    from orchestrator.errors import LogiusMigrateError

    try:
        site = ws.site
    except LogiusMigrateError:
        if ws.db_given:
            return "journal", None
        raise
    return site.name, getattr(site, "signing", None)


@click.command("verify", epilog=VERIFY_EXITS)
@workspace_options
@format_option("text", "json")
def journal_verify_cmd(ws: Workspace, fmt: str) -> None:
    """Recompute the journal's hash chain and check every chained row against it, every
    checkpoint against the chain and every signature (checkpoints, decisions): names the first
    record altered, removed or inserted. A read-only journal (an auditor's copy) is not written."""
    from orchestrator.journal import chain, checkpoints

    _name, policy = site_policy(ws)
    with ws.journal(read_only=True) as journal:
        report = chain.verify(journal)
        report.findings += checkpoints.signature_findings(journal, policy)
        decided = _decisions(journal, policy)
        signed = _signed(journal)
        where = journal.display_url
    intact = report.intact and not decided
    if fmt == "json":
        echo_json({**report.to_json(), "intact": intact, "decisions": decided,
                   "decisions_signed": signed[0], "decisions_unsigned": signed[1], "journal": where})
    else:
        _show(where, report, decided, signed)
    if not intact:
        click.get_current_context().exit(1)


def _decisions(journal: Any, policy: Any) -> list[dict[str, str]]:
    """`decisions.verify_all`, where this build has it: each decision that does not verify."""
    try:
        from orchestrator.journal import decisions  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return []
    found = decisions.verify_all(journal, policy)
    return [{"record": f.record, "problem": f.problem} for f in found]


def _signed(journal: Any) -> tuple[int, int]:
    """How many decisions the journal holds signed, and unsigned."""
    from orchestrator.journal import decisions

    every = decisions.all_decisions(journal)
    signed = sum(1 for decision in every if decision.signature)
    return signed, len(every) - signed


def _show(where: str, report: Any, decided: list[dict[str, str]], signed: tuple[int, int]) -> None:
    if report.intact and not decided:
        click.echo(f"journal {where}: intact: {report.size} chain record(s), {report.checkpoints} "
                   f"checkpoint(s) agree, {signed[0]} signed decision(s) verified, {signed[1]} unsigned")
    else:
        first = report.first.problem if report.first else f"{decided[0]['record']}: {decided[0]['problem']}"
        click.echo(f"journal {where}: NOT intact ({len(report.findings) + len(decided)} problem(s)); "
                   f"first: {first}")
        for finding in report.findings:
            click.echo(f"  {finding.kind}: {finding.problem}")
        for item in decided:
            click.echo(f"  decision: {item['record']}: {item['problem']}")
    if report.since_line():
        click.echo(f"note: {report.since_line()}")


@click.command("checkpoint")
@click.option("--sign-with", "sign_with", type=click.Path(path_type=Path), default=None,
              help="Private key (or a .pub whose key is in ssh-agent) to sign the checkpoint with "
                   "[default: $LOGIUS_MIGRATE_SIGNING_KEY, else the lab's key of --by].")
@workspace_options
@by_option()
@format_option("text", "json")
def journal_checkpoint_cmd(ws: Workspace, sign_with: Path | None, fmt: str) -> None:
    """Write a checkpoint of the chain (its size and root, C2SP-shaped), signed when a key is
    given or the site has one for you; `journal verify` then catches records removed from its end."""
    from orchestrator.journal import checkpoints

    name, policy = site_policy(ws)
    signer = _signer(policy, sign_with, ws.operator)
    with ws.journal() as journal:
        point = checkpoints.write(journal, name, signer, policy)
    if fmt == "json":
        echo_json({"id": point.id, "size": point.size, "root": point.root, "note": point.note,
                   "principal": point.principal, "signed": point.signature is not None})
        return
    click.echo(point.note, nl=False)
    if point.signature is None:
        click.echo("(unsigned: give --sign-with KEY, or set $LOGIUS_MIGRATE_SIGNING_KEY)")


def _signer(policy: Any, sign_with: Path | None, by: str) -> Any:
    try:
        from orchestrator import signing
    except ImportError:
        return None
    from orchestrator.signing import SigningPolicy

    return signing.signer_for(policy or SigningPolicy(), sign_with, by)


@click.command("export")
@click.option("--audit", "folder", type=click.Path(path_type=Path), required=True,
              help="A new folder for the audit bundle (records, checkpoints, decisions, verify.py).")
@workspace_options
@format_option("text", "json")
def journal_export_cmd(ws: Workspace, folder: Path, fmt: str) -> None:
    """Write an audit bundle an auditor checks offline with Python's standard library and OpenSSH
    alone: `python3 verify.py` inside it (its README.md says the steps)."""
    from orchestrator.journal import audit

    name, policy = site_policy(ws)
    with ws.journal(read_only=True) as journal:
        manifest = audit.export(journal, folder, name, policy)
    if fmt == "json":
        echo_json({**manifest, "folder": str(folder)})
        return
    click.echo(f"audit bundle {folder}: {manifest['records']} record(s) of {manifest['journal']}; "
               f"check it with `python3 {folder / 'verify.py'}`")
