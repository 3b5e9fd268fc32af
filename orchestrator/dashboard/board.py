"""The blocker board: every blocker not resolved, overdue ones first, then by severity, due date
and id; counts per severity and per owner; and the waivers that expire within 14 days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrator.journal.blockers import SEVERITIES, list_blockers

#: How far ahead a waiver's expiry is shown.
WAIVER_HORIZON_DAYS = 14


def blocker_board(journal: Any, today: dt.date) -> dict[str, Any]:
    items = [b for b in list_blockers(journal) if b.status != "resolved"]
    rows = [_row(b, today) for b in items]
    rows.sort(key=lambda r: (not r["overdue"], SEVERITIES.index(r["severity"]),
                             r["due"] or "9999-12-31", r["id"]))
    horizon = today + dt.timedelta(days=WAIVER_HORIZON_DAYS)
    waivers = [{"id": b.id, "title": b.title, "owner": b.waiver_owner, "reason": b.waiver_reason,
                "expires": b.waiver_expires,
                "days_left": (dt.date.fromisoformat(b.waiver_expires) - today).days}
               for b in items if b.status == "waived" and b.waiver_expires
               and today <= dt.date.fromisoformat(b.waiver_expires) <= horizon]
    return {"blockers": rows,
            "by_severity": {s: sum(1 for r in rows if r["severity"] == s) for s in SEVERITIES},
            "by_owner": {o: sum(1 for r in rows if r["owner"] == o)
                         for o in sorted({r["owner"] for r in rows})},
            "overdue": sum(1 for r in rows if r["overdue"]),
            "waivers_expiring": sorted(waivers, key=lambda w: (w["expires"], w["id"]))}


def _row(blocker: Any, today: dt.date) -> dict[str, Any]:
    in_force = blocker.in_force(today)
    late = (today - dt.date.fromisoformat(blocker.due)).days if blocker.due else 0
    return {"id": blocker.id, "scope": blocker.scope, "severity": blocker.severity, "title": blocker.title,
            "owner": blocker.owner, "due": blocker.due, "status": blocker.state_on(today),
            "in_force": in_force, "overdue": in_force and late > 0,
            "days_overdue": max(late, 0) if in_force else 0}
