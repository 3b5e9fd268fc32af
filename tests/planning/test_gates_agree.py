"""The planner and the gates agree: over random catalogs, random release decisions and availability
rules, every service the plan places passes the real release, window, contract and availability
preconditions on the first day of its wave, when the release decisions the plan forecasts come
true (an undecided release is accepted on its catalog date, in release order)."""

from __future__ import annotations

import datetime as dt
import os
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert

from orchestrator.catalog import catalog_from_data
from orchestrator.checks import CheckContext, Outcome, run_checks
from orchestrator.checks.windows import AMSTERDAM
from orchestrator.cli.plan import planned
from orchestrator.clock import NOW_ENV
from orchestrator.errors import PlanInfeasible
from orchestrator.journal import Journal, releases, resolve_url, schema
from orchestrator.planning.standing import Standing
from orchestrator.policy.releases import Decision, in_order
from orchestrator.sites import load_site
from tests.checks.conftest import write_site
from tests.planning.test_properties import START, catalogs, day

CHECKED = {"PRE-REL-001", "PRE-WIN-001", "PRE-CON-001", "PRE-AVL-001"}
PROFILE = settings(max_examples=80, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def site_and_journal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("agree")
    path = write_site(folder / "site", name="agree")
    journal = Journal(resolve_url(folder / "site" / "journal.db", None))
    yield load_site(path), journal
    journal.close()


@st.composite
def cases(draw):
    data, options = draw(catalogs())
    data["calendar"] = {"availability_norm": draw(st.sampled_from([99.5, 99.8, 99.9])),
                        "availability_period": draw(st.sampled_from(["month", "quarter", "four-months",
                                                                     "year"]))}
    for s in data["services"]:
        if draw(st.booleans()):
            s["expected_downtime_minutes"] = draw(st.integers(0, 400))
    decisions = {}
    for release in data["releases"]:
        kind = draw(st.sampled_from(["none", "none", "accepted", "rejected"]))
        if kind != "none":
            when = dt.date.fromisoformat(day(draw(st.integers(-30, 250))))
            decisions[release["id"]] = Decision(release["id"], kind, when, "board", "agree")
    return data, options, decisions


def decide_by(journal, catalog, decisions, moment: dt.date) -> None:
    """The journal as it stands on ``moment``: the decisions taken by then, the forecast ones
    (undecided releases accepted on their catalog date) too, in release order."""
    decided = []
    with journal.engine.begin() as connection:
        connection.execute(delete(schema.release_decisions))
        connection.execute(delete(schema.decisions))
        connection.execute(delete(schema.release_validations))
        for number, release in enumerate(in_order(catalog), start=1):
            decision = decisions.get(release.id)
            status, when = (decision.status, decision.day) if decision else ("accepted", release.available)
            if when is None or when > moment:
                continue
            at = dt.datetime.combine(when, dt.time(8), AMSTERDAM).timestamp()
            connection.execute(insert(schema.release_validations).values(
                id=number, release_id=release.id, manifest_sha256="0" * 64, outcome="PASS", results="{}",
                reports="{}", site="agree", by="board", at=at))
            decided.append((release.id, status, number, at))
    for release_id, status, number, at in decided:  # through the tool: a decision behind each row
        os.environ[NOW_ENV] = dt.datetime.fromtimestamp(at, AMSTERDAM).isoformat()
        try:
            releases.decide(journal, release_id, "0" * 64, status, number, "board", "forecast")
        finally:
            del os.environ[NOW_ENV]


@PROFILE
@given(cases())
def test_every_placed_service_passes_its_gates_on_its_waves_first_day(site_and_journal, case):
    site, journal = site_and_journal
    data, options, decisions = case
    catalog = catalog_from_data(data)
    standing = Standing(START, decisions)
    try:
        _, plan = planned(catalog, options.start, options.wave_length_days, options.capacity,
                          options.pilot_waves, standing=standing)
    except PlanInfeasible as refused:
        assert refused.conflicts and all(("downtime" in p or "release" in p) for p in refused.conflicts)
        event("no plan: a downtime or a release can never fit")
        return
    event("planned")
    for wave in plan.waves:
        number = wave.number
        decide_by(journal, catalog, decisions, wave.start)
        saved = SimpleNamespace(id=1, wave=lambda _n, w=wave: {"start": w.start.isoformat(),
                                                               "end": w.end.isoformat()})
        moment = dt.datetime.combine(wave.start, dt.time(9), AMSTERDAM)
        members = [p.service_id for p in wave.placements]
        ctx = CheckContext(catalog=catalog, site=site, journal=journal, now=moment, plan=saved,
                           wave=number, members=members)
        for sid in members:
            results = run_checks(ctx, catalog.service(sid), only=CHECKED)
            failing = [r for r in results if r.outcome in (Outcome.FAIL, Outcome.INCONCLUSIVE)]
            assert not failing, (sid, wave.start, [(r.check_id, r.summary) for r in failing])
