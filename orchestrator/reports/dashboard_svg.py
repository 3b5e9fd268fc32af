"""The geometry of the dashboard's two pictures, computed here and drawn by the template: the
Gantt chart (one row per planned wave: its planned bar, the runs of the wave under it; today, the
contract end and the forecast's P50 and P90 as vertical lines) and the forecast's histogram.
Every coordinate is a string with one decimal, so the page's bytes never depend on float printing."""

from __future__ import annotations

import datetime as dt
from typing import Any

WIDTH, LEFT, RIGHT, TOP, ROW = 960, 110, 16, 34, 28
HIST_HEIGHT = 160


def _f(value: float) -> str:
    return f"{value:.1f}"


def gantt(timeline: dict[str, Any]) -> dict[str, Any]:
    first = dt.date.fromisoformat(timeline["from"])
    last = dt.date.fromisoformat(timeline["to"]) + dt.timedelta(days=1)
    span = max((last - first).days, 1)

    def x(day: str, end: bool = False) -> float:
        moment = dt.date.fromisoformat(day) + dt.timedelta(days=1 if end else 0)
        return LEFT + (moment - first).days / span * (WIDTH - LEFT - RIGHT)

    planned = [w["number"] for w in timeline["waves"]]
    numbers = planned + sorted({r["wave"] for r in timeline["runs"]} - set(planned))
    rows = []
    for i, number in enumerate(numbers):
        y = TOP + i * ROW
        wave = next((w for w in timeline["waves"] if w["number"] == number), None)
        bar = None if wave is None else {"x": _f(x(wave["start"])), "y": _f(y + 2), "height": "11",
                                         "width": _f(max(x(wave["end"], True) - x(wave["start"]), 1)),
                                         "title": f"wave {number} planned {wave['start']} .. {wave['end']}"}
        runs = [{"x": _f(x(r["start"])), "y": _f(y + 15), "height": "8",
                 "width": _f(max(x(r["end"], True) - x(r["start"]), 2)), "status": r["status"],
                 "title": f"{r['id']} ({r['kind']}) {r['status']}: {r['start']} .. {r['end']}"
                          + ("" if r["finished"] else ", not finished")}
                for r in timeline["runs"] if r["wave"] == number]
        rows.append({"label": f"wave {number}", "label_y": _f(y + 14), "bar": bar, "runs": runs})
    height = TOP + max(len(numbers), 1) * ROW + 8
    marks = [{"name": name, "label": label, "x": _f(x(timeline[name]))}
             for name, label in (("contract_end", "contract end"), ("p50", "P50"), ("p90", "P90"),
                                 ("today", "today")) if timeline.get(name)]
    return {"width": WIDTH, "height": height, "rows": rows, "marks": marks, "ticks": _ticks(first, last, x),
            "bottom": _f(height - 4)}


def _ticks(first: dt.date, last: dt.date, x: Any) -> list[dict[str, str]]:
    """A tick at the first of each month (of each quarter when the axis spans over two years)."""
    step = 3 if (last - first).days > 730 else 1
    ticks, month = [], dt.date(first.year, first.month, 1)
    while month < last:
        if month >= first and (month.month - 1) % step == 0:
            ticks.append({"x": _f(x(month.isoformat())), "label": f"{month:%Y-%m}"})
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return ticks


def histogram(forecast: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bars of the forecast's end dates (None without a forecast)."""
    if not forecast or not forecast.get("histogram"):
        return None
    bins = forecast["histogram"]
    most = max(b["count"] for b in bins) or 1
    width = (WIDTH - LEFT - RIGHT) / len(bins)
    bars = [{"x": _f(LEFT + i * width), "width": _f(max(width - 1, 1)),
             "y": _f(10 + HIST_HEIGHT * (1 - b["count"] / most)),
             "height": _f(HIST_HEIGHT * b["count"] / most),
             "title": f"{b['from']} .. {b['to']}: {b['count']} of {forecast['iterations']}"}
            for i, b in enumerate(bins)]
    return {"width": WIDTH, "height": HIST_HEIGHT + 40, "bars": bars, "base": _f(10 + HIST_HEIGHT),
            "first": bins[0]["from"], "last": bins[-1]["to"], "left": LEFT, "right": WIDTH - RIGHT}
