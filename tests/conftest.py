"""Shared helpers: small catalogs written as real YAML files, and a CLI runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from orchestrator.cli import cli

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT / "seeds"


def service(sid: str, **fields: Any) -> dict[str, Any]:
    """A minimal valid service document; keyword arguments override or add fields."""
    doc: dict[str, Any] = {
        "id": sid, "name": sid.upper(), "domain": "Access", "size": "S",
        "criticality": "low", "disposition": "rehost", "source": "test, 2024",
    }
    doc.update(fields)
    return doc


def write_catalog(folder: Path, files: dict[str, Any]) -> Path:
    """Write ``{relative name: document or raw text}`` under ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Invoke `logius-migrate` in-process; returns the click Result (stdout and stderr apart)."""
    monkeypatch.setenv("LOGIUS_MIGRATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOGIUS_MIGRATE_CATALOG", raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke
