"""Alembic revisions of the journal's schema (run by ``orchestrator.journal.upgrade``)."""
