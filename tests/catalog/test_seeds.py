"""The shipped catalog says what the source documents say, and says where it assumes."""

from __future__ import annotations

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.catalog.models import Disposition
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def seeds():
    return load_catalog(SEEDS)


def test_the_seeds_hold_the_services_the_documents_name(seeds):
    ids = {s.id for s in seeds.services}
    named = {"digid", "digid-machtigen", "mijnoverheid", "berichtenbox", "fbs", "digipoort",
             "digimelding", "digilevering", "stelselcatalogus", "cor", "cpa-register", "digiinkoop",
             "diginetwerk", "standaard-platform", "officiele-publicaties", "plooi",
             "attenderingsservice"}
    assert named <= ids


def test_eighteen_services_run_on_the_current_infrastructure(seeds):
    on_legacy = [s for s in seeds.services if s.disposition is not Disposition.NEW_BUILD]
    assert len(on_legacy) == 18
    assert all(s.hosts.legacy for s in on_legacy)


def test_dispositions_follow_the_documents(seeds):
    assert seeds.service("digipoort").disposition is Disposition.REBUILD
    assert seeds.service("fbs").disposition is Disposition.NEW_BUILD
    assert seeds.service("attenderingsservice").disposition is Disposition.NEW_BUILD
    assert seeds.service("digiinkoop").disposition is Disposition.RETIRE
    assert seeds.service("digipoort").not_before.isoformat() == "2023-10-01"
    assert seeds.service("fbs").not_before.isoformat() == "2024-01-01"


def test_every_item_cites_a_listed_source_document(seeds):
    citations = {s.citation for s in seeds.sources}
    assert len(citations) == 5
    for item in (*seeds.services, *seeds.releases, *seeds.facts, *seeds.criteria):
        assert item.source in citations


def test_the_documents_figures_are_recorded(seeds):
    facts = {f.id: f.value for f in seeds.facts}
    assert facts["unlawful-exposure-expected"] == 183.8
    assert facts["unlawful-exposure-with-pause"] == 210.1
    assert facts["unlawful-exposure-increase"] == 14.3
    assert facts["shortfall-2022"] + facts["programme-costs-2022"] == pytest.approx(8.35)
    assert seeds.calendar.legacy_contract_end.isoformat() == "2024-12-31"
    assert facts["migrations-paused"].isoformat() == "2022-04-01"


def test_the_cost_model_reproduces_the_twelve_month_pause(seeds):
    model = seeds.cost_model
    assert model.exposure_after_delay(12) == pytest.approx(210.1)
    assert model.exposure_after_delay(0) == pytest.approx(183.8)
    increase = (model.exposure_after_delay(12) / model.exposure_after_delay(0) - 1) * 100
    assert round(increase, 1) == 14.3


def test_seventeen_criteria_in_five_groups(seeds):
    assert [c.number for c in seeds.criteria] == list(range(1, 18))
    assert len({c.group for c in seeds.criteria}) == 5


def test_assumed_values_are_marked_and_warned_about(seeds):
    assumed = [s for s in seeds.services if s.assumptions]
    assert assumed, "the documents give no dependencies or sizes; the seeds must say so"
    assert len(seeds.warnings) == len(assumed) + sum(1 for r in seeds.releases if r.assumptions)
    assert any("digid" in w and "size" in w for w in seeds.warnings)
