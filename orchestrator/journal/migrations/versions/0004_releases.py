"""Version 4: validations of supplier releases (results and report hashes) and the decisions to
accept or reject them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "release_validations", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("release_id", sa.String(128), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False), sa.Column("results", sa.Text, nullable=False),
        sa.Column("reports", sa.Text, nullable=False), sa.Column("site", sa.String(200), nullable=True),
        sa.Column("by", sa.String(200), nullable=False), sa.Column("at", sa.Float, nullable=False))
    op.create_table(
        "release_decisions", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("release_id", sa.String(128), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("validation_id", sa.Integer, nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False), sa.Column("at", sa.Float, nullable=False))
    op.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
