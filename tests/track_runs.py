"""Track runs written into a journal the way the track runner leaves them (journal/tracks.py's
shape), through the Journal API, for the tests of their readers: PRE-AZT-001, the plan, the
dashboard."""

from __future__ import annotations

from typing import Any

from orchestrator.journal import Journal
from orchestrator.journal.evidence import record_results
from orchestrator.journal.runs import RunDetail
from orchestrator.journal.tracks import STEPS

#: The steps' statuses of a run that passed and was destroyed.
ALL_DONE = {step: "done" for step in STEPS}


def steps_until(last: str, status: str = "done") -> dict[str, str]:
    """Every step before ``last`` done, ``last`` itself ``status``."""
    upto = STEPS[:STEPS.index(last) + 1]
    return {step: ("done" if step != last else status) for step in upto}


def record_track(journal: Journal, run_id: str, service: str, build: str, status: str,
                 steps: dict[str, str], **record: Any) -> None:
    """A track run ``run_id`` of ``service``'s ``build`` ending in ``status`` with its steps'
    statuses; ``record`` adds to its RunDetail.track (junit, resources_left, ...)."""
    journal.create_run(run_id, 0, "track", "tester")
    for seq, (step, step_status) in enumerate(steps.items()):
        journal.begin_step(run_id, service, step, seq)
        journal.finish_step(f"{run_id}/{service}/{step}", step_status)
    track = {"track": "azure-test", "service": service, "build": build, "site": "lab-azure-test",
             "variables": {}, "budget": {"amount": 500.0, "contacts": ["owner@example.org"]},
             "expires_on": "2027-03-24", **record}
    journal.set_run_status(run_id, status, RunDetail(services=(service,), track=track))


def record_guardrails(journal: Journal, run_id: str, service: str, outcomes: dict[str, str],
                      overridden_by: str | None = None) -> None:
    """Guardrail results (check id -> PASS/FAIL/INCONCLUSIVE) of the track run ``run_id``; those not
    passed overridden by ``overridden_by`` when given."""
    from orchestrator.checks import Outcome, Result

    def result(check_id: str, outcome: str) -> Result:
        by = overridden_by if outcome != "PASS" else None
        return Result(check_id, check_id, service, Outcome(outcome), f"{check_id} {outcome}",
                      overridden_by=by, override_reason="accepted for the test" if by else None)

    record_results(journal, run_id, [result(c, o) for c, o in outcomes.items()])
