"""Version 1: runs, step executions, attempts, rollback points, leases, events.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table("meta", sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table(
        "runs", sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("wave", sa.Integer, nullable=False), sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("owner", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False), sa.Column("updated_at", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False))
    op.create_table(
        "executions", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("service", sa.String(64), nullable=False), sa.Column("step", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False), sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False), sa.Column("started_at", sa.Float),
        sa.Column("finished_at", sa.Float), sa.Column("output", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False))
    op.create_table(
        "attempts", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("execution_key", sa.String(300), sa.ForeignKey("executions.key"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False), sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("finished_at", sa.Float), sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("error", sa.Text, nullable=False), sa.UniqueConstraint("execution_key", "number"))
    op.create_table(
        "rollback_points", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("service", sa.String(64), nullable=False), sa.Column("step", sa.String(64), nullable=False),
        sa.Column("execution_key", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("payload", sa.Text, nullable=False),
        sa.Column("point_of_no_return", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False), sa.Column("restored_at", sa.Float))
    op.create_table(
        "locks", sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), nullable=False), sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False), sa.Column("token", sa.String(64), nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False), sa.Column("expires_at", sa.Float, nullable=False))
    op.create_table(
        "events", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=True), sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False), sa.Column("message", sa.Text, nullable=False))
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
