"""The next waves' rehearsals: for each wave of the approved plan not yet done (the next few), its
newest dry-run, approved or not, with its unknowns and its would-fail count."""

from __future__ import annotations

from typing import Any

from orchestrator.journal.dry_runs import list_dry_runs

#: How many of the waves still to do are shown.
NEXT_WAVES = 3


def rehearsal_rows(journal: Any, waves: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for wave in [w for w in waves if w["status"] != "done"][:NEXT_WAVES]:
        found = list_dry_runs(journal, wave["number"])
        latest = found[-1] if found else None
        tasks = latest.document.get("tasks", []) if latest else []
        rows.append({"wave": wave["number"], "dry_run": latest.id if latest else None,
                     "status": latest.status if latest else "not rehearsed",
                     "approved": bool(latest and latest.approved),
                     "approved_by": latest.approved_by if latest else None,
                     "unknown": sum(1 for t in tasks if t.get("outcome") == "unknown"),
                     "would_fail": sum(1 for t in tasks if t.get("outcome") == "fail")})
    return rows
