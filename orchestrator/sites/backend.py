"""The Terraform backend a site asks for (``terraform.backend``), given the journal's URL: local
state, the journal's own PostgreSQL database, or any backend block."""

from __future__ import annotations

from typing import Any

from orchestrator.errors import InputError
from orchestrator.sites import Site


def pg_backend(url: str) -> Any:
    """Terraform's ``pg`` backend for a PostgreSQL journal URL (the password kept apart, for
    PGPASSWORD), else None (local state)."""
    from orchestrator.journal import urls

    connection = urls.pg_connection(url)
    if connection is None:
        return None
    from orchestrator.steps.terraform import PgBackend

    return PgBackend(*connection)


def terraform_backend(site: Site, url: str) -> Any:
    """The Terraform backend the site asks for, given the journal's URL."""
    from orchestrator.steps.terraform import GenericBackend

    if site.backend == "local":
        return None
    if site.backend in ("pg", "journal"):
        if url.startswith("postgresql"):
            return pg_backend(url)
        if site.backend == "pg":
            raise InputError(f"{site.path}: terraform.backend pg keeps state in the journal's PostgreSQL "
                             f"database, but the journal is {url}; give a PostgreSQL --db")
        return None
    return GenericBackend(site.backend.type, dict(site.backend.config))
