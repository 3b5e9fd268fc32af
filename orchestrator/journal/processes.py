"""The processes table: the child processes (terraform, ansible-playbook) a run has started."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, insert, select

from orchestrator import liveness
from orchestrator.journal import schema
from orchestrator.journal.rows import inserted_id

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class ChildProcess:
    id: int
    run_id: str
    host: str
    pid: int
    pid_started: float | None
    tool: str
    what: str
    pgid: int | None = None
    token: str | None = None


def add(journal: Journal, run_id: str, pid: int, pid_started: float | None, tool: str, what: str,
        pgid: int | None, token: str | None) -> int:
    with journal.engine.begin() as connection:
        result = connection.execute(insert(schema.processes).values(
            run_id=run_id, host=liveness.this_host(), pid=pid, pid_started=pid_started, tool=tool,
            what=journal.redact(what)[:300], created_at=time.time(), pgid=pgid, token=token))
        return inserted_id(result)


def remove(journal: Journal, process_id: int) -> None:
    with journal.engine.begin() as connection:
        connection.execute(delete(schema.processes).where(schema.processes.c.id == process_id))


def every(journal: Journal, run_id: str) -> list[ChildProcess]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.processes).where(
            schema.processes.c.run_id == run_id).order_by(schema.processes.c.id))
        return [ChildProcess(**{k: v for k, v in row._mapping.items() if k != "created_at"})
                for row in rows]
