"""The shape of a plan: waves 1..n with what each places, the gaps between them, and what the
plan does not place again. Plain frozen data; :mod:`.waves` makes it, reports and the journal read it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

from orchestrator.planning.cost import DelayCost
from orchestrator.planning.rules import PlanOptions

CRITICAL_PATH = "critical path first"
#: What each priority order means, for reports.
PRIORITIES = {
    CRITICAL_PATH: "the longest remaining chain of hard dependencies first, then smaller, then "
                   "less critical services, then by id",
    "deadline first": "the latest wave each service may take first (its own deadline, and one wave "
                      "before each hard dependant's), then the critical path",
}


class Placement(NamedTuple):
    service_id: str
    action: str


class Done(NamedTuple):
    """A service the plan does not place again: already cut over or retired, by ``run_id``."""

    service_id: str
    state: str
    run_id: str


#: What the outputs call each test track.
TRACK_NAMES = {"azure-test": "Azure test track"}


class TrackStage(NamedTuple):
    """The test track ``service_id``'s ``build`` goes through before its wave, ``before_wave``
    (which starts on ``start``), and where it stands (from the journal, else ``not run``)."""

    service_id: str
    track: str
    build: str
    before_wave: int
    start: dt.date
    standing: str = "not run"

    @property
    def label(self) -> str:
        """"Azure test track (build B) before wave N"."""
        name = TRACK_NAMES.get(self.track, self.track)
        return f"{name} (build {self.build}) before wave {self.before_wave}"

    def line(self) -> str:
        return f"{self.label}: {self.service_id}, {self.standing}"


@dataclass(frozen=True)
class Wave:
    """Wave ``number`` (1..n, counting only the periods in which something moves) takes period
    ``period`` of the grid, from ``start`` to ``end``."""

    number: int
    start: dt.date
    end: dt.date
    placements: tuple[Placement, ...]
    period: int


@dataclass(frozen=True)
class Gap:
    """Periods in which nothing moves, from ``start`` to ``end``, before wave ``before``; the
    reason says what the services of that wave waited for."""

    start: dt.date
    end: dt.date
    before: int
    reason: str


@dataclass(frozen=True)
class Plan:
    """Waves 1..n, numbered densely over the periods that hold services, with the gaps between
    them, and where each service sits.

    ``wave_of`` gives each service's *period* on the grid (the scheduler's and the explainer's
    unit: period k starts ``start + (k-1) * length``); what users see is ``wave_for(id).number``.
    ``priority`` says which order filled the waves (the critical path, unless a deadline made
    the planner search for another). ``done`` names services already migrated or retired,
    which the plan does not place again; ``stages`` the test tracks before the waves, in wave
    order."""

    options: PlanOptions
    waves: tuple[Wave, ...]
    wave_of: Mapping[str, int]
    pilot_waves: int
    cost: DelayCost | None
    priority: str = CRITICAL_PATH
    gaps: tuple[Gap, ...] = ()
    done: tuple[Done, ...] = ()
    stages: tuple[TrackStage, ...] = ()

    @property
    def end_date(self) -> dt.date | None:
        return self.waves[-1].end if self.waves else None

    @cached_property
    def _by_period(self) -> dict[int, Wave]:
        return {w.period: w for w in self.waves}

    def wave_at(self, period: int) -> Wave | None:
        """The wave that takes ``period`` of the grid, or None when nothing moves in it."""
        return self._by_period.get(period)

    def wave_for(self, service_id: str) -> Wave:
        """The wave ``service_id`` sits in."""
        return self._by_period[self.wave_of[service_id]]
