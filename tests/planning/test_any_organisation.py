"""A catalog that is not Logius's: a fictional municipality of 60 applications (tests/data/
municipality) with its own domains, ids with capitals, dots and underscores, no sources, no
legacy contract end, windows without reasons, part of it a JSON export from a CMDB. It plans, and
nothing in the output speaks of Logius. The Logius seeds keep their strictness."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from orchestrator.catalog import load_catalog
from orchestrator.planning import PlanOptions, plan_waves
from orchestrator.planning.explain import UNEXPLAINED, explain_all
from tests.conftest import PROJECT, SEEDS, service

MUNICIPALITY = PROJECT / "tests" / "data" / "municipality"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch):
    """The tool's clock on a fixed day, so the default plan (which starts today) is the same
    whatever today is."""
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", "2026-01-05T09:00")


def test_the_municipal_catalog_loads_with_its_own_rules():
    catalog = load_catalog(MUNICIPALITY)
    assert len(catalog.services) == 60 and not catalog.sources
    assert {s.domain for s in catalog.services} == set(catalog.organisation.domains)
    assert {"BRP.Koppeling", "GIS_Viewer", "Identity.Broker"} <= set(catalog.index)
    assert catalog.origin[("services", "Zaaksysteem")].endswith("cmdb-export.json")
    norms = {s.id: catalog.availability_norm(s) for s in catalog.services}
    assert norms["Verkiezingen"] == 99.9 and norms["Zaaksysteem"] == 99.5


def test_it_plans_with_every_placement_explained():
    catalog = load_catalog(MUNICIPALITY)
    result = plan_waves(catalog, PlanOptions(start=catalog.calendar.planning_start))
    assert sorted(result.wave_of) == sorted(s.id for s in catalog.services)
    explanations = explain_all(catalog, result)
    lines = [line for e in explanations.values() for line in e.lines()]
    assert not any(UNEXPLAINED in line for line in lines)
    assert any(line.endswith("blackout window 2027-12-15..2028-01-07") for line in lines)


def test_its_reports_speak_of_its_own_platform_and_cost(run_cli):
    md = run_cli("plan", "--catalog", str(MUNICIPALITY), "--format", "md")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# Wave plan: Gemeente Voorbeeldstad\n")
    assert "From het eigen rekencentrum to Haven-cluster (Common Ground)." in md.stdout
    table = run_cli("plan", "--catalog", str(MUNICIPALITY), "--deadline", "2029-12-31")
    assert table.exit_code == 0, table.stderr
    assert "no dubbele licentiekosten is computed" in " ".join(table.stdout.split())
    document = json.loads(run_cli("plan", "--catalog", str(MUNICIPALITY), "--format", "json").stdout)
    assert document["target_platform"] == "Haven-cluster (Common Ground)"
    for output in (md.stdout, table.stdout, json.dumps(document)):
        assert "Logius" not in output and "LPC" not in output and "unlawful" not in output


def test_declared_domains_and_required_citations_are_enforced(tmp_path, run_cli):
    folder = tmp_path / "gemeente"
    shutil.copytree(MUNICIPALITY, folder)
    (folder / "extra.yaml").write_text(yaml.safe_dump({"services": [
        service("Parkeren", domain="Mobiliteit")]}))
    result = run_cli("catalog", "validate", "--catalog", str(folder))
    assert result.exit_code == 2
    assert "extra.yaml:4: service 'Parkeren': field 'domain': 'Mobiliteit' is not a declared " \
           "domain (organisation.domains: Burgerzaken, Belastingen" in result.stderr
    gemeente = folder / "gemeente.yaml"
    gemeente.write_text(gemeente.read_text().replace("  name: Gemeente", "  citations: required\n"
                                                                        "  name: Gemeente"))
    result = run_cli("catalog", "validate", "--catalog", str(folder))
    assert "section 'organisation': field 'citations': 'required', but the catalog lists no " \
           "sources" in result.stderr


def test_the_logius_seeds_keep_their_strictness(tmp_path, run_cli):
    folder = tmp_path / "seeds"
    shutil.copytree(SEEDS, folder)
    access = folder / "services" / "access.yaml"
    text = access.read_text()
    text = text.replace("    source: Viermaandsrapportage Logius januari-april, 2023\n", "", 1)
    text = text.replace("    domain: Access\n", "    domain: Finance\n", 1)
    access.write_text(text)
    result = run_cli("catalog", "validate", "--catalog", str(folder))
    assert result.exit_code == 2
    errors = result.stderr.splitlines()
    assert any("service 'digid': field 'source': missing (organisation.citations is 'required')"
               in e for e in errors)
    assert any("service 'digid': field 'domain': 'Finance' is not a declared domain" in e
               for e in errors)
