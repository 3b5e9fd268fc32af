"""The Terraform backend a site asks for (``terraform.backend``), given the journal's URL: local
state, the journal's own PostgreSQL database, or any backend block."""

from __future__ import annotations

import os
from typing import Any

from orchestrator.errors import InputError
from orchestrator.sites import Site


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
