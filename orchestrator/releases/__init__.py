"""Validating the supplier's infrastructure releases, and the decision to accept them.

`validate` runs the acceptance suite on a manifest (and the site's Kubernetes API, platform landing
zone and LPC hosts), applies
waivers, writes the reports, records the validation with each report's SHA-256 in the journal,
and settles the blockers the release claims to fix: resolved when the validation passed, opened
again when a later one fails. `accept` is allowed only when the latest validation of that exact
manifest passed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator import clock
from orchestrator.errors import InputError, Refused

if TYPE_CHECKING:
    from orchestrator.journal.releases import ValidationRecord
    from orchestrator.sites import Site

EXIT_INCONCLUSIVE = 8


@dataclass(frozen=True)
class Validation:
    id: int
    document: dict[str, Any]
    reports: dict[str, str]


def validate(manifest_path: Path, site: Site | None, journal: Any, out: Path, by: str,
             waivers_path: Path | None = None, policy_path: Path | None = None,
             today: dt.date | None = None, progress: Any = None, signer: Any = None) -> Validation:
    from orchestrator.catalog.manifest import default_policy_path, load_manifest, load_policy
    from orchestrator.journal.releases import record_validation
    from orchestrator.releases import reports
    from orchestrator.releases.suite import SuiteContext, run_suite
    from orchestrator.releases.waivers import apply_waivers, load_waivers

    manifest, sha256 = load_manifest(manifest_path)
    policy = load_policy(policy_path or default_policy_path())
    waivers = load_waivers(waivers_path) if waivers_path else []
    ctx = SuiteContext(manifest, policy, site=site)
    if progress is not None:
        ctx.progress = progress
    if site is not None:
        from orchestrator.checks import site_kube_client
        from orchestrator.sites.backend import terraform_backend

        ctx.backend = terraform_backend(site, journal.url)
        ctx.kube = site_kube_client(site)
        if ctx.kube is None:
            ctx.kube_reason = f"site {site.name} has no Kubernetes API"
    try:
        results = run_suite(ctx)
    finally:
        if ctx.kube is not None:
            ctx.kube.close()
    now = clock.now()
    results, report = apply_waivers(results, waivers, today or now.date())
    doc = reports.document(manifest, sha256, manifest_path, results, report,
                           site.name if site else None, now.isoformat(timespec="seconds"))
    digests = reports.write_reports(doc, out)
    validation_id = record_validation(journal, doc, digests, by)
    from orchestrator.journal.decisions import policy_of

    settle_claimed_fixes(journal, doc, validation_id, by, policy_of(site), signer)
    return Validation(validation_id, doc, digests)


def settle_claimed_fixes(journal: Any, doc: dict[str, Any], validation_id: int, by: str,
                         policy: Any = None, signer: Any = None) -> list[str]:
    """Resolve the blockers the release claims to fix when its validation passed (a resolution is
    a decision: signed by ``signer`` where the site verifies signatures); open them again when it
    did not. Returns what was done, one line each."""
    from orchestrator.journal.blockers import change, get_blocker, history

    done = []
    mark = f"fixed by release {doc['release']} "
    for blocker_id in doc["claims_to_fix"]:
        try:
            blocker = get_blocker(journal, blocker_id)
        except InputError:
            done.append(f"{blocker_id}: no such blocker in this journal")
            continue
        why = f"release {doc['release']} validation {validation_id}"
        resolved_by_release = blocker.status == "resolved" and any(
            h.action == "resolved" and h.detail.startswith(mark)
            for h in history(journal, blocker.id)[-1:])
        if doc["outcome"] == "PASS" and blocker.status != "resolved":
            change(journal, blocker.id, "resolve", by, f"fixed by {why}, which passed", None, policy, signer)
            done.append(f"{blocker.id}: resolved")
        elif doc["outcome"] == "FAIL" and resolved_by_release:
            change(journal, blocker.id, "reopen", by, f"{why} failed")
            done.append(f"{blocker.id}: reopened")
    return done


def accept(journal: Any, release_id: str, by: str, reason: str, manifest: Path | None = None,
           policy: Any = None, signer: Any = None, typed: bool = True) -> ValidationRecord:
    """Accept a release: only when the latest validation of that exact manifest passed; a
    release-accepted decision, signed by ``signer`` where given."""
    import hashlib

    from orchestrator.journal.releases import decide, validations

    runs = validations(journal, release_id)
    if not runs:
        raise Refused([f"{release_id} has never been validated: logius-migrate release validate MANIFEST"],
                      f"{release_id} not accepted")
    sha = hashlib.sha256(manifest.read_bytes()).hexdigest() if manifest else runs[-1].manifest_sha256
    mine = [v for v in runs if v.manifest_sha256 == sha]
    if not mine:
        raise Refused([f"manifest {manifest} (sha256 {sha[:12]}) of {release_id} has never been validated"],
                      f"{release_id} not accepted")
    latest = mine[-1]
    if latest.outcome != "PASS":
        alike: dict[tuple[str, str], list[str]] = {}  # checks with the same outcome and summary
        for r in latest.results["results"]:
            if r["shown"] in ("FAIL", "INCONCLUSIVE"):
                alike.setdefault((r["shown"], r["summary"]), []).append(r["check"])
        raise Refused([f"validation {latest.id} of {release_id} is {latest.outcome}: "
                       f"{', '.join(checks)} {shown}: {summary}"
                       for (shown, summary), checks in alike.items()], f"{release_id} not accepted")
    decide(journal, release_id, sha, "accepted", latest.id, by, reason, policy, signer, typed)
    return latest


def reject(journal: Any, release_id: str, by: str, reason: str, policy: Any = None, signer: Any = None,
           typed: bool = True) -> None:
    from orchestrator.journal.releases import decide, validations

    runs = validations(journal, release_id)
    sha = runs[-1].manifest_sha256 if runs else ""
    decide(journal, release_id, sha, "rejected", runs[-1].id if runs else None, by, reason, policy, signer,
           typed)


def diff(first: ValidationRecord, second: ValidationRecord) -> list[dict[str, str | None]]:
    """The checks whose outcome changed between two validations (by check id)."""
    a = {r["check"]: r["shown"] for r in first.results["results"]}
    b = {r["check"]: r["shown"] for r in second.results["results"]}
    return [{"check": c, "from": a.get(c), "to": b.get(c)} for c in sorted(set(a) | set(b))
            if a.get(c) != b.get(c)]
