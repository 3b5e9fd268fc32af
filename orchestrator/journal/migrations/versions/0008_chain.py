"""Version 8: signed decisions, the tamper-evident chain and its checkpoints.

``decisions`` holds each decision's canonical statement and its SSH signature; ``chain`` is a hash
chain over every record that matters; ``checkpoints`` are signed (size, root) notes of it.

A journal upgraded to this version has its history chained from the upgrade on: every row it
already holds gets one ``baseline`` record, so a later change to it is detected, but what was
changed before the upgrade cannot be, and ``journal verify`` says so (``meta.chain_since``).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "decisions", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("statement", sa.Text, nullable=False), sa.Column("signature", sa.Text, nullable=True),
        sa.Column("principal", sa.String(200), nullable=True),
        sa.Column("by", sa.String(200), nullable=False),
        sa.Column("at", sa.Float, nullable=False))
    op.create_index("ix_decisions_subject", "decisions", ["kind", "subject"])
    op.create_table(
        "chain", sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Float, nullable=False), sa.Column("tbl", sa.String(64), nullable=False),
        sa.Column("row_key", sa.String(300), nullable=False), sa.Column("op", sa.String(8), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False), sa.Column("prev", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False))
    op.create_index("ix_chain_row", "chain", ["tbl", "row_key"])
    op.create_table(
        "checkpoints", sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("size", sa.Integer, nullable=False), sa.Column("root", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False), sa.Column("signature", sa.Text, nullable=True),
        sa.Column("principal", sa.String(200), nullable=True), sa.Column("wave", sa.Integer, nullable=True),
        sa.Column("at", sa.Float, nullable=False))
    from orchestrator.journal.chain import baseline

    baseline(op.get_bind())
    op.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
