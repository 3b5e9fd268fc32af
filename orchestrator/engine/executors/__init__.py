"""The wave runner's executors: one per kind of step (Terraform, Ansible, the approval gate),
each able to *plan* a phase's steps (say what they would change) apart from *applying* them."""

from orchestrator.engine.executors.base import WAVE_SERVICE, Change, Executor, RunScope, Work

__all__ = ["WAVE_SERVICE", "Change", "Executor", "RunScope", "Work"]
