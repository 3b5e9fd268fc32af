"""The track's runbook as the guardrails see it: its steps, each with the hosts and data stores it
reads (the engine track fills it from the real runbook; a YAML file gives one here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator.errors import InputError
from orchestrator.guardrails.documents import read_mapping


@dataclass(frozen=True)
class TrackStep:
    name: str
    kind: str  # provision, deploy, test, report, destroy, ...
    reads: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrackRunbook:
    steps: tuple[TrackStep, ...]

    def has_destroy(self) -> bool:
        return any(step.kind == "destroy" for step in self.steps)


def load_runbook(path: Path) -> TrackRunbook:
    """``{steps: [{name, kind, reads: [...]}]}`` from ``path``; InputError naming the file and step."""
    document = read_mapping(path, "{steps: [{name, kind, reads}]}")
    steps = document.get("steps")
    if not isinstance(steps, list):
        raise InputError(f"{path}: field steps: a runbook is {{steps: [{{name, kind, reads}}]}}")
    return TrackRunbook(tuple(_step(path, n, s) for n, s in enumerate(steps)))


def _step(path: Path, number: int, step: object) -> TrackStep:
    if not isinstance(step, dict) or not isinstance(step.get("name"), str) \
            or not isinstance(step.get("kind"), str):
        raise InputError(f"{path}: field steps.{number}: a step has a name and a kind")
    reads = step.get("reads", [])
    if not isinstance(reads, list) or not all(isinstance(r, str) for r in reads):
        raise InputError(f"{path}: field steps.{number}.reads: a list of host or data store names")
    unknown = set(step) - {"name", "kind", "reads"}
    if unknown:
        raise InputError(f"{path}: field steps.{number}.{sorted(unknown)[0]}: not a field of a step")
    return TrackStep(step["name"], step["kind"], tuple(reads))
