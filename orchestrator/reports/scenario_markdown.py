"""A scenario comparison in Markdown, for a workgroup's page: the same content as the table."""

from __future__ import annotations

from typing import Any

from orchestrator.reports.scenario_view import (
    agreement_lines,
    assumed_text,
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


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(document: dict[str, Any]) -> str:
    lines = [f"# {_cell(document['title'])}", ""]
    if document["question"]:
        lines += [_cell(document["question"]), ""]
    lines += [source_line(document), "", "## Ranking", ""]
    lines += ["| rank | scenario | weighted sum | TOPSIS (rank) | assumed scores |",
              "| ---: | --- | ---: | ---: | ---: |"]
    total = len(document["criteria"])
    for s in ranked(document):
        chosen = " (chosen)" if s["chosen"] else ""
        lines.append(f"| {s['rank_weighted_sum']} | {_cell(s['name'])}{chosen} | {s['weighted_sum']:.3f} | "
                     f"{s['topsis']:.3f} ({s['rank_topsis']}) | {assumed_text(s, total)} |")
    lines += ["", *(f"- {line}" for line in agreement_lines(document)), "", "## How firm the ranking is", ""]
    lines += [f"**{_cell(document['sensitivity']['headline'])}**", "", critical_line(document), "",
              method_line(document), ""]
    lines += _criteria(document)
    lines += ["", monte_carlo_line(document), "", "| scenario | first | share |", "| --- | ---: | ---: |"]
    lines += [f"| {_cell(name)} | {count} | {share:.1%} |" for name, count, share in shares(document)]
    return "\n".join(lines) + "\n"


def _criteria(document: dict[str, Any]) -> list[str]:
    sens = document["sensitivity"]
    who = names(document)
    lines = [f"| criterion | group | direction | weight | {_cell(who[sens['first']])} and "
             f"{_cell(who[sens['second']])} swap | first place lost |",
             "| --- | --- | --- | ---: | --- | --- |"]
    for criterion, pair, places in zip(document["criteria"], sens["pair"], sens["first_place"], strict=True):
        lines.append(f"| {_cell(criterion['id'])} {_cell(criterion['name'])} | {_cell(criterion['group'])} | "
                     f"{criterion['direction']} | {criterion['weight']:.3f} | {flip_text(pair)} | "
                     f"{_cell(first_place_text(places, who))} |")
    return lines
