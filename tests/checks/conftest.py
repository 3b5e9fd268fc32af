"""A bare site (a site file and a real SQLite journal, no lab) and check contexts over it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.catalog import catalog_from_data
from orchestrator.checks import CheckContext
from orchestrator.journal import Journal, resolve_url
from orchestrator.sites import load_site
from tests.conftest import service

NOW = dt.datetime(2027, 3, 10, 12, 0, tzinfo=dt.UTC)
RELEASES = [
    {"id": "r1", "name": "R1", "status": "accepted", "available": "2026-01-05"},
    {"id": "r2", "name": "R2", "status": "delivered", "available": "2026-06-01"},
]


def write_site(folder: Path, **extra: Any) -> Path:
    """A site file with an inventory, one module, a journal; ``extra`` adds or overrides fields."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "inventory.yml").write_text("all: {}\n")
    site = {"name": "test-site", "inventory": "inventory.yml", "journal": "journal.db",
            "terraform": {"work_dir": "work", "modules": {"rehost": "module"}}, **extra}
    path = folder / "site.yml"
    path.write_text(yaml.safe_dump(site))
    if not (folder / "journal.db").exists():
        Journal(resolve_url(folder / "journal.db", None), create=True).close()
    return path


@pytest.fixture
def bare_site(tmp_path):
    """(site file path, open journal) of a bare site; the journal is closed afterwards."""
    path = write_site(tmp_path / "site", release="r1")
    journal = Journal(resolve_url(tmp_path / "site" / "journal.db", None))
    yield path, journal
    journal.close()


def context(site_path: Path, journal: Journal, services: list[dict] | None = None,
            now: dt.datetime = NOW, calendar: dict | None = None, **fields: Any) -> CheckContext:
    data = {"services": services or [service("app")], "releases": RELEASES}
    if calendar is not None:
        data["calendar"] = calendar
    return CheckContext(catalog=catalog_from_data(data), site=load_site(site_path), journal=journal,
                        now=now, **fields)
