"""A scenario comparison for its readers: the terminal table, Markdown, one self-contained HTML page
(inline CSS, no script, no external asset) and JSON, all from the document of
``orchestrator.scenarios.compare``; and writing one of them to a file whole or not at all."""

from __future__ import annotations

import json
from typing import Any

from orchestrator.reports.scenario_markdown import render_markdown
from orchestrator.reports.scenario_table import render_table
from orchestrator.reports.scenario_view import (
    agreement_lines,
    critical_line,
    first_place_text,
    flip_text,
    method_line,
    monte_carlo_line,
    names,
    ranked,
    shares,
    source_line,
)

__all__ = ["render", "render_html", "render_markdown", "render_table"]


def render_html(document: dict[str, Any]) -> str:
    from orchestrator.reports.templates import render as render_template

    sens = document["sensitivity"]
    who = names(document)
    rows = list(zip(document["criteria"], sens["pair"], sens["first_place"], strict=True))
    return render_template("scenario.html.j2", doc=document, ranked=ranked(document), who=who,
                           source=source_line(document), agreement=agreement_lines(document),
                           critical=critical_line(document), method=method_line(document),
                           monte_carlo=monte_carlo_line(document), shares=shares(document),
                           rows=rows, flip=flip_text, first_place=first_place_text)


def render(document: dict[str, Any], fmt: str) -> str:
    """The document in ``fmt``: table, md, html or json."""
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    renderers = {"table": render_table, "md": render_markdown, "html": render_html}
    return renderers[fmt](document)
