"""The rule of the test tracks, once: which track run counts for a service (the newest of the
catalog's build) and where it stands. PRE-AZT-001 holds a service by it; the plan shows it."""

from __future__ import annotations

from typing import Any

from orchestrator.journal.tracks import TrackRun, track_runs

NOT_RUN = "not run"
DONE = "done"


def newest_of_build(runs: list[TrackRun], build: str) -> TrackRun | None:
    """The newest of ``runs`` (oldest first, as track_runs gives them) of ``build``."""
    matching = [r for r in runs if r.build == build]
    return matching[-1] if matching else None


def standing(run: TrackRun | None) -> str:
    """done (passed, environment destroyed), destroy-failed, passed but not destroyed, the run's
    status otherwise, or not run."""
    if run is None:
        return NOT_RUN
    if run.passed and run.destroyed:
        return DONE
    if run.status == "destroy-failed":
        return "destroy-failed"
    return "passed, not destroyed" if run.passed else run.status


def standings(journal: Any, catalog: Any) -> dict[str, str]:
    """Each catalog service with a test track -> the standing of its build's newest run."""
    wanted = {s.id: s.test_track for s in catalog.services if s.test_track is not None}
    if not wanted:
        return {}
    runs: dict[str, list[TrackRun]] = {}
    for run in track_runs(journal):
        runs.setdefault(run.service, []).append(run)
    return {sid: standing(newest_of_build([r for r in runs.get(sid, []) if r.track == track.track],
                                          track.build))
            for sid, track in wanted.items()}
