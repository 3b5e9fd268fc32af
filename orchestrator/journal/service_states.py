"""The service_states table: where each service stands across runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from orchestrator import clock
from orchestrator.journal import schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class ServiceState:
    """Where a service stands across runs: legacy (never touched), in-flight (a run has begun
    changing it), cut-over, decommissioned, or rolled-back (every change undone)."""

    service: str
    state: str
    run_id: str | None
    updated_at: float


def write(connection: Connection, service: str, state: str, run_id: str | None) -> None:
    """Set the service's state inside the caller's transaction."""
    values = dict(state=state, run_id=run_id, updated_at=clock.timestamp())
    changed = connection.execute(update(schema.service_states).where(
        schema.service_states.c.service == service).values(**values))
    if changed.rowcount == 0:
        connection.execute(insert(schema.service_states).values(service=service, **values))


def get(journal: Journal, service: str) -> ServiceState:
    """The service's state; a service the journal never saw is on ``legacy``."""
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.service_states).where(
            schema.service_states.c.service == service)).first()
    return ServiceState(**row._mapping) if row else ServiceState(service, "legacy", None, 0.0)


def every(journal: Journal) -> dict[str, ServiceState]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.service_states).order_by(
            schema.service_states.c.service))
        return {row.service: ServiceState(**row._mapping) for row in rows}
