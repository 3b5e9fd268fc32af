"""Version 5: the process group and the environment token of every tool process a run started,
so a resume stops what is left of it (a playbook's workers) even when that process has ended.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("processes") as table:
        table.add_column(sa.Column("pgid", sa.Integer, nullable=True))
        table.add_column(sa.Column("token", sa.String(64), nullable=True))
    op.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
