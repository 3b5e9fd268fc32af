"""Version 6: the dry-run records: what a rehearsal of a wave predicted (its document), the
digests of the catalog, site and inventory it rehearsed, and who approved it, and why.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "dry_runs", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("wave", sa.Integer, nullable=False), sa.Column("plan_id", sa.Integer, nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("catalog_digest", sa.String(64), nullable=False),
        sa.Column("site_digest", sa.String(64), nullable=False),
        sa.Column("inventory_digest", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False), sa.Column("document", sa.Text, nullable=False),
        sa.Column("approved_by", sa.String(200), nullable=True),
        sa.Column("approved_at", sa.Float, nullable=True),
        sa.Column("approval_reason", sa.Text, nullable=True))
    op.create_index("ix_dry_runs_wave", "dry_runs", ["wave"])
    op.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
