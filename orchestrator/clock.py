"""The one clock of the tool: every check, the planner and the journal's records read it.

Without ``LOGIUS_MIGRATE_NOW`` it is the system clock. With it (ISO 8601; a date or a time without
a zone is Amsterdam time) a rehearsal or a test stands on that moment: the clock starts there when
the process starts and runs on at the real pace, so durations measured inside a process (a
cutover's downtime, a backup's age) stay true. Leases and process liveness keep the system clock:
they are agreements between processes, not records of the programme.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

#: Where the programme's calendar is kept: freezes, windows and "today" are Amsterdam time.
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
NOW_ENV = "LOGIUS_MIGRATE_NOW"
_STARTED = time.time()


def _origin() -> dt.datetime | None:
    fixed = os.environ.get(NOW_ENV)
    if not fixed:
        return None
    try:
        moment = dt.datetime.fromisoformat(fixed)
    except ValueError:
        from orchestrator.errors import InputError

        raise InputError(f"${NOW_ENV}={fixed!r}: not an ISO 8601 date or time "
                         f"(e.g. 2023-06-12 or 2023-06-12T09:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=AMSTERDAM)
    return moment


def now() -> dt.datetime:
    """The moment (aware): the system clock, or ``$LOGIUS_MIGRATE_NOW`` plus the time this process
    has run."""
    origin = _origin()
    if origin is None:
        return dt.datetime.now(dt.UTC)
    return origin + dt.timedelta(seconds=time.time() - _STARTED)


def timestamp() -> float:
    """:func:`now` as seconds since the epoch, for the journal's records."""
    return now().timestamp()


def today() -> dt.date:
    """The day of :func:`now` in Amsterdam, where the programme's calendar is kept."""
    return now().astimezone(AMSTERDAM).date()
