"""The durable record: runs, step executions, attempts, rollback points, leases and events.

SQLite (WAL) by default, PostgreSQL given a URL; the same SQLAlchemy Core code runs on both. Every
transition is one transaction. Everything written passes through the redactor first, so a secret
handed to a step never reaches the database.

:class:`Journal` is the facade: each group of tables is read and written in its own module
(:mod:`~orchestrator.journal.runs`, :mod:`~orchestrator.journal.steps`, ``service_states``,
``rollback_points``, ``leases``, ``events``, ``processes``), which returns frozen dataclasses.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from orchestrator.journal import (
    events,
    leases,
    processes,
    rollback_points,
    runs,
    schema,
    service_states,
    steps,
)
from orchestrator.journal.events import Event
from orchestrator.journal.leases import Lease, LeaseHolder, LeaseState
from orchestrator.journal.opening import display_url, open_checked
from orchestrator.journal.processes import ChildProcess
from orchestrator.journal.redaction import REDACTED, Redactor
from orchestrator.journal.rollback_points import RollbackPoint
from orchestrator.journal.runs import Run, RunDetail
from orchestrator.journal.service_states import ServiceState
from orchestrator.journal.steps import Attempt, Execution, execution_key

__all__ = ["REDACTED", "Attempt", "ChildProcess", "Event", "Execution", "Journal", "Lease", "LeaseHolder",
           "LeaseState", "Redactor", "RollbackPoint", "Run", "RunDetail", "ServiceState", "default_owner",
           "execution_key"]


def default_owner() -> str:
    """The run owner when nobody said who: see :mod:`orchestrator.identity`."""
    from orchestrator.identity import owner

    return owner()


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
        return runs.create(self, run_id, wave, kind, owner, status)

    def run(self, run_id: str) -> Run | None:
        return runs.get(self, run_id)

    def runs(self, wave: int | None = None) -> list[Run]:
        return runs.every(self, wave)

    def set_run_status(self, run_id: str, status: str, detail: str | RunDetail = "") -> None:
        """Set the run's status and its detail (text, or a :class:`RunDetail` written as JSON)."""
        runs.set_status(self, run_id, status, detail)

    # -- step executions and attempts ---------------------------------------------------------

    def begin_step(self, run_id: str, service: str, step: str, seq: int,
                   service_state: str | None = None) -> Execution:
        """Mark the step ``running`` (creating it if new). A step already ``done`` is returned as
        it is and must not be applied again: the caller checks ``status``. ``service_state``, if
        given, becomes the service's state in the same transaction."""
        return steps.begin(self, run_id, service, step, seq, service_state)

    def finish_step(self, key: str, status: str, output: str = "", error: str = "",
                    service_state: str | None = None) -> None:
        """Record the step's outcome (done, failed, interrupted, rolled-back); ``service_state``,
        if given, becomes its service's state in the same transaction."""
        steps.finish(self, key, status, output, error, service_state)

    def execution(self, key: str) -> Execution | None:
        return steps.get(self, key)

    def executions(self, run_id: str | None = None, service: str | None = None) -> list[Execution]:
        return steps.every(self, run_id, service)

    def start_attempt(self, key: str) -> int:
        return steps.start_attempt(self, key)

    def finish_attempt(self, key: str, number: int, outcome: str, error: str = "") -> None:
        steps.finish_attempt(self, key, number, outcome, error)

    def close_open_attempts(self, run_id: str, evidence: str) -> list[str]:
        """End every attempt of ``run_id`` still ``running`` (its process died) as ``interrupted``
        with ``evidence``; returns ``KEY#N`` for each one closed."""
        return steps.close_open_attempts(self, run_id, evidence)

    def attempt_outcomes(self, run_id: str) -> dict[str, list[str]]:
        """Execution key -> the outcome of each of its attempts, in order."""
        return steps.attempt_outcomes(self, run_id)

    def attempts(self, key: str) -> list[Attempt]:
        return steps.attempts(self, key)

    # -- service states -----------------------------------------------------------------------

    def set_service_state(self, service: str, state: str, run_id: str | None) -> None:
        with self.engine.begin() as connection:
            service_states.write(connection, service, state, run_id)

    def service_state(self, service: str) -> ServiceState:
        """The service's state; a service the journal never saw is on ``legacy``."""
        return service_states.get(self, service)

    def service_states(self) -> dict[str, ServiceState]:
        return service_states.every(self)

    # -- rollback points ----------------------------------------------------------------------

    def add_rollback_point(self, run_id: str, service: str, step: str, kind: str,
                           payload: dict[str, Any], point_of_no_return: bool) -> int:
        return rollback_points.add(self, run_id, service, step, kind, payload, point_of_no_return)

    def rollback_points(self, service: str | None = None, run_id: str | None = None,
                        include_restored: bool = False) -> list[RollbackPoint]:
        return rollback_points.every(self, service, run_id, include_restored)

    def has_rollback_point(self, key: str) -> bool:
        """Whether the execution ``key`` already has its (open) rollback point."""
        return rollback_points.has_open(self, key)

    def mark_restored(self, point_id: int) -> None:
        rollback_points.mark_restored(self, point_id)

    # -- leases -------------------------------------------------------------------------------

    def acquire_lock(self, name: str, owner: str, ttl_seconds: float) -> Lease:
        """Take the lease ``name``. A holder's lease is taken over once it expires, or at once when
        the holder is a process of this host that is no longer running; else LockHeld."""
        return leases.acquire(self, name, owner, ttl_seconds)

    def lease_state(self, name: str) -> LeaseState | None:
        """The lease's holder and whether it still holds: ``held``, ``expired``, or ``dead`` (a
        process of this host that no longer runs)."""
        return leases.state(self, name)

    def renew_lock(self, lease: Lease, ttl_seconds: float) -> bool:
        """Extend the lease; False if it was lost (expired and taken over by someone else)."""
        return leases.renew(self, lease, ttl_seconds)

    def release_lock(self, lease: Lease) -> None:
        leases.release(self, lease)

    def lock_holder(self, name: str) -> LeaseHolder | None:
        return leases.holder(self, name)

    # -- events -------------------------------------------------------------------------------

    def log(self, run_id: str | None, kind: str, message: str) -> None:
        """Journal an event (redacted); it also goes to the ``logius_migrate.journal`` logger."""
        events.log(self, run_id, kind, message)

    def events(self, run_id: str | None = None) -> list[Event]:
        return events.every(self, run_id)

    # -- child processes ----------------------------------------------------------------------

    def add_process(self, run_id: str, pid: int, pid_started: float | None, tool: str, what: str,
                    pgid: int | None = None, token: str | None = None) -> int:
        """Record a child process (terraform, ansible-playbook) a run has started on this host,
        with its process group and the token in the environment of everything it starts."""
        return processes.add(self, run_id, pid, pid_started, tool, what, pgid, token)

    def remove_process(self, process_id: int) -> None:
        processes.remove(self, process_id)

    def processes(self, run_id: str) -> list[ChildProcess]:
        return processes.every(self, run_id)
