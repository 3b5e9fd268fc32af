"""Opening everything a wave command needs, from the command line's few paths and URLs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from orchestrator.catalog import load_catalog
from orchestrator.engine.context import EngineContext, Progress
from orchestrator.errors import InputError
from orchestrator.journal import Journal, Redactor, default_owner, resolve_url
from orchestrator.lab import LabLayout, default_lab_dir, load_secrets


def terraform_conn_str(url: str) -> str | None:
    """The ``pg`` backend's conn_str for a PostgreSQL journal URL, else None (local state)."""
    if not url.startswith("postgresql"):
        return None
    conn = "postgres://" + url.split("://", 1)[1]
    return conn if "sslmode=" in conn else conn + ("&" if "?" in conn else "?") + "sslmode=disable"


@contextlib.contextmanager
def open_session(catalog_path: Path | None, lab_dir: Path | None, db: str | None,
                 progress: Progress | None = None, owner: str | None = None,
                 keep_runner_dirs: Path | None = None) -> Iterator[EngineContext]:
    """The catalog, the lab (which must be up), the journal (SQLite in the lab unless ``db``), the
    lab's secrets (registered with the journal's redactor), and the Terraform environment."""
    from orchestrator.steps import terraform

    catalog = load_catalog(catalog_path)
    layout = LabLayout(Path(lab_dir) if lab_dir else default_lab_dir())
    if not layout.exists():
        raise InputError(f"{layout.root}: no lab here; run `logius-migrate lab up` first (or pass --lab)")
    secrets = load_secrets(layout)
    redactor = Redactor(v for values in secrets.values() for v in values.values())
    url = resolve_url(db, layout.journal)
    terraform.configure_environment(layout.terraform / "terraformrc", layout.terraform / "home")
    journal = Journal(url, redactor)
    try:
        yield EngineContext(catalog=catalog, layout=layout, journal=journal, redactor=redactor,
                            secrets=secrets, owner=owner or default_owner(),
                            pg_conn_str=terraform_conn_str(url), progress=progress or Progress(),
                            keep_runner_dirs=keep_runner_dirs)
    finally:
        journal.close()


def open_journal_only(lab_dir: Path | None, db: str | None) -> Journal:
    layout = LabLayout(Path(lab_dir) if lab_dir else default_lab_dir())
    url = resolve_url(db, layout.journal)
    if url.startswith("sqlite") and not layout.journal.exists():
        raise InputError(f"{layout.journal}: no journal here (run `logius-migrate lab up`, or pass --db)")
    return Journal(url)
