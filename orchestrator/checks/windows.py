"""Change freezes and blackout windows, evaluated in Europe/Amsterdam time.

Every window becomes an interval of aware datetimes [start, end). Local wall times are placed in
Amsterdam's zone as they fall on that day, so a window across a daylight-saving change lasts the
real time it says (a night from 22:00 to 06:00 across the March change is seven hours). A yearly
window whose end comes before its start in the year crosses the new year. Dutch (or any
country's) public holidays come from the ``holidays`` package, each a whole local day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from orchestrator.clock import AMSTERDAM as AMSTERDAM  # the calendar's zone is the clock's

LEVEL_RANK = {"freeze": 2, "caution": 1}


@dataclass(frozen=True)
class ActiveWindow:
    """One occurrence of a window; ``start`` and ``end`` (exclusive) are in UTC, so that their
    difference is real time (Python subtracts datetimes of one zone by their wall clocks)."""

    name: str
    level: str  # freeze | caution
    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", self.start.astimezone(dt.UTC))
        object.__setattr__(self, "end", self.end.astimezone(dt.UTC))

    def describe(self) -> str:
        start, end = self.start.astimezone(AMSTERDAM), self.end.astimezone(AMSTERDAM)
        if start.time() == dt.time(0) and end.time() == dt.time(0):
            span = f"{start.date()} to {(end - dt.timedelta(days=1)).date()}"
        else:
            span = f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M %Z}"
        return f"{self.level} '{self.name}' ({span}, Europe/Amsterdam)"


def local(moment: str | dt.date | dt.datetime) -> dt.datetime:
    """A local wall time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, or a date) as an aware Amsterdam time."""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment) if "T" in moment else dt.date.fromisoformat(moment)
    if not isinstance(moment, dt.datetime):
        moment = dt.datetime.combine(moment, dt.time(0))
    return moment.replace(tzinfo=AMSTERDAM)


def local_bounds(start: str, end: str) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a fixed window: a date end includes that whole day."""
    finish = local(end)
    if "T" not in end:
        finish = local(dt.date.fromisoformat(end) + dt.timedelta(days=1))
    return local(start), finish


def _yearly(name: str, level: str, start: str, end: str, moment: dt.datetime) -> list[ActiveWindow]:
    """The occurrences of a yearly MM-DD window around ``moment``'s year."""
    found = []
    for year in (moment.year - 1, moment.year):
        first = _month_day(year, start)
        crosses = end < start
        last = _month_day(year + 1 if crosses else year, end)
        found.append(ActiveWindow(name, level, local(first), local(last + dt.timedelta(days=1))))
    return found


def _month_day(year: int, text: str) -> dt.date:
    month, day = (int(part) for part in text.split("-"))
    if (month, day) == (2, 29) and not _leap(year):
        day = 28
    return dt.date(year, month, day)


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def _holidays(name: str, level: str, country: str, moment: dt.datetime) -> list[ActiveWindow]:
    import holidays

    today = moment.astimezone(AMSTERDAM).date()
    days = holidays.country_holidays(country, years=today.year)
    if today not in days:
        return []
    return [ActiveWindow(f"{name}: {days.get(today)}", level, local(today),
                         local(today + dt.timedelta(days=1)))]


def occurrences(freeze: object, moment: dt.datetime) -> list[ActiveWindow]:
    """The intervals of one catalog Freeze near ``moment`` (a fixed window has one)."""
    name, level = freeze.name, freeze.level  # type: ignore[attr-defined]
    if freeze.holidays:  # type: ignore[attr-defined]
        return _holidays(name, level, freeze.holidays, moment)  # type: ignore[attr-defined]
    if freeze.every == "year":  # type: ignore[attr-defined]
        return _yearly(name, level, freeze.start, freeze.end, moment)  # type: ignore[attr-defined]
    start, end = local_bounds(freeze.start, freeze.end)  # type: ignore[attr-defined]
    return [ActiveWindow(name, level, start, end)]


def active(freezes: list[object], service: object, moment: dt.datetime) -> list[ActiveWindow]:
    """Every window that holds ``service`` at ``moment``: the catalog's freezes that apply to it
    and its own blackout windows (whole local days, level freeze); most restrictive first (a
    freeze before a caution, then the one that ends last)."""
    moment = moment.astimezone(AMSTERDAM)
    found = []
    for freeze in freezes:
        scope = freeze.services  # type: ignore[attr-defined]
        if scope is not None and service.id not in scope:  # type: ignore[attr-defined]
            continue
        found += [w for w in occurrences(freeze, moment) if w.start <= moment < w.end]
    for window in service.blackout_windows:  # type: ignore[attr-defined]
        start = local(window.start)
        end = local(window.end + dt.timedelta(days=1))
        if start <= moment < end:
            found.append(ActiveWindow(window.reason or "blackout window", "freeze", start, end))
    return sorted(found, key=lambda w: (-LEVEL_RANK[w.level], -w.end.timestamp(), w.name))
