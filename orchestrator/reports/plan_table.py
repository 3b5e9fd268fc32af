"""The wave plan as a terminal table, written row by row as it is made.

The column layout is fixed before the first row (from the terminal's width and the longest
cell), so a plan of 30,000 waves starts printing at once and costs little more than its text.
It draws the box rich draws for a table (heavy head), and styles text only on a terminal.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from itertools import groupby
from typing import IO

from orchestrator.planning.plan import TrackStage
from orchestrator.planning.waves import Gap, Plan, Wave

TABLE_NAMES = 10
DONE_SHOWN = 5
DATES_WIDTH = len("2022-10-03 .. 2022-10-30")
BOLD, DIM, ITALIC, RESET = "\x1b[1m", "\x1b[2m", "\x1b[3m", "\x1b[0m"
#: a cell's text as (words, style) pieces: the style applies to every word of its piece
Cell = list[tuple[str, str]]


def output_layout(out: IO[str]) -> tuple[int, bool]:
    """The width to fill and whether to style: a terminal's width and colours (unless NO_COLOR or
    TERM=dumb), else $COLUMNS or 80 columns of plain text, as rich decides."""
    terminal = out.isatty() if hasattr(out, "isatty") else False
    if terminal:
        width = shutil.get_terminal_size().columns
    else:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() else 80
    styled = terminal and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    return max(width, 40), styled or bool(os.environ.get("FORCE_COLOR"))


def rows(plan: Plan) -> Iterator[tuple[str, str, Cell]]:
    """(wave, dates, services) of each wave, with a dim row for each gap before it and a row for
    each test track's stage before it."""
    gaps, stages = iter(plan.gaps), iter(plan.stages)
    gap: Gap | None = next(gaps, None)
    stage: TrackStage | None = next(stages, None)
    for wave in plan.waves:
        while gap is not None and gap.before == wave.number:
            yield "", f"{gap.start} .. {gap.end}", [(gap.reason, DIM)]
            gap = next(gaps, None)
        while stage is not None and stage.before_wave == wave.number:
            yield "", f"before {wave.start}", [(stage.line(), "")]
            stage = next(stages, None)
        yield str(wave.number), f"{wave.start} .. {wave.end}", _services(wave)


def _services(wave: Wave) -> Cell:
    placements = wave.placements
    cell = [(", ".join(f"{p.service_id} ({p.action})" for p in placements[:TABLE_NAMES]), "")]
    if len(placements) > TABLE_NAMES:
        cell.append((f"and {len(placements) - TABLE_NAMES:,} more (--format md or json)", DIM))
    return cell


def wrap(cell: Cell, width: int) -> list[list[tuple[str, str]]]:
    """Greedy word wrap of a cell into lines of (word, style); a word longer than a line is cut."""
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0
    for text, style in cell:
        for word in text.split():
            while word:
                piece, word = word[:width], word[width:]
                if lines[-1] and used + 1 + len(piece) > width:
                    lines.append([])
                    used = 0
                used += len(piece) + (1 if lines[-1] else 0)
                lines[-1].append((piece, style))
    return [line for line in lines if line] or [[]]


class BoxWriter:
    """Writes a three-column table with fixed ``widths`` (without padding) to ``out``."""

    def __init__(self, out: IO[str], widths: tuple[int, int, int], styled: bool) -> None:
        self.out, self.widths, self.styled = out, widths, styled

    def _style(self, text: str, style: str) -> str:
        return f"{style}{text}{RESET}" if style and self.styled and text.strip() else text

    def rule(self, left: str, line: str, cross: str, right: str) -> None:
        self.out.write(left + cross.join(line * (w + 2) for w in self.widths) + right + "\n")

    def row(self, number: str, dates: str, cell: Cell, bar: str = "│", style: str = "") -> None:
        wave_w, dates_w, services_w = self.widths
        for k, line in enumerate(wrap(cell, services_w)):
            text = " ".join(self._style(" ".join(w for w, _ in run), run_style)
                            for run_style, run in groupby(line, key=lambda ws: ws[1] or style))
            pad = services_w - sum(len(w) for w, _ in line) - max(len(line) - 1, 0)
            first, second = (number, dates) if k == 0 else ("", "")
            self.out.write(f"{bar} {self._style(first.rjust(wave_w), style)} {bar} "
                           f"{self._style(second.ljust(dates_w), style)} {bar} {text}"
                           f"{' ' * pad} {bar}\n")


def write_table(plan: Plan, summary: str, out: IO[str]) -> None:
    """The plan as a table on ``out``, row by row, then the services already done and the summary."""
    width, styled = output_layout(out)
    wave_w = max(len("wave"), len(str(len(plan.waves))))
    room = width - wave_w - DATES_WIDTH - 10  # three cells' padding and four bars
    longest = len("services (action)")
    for _, _, cell in rows(plan):
        longest = max(longest, sum(len(text) for text, _ in cell) + len(cell) - 1)
        if longest >= room:
            break
    box = BoxWriter(out, (wave_w, DATES_WIDTH, max(min(room, longest), 10)), styled)
    out.write(box._style("Wave plan", ITALIC) + "\n")
    box.rule("┏", "━", "┳", "┓")
    box.row("wave", "dates", [("services (action)", BOLD)], bar="┃", style=BOLD)
    box.rule("┡", "━", "╇", "┩")
    for number, dates, cell in rows(plan):
        box.row(number, dates, cell, style=DIM if not number else "")
    box.rule("└", "─", "┴", "┘")
    if plan.done:
        out.write(_wrapped(done_line(plan), width) + "\n")
    out.write(_wrapped(summary, width) + "\n")


def done_line(plan: Plan) -> str:
    """"already done: 3 services (a cut-over in wave-1, ...)": the count and the first few."""
    done = plan.done
    shown = ", ".join(f"{d.service_id} {d.state} in {d.run_id}" for d in done[:DONE_SHOWN])
    more = f", and {len(done) - DONE_SHOWN:,} more" if len(done) > DONE_SHOWN else ""
    noun = "service" if len(done) == 1 else "services"
    return f"already done, not planned again: {len(done):,} {noun} ({shown}{more})"


def _wrapped(text: str, width: int) -> str:
    return "\n".join(" ".join(word for word, _ in line) for line in wrap([(text, "")], width))
