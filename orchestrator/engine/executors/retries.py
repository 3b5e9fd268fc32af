"""A step's retries, by its own policy (attempts, the wait between them), with tenacity."""

from __future__ import annotations

from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_fixed

from orchestrator.errors import TransientStepError
from orchestrator.runbook import Step


def retrying(step: Step) -> Retrying:
    return Retrying(stop=stop_after_attempt(max(1, step.retry.attempts)),
                    wait=wait_fixed(step.retry.wait_seconds),
                    retry=retry_if_exception_type(TransientStepError), reraise=True)
