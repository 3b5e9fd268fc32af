"""The programme dashboard's files: ``dashboard.html`` (one self-contained page: inline CSS and SVG,
no script, no external asset, printable to PDF), ``dashboard.md`` and ``status.json`` (the status
document itself), all from one status document (orchestrator/dashboard)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.reports.dashboard_markdown import (
    FITS,
    NO_FORECAST,
    NO_TRACK_RUN,
    amount,
    failed_ids,
    outcome_counts,
    render_markdown,
    tally,
)
from orchestrator.reports.dashboard_svg import gantt, histogram
from orchestrator.reports.files import write_whole

__all__ = ["FILES", "render_html", "render_json", "render_markdown", "write_reports"]

FILES = ("dashboard.html", "dashboard.md", "status.json")


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_html(document: dict[str, Any]) -> str:
    from orchestrator.reports.templates import render

    return render("dashboard.html.j2", doc=document, gantt=gantt(document["timeline"]),
                  histogram=histogram(document["forecast"]), fits=FITS,
                  no_forecast=NO_FORECAST[document["plan"] is not None], no_track_run=NO_TRACK_RUN,
                  outcome_counts=outcome_counts, failed_ids=failed_ids, amount=amount,
                  tally=tally)


def write_reports(document: dict[str, Any], folder: Path) -> list[Path]:
    """Render all three, then write each aside and rename it in: never a half-written file."""
    texts = dict(zip(FILES, (render_html(document), render_markdown(document), render_json(document)),
                     strict=True))
    folder.mkdir(parents=True, exist_ok=True)
    return [write_whole(folder / name, text) for name, text in texts.items()]
