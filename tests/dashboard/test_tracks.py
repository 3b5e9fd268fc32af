"""The dashboard's "Azure test track" part, on a small journal of its own: Digipoort's build
passed and destroyed, then a later run whose guardrails failed one check and whose destroy left
two resources. Every track run is a row in status.json, the Markdown and the page, byte-stable."""

from __future__ import annotations

import pytest

from orchestrator.dashboard import gather_status
from orchestrator.journal import Journal
from orchestrator.reports.dashboard import FILES, render_html, render_markdown, write_reports
from tests.dashboard.programme import NOW, at, catalog, empty_journal
from tests.track_runs import ALL_DONE, record_guardrails, record_track, steps_until

BUILD = "digipoort-rebuild-2023.4"
LEFT = ["azurerm_linux_virtual_machine.vm[0]", "azurerm_resource_group.rg"]
PASSED = {f"AZ-GRD-00{n}": "PASS" for n in range(1, 8)}


@pytest.fixture(scope="module")
def tracked(tmp_path_factory):
    path = tmp_path_factory.mktemp("tracks") / "journal.db"
    with empty_journal(path) as journal:
        with at("2027-01-11T09:00"):
            record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "done", ALL_DONE,
                         junit={"tests": 12, "failures": 0, "path": "junit.xml"})
            record_guardrails(journal, "azure-test-digipoort", "digipoort", {**PASSED, "CKV_AZURE_1": "PASS"})
        with at("2027-01-18T14:30"):
            record_track(journal, "azure-test-digipoort.2", "digipoort", BUILD, "destroy-failed",
                         steps_until("az-destroy", "failed"), resources_left=LEFT,
                         junit={"tests": 12, "failures": 1, "path": "junit.xml"})
            record_guardrails(journal, "azure-test-digipoort.2", "digipoort",
                              {**PASSED, "AZ-GRD-003": "INCONCLUSIVE"})
            record_guardrails(journal, "azure-test-digipoort.2", "digipoort",
                              {"AZ-GRD-003": "FAIL", "AZ-GRD-005": "INCONCLUSIVE"},
                              overridden_by="ann")  # a second round, run with --override
    with Journal(f"sqlite:///{path}", read_only=True) as journal:
        return path, gather_status(catalog(), journal, now=NOW)


def test_each_track_run_has_its_build_status_times_guardrails_budget_and_leftovers(tracked):
    _, status = tracked
    first, second = status["tracks"]
    assert (first["run"], first["service"], first["build"], first["status"], first["standing"]) == (
        "azure-test-digipoort", "digipoort", BUILD, "done", "done")
    assert first["started"][:16] == "2027-01-11T09:00" and first["finished"][:16] == "2027-01-11T09:00"
    assert first["guardrails"] == {"counts": {"PASS": 8}, "failed": [], "overridden": {}}
    assert first["budget"] == {"amount": 500.0, "expires_on": "2027-03-24"}
    assert first["acceptance"] == {"tests": 12, "failures": 0} and first["resources_left"] == []
    assert (second["status"], second["finished"]) == ("destroy-failed", None)
    assert second["guardrails"] == {"counts": {"FAIL": 1, "INCONCLUSIVE": 1, "PASS": 5},
                                    "failed": ["AZ-GRD-003"],
                                    "overridden": {"AZ-GRD-003": "ann", "AZ-GRD-005": "ann"}}
    assert second["resources_left"] == LEFT
    assert [r["id"] for r in status["timeline"]["runs"]] == []  # not a wave's row on the timeline


def test_the_markdown_and_the_page_show_every_track_run(tracked):
    _, status = tracked
    text = render_markdown(status)
    assert "## Azure test track" in text
    assert ("| azure-test-digipoort.2 | digipoort | digipoort-rebuild-2023.4 | destroy-failed | "
            "2027-01-18T14:30") in text
    assert ("| FAIL 1, INCONCLUSIVE 1, PASS 5 | AZ-GRD-003 (overridden by ann) | 500.00 | 2027-03-24 | "
            "12 tests, 1 failed | azurerm_linux_virtual_machine.vm[0], azurerm_resource_group.rg |") in text
    page = render_html(status)
    assert '<h2 id="tracks">Azure test track</h2>' in page
    assert '<tr id="track-azure-test-digipoort" class="ok">' in page
    assert '<tr id="track-azure-test-digipoort.2" class="bad">' in page
    assert "<td>AZ-GRD-003 (overridden by ann)</td>" in page and "azurerm_resource_group.rg</td>" in page
    assert ">wave 0<" not in page


def test_the_same_journal_and_now_give_the_same_bytes(tracked, tmp_path):
    path, _ = tracked
    for folder in ("a", "b"):
        with Journal(f"sqlite:///{path}", read_only=True) as journal:
            write_reports(gather_status(catalog(), journal, now=NOW), tmp_path / folder)
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert '"resources_left": [' in (tmp_path / "a" / "status.json").read_text()


def test_no_track_run_is_said_so_in_both(tmp_path):
    with empty_journal(tmp_path / "empty.db") as journal:
        status = gather_status(catalog(), journal, now=NOW)
    assert status["tracks"] == []
    assert "No test track run yet." in render_markdown(status)
    assert "No test track run yet." in render_html(status)
