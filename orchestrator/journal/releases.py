"""Release validations and decisions in the journal: what each validation found (with the SHA-256
of every report), and who accepted or rejected which manifest, and why. Each acceptance or
rejection is a decision (journal/decisions.py: signed where the site verifies signatures) written
with its row; the gate checks it before it believes the row (:func:`check_decision`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id
from orchestrator.journal.store import Journal

if TYPE_CHECKING:
    from orchestrator.signing import Signer, SigningPolicy


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
           by: str, reason: str, policy: SigningPolicy | None = None, signer: Signer | None = None,
           typed: bool = True) -> str:
    """Record ``decision`` (accepted or rejected) on a release's manifest, as a release-accepted
    or release-rejected decision signed by ``signer``; returns who decided."""
    from orchestrator.journal import decisions

    reason = journal.redact(reason)
    made = decisions.make(policy, f"release-{decision}", f"release {release_id}", by, reason,
                          _digests(sha256, validation_id), signer, typed=typed)
    with journal.engine.begin() as connection:
        decisions.write(connection, made)
        connection.execute(insert(schema.release_decisions).values(
            release_id=release_id, manifest_sha256=sha256, decision=decision, validation_id=validation_id,
            by=made.by, reason=reason, at=made.at))
    journal.log(None, "release", f"{release_id} {decision} by {made.by}: {reason}")
    return made.by


def _digests(sha256: str, validation_id: int | None) -> dict[str, str]:
    return {"manifest": sha256, "validation": "" if validation_id is None else str(validation_id)}


def check_decision(journal: Journal, policy: SigningPolicy | None, row: DecisionRecord) -> str:
    """Before a gate believes ``row``: the decision it was written with checks (person, reason,
    manifest, validation, signature, chain). Refused in one line; returns who decided."""
    from orchestrator.errors import Refused
    from orchestrator.journal import decisions

    made = [d for d in decisions.for_subject(journal, f"release-{row.decision}", f"release {row.release_id}")
            if d.at == row.at]
    if not made and decisions.predates(journal, policy, "release_decisions", str(row.id)):
        return row.by  # decided before this journal kept decisions
    if not made:
        raise Refused([], f"release decision {row.id} ({row.release_id} {row.decision} by {row.by}) is no "
                          f"decision in the journal (a row written around the tool); not acted on")
    return decisions.check(journal, policy, made[-1],
                           {"by": row.by, "reason": row.reason,
                            **_digests(row.manifest_sha256, row.validation_id)},
                           ("release_decisions", str(row.id)))


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
