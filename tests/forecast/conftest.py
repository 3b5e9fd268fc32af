"""Journals for the forecast tests, built through the journal API (no waves are run)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from orchestrator.journal import Journal, resolve_url


def approve(journal: Any, catalog: Any, waves: list[dict[str, Any]]) -> Any:
    """Save ``waves`` as a plan by ann and have bob approve it."""
    from orchestrator.journal.plans import approve_plan, save_plan

    options = {"start": waves[0]["start"], "wave_length_days": 28, "capacity": 3, "pilot_waves": 1,
               "deadline": None}
    saved = save_plan(journal, "ann", options, catalog.digest, catalog.file_digests, "lab", "0" * 64,
                      waves)
    return approve_plan(journal, saved.id, "bob", "test set-up", allow_self_approval=False)


def planned_waves(catalog: Any, start: dt.date, capacity: int = 2) -> list[dict[str, Any]]:
    """The deterministic plan of ``catalog`` from ``start``, as a saved plan keeps its waves."""
    from orchestrator.cli.plan import build_plan
    from orchestrator.cli.plans import plan_waves_document

    return plan_waves_document(build_plan(catalog, start, 28, capacity, 1))


def wave(number: int, start: dt.date, days: int, services: list[str]) -> dict[str, Any]:
    end = start + dt.timedelta(days=days - 1)
    return {"number": number, "start": start.isoformat(), "end": end.isoformat(), "services": services}


def record_step(journal: Any, run_id: str, service: str, step: str, seconds: float,
                outcomes: tuple[str, ...] = ("ok",)) -> None:
    """A done execution of ``step`` that took ``seconds``, with these attempts' outcomes."""
    from sqlalchemy import update

    from orchestrator.journal import schema

    if journal.run(run_id) is None:
        journal.create_run(run_id, 1, "wave", "ann", status="done")
    execution = journal.begin_step(run_id, service, step, 1)
    for outcome in outcomes:
        number = journal.start_attempt(execution.key)
        journal.finish_attempt(execution.key, number, outcome)
    journal.finish_step(execution.key, "done")
    with journal.engine.begin() as connection:  # the clock is fixed: set the times it took
        connection.execute(update(schema.executions).where(schema.executions.c.key == execution.key)
                           .values(started_at=1e9, finished_at=1e9 + seconds))


@pytest.fixture
def journal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LOGIUS_MIGRATE_NOW", "2022-09-01T09:00")
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as opened:
        yield opened
