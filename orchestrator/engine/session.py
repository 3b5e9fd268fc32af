"""Opening everything a wave command needs, from the command line's few paths and URLs."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from orchestrator.catalog import load_catalog
from orchestrator.engine.context import EngineContext, Progress
from orchestrator.engine.stopping import StopRequest
from orchestrator.errors import InputError
from orchestrator.journal import DB_ENV, Journal, Redactor, default_owner, resolve_url
from orchestrator.sites import Site, default_site_path, load_site
from orchestrator.sites.backend import pg_backend as pg_backend  # the site's, named here as before
from orchestrator.sites.backend import terraform_backend


def _db_given(db: str | None) -> bool:
    return bool(db or os.environ.get(DB_ENV))


def journal_url(site: Site | None, db: str | None) -> str:
    """``--db`` / ``$LOGIUS_MIGRATE_DB``, else the site's journal."""
    if _db_given(db):
        return resolve_url(db, None)
    if site is None or not site.journal:
        where = f"{site.path} names no journal" if site else "no site"
        raise InputError(f"{where}; pass --db (a PostgreSQL URL or a journal file)")
    return resolve_url(site.journal, None)


@contextlib.contextmanager
def open_session(catalog_path: Path | None, site_path: Path | None, db: str | None,
                 progress: Progress | None = None, owner: str | None = None,
                 keep_runner_dirs: Path | None = None, stop: StopRequest | None = None,
                 verbosity: int = 0) -> Iterator[EngineContext]:
    """The catalog, the site (default: the lab's), the journal (which must exist: the site's unless
    ``db``), the site's secrets (registered with the journal's redactor), and Terraform's backend
    (whose binary must be a supported version)."""
    from orchestrator.steps.terraform import check_version

    catalog = load_catalog(catalog_path)
    check_version()
    site = load_site(site_path or default_site_path())
    secrets = site.secrets()
    redactor = Redactor(v for values in secrets.values() for v in values.values())
    url = journal_url(site, db)
    backend = terraform_backend(site, url)
    journal = Journal(url, redactor)
    try:
        yield EngineContext(catalog=catalog, site=site, journal=journal, redactor=redactor,
                            secrets=secrets, owner=owner or default_owner(), backend=backend,
                            progress=progress or Progress(), keep_runner_dirs=keep_runner_dirs,
                            stop=stop or StopRequest(), verbosity=verbosity)
    finally:
        journal.close()


def open_journal_only(site_path: Path | None, db: str | None) -> Journal:
    """The journal named by ``db``, else the site's; it must exist."""
    return Journal(journal_url(_site_unless_db(site_path, db), db))


def _site_unless_db(site_path: Path | None, db: str | None) -> Site | None:
    """The site, when the journal has to come from it (no ``--db``)."""
    return None if _db_given(db) else load_site(site_path or default_site_path())


def init_journal(site_path: Path | None, db: str | None) -> tuple[Journal, bool]:
    """Create the journal named by ``db`` (else the site's); (journal, whether it was new: the
    journal itself tells, for a PostgreSQL database as for a SQLite file)."""
    journal = Journal(journal_url(_site_unless_db(site_path, db), db), create=True)
    return journal, journal.created
