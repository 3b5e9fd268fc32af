"""Why nothing moves in a run of periods: what the services placed right after it waited for.

Worded from what the scheduler knew (each service's static earliest period, its blackout windows
and contract change), so it costs one look per service of the wave after the gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from orchestrator.catalog.models import Release, Service
from orchestrator.planning.rules import WaveGrid, wave_blocker

if TYPE_CHECKING:
    from orchestrator.planning.instance import Instance

NAMES_SHOWN = 5


def gap_reason(inst: Instance, releases: Mapping[str, Release], first: int, period: int,
               taken: list[int]) -> str:
    """Why periods ``first``..``period - 1`` are empty, from the services ``taken`` in ``period``:
    "nothing can move: a, b wait for lpc-2.0 (available 2023-06-05); c may not move before ..."."""
    groups: dict[tuple[str, str], list[str]] = {}
    for i in taken:
        service = inst.services[i]
        if inst.static[i] >= period:
            why = _static_cause(service, inst.grid, releases, inst.pilots, period)
        else:
            why = _blocked(service, inst.grid, max(first, inst.static[i]), period - 1)
        groups.setdefault(why, []).append(service.id)
    return "nothing can move: " + "; ".join(
        f"{_names(ids)} {one if len(ids) == 1 else many}" for (one, many), ids in groups.items())


def _static_cause(service: Service, grid: WaveGrid, releases: Mapping[str, Release],
                  pilots: int, period: int) -> tuple[str, str]:
    """The static bound that holds ``service`` until ``period``, as (singular, plural) words."""
    release = releases.get(service.min_release) if service.min_release else None
    if release is not None and release.available is not None \
            and grid.first_wave_from(release.available) == period:
        what = f"for {release.id} (available {release.available})"
        return f"waits {what}", f"wait {what}"
    if service.not_before is not None and grid.first_wave_from(service.not_before) == period:
        text = f"may not move before {service.not_before}"
        return text, text
    if pilots and period == pilots + 1:
        what = f"for the {pilots} pilot wave(s) to pass (not pilot candidates)"
        return f"waits {what}", f"wait {what}"
    text = f"may not start before {grid.bounds(period)[0]}"
    return text, text


def _blocked(service: Service, grid: WaveGrid, first: int, last: int) -> tuple[str, str]:
    """What kept a ready ``service`` out of periods ``first``..``last``."""
    start: dt.date = grid.bounds(first)[0]
    end: dt.date = grid.bounds(last)[1]
    blocker = wave_blocker(service, start, end) or "a blackout window or contract change"
    return f"is kept out by {blocker}", f"are kept out by {blocker}"


def _names(ids: list[str]) -> str:
    if len(ids) > NAMES_SHOWN:
        return f"{', '.join(ids[:NAMES_SHOWN])} and {len(ids) - NAMES_SHOWN:,} more"
    return ids[0] if len(ids) == 1 else f"{', '.join(ids[:-1])} and {ids[-1]}"
