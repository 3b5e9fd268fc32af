"""Alembic's environment for the journal: always run on the connection the journal hands over
(``config.attributes["connection"]``), inside the journal's own transaction."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
