"""Release validations and decisions in the journal: what each validation found (with the SHA-256
of every report), and who accepted or rejected which manifest, and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id
from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class ValidationRecord:
    """One validation of a release's manifest: its results document and its reports' digests."""

    id: int
    release_id: str
    manifest_sha256: str
    outcome: str  # PASS | FAIL | INCONCLUSIVE
    results: dict[str, Any]
    reports: dict[str, str]  # file name -> sha256
    site: str | None
    by: str
    at: float


@dataclass(frozen=True)
class DecisionRecord:
    """A decision to accept or reject a release's manifest."""

    id: int
    release_id: str
    manifest_sha256: str
    decision: str  # accepted | rejected
    validation_id: int | None
    by: str
    reason: str
    at: float

    @property
    def status(self) -> str:
        return self.decision


def record_validation(journal: Journal, doc: dict[str, Any], reports: dict[str, str], by: str) -> int:
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.release_validations).values(
            release_id=doc["release"], manifest_sha256=doc["manifest_sha256"], outcome=doc["outcome"],
            results=json.dumps(journal.redact.deep(doc)), reports=json.dumps(reports), site=doc["site"],
            by=by, at=clock.timestamp()))
        validation_id = inserted_id(result)
    journal.log(None, "release", f"validation {validation_id} of {doc['release']} "
                                 f"({doc['manifest_sha256'][:12]}): {doc['outcome']}")
    return validation_id


def validations(journal: Journal, release_id: str | None = None) -> list[ValidationRecord]:
    query = select(schema.release_validations).order_by(schema.release_validations.c.id)
    if release_id is not None:
        query = query.where(schema.release_validations.c.release_id == release_id)
    with journal.engine.connect() as connection:
        return [ValidationRecord(**{**row._mapping, "results": json.loads(row.results),
                                    "reports": json.loads(row.reports)})
                for row in connection.execute(query)]


def decide(journal: Journal, release_id: str, sha256: str, decision: str, validation_id: int | None,
           by: str, reason: str) -> None:
    with journal.engine.begin() as connection:
        connection.execute(insert(schema.release_decisions).values(
            release_id=release_id, manifest_sha256=sha256, decision=decision, validation_id=validation_id,
            by=by, reason=journal.redact(reason), at=clock.timestamp()))
    journal.log(None, "release", f"{release_id} {decision} by {by}: {reason}")


def decisions(journal: Journal) -> list[DecisionRecord]:
    """Every decision to accept or reject a release, oldest first."""
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.release_decisions).order_by(schema.release_decisions.c.id))
        return [DecisionRecord(**row._mapping) for row in rows]


def latest_decision(journal: Journal, release_id: str) -> DecisionRecord | None:
    """The newest decision on a release, or None; its ``status`` is accepted or rejected."""
    query = (select(schema.release_decisions).where(schema.release_decisions.c.release_id == release_id)
             .order_by(schema.release_decisions.c.id.desc()).limit(1))
    with journal.engine.connect() as connection:
        row = connection.execute(query).first()
    return DecisionRecord(**row._mapping) if row else None
