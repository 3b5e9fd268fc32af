"""The executions and attempts tables: each step of each service in a run (keyed by
``run/service/step``, its idempotency key), and every attempt at it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from orchestrator import clock
from orchestrator.journal import schema, service_states

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class Execution:
    key: str
    run_id: str
    service: str
    step: str
    seq: int
    status: str
    attempts: int
    started_at: float | None
    finished_at: float | None
    output: str
    error: str


@dataclass(frozen=True)
class Attempt:
    id: int
    execution_key: str
    number: int
    started_at: float
    finished_at: float | None
    outcome: str  # running | ok | failed | transient | interrupted
    error: str


def execution_key(run_id: str, service: str, step: str) -> str:
    """The idempotency key of one step of one service in one run."""
    return f"{run_id}/{service}/{step}"


def _execution(row: Any) -> Execution:
    return Execution(**{k: v for k, v in row._mapping.items() if k != "id"})


def begin(journal: Journal, run_id: str, service: str, step: str, seq: int,
          service_state: str | None) -> Execution:
    key = execution_key(run_id, service, step)
    now = clock.timestamp()
    with journal.engine.begin() as connection:
        row = connection.execute(select(schema.executions).where(
            schema.executions.c.key == key)).first()
        if row is None:
            connection.execute(insert(schema.executions).values(
                key=key, run_id=run_id, service=service, step=step, seq=seq, status="running",
                attempts=0, started_at=now, output="", error=""))
        elif row.status != "done":
            connection.execute(update(schema.executions).where(schema.executions.c.key == key)
                               .values(status="running", started_at=now, finished_at=None))
        if service_state is not None:
            service_states.write(connection, service, service_state, run_id)
    begun = get(journal, key)
    assert begun is not None
    return begun


def finish(journal: Journal, key: str, status: str, output: str, error: str,
           service_state: str | None) -> None:
    with journal.engine.begin() as connection:
        connection.execute(update(schema.executions).where(schema.executions.c.key == key).values(
            status=status, finished_at=clock.timestamp(), output=journal.redact(output),
            error=journal.redact(error)))
        if service_state is not None:
            run_id, service, _step = key.split("/", 2)
            service_states.write(connection, service, service_state, run_id)


def get(journal: Journal, key: str) -> Execution | None:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.executions).where(
            schema.executions.c.key == key)).first()
    return _execution(row) if row else None


def every(journal: Journal, run_id: str | None = None, service: str | None = None) -> list[Execution]:
    query = select(schema.executions).order_by(schema.executions.c.seq, schema.executions.c.id)
    if run_id is not None:
        query = query.where(schema.executions.c.run_id == run_id)
    if service is not None:
        query = query.where(schema.executions.c.service == service)
    with journal.engine.connect() as connection:
        return [_execution(row) for row in connection.execute(query)]


def start_attempt(journal: Journal, key: str) -> int:
    with journal.engine.begin() as connection:
        number = int(connection.execute(select(schema.executions.c.attempts).where(
            schema.executions.c.key == key)).scalar_one()) + 1
        connection.execute(update(schema.executions).where(schema.executions.c.key == key)
                           .values(attempts=number))
        connection.execute(insert(schema.attempts).values(
            execution_key=key, number=number, started_at=clock.timestamp(), outcome="running", error=""))
    return number


def finish_attempt(journal: Journal, key: str, number: int, outcome: str, error: str) -> None:
    with journal.engine.begin() as connection:
        connection.execute(update(schema.attempts).where(
            schema.attempts.c.execution_key == key, schema.attempts.c.number == number).values(
            finished_at=clock.timestamp(), outcome=outcome, error=journal.redact(error)))


def close_open_attempts(journal: Journal, run_id: str, evidence: str) -> list[str]:
    open_attempts = select(schema.attempts.c.execution_key, schema.attempts.c.number).join(
        schema.executions, schema.executions.c.key == schema.attempts.c.execution_key).where(
        schema.executions.c.run_id == run_id, schema.attempts.c.outcome == "running")
    with journal.engine.begin() as connection:
        found = [(row.execution_key, row.number) for row in connection.execute(open_attempts)]
        for key, number in found:
            connection.execute(update(schema.attempts).where(
                schema.attempts.c.execution_key == key, schema.attempts.c.number == number).values(
                finished_at=clock.timestamp(), outcome="interrupted", error=journal.redact(evidence)))
    return [f"{key}#{number}" for key, number in found]


def attempt_outcomes(journal: Journal, run_id: str) -> dict[str, list[str]]:
    query = select(schema.attempts.c.execution_key, schema.attempts.c.outcome).join(
        schema.executions, schema.executions.c.key == schema.attempts.c.execution_key).where(
        schema.executions.c.run_id == run_id).order_by(schema.attempts.c.execution_key,
                                                       schema.attempts.c.number)
    outcomes: dict[str, list[str]] = {}
    with journal.engine.connect() as connection:
        for row in connection.execute(query):
            outcomes.setdefault(row.execution_key, []).append(row.outcome)
    return outcomes


def attempts(journal: Journal, key: str) -> list[Attempt]:
    with journal.engine.connect() as connection:
        rows = connection.execute(select(schema.attempts).where(
            schema.attempts.c.execution_key == key).order_by(schema.attempts.c.number))
        return [Attempt(**row._mapping) for row in rows]
