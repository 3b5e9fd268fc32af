"""`logius-migrate release validate|list|diff|accept|reject`: the supplier's releases, validated
against the acceptance suite, and the agency's decision on each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from orchestrator.cli.base import echo_json, format_option, sign_option, signer_of
from orchestrator.cli.workspace import Workspace, workspace_options


@click.group("release")
def release_group() -> None:
    """Validate the supplier's infrastructure releases and decide on them. A wave runs only on a
    release the agency accepted (precondition PRE-REL-001 reads these decisions)."""


def _progress_line(line: str) -> None:
    """One timestamped line on stderr per group of checks (none with --quiet)."""
    import datetime as dt

    from orchestrator.cli.base import verbosity

    if verbosity() >= 0:
        click.echo(f"[{dt.datetime.now():%H:%M:%S}] {line}", err=True)


@release_group.command("validate")
@click.argument("manifest", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="Folder for report.md, report.html, junit.xml and results.json "
                   "[default: ./release-RELEASE].")
@click.option("--waivers", "waivers", type=click.Path(path_type=Path), default=None,
              help="A YAML file of waivers: {waivers: [{id or pattern, reason, owner, expires}]}.")
@click.option("--policy", "policy", type=click.Path(path_type=Path), default=None,
              help="The agency's requirements [default: the shipped seeds/releases/policy.yaml].")
@click.option("--by", default=None, help="Who validates [default: you].")
@sign_option()
@workspace_options
@format_option("text", "json")
def validate_cmd(ws: Workspace, manifest: Path, out: Path | None, waivers: Path | None,
                 policy: Path | None, sign_with: Path | None, fmt: str) -> None:
    """Run the acceptance suite on MANIFEST: static checks of the manifest (REL-MAN-*) and, on the
    site, checks of the platform through its Kubernetes API (REL-K8S-*), a Terraform plan of its
    landing zone with the manifest's values (REL-TF-*: drift is a FAIL with the diff) and a smoke
    playbook on its LPC hosts (REL-ANS-*). Writes the reports, records the validation (with each
    report's SHA-256) in the journal, and resolves or reopens the blockers the release claims to
    fix (a resolution is a decision: --sign-with where the site requires signatures). Progress
    goes to stderr.

    \b
    Exit codes: 0 every check passed (a waived one counts as passed), 1 a check failed,
    2 bad input, 8 no failure but some checks could not be made (INCONCLUSIVE).
    """
    from orchestrator.catalog.manifest import load_manifest
    from orchestrator.releases import EXIT_INCONCLUSIVE, validate

    release_id = load_manifest(manifest)[0].id
    with ws.journal(site=True) as journal:
        result = validate(manifest, ws.site, journal, out or Path(f"release-{release_id}"), ws.operator,
                          waivers, policy, progress=_progress_line,
                          signer=signer_of(ws.site, sign_with, ws.operator))
    doc = result.document
    if fmt == "json":
        echo_json({"validation": result.id, "release": doc["release"], "outcome": doc["outcome"],
                   "counts": doc["counts"], "reports": result.reports})
    else:
        click.echo(f"validation {result.id} of {doc['release']}: {doc['outcome']} ("
                   + ", ".join(f"{n} {k}" for k, n in sorted(doc["counts"].items())) + ")")
        for r in doc["results"]:
            click.echo(f"  {r['check']:12} {r['shown']:12} {r['summary']}")
        click.echo(f"reports in {(out or Path(f'release-{release_id}'))}: {', '.join(result.reports)}")
    if doc["outcome"] == "FAIL":
        raise SystemExit(1)
    if doc["outcome"] == "INCONCLUSIVE":
        raise SystemExit(EXIT_INCONCLUSIVE)


@release_group.command("list")
@workspace_options
@format_option("text", "json")
def list_cmd(ws: Workspace, fmt: str) -> None:
    """Every validation in the journal, with its manifest hash and outcome, and the decision
    taken on it (accepted or rejected, by whom, why)."""
    from orchestrator.journal.releases import decisions, validations

    with ws.journal(read_only=True, site=True) as journal:
        found, decided = validations(journal), decisions(journal)
    rows: list[dict[str, Any]] = [
        {"validation": v.id, "release": v.release_id, "manifest_sha256": v.manifest_sha256,
         "outcome": v.outcome, "by": v.by, "reports": v.reports,
         "decisions": [{"decision": d.decision, "by": d.by, "reason": d.reason}
                       for d in decided if d.validation_id == v.id]} for v in found]
    if fmt == "json":
        echo_json(rows)
        return
    for r in rows:
        said = "".join(f"; {d['decision']} by {d['by']}: {d['reason']}" for d in r["decisions"])
        click.echo(f"{r['validation']:>4} {r['release']:12} {r['outcome']:12} {r['manifest_sha256'][:12]} "
                   f"by {r['by']}{said}")
    for d in (d for d in decided if d.validation_id is None):
        click.echo(f"   - {d.release_id:12} {d.decision} by {d.by} without a validation: "
                   f"{d.reason}")


@release_group.command("diff")
@click.argument("first", type=int)
@click.argument("second", type=int)
@workspace_options
@format_option("text", "json")
def diff_cmd(ws: Workspace, first: int, second: int, fmt: str) -> None:
    """Which checks changed between validations FIRST and SECOND (ids from `release list`)."""
    from orchestrator.errors import InputError
    from orchestrator.journal.releases import validations
    from orchestrator.releases import diff

    with ws.journal(read_only=True, site=True) as journal:
        by_id = {v.id: v for v in validations(journal)}
    for number in (first, second):
        if number not in by_id:
            raise InputError(f"validation {number}: no such validation (see `logius-migrate release list`)")
    changes = diff(by_id[first], by_id[second])
    if fmt == "json":
        echo_json({"from": first, "to": second, "changes": changes})
        return
    if not changes:
        click.echo(f"validations {first} and {second} agree on every check")
    for change in changes:
        click.echo(f"  {change['check']:12} {change['from'] or 'absent'} -> {change['to'] or 'absent'}")


def _decision_command(name: str) -> None:
    @click.argument("release_id")
    @click.option("--by", default=None, help="Who decides; signed, the key's principal [default: it].")
    @click.option("--reason", required=True, help="Why; journalled.")
    @sign_option()
    @workspace_options
    @format_option("text", "json")
    def command(ws: Workspace, release_id: str, reason: str, sign_with: Path | None, fmt: str,
                **extra: Any) -> None:
        from orchestrator.errors import InputError
        from orchestrator.journal.decisions import policy_of
        from orchestrator.journal.releases import latest_decision
        from orchestrator.releases import accept, reject

        with ws.journal(site=True) as journal:
            site = ws.site
            signer = signer_of(site, sign_with, ws.by)
            if not ws.by and signer is None:
                raise InputError(f"release {name} needs --by NAME (or --sign-with KEY)")
            signed = {"policy": policy_of(site), "signer": signer, "typed": ws.by is not None}
            by = ws.by or ws.operator
            if name == "accept":
                latest = accept(journal, release_id, by, reason, extra.get("manifest"), **signed)
                moved = (f"site {latest.site} runs it from now on" if latest.site else
                         "no site runs it: its validation named none (validate with --site)")
                by = _decided_by(latest_decision(journal, release_id), by)  # the signer's principal
                said = {"release": release_id, "decision": "accepted", "by": by, "reason": reason,
                        "validation": latest.id, "manifest_sha256": latest.manifest_sha256,
                        "site": latest.site}
                text = (f"{release_id} accepted by {by} (validation {latest.id}, manifest "
                        f"{latest.manifest_sha256[:12]}); {moved}")
            else:
                reject(journal, release_id, by, reason, **signed)
                by = _decided_by(latest_decision(journal, release_id), by)
                said = {"release": release_id, "decision": "rejected", "by": by, "reason": reason}
                text = f"{release_id} rejected by {by}"
        if fmt == "json":
            echo_json(said)
        else:
            click.echo(text)

    if name == "accept":
        command.__doc__ = ("Accept RELEASE_ID: allowed only when the latest validation of that exact "
                           "manifest (--manifest FILE, default the one last validated) passed; "
                           "otherwise refused, naming the failing checks.")
        command = click.option("--manifest", type=click.Path(path_type=Path), default=None,
                               help="The manifest file whose validation must have passed.")(command)
    else:
        command.__doc__ = "Reject RELEASE_ID: no wave runs on it (PRE-REL-001 fails)."
    release_group.command(name)(command)


def _decided_by(row: Any, by: str) -> str:
    return row.by if row is not None else by


_decision_command("accept")
_decision_command("reject")
