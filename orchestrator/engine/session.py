"""Opening everything a wave command needs: the catalog, the site, the journal, the secrets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from orchestrator.catalog import Catalog, load_catalog
from orchestrator.engine.context import EngineContext, Progress
from orchestrator.engine.stopping import StopRequest
from orchestrator.journal import Journal, Redactor, default_owner, urls
from orchestrator.sites import Site, load_site
from orchestrator.sites.backend import pg_backend as pg_backend  # the site's, named here as before
from orchestrator.sites.backend import terraform_backend


def journal_url(site: Site | None, db: str | None) -> str:
    """``--db`` / ``$LOGIUS_MIGRATE_DB``, else the site's journal."""
    return urls.journal_url(db, site.journal if site else None, site.path if site else None)


@contextlib.contextmanager
def open_session(catalog: Catalog | Path | None, site: Site | Path, db: str | None,
                 progress: Progress | None = None, owner: str | None = None,
                 keep_runner_dirs: Path | None = None, stop: StopRequest | None = None,
                 verbosity: int = 0) -> Iterator[EngineContext]:
    """The catalog (loaded here unless given loaded), the site (a site file, or a loaded Site), the
    journal (which must exist: the site's unless ``db``), the site's secrets (registered with the
    journal's redactor), and Terraform's backend (whose binary must be a supported version)."""
    from orchestrator.steps.terraform import check_version

    if not isinstance(catalog, Catalog):
        catalog = load_catalog(catalog)
    check_version()
    if not isinstance(site, Site):
        site = load_site(site)
    secrets = site.secrets()
    redactor = Redactor(v for values in secrets.values() for v in values.values())
    url = journal_url(site, db)
    backend = terraform_backend(site, url)
    with Journal(url, redactor) as journal:
        yield EngineContext(catalog=catalog, site=site, journal=journal, redactor=redactor,
                            secrets=secrets, owner=owner or default_owner(), backend=backend,
                            progress=progress or Progress(), keep_runner_dirs=keep_runner_dirs,
                            stop=stop or StopRequest(), verbosity=verbosity)
