"""Version 3: saved and approved plans, the blocking-issue register with its history, and the
evidence of every precondition check.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def _text(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Text, nullable=nullable)


def _string(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "plans", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _string("saved_by", 200), sa.Column("saved_at", sa.Float, nullable=False), _text("options"),
        _string("catalog_hash", 64), _text("catalog_files"), _string("site_name", 200),
        _string("site_hash", 64), _text("waves"), _string("approved_by", 200, nullable=True),
        sa.Column("approved_at", sa.Float, nullable=True), _text("approval_reason", nullable=True))
    op.create_table(
        "blockers", sa.Column("id", sa.String(16), primary_key=True), _string("scope", 300),
        _string("severity", 16), _text("title"), _string("owner", 200),
        _string("due", 10, nullable=True), _string("status", 16),
        _string("waiver_owner", 200, nullable=True), _text("waiver_reason", nullable=True),
        _string("waiver_expires", 10, nullable=True), _text("evidence"),
        sa.Column("created_at", sa.Float, nullable=False), sa.Column("updated_at", sa.Float, nullable=False))
    op.create_table(
        "blocker_history", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("blocker_id", sa.String(16), sa.ForeignKey("blockers.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False), _string("action", 16), _string("by", 200),
        _text("detail"))
    op.create_table(
        "check_results", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _string("run_id", 64, nullable=True), _string("service", 200), _string("check_id", 32),
        _string("outcome", 16), _text("summary"), _text("evidence"),
        _string("overridden_by", 200, nullable=True), _text("override_reason", nullable=True),
        sa.Column("at", sa.Float, nullable=False))
    op.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
