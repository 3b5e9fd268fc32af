"""The locks table: leases on a wave, taken over once they expire or their local holder has died."""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from orchestrator import liveness
from orchestrator.errors import LockHeld
from orchestrator.journal import schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal


@dataclass(frozen=True)
class Lease:
    """A lease this process took."""

    name: str
    owner: str
    host: str
    pid: int
    token: str
    expires_at: float
    taken_over_from: str | None = None
    pid_started: float | None = None


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a lease, as the journal has it."""

    name: str
    owner: str
    host: str
    pid: int
    token: str
    acquired_at: float
    expires_at: float
    pid_started: float | None


@dataclass(frozen=True)
class LeaseState(LeaseHolder):
    """The holder and whether it still holds: ``held``, ``expired``, or ``dead`` (a process of this
    host that no longer runs)."""

    state: str


def condition(host: str, pid: int, pid_started: float | None, expires_at: float, now: float) -> str:
    """``expired``, ``dead`` (its holder was a process of this host that no longer runs) or ``held``."""
    if expires_at <= now:
        return "expired"
    if host == liveness.this_host() and liveness.is_alive(pid, pid_started) is False:
        return "dead"
    return "held"


def _takeover_reason(holder: Any, now: float) -> str | None:
    """Why the holder's lease may be taken over now, or None if it may not."""
    reasons = {"expired": "its lease expired", "dead": "its process no longer runs on this host"}
    return reasons.get(condition(holder.host, holder.pid, holder.pid_started, holder.expires_at, now))


def acquire(journal: Journal, name: str, owner: str, ttl_seconds: float) -> Lease:
    host, pid = liveness.this_host(), os.getpid()
    started = liveness.process_start(pid)
    for _ in range(3):
        now = time.time()
        token = uuid.uuid4().hex
        values = dict(name=name, owner=owner, host=host, pid=pid, token=token, acquired_at=now,
                      expires_at=now + ttl_seconds, pid_started=started)
        lease = Lease(name, owner, host, pid, token, now + ttl_seconds, pid_started=started)
        try:
            with journal.engine.begin() as connection:
                connection.execute(insert(schema.locks).values(**values))
            return lease
        except IntegrityError:
            pass
        taken = _take_over(journal, lease, values, now)
        if taken is not None:
            return taken
    raise LockHeld(f"{name}: could not take the lease (contended)")


def _take_over(journal: Journal, lease: Lease, values: dict[str, Any], now: float) -> Lease | None:
    """Take the lease from a holder that may lose it; None if it was released or taken meanwhile,
    LockHeld if its holder still holds it."""
    name = lease.name
    with journal.engine.begin() as connection:
        holder = connection.execute(select(schema.locks).where(schema.locks.c.name == name)).first()
        if holder is None:
            return None  # released meanwhile: try to insert again
        why = _takeover_reason(holder, now)
        if why is None:
            raise LockHeld(f"{name} is held by {holder.owner} (host {holder.host}, pid "
                           f"{holder.pid}) for another {holder.expires_at - now:.0f}s; it is "
                           f"taken over once its lease expires or, on this host, its process ends")
        taken = connection.execute(update(schema.locks).where(
            schema.locks.c.name == name, schema.locks.c.token == holder.token).values(**values))
        if taken.rowcount == 1:
            return Lease(name, lease.owner, lease.host, lease.pid, lease.token, lease.expires_at,
                         taken_over_from=f"{holder.owner} (pid {holder.pid}; {why})",
                         pid_started=lease.pid_started)
    return None


def holder(journal: Journal, name: str) -> LeaseHolder | None:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.locks).where(schema.locks.c.name == name)).first()
    return LeaseHolder(**row._mapping) if row else None


def state(journal: Journal, name: str) -> LeaseState | None:
    found = holder(journal, name)
    if found is None:
        return None
    now = time.time()
    return LeaseState(**vars(found), state=condition(found.host, found.pid, found.pid_started,
                                                     found.expires_at, now))


def renew(journal: Journal, lease: Lease, ttl_seconds: float) -> bool:
    with journal.engine.begin() as connection:
        result = connection.execute(update(schema.locks).where(
            schema.locks.c.name == lease.name, schema.locks.c.token == lease.token).values(
            expires_at=time.time() + ttl_seconds))
        return result.rowcount == 1


def release(journal: Journal, lease: Lease) -> None:
    with journal.engine.begin() as connection:
        connection.execute(delete(schema.locks).where(
            schema.locks.c.name == lease.name, schema.locks.c.token == lease.token))

