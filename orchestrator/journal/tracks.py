"""The track runs in the journal (kind ``track``), as their readers need them: which build of which
service went through which track, whether its acceptance tests passed and its environment was
destroyed, its budget and expiry, and what a failed destroy left. PRE-AZT-001, the plan and the
dashboard read them here; the engine's track runner (``engine/track.py``) writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal

KIND = "track"
#: The steps of the Azure test track, in order (``runbook.AZURE_TEST_STEPS``).
STEPS = ("az-provision", "az-deploy", "az-acceptance", "az-report", "az-destroy")


@dataclass(frozen=True)
class TrackRun:
    run_id: str
    track: str  # azure-test
    service: str
    build: str
    status: str  # running, done, partial, interrupted, failed, destroy-failed, destroyed
    created_at: float
    finished_at: float | None
    steps: dict[str, str] = field(default_factory=dict)  # step -> its execution's status
    budget: dict[str, Any] = field(default_factory=dict)  # amount, contacts
    expires_on: str | None = None
    junit: dict[str, Any] | None = None  # tests, failures, path
    resources_left: tuple[str, ...] = ()
    held: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Its acceptance tests ran and passed."""
        return self.steps.get("az-acceptance") == "done"

    @property
    def destroyed(self) -> bool:
        """Its environment was destroyed (the destroy step done)."""
        return self.steps.get("az-destroy") == "done"


def track_runs(journal: Journal, service: str | None = None, track: str | None = None) -> list[TrackRun]:
    """Every track run, oldest first; only ``service``'s or ``track``'s when given."""
    found = []
    for run in journal.runs():
        if run.kind != KIND:
            continue
        detail = run.parsed_detail
        record = detail.track or {}
        sid = record.get("service") or (detail.services[0] if detail.services else "")
        if (service is not None and sid != service) or (track is not None and record.get("track") != track):
            continue
        steps = {e.step: e.status for e in journal.executions(run_id=run.id)}
        found.append(TrackRun(run.id, record.get("track", ""), sid, record.get("build", ""), run.status,
                              run.created_at, run.finished_at, steps, dict(record.get("budget") or {}),
                              record.get("expires_on"), record.get("junit"),
                              tuple(record.get("resources_left") or ()), dict(detail.held or {})))
    return found
