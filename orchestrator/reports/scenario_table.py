"""A scenario comparison as the terminal shows it: the ranking, the methods' agreement, the
sensitivity sentence, the per-criterion flip weights and the Monte Carlo, within 100 columns."""

from __future__ import annotations

import textwrap
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

WIDTH = 100


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False) or [indent]


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "~"


def render_table(document: dict[str, Any]) -> str:
    lines = [*_wrap(document["title"]), *_wrap(source_line(document)), ""]
    lines += _ranking(document)
    lines += [line for text in agreement_lines(document) for line in _wrap(text)]
    lines += ["", *_wrap(document["sensitivity"]["headline"]), *_wrap(critical_line(document)),
              *_wrap(method_line(document)), ""]
    lines += _criteria(document)
    lines += ["", *_wrap(monte_carlo_line(document))]
    lines += [f"  {_cut(name, 40):<40} {count:>7} {share:>7.1%}" for name, count, share in shares(document)]
    return "\n".join(lines) + "\n"


def _ranking(document: dict[str, Any]) -> list[str]:
    total = len(document["criteria"])
    lines = [f"{'rank':>4}  {'scenario':<40} {'weighted sum':>12} {'TOPSIS':>7} {'(rank)':>6}  assumed"]
    for s in ranked(document):
        name = _cut(s["name"] + (" *" if s["chosen"] else ""), 40)
        lines.append(f"{s['rank_weighted_sum']:>4}  {name:<40} {s['weighted_sum']:>12.3f} "
                     f"{s['topsis']:>7.3f} {'(' + str(s['rank_topsis']) + ')':>6}  "
                     f"{assumed_text(s, total)}")
    if any(s["chosen"] for s in document["scenarios"]):
        lines.append("* the scenario the documents chose")
    return lines


def _criteria(document: dict[str, Any]) -> list[str]:
    sens = document["sensitivity"]
    who = names(document)
    lines = [f"{'criterion':<34} {'group':<13} {'dir':<7} {'weight':>6}  {'top two swap':<22} "
             "first place lost"]
    rows = zip(document["criteria"], sens["pair"], sens["first_place"], strict=True)
    for criterion, pair, places in rows:
        label = _cut(f"{criterion['id']} {criterion['name']}", 34)
        lines.append(f"{label:<34} {_cut(criterion['group'], 13):<13} {criterion['direction']:<7} "
                     f"{criterion['weight']:>6.3f}  {flip_text(pair):<22} {first_place_text(places, who)}")
    return lines
