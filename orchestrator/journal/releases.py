"""Release validations and decisions in the journal: what each validation found (with the SHA-256
of every report), and who accepted or rejected which manifest, and why."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import schema
from orchestrator.journal.store import Journal


def record_validation(journal: Journal, doc: dict[str, Any], reports: dict[str, str], by: str) -> int:
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.release_validations).values(
            release_id=doc["release"], manifest_sha256=doc["manifest_sha256"], outcome=doc["outcome"],
            results=json.dumps(journal.redact.deep(doc)), reports=json.dumps(reports), site=doc["site"],
            by=by, at=clock.timestamp()))
        validation_id = int(result.inserted_primary_key[0])
    journal.log(None, "release", f"validation {validation_id} of {doc['release']} "
                                 f"({doc['manifest_sha256'][:12]}): {doc['outcome']}")
    return validation_id


def validations(journal: Journal, release_id: str | None = None) -> list[dict[str, Any]]:
    query = select(schema.release_validations).order_by(schema.release_validations.c.id)
    if release_id is not None:
        query = query.where(schema.release_validations.c.release_id == release_id)
    with journal.engine.connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["results"] = json.loads(row["results"])
        row["reports"] = json.loads(row["reports"])
    return rows


def decide(journal: Journal, release_id: str, sha256: str, decision: str, validation_id: int | None,
           by: str, reason: str) -> None:
    with journal.engine.begin() as connection:
        connection.execute(insert(schema.release_decisions).values(
            release_id=release_id, manifest_sha256=sha256, decision=decision, validation_id=validation_id,
            by=by, reason=journal.redact(reason), at=clock.timestamp()))
    journal.log(None, "release", f"{release_id} {decision} by {by}: {reason}")


def decisions(journal: Journal) -> list[dict[str, Any]]:
    """Every decision to accept or reject a release, oldest first."""
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.release_decisions).order_by(schema.release_decisions.c.id))
        return [dict(row._mapping) for row in rows]


def latest_decision(journal: Journal, release_id: str) -> dict[str, Any] | None:
    """The newest decision on a release, or None; its ``status`` is accepted or rejected."""
    query = (select(schema.release_decisions).where(schema.release_decisions.c.release_id == release_id)
             .order_by(schema.release_decisions.c.id.desc()).limit(1))
    with journal.engine.connect() as connection:
        row = connection.execute(query).first()
    if row is None:
        return None
    data = dict(row._mapping)
    data["status"] = data["decision"]
    return data
