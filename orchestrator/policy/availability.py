"""The availability rule: a service's cutover downtime must fit what its availability norm leaves
of the budget of the current reporting period, counting the downtime already journalled in it.

The catalog states the period (``calendar.availability_period``: month, quarter, four-months or
year; month when not given). Logius reports its availability per four months (the
"viermaandsrapportage"), so the shipped catalog counts the 99.8% norm over those periods: 0.2% of
about 120 days is about 346 minutes. The planner places a service only in a period whose budget
can take its downtime (:func:`earliest_fit`); PRE-AVL-001 applies :func:`verdict` at the moment of
the change. A downtime larger than a whole period's budget can never fit: the plan says so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

#: Months per reporting period, by name; periods start on 1 January.
PERIOD_MONTHS = {"month": 1, "quarter": 3, "four-months": 4, "year": 12}
DEFAULT_PERIOD = "month"
#: Expected cutover downtime in minutes by size, when a service declares none.
DEFAULT_DOWNTIME = {"S": 15, "M": 30, "L": 60, "XL": 120}


@dataclass(frozen=True)
class Period:
    name: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def minutes(self) -> float:
        return (self.end - self.start).days * 24 * 60

    def describe(self) -> str:
        last = self.end - dt.timedelta(days=1)
        return f"{self.name} {self.start:%Y-%m-%d}..{last:%Y-%m-%d}"


def period_of(day: dt.date, name: str) -> Period:
    """The reporting period named ``name`` that holds ``day``."""
    months = PERIOD_MONTHS[name]
    first = (day.month - 1) // months * months + 1
    start = dt.date(day.year, first, 1)
    after = first + months
    end = dt.date(day.year + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    return Period(name, start, end)


def period_name(catalog: Any) -> str:
    calendar = catalog.calendar
    return (calendar.availability_period if calendar is not None else None) or DEFAULT_PERIOD


def allowance(norm: float, period: Period) -> float:
    """Minutes of downtime ``norm`` (%) allows in ``period``."""
    return (100 - norm) / 100 * period.minutes


def expected_downtime(service: Any) -> tuple[float, str]:
    """The service's expected cutover downtime in minutes, and where the figure comes from."""
    if service.expected_downtime_minutes is not None:
        return service.expected_downtime_minutes, "declared"
    return DEFAULT_DOWNTIME[service.size.value], f"default for size {service.size.value}"


@dataclass(frozen=True)
class Verdict:
    fits: bool
    expected: float
    basis: str
    allowed: float
    used: float
    period: Period

    @property
    def left(self) -> float:
        return self.allowed - self.used

    def summary(self) -> str:
        if self.fits:
            return f"expected {self.expected:g} min of {self.left:.1f} min left in {self.period.describe()}"
        return (f"expected downtime {self.expected:g} min exceeds the {self.left:.1f} min left in "
                f"{self.period.describe()}")


def verdict(catalog: Any, service: Any, day: dt.date, used: float) -> Verdict | None:
    """Whether the service's downtime fits the period of ``day`` with ``used`` minutes already
    gone; None when no norm applies."""
    norm = catalog.availability_norm(service)
    if norm is None:
        return None
    period = period_of(day, period_name(catalog))
    expected, basis = expected_downtime(service)
    allowed = allowance(norm, period)
    return Verdict(expected <= allowed - used, expected, basis, allowed, used, period)


def never_fits(catalog: Any, service: Any) -> str | None:
    """Why no period can ever take the service's downtime (larger than the smallest budget of a
    whole period), or None."""
    norm = catalog.availability_norm(service)
    if norm is None or not service.moves:
        return None
    name = period_name(catalog)
    smallest = min(allowance(norm, period_of(dt.date(2023, m, 1), name)) for m in range(1, 13))
    expected, basis = expected_downtime(service)
    if expected > smallest:
        return (f"{service.id}: expected downtime {expected:g} min ({basis}) exceeds the {smallest:.1f} "
                f"min a {name} allows at {norm}% availability: no wave can take it; shorten the "
                f"cutover or state a longer availability_period in the catalog's calendar")
    return None


def earliest_fit(catalog: Any, service: Any, day: dt.date, used: float) -> dt.date | None:
    """The first day from ``day`` on whose period takes the service's downtime, given ``used``
    minutes already journalled in the period of ``day`` (later periods start empty); None when
    no norm applies or it fits at once."""
    found = verdict(catalog, service, day, used)
    if found is None or found.fits or not service.moves:
        return None
    return found.period.end


def journalled_downtime(journal: Any, service_id: str, period: Period) -> float:
    """Minutes of downtime the journal holds for the service in ``period`` (Amsterdam days): from
    the start of each freeze to the end of the done cutover after it."""
    from orchestrator.clock import AMSTERDAM

    start = dt.datetime.combine(period.start, dt.time(), AMSTERDAM).timestamp()
    end = dt.datetime.combine(period.end, dt.time(), AMSTERDAM).timestamp()
    executions = journal.executions(service=service_id)
    minutes = 0.0
    for freeze in (e for e in executions if e.step == "freeze" and e.started_at):
        cutover = next((e for e in executions if e.run_id == freeze.run_id and e.step == "cutover"
                        and e.status == "done" and e.finished_at), None)
        finished = cutover.finished_at if cutover else None
        if finished is not None and start <= finished:
            minutes += (min(finished, end) - max(freeze.started_at, start)) / 60
    return max(minutes, 0.0)
