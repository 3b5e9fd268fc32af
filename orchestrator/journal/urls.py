"""Which journal a command means, and what a PostgreSQL journal URL says: the URL handling that
needs SQLAlchemy stays here, in `journal/`, so that the engine and the CLI never import it."""

from __future__ import annotations

import os
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.journal.opening import DB_ENV, resolve_url


def db_given(db: str | None) -> bool:
    """Whether ``--db`` or ``$LOGIUS_MIGRATE_DB`` names the journal (else the site does)."""
    return bool(db or os.environ.get(DB_ENV))


def journal_url(db: str | None, site_journal: str | None = None, site_path: Path | None = None) -> str:
    """``--db`` / ``$LOGIUS_MIGRATE_DB``, else the journal of the site at ``site_path``
    (``site_journal``: what its file names, None when it names none; no ``site_path``: no site)."""
    if db_given(db):
        return resolve_url(db, None)
    if site_path is None or not site_journal:
        where = f"{site_path} names no journal" if site_path is not None else "no site"
        raise InputError(f"{where}; pass --db (a PostgreSQL URL or a journal file)")
    return resolve_url(site_journal, None)


def pg_connection(url: str) -> tuple[str, str | None] | None:
    """For a PostgreSQL journal URL, the connection string Terraform's ``pg`` backend takes (no
    password in it; ``sslmode=disable`` unless the URL says otherwise) and the password apart (for
    PGPASSWORD: the URL's, else ``$PGPASSWORD``); None for any other journal."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy.engine import URL, make_url

    parsed = make_url(url)
    password = parsed.password or os.environ.get("PGPASSWORD")
    # URL.set(password=None) would keep the password: build the URL anew without one.
    conn = URL.create("postgres", username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query).render_as_string(hide_password=False)
    if "sslmode=" not in conn:
        conn += ("&" if "?" in conn else "?") + "sslmode=disable"
    return conn, str(password) if password else None
