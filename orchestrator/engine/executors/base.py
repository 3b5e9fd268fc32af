"""The one interface the wave runner's executors share, and what the runner hands them.

``plan(work)`` says what a phase's steps would change, without changing anything (no journal
entry, no rollback point, no tool run that changes a host or a state); ``apply(work)`` changes it,
journalling each step before and after. The runner calls one or the other by its mode, so a
dry-run is a mode of the one loop, not a second loop. A step that still fails after its retries is
reported through ``work.failed`` the moment it does; holding it (and its dependants) is the
runner's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from orchestrator.catalog.models import Service
from orchestrator.engine import states
from orchestrator.engine.context import EngineContext
from orchestrator.journal import execution_key
from orchestrator.runbook import Step, seq_of

WAVE_SERVICE = "_wave"  # the service name of wave-level executions (the approval gate)


@dataclass(frozen=True)
class Change:
    """One thing a step would change, in a line (``what``), and in full (``detail``): for
    Terraform a stack's saved plan (``kind`` "stack"), for Ansible one task on one host ("task",
    its predicted outcome), for the gate the approval it waits for ("gate")."""

    service: str
    step: str
    what: str
    kind: str = "task"
    detail: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Work:
    """One phase's steps still to do, in order, and where a step that failed for good is
    reported (the runner holds its service with the dependants)."""

    phase: str
    items: list[tuple[Service, Step]]
    failed: Callable[[Service, Step, str], None]
    #: Hold a service without a failed step (a guardrail refused its plan): the runner's hold.
    hold: Callable[[Service, str], None] | None = None

    @property
    def step(self) -> Step:
        return self.items[0][1]


class Executor(Protocol):
    def plan(self, work: Work) -> list[Change]:
        """What applying ``work`` would change; changes nothing."""

    def apply(self, work: Work) -> None:
        """Apply ``work``'s steps, journalled; failures go to ``work.failed``."""


def seq(step: Step) -> int:
    """A step's place in the run (its phase's index), as the journal orders executions."""
    return seq_of(step)


@dataclass
class RunScope:
    """What every executor of one run shares: the context, the run, the steps applied so far
    (the run's result), the hosts each execution already applied on (from reconciliation), and
    for a dry-run what it predicted so far, for a rehearsed run the plans it applies."""

    ctx: EngineContext
    run_id: str
    wave: int
    applied: list[str] = field(default_factory=list)
    applied_hosts: dict[str, set[str]] = field(default_factory=dict)
    #: In a dry-run: what the earlier phases predicted (a later task may depend on it).
    rehearsed: Any = None
    #: In a run of a rehearsed wave: each service's saved Terraform plan file, to apply as is.
    saved_plans: dict[str, Any] = field(default_factory=dict)
    #: The checks the operator let pass for this run (check id -> why): preconditions and guardrails.
    overrides: dict[str, str] = field(default_factory=dict)

    def key(self, service_id: str, step: Step) -> str:
        return execution_key(self.run_id, WAVE_SERVICE if step.wave_level else service_id, step.name)

    def done(self, service_id: str, step: Step) -> bool:
        execution = self.ctx.journal.execution(self.key(service_id, step))
        return execution is not None and execution.status == "done"

    def begin(self, service: Service, step: Step) -> str:
        execution = self.ctx.journal.begin_step(self.run_id, service.id, step.name, seq(step),
                                                service_state=states.state_on_begin(service, step))
        self.ctx.progress.on_step(service.id, step.name, "running")
        return execution.key

    def finish(self, service: Service, step: Step, key: str, output: str) -> None:
        self.ctx.journal.finish_step(key, "done", output=output, service_state=states.state_on_done(step))
        self.applied.append(f"{service.id}/{step.name}")
        self.ctx.progress.on_step(service.id, step.name, "done")
