"""The durable record: runs, step executions, attempts, rollback points, leases and events.

SQLite (WAL) by default, PostgreSQL given a URL; the same SQLAlchemy Core code runs on both. Every
transition is one transaction. Everything written passes through the redactor first, so a secret
handed to a step never reaches the database.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, event, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from orchestrator.errors import InputError, LockHeld, LogiusMigrateError
from orchestrator.journal import schema
from orchestrator.journal.schema import SCHEMA_VERSION

DB_ENV = "LOGIUS_MIGRATE_DB"
REDACTED = "***"


class Redactor:
    """Replaces every known secret value in a text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, REDACTED)
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
    user = os.environ.get("USER") or os.environ.get("LOGNAME") or "unknown"
    return f"{user}@{socket.gethostname()}:{os.getpid()}"


def resolve_url(db: str | Path | None, default_path: Path) -> str:
    """A SQLAlchemy URL from ``--db`` / ``$LOGIUS_MIGRATE_DB`` (a URL or a file path), else SQLite."""
    value = str(db) if db else os.environ.get(DB_ENV) or str(default_path)
    if value.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + value.split("://", 1)[1]
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).resolve()}"


class Journal:
    """Open (creating or upgrading as needed) the journal at ``url``."""

    def __init__(self, url: str, redactor: Redactor | None = None) -> None:
        self.url = url
        self.redact = redactor or Redactor()
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self._create_sqlite_atomically(Path(url.removeprefix("sqlite:///")))
        self.engine = self._engine(url)
        if not self.is_sqlite:
            self._prepare_postgres()
        self._check_version()

    # -- opening -----------------------------------------------------------------------------

    def _engine(self, url: str) -> Engine:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})

            @event.listens_for(engine, "connect")
            def _pragmas(dbapi_connection: Any, _record: Any) -> None:
                cursor = dbapi_connection.cursor()
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.close()

            return engine
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as exc:  # pragma: no cover - dependency missing
            raise InputError(f"--db {url.split('@')[-1]}: driver missing ({exc.name})") from None

    def _create_sqlite_atomically(self, path: Path) -> None:
        """Create the file in a temporary place and rename it in, under a file lock, checking
        again once the lock is held: another process may have created it meanwhile."""
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            if path.exists():
                return
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            try:
                engine = self._engine(f"sqlite:///{temporary}")
                with engine.begin() as connection:
                    schema.metadata.create_all(connection)
                    connection.execute(insert(schema.meta).values(key="schema_version",
                                                                  value=str(SCHEMA_VERSION)))
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
                engine.dispose()
                os.replace(temporary, path)
            finally:
                for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
                    leftover.unlink(missing_ok=True)

    def _prepare_postgres(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(4242001)"))
            fresh = not self.engine.dialect.has_table(connection, "meta")
            schema.metadata.create_all(connection, checkfirst=True)
            if fresh:
                connection.execute(insert(schema.meta).values(key="schema_version",
                                                              value=str(SCHEMA_VERSION)))

    def _check_version(self) -> None:
        with self.engine.begin() as connection:
            row = connection.execute(select(schema.meta.c.value).where(
                schema.meta.c.key == "schema_version")).first()
            version = int(row[0]) if row else 0
            if version > SCHEMA_VERSION:
                raise LogiusMigrateError(f"journal {self.display_url}: schema version {version} is "
                                         f"newer than this tool understands ({SCHEMA_VERSION})")
            while version < SCHEMA_VERSION:
                version += 1
                schema.MIGRATIONS[version](connection)  # type: ignore[operator]
                connection.execute(update(schema.meta).where(schema.meta.c.key == "schema_version")
                                   .values(value=str(version)))

    @property
    def display_url(self) -> str:
        """The URL without any password, for messages."""
        if "@" in self.url:
            scheme, rest = self.url.split("://", 1)
            return f"{scheme}://***@{rest.split('@', 1)[1]}"
        return self.url

    def schema_version(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(schema.meta.c.value).where(
                schema.meta.c.key == "schema_version")).scalar_one())

    def close(self) -> None:
        self.engine.dispose()

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
                status=status, detail=self.redact(detail), updated_at=time.time()))

    # -- step executions ----------------------------------------------------------------------

    def begin_step(self, run_id: str, service: str, step: str, seq: int) -> Execution:
        """Mark the step ``running`` (creating it if new). A step already ``done`` is returned as
        it is and must not be applied again: the caller checks ``status``."""
        key = execution_key(run_id, service, step)
        now = time.time()
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
        return self.execution(key)  # type: ignore[return-value]

    def finish_step(self, key: str, status: str, output: str = "", error: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.executions).where(schema.executions.c.key == key).values(
                status=status, finished_at=time.time(), output=self.redact(output),
                error=self.redact(error)))

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
                execution_key=key, number=number, started_at=time.time(), outcome="running", error=""))
        return number

    def finish_attempt(self, key: str, number: int, outcome: str, error: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.attempts).where(
                schema.attempts.c.execution_key == key, schema.attempts.c.number == number).values(
                finished_at=time.time(), outcome=outcome, error=self.redact(error)))

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
                payload=self.redact(json.dumps(payload, sort_keys=True)),
                point_of_no_return=point_of_no_return, created_at=time.time()))
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

    def mark_restored(self, point_id: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(schema.rollback_points).where(
                schema.rollback_points.c.id == point_id).values(restored_at=time.time()))

    # -- leases -------------------------------------------------------------------------------

    def acquire_lock(self, name: str, owner: str, ttl_seconds: float) -> Lease:
        """Take the lease ``name``, or take it over if its holder let it expire; else LockHeld."""
        host, pid = socket.gethostname(), os.getpid()
        for _ in range(3):
            now = time.time()
            token = uuid.uuid4().hex
            values = dict(name=name, owner=owner, host=host, pid=pid, token=token, acquired_at=now,
                          expires_at=now + ttl_seconds)
            try:
                with self.engine.begin() as connection:
                    connection.execute(insert(schema.locks).values(**values))
                return Lease(name, owner, host, pid, token, now + ttl_seconds)
            except IntegrityError:
                pass
            with self.engine.begin() as connection:
                holder = connection.execute(select(schema.locks).where(schema.locks.c.name == name)).first()
                if holder is None:
                    continue  # released meanwhile: try to insert again
                if holder.expires_at > now:
                    left = holder.expires_at - now
                    raise LockHeld(f"{name} is held by {holder.owner} (host {holder.host}, pid "
                                   f"{holder.pid}) for another {left:.0f}s; it is taken over only "
                                   f"after its lease expires")
                taken = connection.execute(update(schema.locks).where(
                    schema.locks.c.name == name, schema.locks.c.token == holder.token).values(**values))
                if taken.rowcount == 1:
                    return Lease(name, owner, host, pid, token, now + ttl_seconds,
                                 taken_over_from=f"{holder.owner} (pid {holder.pid})")
        raise LockHeld(f"{name}: could not take the lease (contended)")

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
        with self.engine.begin() as connection:
            connection.execute(insert(schema.events).values(
                run_id=run_id, at=time.time(), kind=kind, message=self.redact(message)))

    def events(self, run_id: str | None = None) -> list[dict[str, Any]]:
        query = select(schema.events).order_by(schema.events.c.id)
        if run_id is not None:
            query = query.where(schema.events.c.run_id == run_id)
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]
