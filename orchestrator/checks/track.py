"""The check that a service's build went through its test track (Digipoort: the Azure test track):
a passed run of the catalog's build, its environment destroyed, or a waiver still in force."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from orchestrator.checks.base import CheckContext, Outcome, Result, precondition
from orchestrator.checks.windows import AMSTERDAM
from orchestrator.journal.tracks import TrackRun, track_runs
from orchestrator.policy.tracks import newest_of_build


@precondition("PRE-AZT-001", "passed the Azure test track, environment destroyed")
def track_passed(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-AZT-001: the newest track run of the service's build passed its acceptance tests and its
    environment is destroyed; else a waiver not expired lets it through with a warning."""
    wanted = service.test_track
    if wanted is None:
        return make(Outcome.PASS, "no test track", "", "none")
    runs = track_runs(ctx.journal, service.id, wanted.track)
    found = _verdict(service.id, wanted, runs)
    if found.outcome is Outcome.PASS or wanted.waiver is None:
        return make(*found.parts())
    return make(*_waived(wanted.waiver, found, ctx.now.astimezone(AMSTERDAM).date()).parts())


@dataclass(frozen=True)
class _Verdict:
    """An outcome with its summary, what was asked, the answer and the remedy."""

    outcome: Outcome
    summary: str
    asked: str
    answer: str
    remedy: str = ""

    def parts(self) -> tuple[Outcome, str, str, str, str]:
        return self.outcome, self.summary, self.asked, self.answer, self.remedy


def _verdict(sid: str, wanted: Any, runs: list[TrackRun]) -> _Verdict:
    asked = f"journal: {wanted.track} track runs of {sid}, build {wanted.build}"
    run_it = f"run `logius-migrate track {wanted.track} run {sid}`"
    newest = newest_of_build(runs, wanted.build)
    if newest is None:
        others = sorted({r.build for r in runs})
        if others:
            return _Verdict(Outcome.FAIL, f"no {wanted.track} track run of build {wanted.build}, only of "
                            f"{', '.join(others)}", asked, f"builds run: {', '.join(others)}", run_it)
        return _Verdict(Outcome.FAIL, f"no {wanted.track} track run of build {wanted.build}", asked,
                        "none", run_it)
    return _newest(newest, sid, wanted, asked, run_it)


def _newest(run: TrackRun, sid: str, wanted: Any, asked: str, run_it: str) -> _Verdict:
    answer = f"{run.run_id}: {run.status}"
    destroy_it = f"destroy it: `logius-migrate track {wanted.track} destroy {sid}`"
    if run.passed and run.destroyed:
        return _Verdict(Outcome.PASS, f"{run.run_id} passed ({_tally(run)}) and was destroyed "
                        f"{_when(run)}", asked, answer)
    if run.status == "destroy-failed":
        left = ", ".join(run.resources_left) or "resources not named"
        return _Verdict(Outcome.FAIL, f"{run.run_id}: the destroy failed, left {left}", asked,
                        f"{answer}; left: {left}", destroy_it)
    if run.passed:
        return _Verdict(Outcome.FAIL, f"{run.run_id} passed but its environment is not destroyed",
                        asked, answer, destroy_it)
    return _Verdict(Outcome.FAIL, f"{run.run_id} did not pass ({run.status})", asked, answer, run_it)


def _waived(waiver: Any, found: _Verdict, today: dt.date) -> _Verdict:
    said = f"waived by {waiver.by} until {waiver.expires}: {waiver.reason}"
    if today > waiver.expires:
        return _Verdict(Outcome.FAIL, f"{found.summary}; the waiver by {waiver.by} expired on "
                        f"{waiver.expires}", found.asked, f"{found.answer}; {said}", found.remedy)
    return _Verdict(Outcome.WARN, f"{said} ({found.summary})", found.asked, f"{found.answer}; {said}")


def _tally(run: TrackRun) -> str:
    junit = run.junit or {}
    if "tests" not in junit:
        return "no JUnit tally"
    return f"{junit['tests']} tests, {junit.get('failures', 0)} failed"


def _when(run: TrackRun) -> str:
    if run.finished_at is None:
        return "(not finished)"
    moment = dt.datetime.fromtimestamp(run.finished_at, dt.UTC).astimezone(AMSTERDAM)
    return f"{moment:%Y-%m-%d %H:%M %Z}"


CHECKS = [track_passed]
