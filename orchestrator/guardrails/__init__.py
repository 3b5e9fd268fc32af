"""The Rijkscloud conditions of the Azure test track as named guardrails (AZ-GRD-001..007),
evaluated on a plan in ``terraform show -json``'s format before any apply: one module per
condition, each returning a :class:`Result` with its evidence; checkov's findings beside them."""

from __future__ import annotations

import datetime as dt

from orchestrator.guardrails import budget, expiry, exposure, production_data, public_access, regions, tags
from orchestrator.guardrails.plan import Plan, load_plan, parse_plan
from orchestrator.guardrails.policy import Policy, load_policy
from orchestrator.guardrails.results import CHECKOV, OURS, Evidence, Outcome, Result, overall
from orchestrator.guardrails.runbook import TrackRunbook, TrackStep, load_runbook

__all__ = ["CHECKOV", "OURS", "Evidence", "Outcome", "Plan", "Policy", "Result", "TrackRunbook", "TrackStep",
           "TITLES", "evaluate", "load_plan", "load_policy", "load_runbook", "overall", "parse_plan"]

TITLES = {m.ID: m.TITLE for m in (regions, tags, exposure, public_access, budget, production_data, expiry)}


def evaluate(plan: Plan, policy: Policy, runbook: TrackRunbook | None, today: dt.date) -> list[Result]:
    """Every guardrail of ours on ``plan``, in id order."""
    return [regions.check(plan, policy), tags.check(plan), exposure.check(plan, policy),
            public_access.check(plan), budget.check(plan), production_data.check(plan, policy, runbook),
            expiry.check(plan, policy, runbook, today)]
