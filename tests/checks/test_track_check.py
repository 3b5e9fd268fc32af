"""PRE-AZT-001 on a bare site with a real SQLite journal: the track runs are written through the
Journal API in the shape the track runner leaves them."""

from __future__ import annotations

import pytest

from orchestrator.checks import known_ids, run_checks
from orchestrator.checks.track import track_passed
from tests.checks.conftest import NOW, context
from tests.conftest import service
from tests.track_runs import ALL_DONE, record_track, steps_until

BUILD = "digipoort-rebuild-2023.4"
TRACK = {"track": "azure-test", "build": BUILD}


def check(site, journal, **track):
    ctx = context(site, journal, [service("app"), service("digipoort", test_track={**TRACK, **track})])
    return track_passed(ctx, ctx.catalog.service("digipoort"))


def test_a_service_without_a_test_track_passes(bare_site):
    site, journal = bare_site
    ctx = context(site, journal)
    result = track_passed(ctx, ctx.catalog.service("app"))
    assert (result.outcome.value, result.summary) == ("PASS", "no test track")
    assert "PRE-AZT-001" in known_ids()
    assert "PRE-AZT-001" in {r.check_id for r in run_checks(ctx, ctx.catalog.service("app"))}


def test_no_track_run_fails_with_the_command_to_run_it(bare_site):
    site, journal = bare_site
    result = check(site, journal)
    assert result.outcome.value == "FAIL"
    assert result.summary == f"no azure-test track run of build {BUILD}"
    assert result.remedy == "run `logius-migrate track azure-test run digipoort`"


def test_a_passed_and_destroyed_run_passes_with_its_tally(bare_site):
    site, journal = bare_site
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "done", ALL_DONE,
                 junit={"tests": 12, "failures": 0, "path": "junit.xml"})
    result = check(site, journal)
    assert result.outcome.value == "PASS"
    assert result.summary.startswith("azure-test-digipoort passed (12 tests, 0 failed) and was "
                                     "destroyed 20")
    assert result.answer == "azure-test-digipoort: done"


def test_passed_but_not_destroyed_fails_with_the_destroy_command(bare_site):
    site, journal = bare_site
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "running", steps_until("az-report"))
    result = check(site, journal)
    assert result.outcome.value == "FAIL"
    assert result.summary == "azure-test-digipoort passed but its environment is not destroyed"
    assert result.remedy == "destroy it: `logius-migrate track azure-test destroy digipoort`"


def test_a_failed_destroy_names_the_resources_left(bare_site):
    site, journal = bare_site
    left = ["azurerm_linux_virtual_machine.vm[0]", "azurerm_resource_group.rg"]
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "destroy-failed",
                 steps_until("az-destroy", "failed"), resources_left=left)
    result = check(site, journal)
    assert result.outcome.value == "FAIL"
    assert result.summary == ("azure-test-digipoort: the destroy failed, left "
                              "azurerm_linux_virtual_machine.vm[0], azurerm_resource_group.rg")
    assert "track azure-test destroy digipoort" in result.remedy


def test_the_newest_run_of_the_build_counts(bare_site):
    site, journal = bare_site
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "done", ALL_DONE)
    record_track(journal, "azure-test-digipoort.2", "digipoort", BUILD, "partial",
                 steps_until("az-acceptance", "failed"))
    result = check(site, journal)
    assert result.outcome.value == "FAIL"
    assert result.summary == "azure-test-digipoort.2 did not pass (partial)"
    assert "track azure-test run digipoort" in result.remedy


def test_only_a_run_of_another_build_fails_naming_that_build(bare_site):
    site, journal = bare_site
    record_track(journal, "azure-test-digipoort", "digipoort", "digipoort-rebuild-2023.3", "done", ALL_DONE)
    record_track(journal, "azure-test-app", "app", BUILD, "done", ALL_DONE)  # another service's
    result = check(site, journal)
    assert result.outcome.value == "FAIL"
    assert result.summary == f"no azure-test track run of build {BUILD}, only of digipoort-rebuild-2023.3"


def test_a_waiver_in_force_warns_with_who_and_why(bare_site):
    site, journal = bare_site
    waiver = {"by": "cio", "reason": "tested by the supplier", "expires": NOW.date().isoformat()}
    result = check(site, journal, waiver=waiver)
    assert result.outcome.value == "WARN"
    assert result.summary.startswith(f"waived by cio until {NOW.date()}: tested by the supplier "
                                     f"(no azure-test")


def test_an_expired_waiver_fails(bare_site):
    site, journal = bare_site
    result = check(site, journal, waiver={"by": "cio", "reason": "later", "expires": "2027-03-09"})
    assert result.outcome.value == "FAIL"
    assert result.summary.endswith("; the waiver by cio expired on 2027-03-09")
    assert "track azure-test run digipoort" in result.remedy


def test_a_passed_run_passes_even_with_a_waiver(bare_site):
    site, journal = bare_site
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "done", ALL_DONE)
    expired = {"by": "cio", "reason": "x", "expires": "2020-01-01"}
    assert check(site, journal, waiver=expired).outcome.value == "PASS"


@pytest.mark.parametrize("bad, words", [
    ({"track": "aws-test", "build": BUILD}, "field 'test_track.track'"),
    ({"track": "azure-test", "build": ""}, "field 'test_track.build'"),
    ({"track": "azure-test", "build": BUILD, "colour": "blue"}, "field 'test_track.colour'"),
    ({"track": "azure-test", "build": BUILD, "waiver": {"by": "cio", "reason": "x"}},
     "field 'test_track.waiver.expires'"),
])
def test_a_bad_test_track_names_file_service_and_field(tmp_path, bad, words):
    from tests.catalog.test_validation import problems_of
    from tests.conftest import write_catalog

    folder = write_catalog(tmp_path / "c", {"s.yaml": {"services": [service("a", test_track=bad)]}})
    [problem] = problems_of(folder)
    assert "s.yaml:" in problem and "service 'a'" in problem and words in problem


def test_the_plan_reads_the_same_standing_the_check_holds_by(bare_site):
    """policy.tracks: the newest run of the catalog's build, per service, the one rule PRE-AZT-001
    and the plan share."""
    from orchestrator.policy.tracks import standings

    site, journal = bare_site
    ctx = context(site, journal, [service("app"), service("digipoort", test_track=TRACK)])
    assert standings(journal, ctx.catalog) == {"digipoort": "not run"}
    record_track(journal, "azure-test-digipoort", "digipoort", BUILD, "running", steps_until("az-report"))
    assert standings(journal, ctx.catalog) == {"digipoort": "passed, not destroyed"}
    record_track(journal, "azure-test-digipoort.2", "digipoort", "older-build", "done", ALL_DONE)
    assert standings(journal, ctx.catalog) == {"digipoort": "passed, not destroyed"}
    record_track(journal, "azure-test-digipoort.3", "digipoort", BUILD, "partial",
                 steps_until("az-provision", "failed"))
    assert standings(journal, ctx.catalog) == {"digipoort": "partial"}
