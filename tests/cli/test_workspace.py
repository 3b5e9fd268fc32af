"""The workspace a command builds from its options: the catalog loaded once with the digest of the
bytes it was read from (what the approval check compares), and the one rule for the default site."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from orchestrator.catalog.loader import catalog_digest
from orchestrator.cli.workspace import Workspace
from orchestrator.errors import Refused
from orchestrator.journal import Journal, resolve_url
from orchestrator.signing import SigningPolicy
from tests.conftest import service, write_catalog


def catalog_of(folder: Path, capacity_note: str) -> Path:
    return write_catalog(folder, {
        "a.yaml": {"services": [service("s1"), service("s2")]},
        "b.yaml": f"# {capacity_note}\nservices:\n- {{id: s3, name: S3, domain: Access, size: S, "
                  f"criticality: low, disposition: rehost, source: 'test, 2024'}}\n"})


def test_the_loaded_catalog_carries_the_digest_a_saved_plan_records(tmp_path):
    folder = catalog_of(tmp_path / "catalog", "first")
    (folder / "b.yaml").write_bytes((folder / "b.yaml").read_bytes().replace(b"\n", b"\r\n"))
    catalog = Workspace(catalog_path=folder).catalog
    assert (catalog.digest, catalog.file_digests) == catalog_digest(folder)
    assert sorted(catalog.file_digests) == ["a.yaml", "b.yaml"]
    single = Workspace(catalog_path=folder / "a.yaml").catalog
    assert (single.digest, single.file_digests) == catalog_digest(folder / "a.yaml")


def approved(journal: Journal, catalog: object, site: object) -> None:
    from orchestrator.journal.plans import approve_plan, save_plan

    saved = save_plan(journal, "ann", {}, catalog.digest, catalog.file_digests,  # type: ignore[attr-defined]
                      site.name, site.digest, [{"number": 1, "services": ["s1"]}])  # type: ignore[attr-defined]
    approve_plan(journal, saved.id, "bob", "fine", allow_self_approval=False)


def test_the_approval_is_checked_against_the_catalog_the_run_loaded(tmp_path):
    """The run loaded catalog A; the plan was approved for catalog B, which is on disk by the time
    the approval is checked: refused, because the run would use A (the check does not read the
    files again)."""
    from orchestrator.engine.approved import plan_for_run

    site = SimpleNamespace(name="lab", digest="d", path=tmp_path / "site.yml", allow_self_approval=False,
                           signing=SigningPolicy())
    folder = catalog_of(tmp_path / "catalog", "what the run loaded")
    loaded = Workspace(catalog_path=folder).catalog
    catalog_of(folder, "what was approved")
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as journal:
        approved(journal, Workspace(catalog_path=folder).catalog, site)
        with pytest.raises(Refused) as refused:
            plan_for_run(journal, None, loaded, site)  # type: ignore[arg-type]
        assert refused.value.problems == ["plan 1 no longer stands: catalog file b.yaml changed"]
        on_disk = Workspace(catalog_path=folder).catalog
        assert plan_for_run(journal, None, on_disk, site).id == 1  # type: ignore[arg-type]


def test_the_default_site_is_decided_in_one_place(tmp_path, monkeypatch):
    monkeypatch.delenv("LOGIUS_MIGRATE_SITE", raising=False)
    monkeypatch.delenv("LOGIUS_MIGRATE_LAB", raising=False)
    monkeypatch.chdir(tmp_path)
    assert Workspace().site_file == tmp_path / ".lab" / "site.yml"
    assert Workspace(lab_dir=tmp_path / "lab").site_file == tmp_path / "lab" / "site.yml"
    monkeypatch.setenv("LOGIUS_MIGRATE_LAB", str(tmp_path / "env-lab"))
    assert Workspace().site_file == tmp_path / "env-lab" / "site.yml"
    monkeypatch.setenv("LOGIUS_MIGRATE_SITE", str(tmp_path / "env-site.yml"))
    assert Workspace().site_file == tmp_path / "env-site.yml"
    assert Workspace(lab_dir=tmp_path / "lab").site_file == tmp_path / "lab" / "site.yml"
    assert Workspace(site_path=tmp_path / "s.yml", lab_dir=tmp_path / "lab").site_file == tmp_path / "s.yml"


def test_the_journal_is_a_context_manager_and_db_needs_no_site(tmp_path, monkeypatch):
    monkeypatch.delenv("LOGIUS_MIGRATE_DB", raising=False)
    db = str(tmp_path / "journal.db")
    ws = Workspace(db=db, lab_dir=tmp_path / "no-lab")
    with ws.journal(create=True) as journal:
        assert journal.created and journal.url == resolve_url(db, None)
    with ws.journal(read_only=True) as journal:
        assert not journal.created
    from orchestrator.errors import InputError

    with pytest.raises(InputError, match="no site file here"):
        ws.journal(site=True)
