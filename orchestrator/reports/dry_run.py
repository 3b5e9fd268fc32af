"""The dry run of a wave for its readers: the terminal table after ``wave dry-run N``, and the files
``dry-run.md`` (the workgroup), ``dry-run.html`` (one self-contained page: inline CSS, no script,
no external asset, diffs folded) and ``dry-run.json`` (the document itself).

Every format puts what needs attention (would fail, unknown) before the changes, shows each
attribute Terraform knows only after apply as "known after apply", and a delete-and-create as
"replace". The words and the order are dry_run_view's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.reports.dry_run_markdown import render_markdown
from orchestrator.reports.dry_run_table import render_table
from orchestrator.reports.dry_run_view import (
    ATTENTION_WORDS,
    KNOWN_AFTER_APPLY,
    WAVE,
    attention_items,
    blockers_text,
    downtime_cell,
    downtime_text,
    header,
    outcome_word,
    phases_text,
    rollback_text,
    service_views,
)
from orchestrator.reports.files import write_whole

__all__ = ["render_html", "render_json", "render_markdown", "render_table", "write_reports"]

#: the CSS class of a task's outcome
CLASSES = {"change": "change", "no-change": "no-change", "unknown": "unknown", "fail": "would-fail"}


def render_json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True)


def render_html(document: dict[str, Any]) -> str:
    """One page, autoescaped (a diff's ``<script>`` is text), readable from file:// with no network."""
    from orchestrator.reports.templates import render

    views = service_views(document)
    return render("dry_run.html.j2", head=header(document), digests=document.get("digests") or {},
                  views=views, items=attention_items(views), wave=WAVE, words=ATTENTION_WORDS,
                  classes=CLASSES, known_after_apply=KNOWN_AFTER_APPLY, outcome=outcome_word,
                  downtime=downtime_text, downtime_cell=downtime_cell,
                  phases=phases_text, rollback=rollback_text, blockers=blockers_text)


def write_reports(document: dict[str, Any], folder: Path) -> list[Path]:
    """Write dry-run.md, dry-run.html and dry-run.json into ``folder`` (made if missing); their paths.
    All three are rendered first, then each is written aside and renamed into place: a file is
    either the old one or the whole new one, never half-written."""
    texts = {"dry-run.md": render_markdown(document), "dry-run.html": render_html(document),
             "dry-run.json": render_json(document)}
    folder.mkdir(parents=True, exist_ok=True)
    return [write_whole(folder / name, text) for name, text in texts.items()]
