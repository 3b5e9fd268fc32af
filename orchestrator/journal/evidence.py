"""The evidence of precondition checks in the journal: every result of every check a run (or
`logius-migrate check`) made, with what was asked, what came back, and who overrode it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import schema
from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class CheckEvidence:
    """One recorded result of one check: what was asked, what came back (``evidence``), who
    overrode it and why."""

    id: int
    run_id: str | None
    service: str
    check_id: str
    outcome: str  # PASS | WARN | FAIL | INCONCLUSIVE
    summary: str
    evidence: dict[str, Any]
    overridden_by: str | None
    override_reason: str | None
    at: float


def record_results(journal: Journal, run_id: str | None, results: list[Any]) -> None:
    """Store check results (``orchestrator.checks.Result``), redacted, in one transaction."""
    now = clock.timestamp()
    with journal.engine.begin() as connection:
        for result in results:
            connection.execute(insert(schema.check_results).values(
                run_id=run_id, service=result.service, check_id=result.check_id,
                outcome=result.outcome.value, summary=journal.redact(result.summary),
                evidence=json.dumps(journal.redact.deep(result.evidence())),
                overridden_by=result.overridden_by,
                override_reason=journal.redact(result.override_reason or "") or None, at=now))


def results(journal: Journal, run_id: str | None = None, service: str | None = None) -> list[CheckEvidence]:
    query = select(schema.check_results).order_by(schema.check_results.c.id)
    if run_id is not None:
        query = query.where(schema.check_results.c.run_id == run_id)
    if service is not None:
        query = query.where(schema.check_results.c.service == service)
    with journal.engine.connect() as connection:
        return [CheckEvidence(**{**row._mapping, "evidence": json.loads(row.evidence)})
                for row in connection.execute(query)]
