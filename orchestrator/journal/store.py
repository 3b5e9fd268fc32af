"""The durable record: runs, step executions, attempts, rollback points, leases and events.

SQLite (WAL) by default, PostgreSQL given a URL; the same SQLAlchemy Core code runs on both. Every
transition is one transaction. Everything written passes through the redactor first, so a secret
handed to a step never reaches the database.
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from orchestrator import clock, liveness
from orchestrator.errors import LockHeld
from orchestrator.journal import schema
from orchestrator.journal.opening import display_url, open_checked

REDACTED = "***"
_LOG = logging.getLogger("logius_migrate.journal")


class Redactor:
    """Replaces every known secret value, whatever its length, with ``***``. Structures are
    redacted value by value (:meth:`deep`), so JSON stays JSON whatever the secret looks like."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = set(secrets)
        if "" in values:
            raise ValueError("an empty secret cannot be redacted")
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
        return value

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {self(str(k)): self.deep(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.deep(v) for v in value]
        return value


@dataclass(frozen=True)
class Lease:
    name: str
    owner: str
    host: str
    pid: int
    token: str
    expires_at: float
    taken_over_from: str | None = None
    pid_started: float | None = None


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


@dataclass(frozen=True)
class ServiceState:
    """Where a service stands across runs: legacy (never touched), in-flight (a run has begun
    changing it), cut-over, decommissioned, or rolled-back (every change undone)."""

    service: str
    state: str
    run_id: str | None
    updated_at: float


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


@dataclass(frozen=True)
class Run:
    id: str
    wave: int
    kind: str
    status: str
    owner: str
    created_at: float
    updated_at: float
    detail: str


def execution_key(run_id: str, service: str, step: str) -> str:
    """The idempotency key of one step of one service in one run."""
    return f"{run_id}/{service}/{step}"


def default_owner() -> str:
    """The run owner when nobody said who: see :mod:`orchestrator.identity`."""
    from orchestrator.identity import owner

    return owner()


def _lease_condition(host: str, pid: int, pid_started: float | None, expires_at: float, now: float) -> str:
    """``expired``, ``dead`` (its holder was a process of this host that no longer runs) or ``held``."""
    if expires_at <= now:
        return "expired"
    if host == liveness.this_host() and liveness.is_alive(pid, pid_started) is False:
        return "dead"
    return "held"


class Journal:
    """Open the journal at ``url``, which must exist unless ``create``; an older schema is upgraded.
    Every failure to open is one line (InputError, or JournalUnavailable for a server).
    ``read_only``: for commands that only read; a read-only SQLite journal is then read without a
    write instead of refused. ``created``: whether this call created the journal."""

    def __init__(self, url: str, redactor: Redactor | None = None, create: bool = False,
                 read_only: bool = False) -> None:
        self.url = url
        self.redact = redactor or Redactor()
        self.is_sqlite = url.startswith("sqlite")
        self.engine, self.created = open_checked(url, create, read_only)

    @property
    def display_url(self) -> str:
        """The URL without any password, for messages."""
        return display_url(self.url)

    def schema_version(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(schema.meta.c.value).where(
                schema.meta.c.key == "schema_version")).scalar_one())

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- runs ---------------------------------------------------------------------------------

    def create_run(self, run_id: str, wave: int, kind: str, owner: str, status: str = "running") -> Run:
        now = time.time()
        with self.engine.begin() as connection:
            connection.execute(insert(schema.runs).values(
                id=run_id, wave=wave, kind=kind, status=status, owner=owner, created_at=now,
                updated_at=now, detail=""))
        return self.run(run_id)  # type: ignore[return-value]

    def run(self, run_id: str) -> Run | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
        return Run(**row._mapping) if row else None

    def runs(self, wave: int | None = None) -> list[Run]:
        query = select(schema.runs).order_by(schema.runs.c.created_at)
        if wave is not None:
            query = query.where(schema.runs.c.wave == wave)
        with self.engine.connect() as connection:
            return [Run(**row._mapping) for row in connection.execute(query)]

    def set_run_status(self, run_id: str, status: str, detail: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(
                status=status, detail=self.redact(detail), updated_at=clock.timestamp()))

    # -- step executions ----------------------------------------------------------------------

    def begin_step(self, run_id: str, service: str, step: str, seq: int,
                   service_state: str | None = None) -> Execution:
        """Mark the step ``running`` (creating it if new). A step already ``done`` is returned as
        it is and must not be applied again: the caller checks ``status``. ``service_state``, if
        given, becomes the service's state in the same transaction."""
        key = execution_key(run_id, service, step)
        now = clock.timestamp()
        with self.engine.begin() as connection:
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
                self._set_state(connection, service, service_state, run_id)
        return self.execution(key)  # type: ignore[return-value]

    def finish_step(self, key: str, status: str, output: str = "", error: str = "",
                    service_state: str | None = None) -> None:
        """Record the step's outcome (done, failed, interrupted, rolled-back); ``service_state``,
        if given, becomes its service's state in the same transaction."""
        with self.engine.begin() as connection:
            connection.execute(update(schema.executions).where(schema.executions.c.key == key).values(
                status=status, finished_at=clock.timestamp(), output=self.redact(output),
                error=self.redact(error)))
            if service_state is not None:
                run_id, service, _step = key.split("/", 2)
                self._set_state(connection, service, service_state, run_id)

    # -- service states -----------------------------------------------------------------------

    @staticmethod
    def _set_state(connection: Connection, service: str, state: str, run_id: str | None) -> None:
        values = dict(state=state, run_id=run_id, updated_at=clock.timestamp())
        changed = connection.execute(update(schema.service_states).where(
            schema.service_states.c.service == service).values(**values))
        if changed.rowcount == 0:
            connection.execute(insert(schema.service_states).values(service=service, **values))

    def set_service_state(self, service: str, state: str, run_id: str | None) -> None:
        with self.engine.begin() as connection:
            self._set_state(connection, service, state, run_id)

    def service_state(self, service: str) -> ServiceState:
        """The service's state; a service the journal never saw is on ``legacy``."""
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.service_states).where(
                schema.service_states.c.service == service)).first()
        return ServiceState(**row._mapping) if row else ServiceState(service, "legacy", None, 0.0)

    def service_states(self) -> dict[str, ServiceState]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.service_states).order_by(
                schema.service_states.c.service))
            return {row.service: ServiceState(**row._mapping) for row in rows}

    def execution(self, key: str) -> Execution | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.executions).where(
                schema.executions.c.key == key)).first()
        return Execution(**{k: v for k, v in row._mapping.items() if k != "id"}) if row else None

    def executions(self, run_id: str | None = None, service: str | None = None) -> list[Execution]:
        query = select(schema.executions).order_by(schema.executions.c.seq, schema.executions.c.id)
        if run_id is not None:
            query = query.where(schema.executions.c.run_id == run_id)
        if service is not None:
            query = query.where(schema.executions.c.service == service)
        with self.engine.connect() as connection:
            return [Execution(**{k: v for k, v in row._mapping.items() if k != "id"})
                    for row in connection.execute(query)]

    def start_attempt(self, key: str) -> int:
        with self.engine.begin() as connection:
            number = connection.execute(select(schema.executions.c.attempts).where(
                schema.executions.c.key == key)).scalar_one() + 1
            connection.execute(update(schema.executions).where(schema.executions.c.key == key)
                               .values(attempts=number))
            connection.execute(insert(schema.attempts).values(
                execution_key=key, number=number, started_at=clock.timestamp(), outcome="running", error=""))
        return number

    def finish_attempt(self, key: str, number: int, outcome: str, error: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.attempts).where(
                schema.attempts.c.execution_key == key, schema.attempts.c.number == number).values(
                finished_at=clock.timestamp(), outcome=outcome, error=self.redact(error)))

    def close_open_attempts(self, run_id: str, evidence: str) -> list[str]:
        """End every attempt of ``run_id`` still ``running`` (its process died) as ``interrupted``
        with ``evidence``; returns ``KEY#N`` for each one closed."""
        open_attempts = select(schema.attempts.c.execution_key, schema.attempts.c.number).join(
            schema.executions, schema.executions.c.key == schema.attempts.c.execution_key).where(
            schema.executions.c.run_id == run_id, schema.attempts.c.outcome == "running")
        with self.engine.begin() as connection:
            found = [(row.execution_key, row.number) for row in connection.execute(open_attempts)]
            for key, number in found:
                connection.execute(update(schema.attempts).where(
                    schema.attempts.c.execution_key == key, schema.attempts.c.number == number).values(
                    finished_at=clock.timestamp(), outcome="interrupted", error=self.redact(evidence)))
        return [f"{key}#{number}" for key, number in found]

    def attempt_outcomes(self, run_id: str) -> dict[str, list[str]]:
        """Execution key -> the outcome of each of its attempts, in order."""
        query = select(schema.attempts.c.execution_key, schema.attempts.c.outcome).join(
            schema.executions, schema.executions.c.key == schema.attempts.c.execution_key).where(
            schema.executions.c.run_id == run_id).order_by(schema.attempts.c.execution_key,
                                                           schema.attempts.c.number)
        outcomes: dict[str, list[str]] = {}
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                outcomes.setdefault(row.execution_key, []).append(row.outcome)
        return outcomes

    def attempts(self, key: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.attempts).where(
                schema.attempts.c.execution_key == key).order_by(schema.attempts.c.number))
            return [dict(row._mapping) for row in rows]

    # -- rollback points ----------------------------------------------------------------------

    def add_rollback_point(self, run_id: str, service: str, step: str, kind: str,
                           payload: dict[str, Any], point_of_no_return: bool) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(insert(schema.rollback_points).values(
                run_id=run_id, service=service, step=step,
                execution_key=execution_key(run_id, service, step), kind=kind,
                payload=json.dumps(self.redact.deep(payload), sort_keys=True),
                point_of_no_return=point_of_no_return, created_at=clock.timestamp()))
            return int(result.inserted_primary_key[0])

    def rollback_points(self, service: str | None = None, run_id: str | None = None,
                        include_restored: bool = False) -> list[RollbackPoint]:
        query = select(schema.rollback_points).order_by(schema.rollback_points.c.id)
        if service is not None:
            query = query.where(schema.rollback_points.c.service == service)
        if run_id is not None:
            query = query.where(schema.rollback_points.c.run_id == run_id)
        if not include_restored:
            query = query.where(schema.rollback_points.c.restored_at.is_(None))
        with self.engine.connect() as connection:
            return [RollbackPoint(**{**row._mapping, "payload": json.loads(row.payload)})
                    for row in connection.execute(query)]

    def has_rollback_point(self, key: str) -> bool:
        """Whether the execution ``key`` already has its (open) rollback point."""
        with self.engine.connect() as connection:
            return connection.execute(select(schema.rollback_points.c.id).where(
                schema.rollback_points.c.execution_key == key,
                schema.rollback_points.c.restored_at.is_(None)).limit(1)).first() is not None

    def mark_restored(self, point_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.rollback_points).where(
                schema.rollback_points.c.id == point_id).values(restored_at=clock.timestamp()))

    # -- leases -------------------------------------------------------------------------------

    def acquire_lock(self, name: str, owner: str, ttl_seconds: float) -> Lease:
        """Take the lease ``name``. A holder's lease is taken over once it expires, or at once when
        the holder is a process of this host that is no longer running; else LockHeld."""
        host, pid = liveness.this_host(), os.getpid()
        started = liveness.process_start(pid)
        for _ in range(3):
            now = time.time()
            token = uuid.uuid4().hex
            values = dict(name=name, owner=owner, host=host, pid=pid, token=token, acquired_at=now,
                          expires_at=now + ttl_seconds, pid_started=started)
            lease = Lease(name, owner, host, pid, token, now + ttl_seconds, pid_started=started)
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(schema.locks).values(**values))
                return lease
            except IntegrityError:
                pass
            with self.engine.begin() as connection:
                holder = connection.execute(select(schema.locks).where(schema.locks.c.name == name)).first()
                if holder is None:
                    continue  # released meanwhile: try to insert again
                why = self._takeover_reason(holder, now)
                if why is None:
                    raise LockHeld(f"{name} is held by {holder.owner} (host {holder.host}, pid "
                                   f"{holder.pid}) for another {holder.expires_at - now:.0f}s; it is "
                                   f"taken over once its lease expires or, on this host, its process ends")
                taken = connection.execute(update(schema.locks).where(
                    schema.locks.c.name == name, schema.locks.c.token == holder.token).values(**values))
                if taken.rowcount == 1:
                    return Lease(name, owner, host, pid, token, now + ttl_seconds,
                                 taken_over_from=f"{holder.owner} (pid {holder.pid}; {why})",
                                 pid_started=started)
        raise LockHeld(f"{name}: could not take the lease (contended)")

    @staticmethod
    def _takeover_reason(holder: Any, now: float) -> str | None:
        """Why the holder's lease may be taken over now, or None if it may not."""
        condition = _lease_condition(holder.host, holder.pid, holder.pid_started, holder.expires_at, now)
        reasons = {"expired": "its lease expired", "dead": "its process no longer runs on this host"}
        return reasons.get(condition)

    def lease_state(self, name: str) -> dict[str, Any] | None:
        """The lease's holder and whether it still holds: ``held``, ``expired``, or ``dead`` (a
        process of this host that no longer runs)."""
        holder = self.lock_holder(name)
        if holder is None:
            return None
        condition = _lease_condition(holder["host"], holder["pid"], holder.get("pid_started"),
                                     holder["expires_at"], time.time())
        return {**holder, "state": condition}

    def renew_lock(self, lease: Lease, ttl_seconds: float) -> bool:
        """Extend the lease; False if it was lost (expired and taken over by someone else)."""
        with self.engine.begin() as connection:
            result = connection.execute(update(schema.locks).where(
                schema.locks.c.name == lease.name, schema.locks.c.token == lease.token).values(
                expires_at=time.time() + ttl_seconds))
            return result.rowcount == 1

    def release_lock(self, lease: Lease) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(schema.locks).where(
                schema.locks.c.name == lease.name, schema.locks.c.token == lease.token))

    def lock_holder(self, name: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(schema.locks).where(schema.locks.c.name == name)).first()
        return dict(row._mapping) if row else None

    # -- events -------------------------------------------------------------------------------

    def log(self, run_id: str | None, kind: str, message: str) -> None:
        """Journal an event (redacted); it also goes to the ``logius_migrate.journal`` logger."""
        message = self.redact(message)
        with self.engine.begin() as connection:
            connection.execute(insert(schema.events).values(run_id=run_id, at=clock.timestamp(), kind=kind,
                                                            message=message))
        _LOG.info("%s %s: %s", run_id or "-", kind, message)

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        query = select(schema.events).order_by(schema.events.c.id)
        if run_id is not None:
            query = query.where(schema.events.c.run_id == run_id)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]

    # -- child processes ----------------------------------------------------------------------

    def add_process(self, run_id: str, pid: int, pid_started: float | None, tool: str, what: str,
                    pgid: int | None = None, token: str | None = None) -> int:
        """Record a child process (terraform, ansible-playbook) a run has started on this host,
        with its process group and the token in the environment of everything it starts."""
        with self.engine.begin() as connection:
            result = connection.execute(insert(schema.processes).values(
                run_id=run_id, host=liveness.this_host(), pid=pid, pid_started=pid_started, tool=tool,
                what=self.redact(what)[:300], created_at=time.time(), pgid=pgid, token=token))
            return int(result.inserted_primary_key[0])

    def remove_process(self, process_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(schema.processes).where(schema.processes.c.id == process_id))

    def processes(self, run_id: str) -> list[ChildProcess]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(schema.processes).where(
                schema.processes.c.run_id == run_id).order_by(schema.processes.c.id))
            return [ChildProcess(**{k: v for k, v in row._mapping.items() if k != "created_at"})
                    for row in rows]
