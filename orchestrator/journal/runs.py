"""The runs table: one row per wave or rollback run, with its status and its ``detail``.

``detail`` is stored as JSON text (the run's members, the plan it came from, the services held);
:class:`RunDetail` is the one place that text is parsed and written.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update

from orchestrator import clock
from orchestrator.journal import schema

if TYPE_CHECKING:
    from orchestrator.journal.store import Journal

#: The statuses a run ends in: no one resumes it (`wave resume` refuses them); its finished_at is set.
FINAL = frozenset({"done", "rolled-back", "destroyed"})


@dataclass(frozen=True)
class RunDetail:
    """What a wave run records about itself: its members, the plan it was taken from, and the
    services it holds (service -> why); ``held`` is None until the runner first records it."""

    services: tuple[str, ...] = ()
    plan: int | None = None
    held: dict[str, str] | None = None
    #: A track run's own record (journal/tracks.py reads it): the track, build, variables, budget,
    #: expiry, the acceptance tests' tally and what a failed destroy left.
    track: dict[str, Any] | None = None

    @classmethod
    def parse(cls, text: str) -> RunDetail:
        data: dict[str, Any] = json.loads(text or "{}")
        held = data.get("held")
        return cls(tuple(data.get("services", ())), data.get("plan"),
                   dict(held) if held is not None else None, data.get("track"))

    def to_json(self) -> str:
        data: dict[str, Any] = {"services": list(self.services), "plan": self.plan}
        if self.held is not None:
            data["held"] = self.held
        if self.track is not None:
            data["track"] = self.track
        return json.dumps(data)


@dataclass(frozen=True)
class Run:
    id: str
    wave: int
    kind: str
    status: str
    owner: str
    created_at: float
    updated_at: float
    detail: str
    started_at: float | None = None
    finished_at: float | None = None

    @property
    def parsed_detail(self) -> RunDetail:
        """``detail`` parsed: the run's members, plan and held services."""
        return RunDetail.parse(self.detail)


def create(journal: Journal, run_id: str, wave: int, kind: str, owner: str, status: str) -> Run:
    now = time.time()
    with journal.engine.begin() as connection:
        connection.execute(insert(schema.runs).values(
            id=run_id, wave=wave, kind=kind, status=status, owner=owner, created_at=now,
            updated_at=now, detail="", started_at=clock.timestamp(),
            finished_at=clock.timestamp() if status in FINAL else None))
    created = get(journal, run_id)
    assert created is not None
    return created


def get(journal: Journal, run_id: str) -> Run | None:
    with journal.engine.connect() as connection:
        row = connection.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
    return Run(**row._mapping) if row else None


def every(journal: Journal, wave: int | None = None) -> list[Run]:
    query = select(schema.runs).order_by(schema.runs.c.created_at)
    if wave is not None:
        query = query.where(schema.runs.c.wave == wave)
    with journal.engine.connect() as connection:
        return [Run(**row._mapping) for row in connection.execute(query)]


def set_status(journal: Journal, run_id: str, status: str, detail: str | RunDetail = "") -> None:
    """Set the run's status and detail; a final status (:data:`FINAL`) records when the run
    finished, the first time only (a done run rolled back later keeps its end), and any other
    status clears it (the run goes on)."""
    text = detail.to_json() if isinstance(detail, RunDetail) else detail
    now = clock.timestamp()
    finished = func.coalesce(schema.runs.c.finished_at, now) if status in FINAL else None
    with journal.engine.begin() as connection:
        connection.execute(update(schema.runs).where(schema.runs.c.id == run_id).values(
            status=status, detail=journal.redact(text), updated_at=now, finished_at=finished))
