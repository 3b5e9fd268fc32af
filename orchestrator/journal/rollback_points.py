"""The rollback_points table: what undoing a step needs (its payload), recorded before the step."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from orchestrator import clock
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id
from orchestrator.journal.steps import execution_key

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class RollbackPoint:
    id: int
    run_id: str
    service: str
    step: str
    execution_key: str
    kind: str
    payload: dict[str, Any]
    point_of_no_return: bool
    created_at: float
    restored_at: float | None


def add(journal: Journal, run_id: str, service: str, step: str, kind: str, payload: dict[str, Any],
        point_of_no_return: bool) -> int:
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.rollback_points).values(
            run_id=run_id, service=service, step=step,
            execution_key=execution_key(run_id, service, step), kind=kind,
            payload=json.dumps(journal.redact.deep(payload), sort_keys=True),
            point_of_no_return=point_of_no_return, created_at=clock.timestamp()))
        return inserted_id(result)


def every(journal: Journal, service: str | None = None, run_id: str | None = None,
          include_restored: bool = False) -> list[RollbackPoint]:
    query = select(schema.rollback_points).order_by(schema.rollback_points.c.id)
    if service is not None:
        query = query.where(schema.rollback_points.c.service == service)
    if run_id is not None:
        query = query.where(schema.rollback_points.c.run_id == run_id)
    if not include_restored:
        query = query.where(schema.rollback_points.c.restored_at.is_(None))
    with journal.engine.connect() as connection:
        return [RollbackPoint(**{**row._mapping, "payload": json.loads(row.payload)})
                for row in connection.execute(query)]


def has_open(journal: Journal, key: str) -> bool:
    with journal.engine.connect() as connection:
        return connection.execute(select(schema.rollback_points.c.id).where(
            schema.rollback_points.c.execution_key == key,
            schema.rollback_points.c.restored_at.is_(None)).limit(1)).first() is not None


def mark_restored(journal: Journal, point_id: int) -> None:
    with journal.engine.begin() as connection:
        connection.execute(update(schema.rollback_points).where(
            schema.rollback_points.c.id == point_id).values(restored_at=clock.timestamp()))
