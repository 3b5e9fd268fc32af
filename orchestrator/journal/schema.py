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
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: Bump together with a new alembic revision that brings the previous version up to it.
SCHEMA_VERSION = 8

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
    Column("started_at", Float, nullable=True),  # set on create
    Column("finished_at", Float, nullable=True),  # set when the status becomes final (FINAL)
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
    Column("pgid", Integer, nullable=True),  # its process group
    Column("token", String(64), nullable=True),  # in the environment of all it starts (guard.py)
)

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=True),
    Column("at", Float, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("message", Text, nullable=False),
)

plans = Table(
    "plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("saved_by", String(200), nullable=False),
    Column("saved_at", Float, nullable=False),
    Column("options", Text, nullable=False),  # JSON: start, wave length, capacity, pilots, deadline
    Column("catalog_hash", String(64), nullable=False),
    Column("catalog_files", Text, nullable=False),  # JSON: {file: sha256}, to name what changed
    Column("site_name", String(200), nullable=False),
    Column("site_hash", String(64), nullable=False),
    Column("waves", Text, nullable=False),  # JSON: [{number, start, end, services: [id]}]
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", Float, nullable=True),
    Column("approval_reason", Text, nullable=True),
)

blockers = Table(
    "blockers", metadata,
    Column("id", String(16), primary_key=True),  # BLK-0001
    Column("scope", String(300), nullable=False),  # platform | release:ID | wave:N | service:ID
    Column("severity", String(16), nullable=False),  # blocking | major | minor
    Column("title", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("due", String(10), nullable=True),  # YYYY-MM-DD
    Column("status", String(16), nullable=False),  # open | mitigated | waived | resolved
    Column("waiver_owner", String(200), nullable=True),
    Column("waiver_reason", Text, nullable=True),
    Column("waiver_expires", String(10), nullable=True),
    Column("evidence", Text, nullable=False, default=""),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)

blocker_history = Table(
    "blocker_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("blocker_id", String(16), ForeignKey("blockers.id"), nullable=False),
    Column("at", Float, nullable=False),
    Column("action", String(16), nullable=False),  # opened | mitigated | waived | resolved | reopened
    Column("by", String(200), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)

check_results = Table(
    "check_results", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(64), nullable=True),
    Column("service", String(200), nullable=False),
    Column("check_id", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),  # PASS | WARN | FAIL | INCONCLUSIVE
    Column("summary", Text, nullable=False),
    Column("evidence", Text, nullable=False),  # JSON: what was asked, what came back, remedy
    Column("overridden_by", String(200), nullable=True),
    Column("override_reason", Text, nullable=True),
    Column("at", Float, nullable=False),
)

release_validations = Table(
    "release_validations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", String(128), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),  # PASS | FAIL | INCONCLUSIVE
    Column("results", Text, nullable=False),  # JSON: the results document
    Column("reports", Text, nullable=False),  # JSON: {file name: sha256}
    Column("site", String(200), nullable=True),
    Column("by", String(200), nullable=False),
    Column("at", Float, nullable=False),
)

release_decisions = Table(
    "release_decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("release_id", String(128), nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("decision", String(16), nullable=False),  # accepted | rejected
    Column("validation_id", Integer, nullable=True),
    Column("by", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", Float, nullable=False),
)

dry_runs = Table(
    "dry_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("wave", Integer, nullable=False),
    Column("plan_id", Integer, nullable=True),  # the saved plan the wave was taken from
    Column("created_by", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("catalog_digest", String(64), nullable=False),  # sha256 of what was rehearsed
    Column("site_digest", String(64), nullable=False),
    Column("inventory_digest", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # complete | partial | failed
    Column("document", Text, nullable=False),  # JSON: the dry-run document (redacted), its id in it
    Column("approved_by", String(200), nullable=True),
    Column("approved_at", Float, nullable=True),
    Column("approval_reason", Text, nullable=True),
    Index("ix_dry_runs_wave", "wave"),
)

# -- version 8: signed decisions and the tamper-evident chain ------------------------------------

decisions = Table(
    "decisions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # plan-approval | dry-run-approval | release-accepted | release-rejected | blocker-waived |
    # blocker-resolved | check-override | guardrail-override | forced-rollback
    Column("kind", String(32), nullable=False),
    Column("subject", String(300), nullable=False),  # "plan 3", "release R", "BLK-0001", ...
    Column("statement", Text, nullable=False),  # the canonical text signed (signing/statements.py)
    Column("signature", Text, nullable=True),  # armored SSHSIG; null when unsigned
    Column("principal", String(200), nullable=True),  # the verified signer; null when unsigned
    Column("by", String(200), nullable=False),  # the principal, or the typed name when unsigned
    Column("at", Float, nullable=False),
    Index("ix_decisions_subject", "kind", "subject"),
)

chain = Table(
    "chain", metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),  # 1, 2, ...: head + 1 under a lock
    Column("at", Float, nullable=False),
    Column("tbl", String(64), nullable=False),
    Column("row_key", String(300), nullable=False),
    Column("op", String(8), nullable=False),  # insert | update | delete | baseline
    Column("digest", String(64), nullable=False),  # sha256 of the row's canonical JSON
    Column("prev", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_chain_row", "tbl", "row_key"),
)

checkpoints = Table(
    "checkpoints", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("size", Integer, nullable=False),  # chain records covered
    Column("root", String(64), nullable=False),  # the hash of record ``size``
    Column("note", Text, nullable=False),  # the C2SP-shaped checkpoint text, signature lines included
    Column("signature", Text, nullable=True),
    Column("principal", String(200), nullable=True),
    Column("wave", Integer, nullable=True),
    Column("at", Float, nullable=False),
)
