"""AZ-GRD-007: the environment does not outlive the test: every ``expires_on`` (the variable and
each resource's tag) is a date from today to the policy's maximum days ahead, and the runbook has a
destroy step."""

from __future__ import annotations

import datetime as dt

from orchestrator.guardrails.plan import Plan
from orchestrator.guardrails.policy import Policy
from orchestrator.guardrails.results import Evidence, Finding, Result
from orchestrator.guardrails.runbook import TrackRunbook

ID, TITLE = "AZ-GRD-007", "an expiry date and a destroy step"


def check(plan: Plan, policy: Policy, runbook: TrackRunbook | None, today: dt.date) -> Result:
    found = Finding(ID, TITLE)
    latest = today + dt.timedelta(days=policy.max_expiry_days)
    dates = ({("var.expires_on", "value"): plan.variables["expires_on"]}
             if "expires_on" in plan.variables else {})
    dates |= {(r.address, "tags.expires_on"): (r.values.get("tags") or {}).get("expires_on")
              for r in plan.resources if (r.values.get("tags") or {}).get("expires_on") is not None}
    if not dates:
        found.failed.append(Evidence("(plan)", "expires_on", "none: no variable, no tag"))
    for (address, attribute), value in sorted(dates.items()):
        evidence = Evidence(address, attribute, value)
        day = _date(value)
        (found.seen if day is not None and today <= day <= latest else found.failed).append(evidence)
    if runbook is None:
        found.unknown.append(Evidence("(runbook)", "steps", "no runbook given (--runbook)"))
    elif not runbook.has_destroy():
        found.failed.append(Evidence("(runbook)", "steps", [s.kind for s in runbook.steps]))
    return found.result(f"expires by {latest} (today {today} + {policy.max_expiry_days} days); the runbook "
                        f"destroys the environment",
                        f"expiry after {latest}, before today, not a date, or no destroy step",
                        "the runbook was not given",
                        remedy=f"set expires_on between {today} and {latest}; end the runbook with destroy")


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None
