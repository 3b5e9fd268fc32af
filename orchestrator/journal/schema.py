"""The journal's tables, one schema for SQLite and PostgreSQL.

The tables here are the newest schema. Existing journals are brought up to it by the alembic
revisions in ``orchestrator/journal/migrations/versions/``; ``SCHEMA_VERSION`` is the number of the
newest revision, also kept in ``meta`` so a journal's version can be read without alembic.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: Bump together with a new alembic revision that brings the previous version up to it.
SCHEMA_VERSION = 2

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "runs", metadata,
    Column("id", String(64), primary_key=True),
    Column("wave", Integer, nullable=False),
    Column("kind", String(16), nullable=False),  # wave | rollback
    Column("status", String(24), nullable=False),
    Column("owner", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

executions = Table(
    "executions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),  # run/service/step: the idempotency key
    Column("run_id", String(64), ForeignKey("runs.id"), nullable=False),
    Column("service", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed | rolled-back
    Column("attempts", Integer, nullable=False, default=0),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("output", Text, nullable=False, default=""),
    Column("error", Text, nullable=False, default=""),
)

attempts = Table(
    "attempts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("execution_key", String(300), ForeignKey("executions.key"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    Column("outcome", String(16), nullable=False),  # running | ok | failed | transient
    Column("error", Text, nullable=False, default=""),
    UniqueConstraint("execution_key", "number"),
)

rollback_points = Table(
    "rollback_points", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), ForeignKey("runs.id"), nullable=False),
    Column("service", String(64), nullable=False),
    Column("step", String(64), nullable=False),
    Column("execution_key", String(300), nullable=False),
    Column("kind", String(16), nullable=False),  # terraform | files | gate
    Column("payload", Text, nullable=False),  # JSON: what undo needs
    Column("point_of_no_return", Boolean, nullable=False, default=False),
    Column("created_at", Float, nullable=False),
    Column("restored_at", Float),
)

locks = Table(
    "locks", metadata,
    Column("name", String(200), primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("token", String(64), nullable=False),
    Column("acquired_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    # The holder's process start time (clock ticks since boot): with host and pid, it tells a
    # dead local holder from a live one whose pid was reused. Null when it could not be read.
    Column("pid_started", Float, nullable=True),
)

service_states = Table(
    "service_states", metadata,
    Column("service", String(200), primary_key=True),
    # legacy | in-flight | cut-over | decommissioned | rolled-back
    Column("state", String(24), nullable=False),
    Column("run_id", String(64), nullable=True),
    Column("updated_at", Float, nullable=False),
)

processes = Table(
    "processes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=False),
    Column("host", String(200), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("pid_started", Float, nullable=True),
    Column("tool", String(32), nullable=False),  # terraform | ansible-playbook
    Column("what", String(300), nullable=False),
    Column("created_at", Float, nullable=False),
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
)
