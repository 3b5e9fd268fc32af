"""The events table: what happened in a run (or outside one), redacted, oldest first."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import insert, select

from orchestrator import clock
from orchestrator.journal import schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal

_LOG = logging.getLogger("logius_migrate.journal")


@dataclass(frozen=True)
class Event:
    id: int
    run_id: str | None
    at: float
    kind: str
    message: str


def log(journal: Journal, run_id: str | None, kind: str, message: str) -> None:
    message = journal.redact(message)
    with journal.engine.begin() as connection:
        connection.execute(insert(schema.events).values(run_id=run_id, at=clock.timestamp(), kind=kind,
                                                        message=message))
    _LOG.info("%s %s: %s", run_id or "-", kind, message)


def every(journal: Journal, run_id: str | None = None) -> list[Event]:
    query = select(schema.events).order_by(schema.events.c.id)
    if run_id is not None:
        query = query.where(schema.events.c.run_id == run_id)
    with journal.engine.connect() as connection:
        return [Event(**row._mapping) for row in connection.execute(query)]
