"""Opening everything a wave command needs, from the command line's few paths and URLs."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from orchestrator.catalog import load_catalog
from orchestrator.engine.context import EngineContext, Progress
from orchestrator.engine.stopping import StopRequest
from orchestrator.errors import InputError
from orchestrator.journal import Journal, Redactor, default_owner, resolve_url
from orchestrator.lab import LabLayout, default_lab_dir, load_secrets


def pg_backend(url: str) -> Any:
    """Terraform's ``pg`` backend for a PostgreSQL journal URL (the password kept apart, for
    PGPASSWORD), else None (local state)."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy.engine import URL, make_url

    from orchestrator.steps.terraform import PgBackend

    parsed = make_url(url)
    password = parsed.password or os.environ.get("PGPASSWORD")
    # URL.set(password=None) would keep the password: build the URL anew without one.
    conn = URL.create("postgres", username=parsed.username, host=parsed.host, port=parsed.port,
                      database=parsed.database, query=parsed.query).render_as_string(hide_password=False)
    if "sslmode=" not in conn:
        conn += ("&" if "?" in conn else "?") + "sslmode=disable"
    return PgBackend(conn, str(password) if password else None)


def _lab(lab_dir: Path | None) -> LabLayout:
    layout = LabLayout(Path(lab_dir) if lab_dir else default_lab_dir())
    if not layout.exists():
        raise InputError(f"{layout.root}: no lab here; run `logius-migrate lab up` first (or pass --lab)")
    return layout


@contextlib.contextmanager
def open_session(catalog_path: Path | None, lab_dir: Path | None, db: str | None,
                 progress: Progress | None = None, owner: str | None = None,
                 keep_runner_dirs: Path | None = None,
                 stop: StopRequest | None = None) -> Iterator[EngineContext]:
    """The catalog, the lab (which must be up), the journal (which must exist: SQLite in the lab
    unless ``db``), the lab's secrets (registered with the journal's redactor), and Terraform's
    per-call environment."""
    catalog = load_catalog(catalog_path)
    layout = _lab(lab_dir)
    secrets = load_secrets(layout)
    redactor = Redactor(v for values in secrets.values() for v in values.values())
    url = resolve_url(db, layout.journal)
    journal = Journal(url, redactor)
    try:
        yield EngineContext(catalog=catalog, layout=layout, journal=journal, redactor=redactor,
                            secrets=secrets, owner=owner or default_owner(),
                            terraform_env=layout.terraform_env(), pg_backend=pg_backend(url),
                            progress=progress or Progress(), keep_runner_dirs=keep_runner_dirs,
                            stop=stop or StopRequest())
    finally:
        journal.close()


def open_journal_only(lab_dir: Path | None, db: str | None) -> Journal:
    """The journal named by ``db``, else the lab's; it must exist."""
    if db or os.environ.get("LOGIUS_MIGRATE_DB"):
        return Journal(resolve_url(db, None))
    return Journal(resolve_url(None, _lab(lab_dir).journal))


def init_journal(lab_dir: Path | None, db: str | None) -> tuple[Journal, bool]:
    """Create the journal named by ``db`` (else the lab's); (journal, whether it was new)."""
    url = resolve_url(db, None if db or os.environ.get("LOGIUS_MIGRATE_DB") else _lab(lab_dir).journal)
    existed = (Path(url.removeprefix("sqlite:///")).exists() if url.startswith("sqlite") else None)
    journal = Journal(url, create=True)
    return journal, existed is False
