"""The programme on one time axis: the approved plan's waves (planned), the runs as they happened,
today, the legacy contract end, and the forecast's P50 and P90 end when a forecast is given."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrator.dashboard.times import day
from orchestrator.journal import Run
from orchestrator.journal.tracks import KIND as TRACK


def run_spans(runs: list[Run]) -> list[dict[str, Any]]:
    """Each run of a wave from its start to its end (its last change while it has not finished);
    the test tracks' runs have their own part (dashboard/tracks.py), not a wave's row."""
    return [{"id": r.id, "wave": r.wave, "kind": r.kind, "status": r.status,
             "start": day(r.started_at or r.created_at),
             "end": day(r.finished_at or r.updated_at), "finished": r.finished_at is not None}
            for r in runs if r.kind != TRACK]


def timeline(plan: Any, spans: list[dict[str, Any]], today: dt.date, contract_end: dt.date | None,
             forecast: dict[str, Any] | None) -> dict[str, Any]:
    """The axis (first and last day shown) and the marks on it."""
    waves = [{"number": int(w["number"]), "start": w["start"], "end": w["end"]}
             for w in (plan.waves if plan else [])]
    marks = {"today": today.isoformat(),
             "contract_end": contract_end.isoformat() if contract_end else None,
             "p50": forecast["p50"] if forecast else None, "p90": forecast["p90"] if forecast else None}
    days = [w[k] for w in waves for k in ("start", "end")] + [s[k] for s in spans for k in ("start", "end")]
    days += [v for v in marks.values() if v]
    return {"from": min(days), "to": max(days), "waves": waves, "runs": spans, **marks}
