"""Version 7: when each run started and finished, for the programme dashboard's timeline.

``runs.started_at`` is set when the run is created, ``runs.finished_at`` when its status becomes
final (done, rolled-back: a run no one can resume). Older runs are filled from what the journal
already holds: the start from ``created_at``, the end from ``updated_at`` for a run in a final
status (its last change was the one that ended it).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("started_at", sa.Float, nullable=True))
        batch.add_column(sa.Column("finished_at", sa.Float, nullable=True))
    op.execute("UPDATE runs SET started_at = created_at")
    op.execute("UPDATE runs SET finished_at = updated_at WHERE status IN ('done', 'rolled-back')")
    op.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
