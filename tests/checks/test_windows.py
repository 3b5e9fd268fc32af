"""Freezes in Europe/Amsterdam time: yearly windows across the new year, a night across the
daylight-saving change, Dutch public holidays, and the most restrictive window named."""

from __future__ import annotations

import datetime as dt

import pytest

from orchestrator.catalog.models import Freeze
from orchestrator.checks.windows import AMSTERDAM, active
from tests.checks.conftest import context, write_site
from tests.conftest import service

YEAR_END = Freeze(name="year-end change freeze", every="year", start="12-15", end="01-07")


class _Service:
    id = "digid"
    blackout_windows = ()


def at(text: str) -> dt.datetime:
    """A wall time in Amsterdam."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=AMSTERDAM)


@pytest.mark.parametrize("moment, inside", [
    ("2026-12-14T23:59", False), ("2026-12-15T00:00", True), ("2026-12-31T12:00", True),
    ("2027-01-01T00:30", True), ("2027-01-07T23:59", True), ("2027-01-08T00:00", False),
    ("2027-06-01T12:00", False), ("2027-12-20T09:00", True)])
def test_a_yearly_freeze_crosses_the_new_year(moment, inside):
    assert bool(active([YEAR_END], _Service(), at(moment))) is inside


def test_a_night_across_the_spring_dst_change_lasts_seven_real_hours():
    night = Freeze(name="datacentre maintenance", start="2027-03-27T22:00", end="2027-03-28T06:00")
    [window] = active([night], _Service(), at("2027-03-27T23:00"))
    assert window.end - window.start == dt.timedelta(hours=7)
    utc = dt.UTC
    assert active([night], _Service(), dt.datetime(2027, 3, 28, 3, 59, tzinfo=utc))  # 05:59 CEST
    assert not active([night], _Service(), dt.datetime(2027, 3, 28, 4, 0, tzinfo=utc))  # 06:00 CEST
    assert not active([night], _Service(), dt.datetime(2027, 3, 27, 20, 59, tzinfo=utc))  # 21:59 CET


def test_an_autumn_night_across_the_dst_change_lasts_nine_real_hours():
    night = Freeze(name="maintenance", start="2027-10-30T22:00", end="2027-10-31T06:00")
    [window] = active([night], _Service(), at("2027-10-30T23:00"))
    assert window.end - window.start == dt.timedelta(hours=9)


def test_dutch_public_holidays_are_whole_local_days():
    kings_day = Freeze(name="Dutch public holidays", holidays="NL", level="caution")
    [window] = active([kings_day], _Service(), at("2027-04-27T08:00"))
    assert "King's Day" in window.name and window.level == "caution"
    assert not active([kings_day], _Service(), at("2027-04-28T08:00"))
    # 2027-04-26 22:30 UTC is already the 27th in Amsterdam
    assert active([kings_day], _Service(), dt.datetime(2027, 4, 26, 22, 30, tzinfo=dt.UTC))


def test_the_most_restrictive_window_wins_and_is_named(tmp_path):
    site = write_site(tmp_path / "site", release="r1")
    from orchestrator.checks.service import freezes
    from orchestrator.journal import Journal, resolve_url

    calendar = {"freezes": [
        {"name": "holidays", "holidays": "NL", "level": "caution"},
        {"name": "year-end change freeze", "every": "year", "start": "12-15", "end": "01-07"},
        {"name": "short freeze", "start": "2026-12-20", "end": "2026-12-27"}]}
    journal = Journal(resolve_url(tmp_path / "site" / "journal.db", None))
    try:
        christmas = at("2026-12-25T10:00")
        result = freezes(context(site, journal, calendar=calendar, now=christmas), service_of(calendar))
        assert result.outcome.value == "FAIL"
        assert result.summary.startswith("in freeze 'year-end change freeze' (2026-12-15 to 2027-01-07")
        assert "caution 'holidays: Christmas Day'" in result.answer and "short freeze" in result.answer
        easter = freezes(context(site, journal, calendar=calendar, now=at("2027-03-29T10:00")),
                         service_of(calendar))
        assert easter.outcome.value == "WARN" and "Easter Monday" in easter.summary
        plain = freezes(context(site, journal, calendar=calendar, now=at("2027-06-02T10:00")),
                        service_of(calendar))
        assert plain.outcome.value == "PASS"
    finally:
        journal.close()


def service_of(calendar):
    from orchestrator.catalog import catalog_from_data

    return catalog_from_data({"services": [service("app")], "calendar": calendar}).service("app")


@pytest.mark.parametrize("fields, words", [
    ({"start": "2027-01-01"}, "give start and end"),
    ({"every": "year", "start": "12-32", "end": "01-07"}, "use MM-DD"),
    ({"start": "2027-01-02", "end": "2027-01-01"}, "is not after start"),
    ({"holidays": "NL", "start": "2027-01-01"}, "takes no start"),
])
def test_a_bad_freeze_is_named_in_the_catalog(fields, words):
    from orchestrator.catalog import catalog_from_data
    from orchestrator.errors import CatalogError

    with pytest.raises(CatalogError) as caught:
        catalog_from_data({"services": [service("app")], "calendar": {"freezes": [{"name": "f", **fields}]}})
    [problem] = caught.value.problems
    assert "section 'calendar': field 'freezes[0]'" in problem and words in problem
