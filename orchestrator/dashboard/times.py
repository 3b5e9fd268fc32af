"""Journal timestamps as the dashboard shows them: Amsterdam time, to the second."""

from __future__ import annotations

import datetime as dt

from orchestrator.clock import AMSTERDAM


def moment(timestamp: float | None) -> str | None:
    """The timestamp as ISO 8601 in Amsterdam time, to the second; None stays None."""
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, AMSTERDAM).isoformat(timespec="seconds")


def day(timestamp: float) -> str:
    """The Amsterdam day of the timestamp, YYYY-MM-DD."""
    return dt.datetime.fromtimestamp(timestamp, AMSTERDAM).date().isoformat()


def hours(start: float | None, end: float | None) -> float | None:
    """Hours from start to end, two decimals; None when either is missing."""
    if start is None or end is None:
        return None
    return round((end - start) / 3600, 2)
