"""Progress on long work that is not a wave (the dashboard, the forecast, a scenario Monte Carlo).

``with progress("forecast", total=10_000) as advance: ... advance(500)``: a rich bar on a terminal,
plain lines on stderr at each tenth otherwise (logs and CI stay readable), nothing with --quiet.
stdout is left alone, so ``--format json`` stays clean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import click

from orchestrator.cli.base import verbosity


@contextlib.contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A callback ``advance(n)``: ``n`` more of ``total`` units of ``label`` are done."""
    import sys

    if verbosity() < 0 or total <= 0:
        yield lambda _n: None
        return
    if not sys.stderr.isatty():
        with _lines(label, total) as advance:
            yield advance
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    with Bars(TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(),
              TimeElapsedColumn(), console=Console(stderr=True), transient=True) as bars:
        task = bars.add_task(label, total=total)
        yield lambda n: bars.advance(task, n)


@contextlib.contextmanager
def _lines(label: str, total: int) -> Iterator[Callable[[int], None]]:
    done = [0, 0]  # units done, tenths shown

    def advance(n: int) -> None:
        done[0] = min(total, done[0] + n)
        tenth = done[0] * 10 // total
        if tenth > done[1]:
            done[1] = tenth
            click.echo(f"{label}: {done[0]} of {total}", err=True)

    yield advance
