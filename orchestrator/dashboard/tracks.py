"""The test tracks' runs (the Azure test track): per run its service, build, status and times,
its guardrails' results (a count per outcome, the ids that failed), its budget and expiry, its
acceptance tests' tally and the resources a failed destroy left."""

from __future__ import annotations

from typing import Any

from orchestrator.dashboard.times import moment
from orchestrator.journal.evidence import results
from orchestrator.journal.tracks import TrackRun, track_runs
from orchestrator.policy.tracks import standing


def track_rows(journal: Any) -> list[dict[str, Any]]:
    """Every track run, oldest first."""
    return [_row(journal, run) for run in track_runs(journal)]


def _row(journal: Any, run: TrackRun) -> dict[str, Any]:
    junit = run.junit or {}
    return {"run": run.run_id, "track": run.track, "service": run.service, "build": run.build,
            "status": run.status, "standing": standing(run), "started": moment(_started(journal, run)),
            "finished": moment(run.finished_at), "guardrails": guardrails(journal, run.run_id),
            "budget": {"amount": run.budget.get("amount"), "expires_on": run.expires_on},
            "acceptance": {"tests": junit["tests"], "failures": junit.get("failures", 0)}
            if "tests" in junit else None,
            "held": dict(sorted(run.held.items())), "resources_left": list(run.resources_left)}


def _started(journal: Any, run: TrackRun) -> float | None:
    """When the run started by the tool's clock (the run's own record; TrackRun's created_at is
    the wall clock's)."""
    recorded = journal.run(run.run_id)
    return recorded.started_at if recorded is not None and recorded.started_at else run.created_at


def guardrails(journal: Any, run_id: str) -> dict[str, Any]:
    """The guardrails' results of the run (the newest of each id): a count per outcome, the ids
    that failed, sorted, and who overrode which (``--override``)."""
    newest = {r.check_id: r for r in results(journal, run_id=run_id)}
    counts: dict[str, int] = {}
    for result in newest.values():
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return {"counts": dict(sorted(counts.items())),
            "failed": sorted(check for check, r in newest.items() if r.outcome == "FAIL"),
            "overridden": {check: r.overridden_by for check, r in sorted(newest.items()) if r.overridden_by}}
