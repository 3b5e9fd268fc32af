"""What the journal's own history says about the steps: how long each step took when it was done
(every run, every service), and how often an attempt at it failed or was transient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DAY_SECONDS = 86_400.0
#: Attempt outcomes that make the step take another try.
RETRIED = ("failed", "transient")


@dataclass(frozen=True)
class StepHistory:
    """By step name: the recorded durations of its done executions (days), and the share of its
    finished attempts that failed or were transient."""

    durations: dict[str, tuple[float, ...]]
    failure_rate: dict[str, float]


def read_history(journal: Any) -> StepHistory:
    from sqlalchemy import select

    from orchestrator.journal import schema

    executions = schema.executions
    done = select(executions.c.step, executions.c.started_at, executions.c.finished_at).where(
        executions.c.status == "done", executions.c.started_at.is_not(None),
        executions.c.finished_at.is_not(None)).order_by(executions.c.id)
    tried = select(executions.c.step, schema.attempts.c.outcome).join(
        schema.attempts, schema.attempts.c.execution_key == executions.c.key).where(
        schema.attempts.c.outcome.in_(("ok", *RETRIED)))
    durations: dict[str, list[float]] = {}
    counts: dict[str, list[int]] = {}  # step: [attempts, retried]
    with journal.engine.connect() as connection:
        for step, started, finished in connection.execute(done):
            durations.setdefault(step, []).append(max(0.0, finished - started) / DAY_SECONDS)
        for step, outcome in connection.execute(tried):
            tally = counts.setdefault(step, [0, 0])
            tally[0] += 1
            tally[1] += outcome in RETRIED
    return StepHistory({step: tuple(found) for step, found in durations.items()},
                       {step: retried / total for step, (total, retried) in counts.items() if total})
