"""The Monte Carlo itself, vectorised across iterations: each service's time in its wave (its
steps' draws, a retried attempt taking another), the waits for releases and blockers, then the
waves in the plan's order, each ending when its slowest service ends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.forecast.programme import Programme, Step
from orchestrator.forecast.sampling import draw

#: Days in a month, for a delay stated in months.
MONTH_DAYS = 365.25 / 12
#: Cells (iterations x services) in one chunk: bounds the memory of the arrays.
CHUNK_CELLS = 2_000_000


def simulate(programme: Programme, settings: Any, rng: Any, iterations: int,
             advance: Callable[[int], None] | None = None) -> Any:
    """The last day (exclusive, as a day offset) of each wave in each iteration:
    an array of shape (iterations, waves)."""
    import numpy as np

    services = max(1, len(programme.services))
    chunk = max(1, min(-(-iterations // 10), CHUNK_CELLS // services))  # a tenth, for progress
    ends = np.empty((iterations, len(programme.waves)))
    for first in range(0, iterations, chunk):
        size = min(chunk, iterations - first)
        durations = _durations(programme, settings, rng, size)
        earliest = _earliest(programme, settings, rng, size)
        ends[first:first + size] = _waves(programme, durations, earliest, settings.early_finish)
        if advance is not None:
            advance(size)
    return ends


def _durations(programme: Programme, settings: Any, rng: Any, size: int) -> Any:
    """Days each service takes in its wave: (size, services). A step with neither a history nor
    failures is its share of the wave length at the service's pace (one spread draw a service):
    those are summed once; the others are drawn step by step."""
    import numpy as np

    plain = np.zeros(len(programme.services))
    drawn = []
    for step in programme.steps.values():
        if step.history or step.failure_rate > 0:
            drawn.append(step)
        else:
            np.add.at(plain, np.asarray(step.columns), np.asarray(step.shares))
    spread = draw(rng, settings.duration_spread, (size, len(programme.services)))
    durations = spread * plain
    for step in drawn:
        columns = np.asarray(step.columns)
        durations[:, columns] += _step_time(step, columns, spread, rng, settings.max_attempts)
    return durations


def _step_time(step: Step, columns: Any, spread: Any, rng: Any, max_attempts: int) -> Any:
    """One step's days for its services: its recorded times drawn with replacement, one draw an
    attempt (else its share of the wave length at the service's pace, once an attempt), as many
    attempts as failed or transient ones make, up to ``max_attempts``."""
    import numpy as np

    shape = (spread.shape[0], columns.size)
    tries = None
    if step.failure_rate > 0 and max_attempts > 1:
        tries = np.minimum(rng.geometric(max(1e-3, 1.0 - step.failure_rate), shape), max_attempts)
    if not step.history:
        base = np.asarray(step.shares) * spread[:, columns]
        return base if tries is None else base * tries
    recorded = np.asarray(step.history)
    total = recorded[rng.integers(0, recorded.size, shape)]
    if tries is not None:  # each retry of a cell another draw, summed into it
        cells = np.repeat(np.arange(total.size), tries.ravel() - 1)
        again = recorded[rng.integers(0, recorded.size, cells.size)]
        total += np.bincount(cells, weights=again, minlength=total.size).reshape(shape)
    return total


def _earliest(programme: Programme, settings: Any, rng: Any, size: int) -> Any:
    """The first day each service may start, by the releases and blockers it waits for."""
    import numpy as np

    earliest = np.zeros((size, len(programme.services)))
    for waits, spread, unit in ((programme.releases, settings.release_delay_months, MONTH_DAYS),
                                (programme.blockers, settings.blocker_slip_days, 1.0)):
        for wait in waits:
            ready = wait.day + draw(rng, spread, size) * unit
            columns = np.asarray(wait.columns)
            earliest[:, columns] = np.maximum(earliest[:, columns], ready[:, None])
    return earliest


def _waves(programme: Programme, durations: Any, earliest: Any, early_finish: bool) -> Any:
    """Waves in order: one starts at its planned start, not before the one before it ended (nor
    before today); each of its services starts then or when its waits allow; the wave ends with its
    slowest service, and (unless ``early_finish``) not before its planned end."""
    import numpy as np

    previous = np.zeros(durations.shape[0])
    ends = np.empty((durations.shape[0], len(programme.waves)))
    for index, wave in enumerate(programme.waves):
        first, stop = wave.columns
        start = np.maximum(float(wave.start), previous)
        began = np.maximum(start[:, None], earliest[:, first:stop])
        finished = (began + durations[:, first:stop]).max(axis=1)
        previous = ends[:, index] = finished if early_finish else np.maximum(finished, wave.end + 1.0)
    return ends
