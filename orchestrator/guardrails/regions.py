"""AZ-GRD-001: every resource with a location is in an EU region of the policy's allow-list
(Azure Policy's "Allowed locations", listOfAllowedLocations)."""

from __future__ import annotations

from orchestrator.guardrails.plan import Plan
from orchestrator.guardrails.policy import Policy, region_name
from orchestrator.guardrails.results import Evidence, Finding, Result

ID, TITLE = "AZ-GRD-001", "EU regions only"


def check(plan: Plan, policy: Policy) -> Result:
    found = Finding(ID, TITLE)
    for resource in plan.resources:
        if resource.is_unknown("location"):
            found.unknown.append(Evidence(resource.address, "location", "(known after apply)"))
        elif isinstance(resource.values.get("location"), str):
            region = resource.values["location"]
            seen = Evidence(resource.address, "location", region)
            (found.seen if region_name(region) in policy.allowed_regions else found.failed).append(seen)
    allowed = ", ".join(sorted(policy.allowed_regions))
    return found.result(f"{len(found.seen)} resource(s) in {allowed}",
                        f"{len(found.failed)} resource(s) outside the allowed regions ({allowed})",
                        "a location is known only after apply",
                        remedy=f"set the region to one of {allowed}")
