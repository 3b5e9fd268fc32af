"""What one command works on, decided once from its options: the catalog (loaded once, with the
digest of the bytes it was read from), the site (the lab's by default: the rule is written here
and nowhere else), the journal (opened as a context manager), the clock and the operator.

A command says which options it takes (``@workspace_options``, ``@catalog_option``, ``--by``) and
receives a :class:`Workspace` in their place. Only click is imported at the top: the parts are
imported when a command asks the workspace for them, so `logius-migrate --help` stays fast."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from orchestrator.catalog import Catalog
    from orchestrator.engine.context import EngineContext, Progress
    from orchestrator.engine.stopping import StopRequest
    from orchestrator.journal import Journal
    from orchestrator.lab import LabLayout
    from orchestrator.sites import Site

#: The options a workspace is built from, by the name each passes its value under.
FIELDS = ("catalog_path", "site_path", "lab_dir", "db", "by")
#: orchestrator.journal.DB_ENV, spelled here: importing journal/ loads SQLAlchemy, which `plan`
#: without a journal, and --help, never need.
DB_ENV = "LOGIUS_MIGRATE_DB"


class Workspace:
    """The world of one command. Everything is read when first asked for, and once."""

    def __init__(self, catalog_path: Path | None = None, site_path: Path | None = None,
                 lab_dir: Path | None = None, db: str | None = None, by: str | None = None) -> None:
        self.catalog_path, self.site_path, self.lab_dir = catalog_path, site_path, lab_dir
        self.db, self.by = db, by

    def __repr__(self) -> str:
        given = ", ".join(f"{name}={getattr(self, name)!r}" for name in FIELDS if getattr(self, name))
        return f"Workspace({given})"

    @cached_property
    def catalog(self) -> Catalog:
        """The catalog, read once; ``catalog.digest`` is the SHA-256 of the bytes read."""
        from orchestrator.catalog import load_catalog

        return load_catalog(self.catalog_path)

    @property
    def lab(self) -> LabLayout:
        """The lab: ``--lab`` ($LOGIUS_MIGRATE_LAB), else ./.lab."""
        from orchestrator.lab import LabLayout, default_lab_dir

        return LabLayout(self.lab_dir or default_lab_dir())

    @property
    def site_file(self) -> Path:
        """Where waves run, by the one rule: ``--site``, else the site file of ``--lab``, else
        $LOGIUS_MIGRATE_SITE, else the default lab's (``lab up`` writes it)."""
        from orchestrator.sites import default_site_path

        return Path(self.site_path) if self.site_path is not None else default_site_path(self.lab_dir)

    def forget(self) -> None:
        """Drop what was loaded (the catalog, the site): a large catalog is then freed at once by
        reference counting, while the caller still has the collector paused (see gcpause), rather
        than scanned by a full collection once it runs again."""
        for name in ("catalog", "site"):
            self.__dict__.pop(name, None)

    @cached_property
    def site(self) -> Site:
        from orchestrator.sites import load_site

        return load_site(self.site_file)

    @property
    def db_given(self) -> bool:
        """Whether ``--db`` ($LOGIUS_MIGRATE_DB) names the journal (else the site does)."""
        return bool(self.db or os.environ.get(DB_ENV))

    def journal_url(self) -> str:
        """``--db`` ($LOGIUS_MIGRATE_DB), else the site's journal (the site file read first)."""
        site = None if self.db_given else self.site
        from orchestrator.journal.urls import journal_url

        if site is None:
            return journal_url(self.db)
        return journal_url(self.db, site.journal, site.path)

    def journal(self, read_only: bool = False, create: bool = False, site: bool = False) -> Journal:
        """The journal, which must exist unless ``create``; use it as a context manager.
        ``read_only`` for a command that only reads (a read-only SQLite journal is then read,
        never written); ``site``: the site file is read (and so checked) even when ``--db`` names
        the journal, as the commands that record the site's name or rules do."""
        if site:
            self.site  # noqa: B018 - read now, so a broken site file is refused first
        url = self.journal_url()
        from orchestrator.journal import Journal

        return Journal(url, read_only=read_only, create=create)

    @contextlib.contextmanager
    def session(self, progress: Progress | None = None, stop: StopRequest | None = None,
                verbosity: int = 0) -> Iterator[EngineContext]:
        """What a wave, a rollback or a check works with: this catalog and site, the journal, the
        site's secrets, Terraform's backend (see :func:`orchestrator.engine.session.open_session`)."""
        from orchestrator.engine.session import open_session

        catalog = self.catalog
        site = self.__dict__.get("site") or self.site_file  # read after Terraform's version check
        with open_session(catalog, site, self.db, progress=progress, owner=self.owner, stop=stop,
                          verbosity=verbosity) as ctx:
            self.__dict__["site"] = ctx.site
            yield ctx

    @property
    def operator(self) -> str:
        """Who does this: ``--by``, else $LOGIUS_MIGRATE_OPERATOR, else the login name."""
        from orchestrator.identity import person

        return self.by or person()

    @property
    def owner(self) -> str:
        """The operator, this host and this process: what a run and its lease record."""
        from orchestrator.identity import owner

        return owner(self.by)

    @property
    def clock(self) -> ModuleType:
        """The tool's one clock (:mod:`orchestrator.clock`)."""
        from orchestrator import clock

        return clock


def pass_workspace(func: Callable[..., Any]) -> Callable[..., Any]:
    """The command receives ``ws``, a :class:`Workspace` built from those of its options that
    make one (--catalog, --site, --lab, --db, --by), in their place."""
    @functools.wraps(func)
    def command(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in FIELDS if name in kwargs}
        return func(ws=Workspace(**given), **kwargs)

    return command


def site_option(func: Any) -> Any:
    return click.option("--site", "site_path", type=click.Path(path_type=Path), default=None,
                        envvar="LOGIUS_MIGRATE_SITE", show_envvar=True,
                        help="Site file: where waves run (inventory, Terraform, secrets, journal) "
                             "[default: the lab's, LAB/site.yml].")(func)


def lab_option(func: Any) -> Any:
    return click.option("--lab", "lab_dir", type=click.Path(path_type=Path), default=None,
                        envvar="LOGIUS_MIGRATE_LAB", show_envvar=True,
                        help="Lab folder [default: ./.lab].")(func)


def db_option(func: Any) -> Any:
    return click.option("--db", default=None, envvar=DB_ENV, show_envvar=True,
                        help="Journal: a PostgreSQL URL or a journal file [default: the site's]. "
                             "It must exist (see `journal init`).")(func)


def workspace_options(func: Any = None, *, db_first: bool = False) -> Any:
    """--site, --lab and --db (in that order in --help; ``db_first``: the other way round, as
    `blocker list` has always shown them), and the workspace they make passed as ``ws`` (with
    --catalog and --by, where the command has them)."""
    def decorate(func: Any) -> Any:
        func = pass_workspace(func)
        for option in (site_option, lab_option, db_option) if db_first else (db_option, lab_option,
                                                                             site_option):
            func = option(func)
        return func

    return decorate(func) if func is not None else decorate
