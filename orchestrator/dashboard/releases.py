"""The supplier's releases: each validation's outcome per REL check, and the decision on the
release (accepted or rejected, by whom, why), newest decision last."""

from __future__ import annotations

from typing import Any

from orchestrator.dashboard.times import moment
from orchestrator.journal.releases import decisions, validations


def release_rows(catalog: Any, journal: Any) -> list[dict[str, Any]]:
    found = validations(journal)
    decided = decisions(journal)
    ids = sorted({r.id for r in catalog.releases} | {v.release_id for v in found}
                 | {d.release_id for d in decided})
    rows = []
    for release_id in ids:
        latest = next((d for d in reversed(decided) if d.release_id == release_id), None)
        rows.append({
            "release": release_id,
            "status": latest.decision if latest else "undecided",
            "decision": None if latest is None else {
                "decision": latest.decision, "by": latest.by, "reason": latest.reason,
                "at": moment(latest.at), "validation": latest.validation_id},
            "validations": [_validation(v) for v in found if v.release_id == release_id]})
    return rows


def _validation(record: Any) -> dict[str, Any]:
    checks = {r["check"]: r.get("shown", r.get("outcome")) for r in record.results.get("results", [])}
    return {"id": record.id, "outcome": record.outcome, "by": record.by, "at": moment(record.at),
            "site": record.site, "checks": dict(sorted(checks.items()))}
