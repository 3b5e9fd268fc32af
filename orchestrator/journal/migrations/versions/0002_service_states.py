"""Version 2: each service's migration state across runs, the child processes a run started,
and the lease holder's process start time (to tell a dead local holder at once).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("locks") as batch:
        batch.add_column(sa.Column("pid_started", sa.Float, nullable=True))
    op.create_table(
        "service_states", sa.Column("service", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False), sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("updated_at", sa.Float, nullable=False))
    op.create_table(
        "processes", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False), sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False), sa.Column("pid_started", sa.Float, nullable=True),
        sa.Column("tool", sa.String(32), nullable=False), sa.Column("what", sa.String(300), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False))
    _derive_states()
    op.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")


def _derive_states() -> None:
    """A version-1 journal knew no states: derive them from the finished steps, so a service
    that was cut over before the upgrade is not migrated again after it."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT e.service, e.step, e.status, e.run_id, r.status FROM executions e "
        "JOIN runs r ON r.id = e.run_id WHERE e.service != '_wave' ORDER BY e.id")).fetchall()
    states: dict[str, tuple[str, str]] = {}
    for service, step, status, run_id, run_status in rows:
        if status == "done" and step == "decommission":
            states[service] = ("decommissioned", run_id)
        elif status == "done" and step == "cutover":
            states[service] = ("cut-over", run_id)
        elif service not in states and run_status != "rolled-back" and status != "rolled-back":
            states[service] = ("in-flight", run_id)
    for service, (state, run_id) in states.items():
        connection.execute(sa.text(
            "INSERT INTO service_states (service, state, run_id, updated_at) "
            "VALUES (:s, :st, :r, 0)"), {"s": service, "st": state, "r": run_id})
