"""AZ-GRD-006: no production data. No runbook step reads a legacy or LPC host or data store, and
no plan variable names one (the policy's ``other_site_names``: the other sites' hosts and data
stores). A name counts when it is a whole token of a value: ``legacy-db`` in
``postgres://legacy-db:5432/x``, not in ``legacy-db-synthetic``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from orchestrator.guardrails.plan import Plan
from orchestrator.guardrails.policy import Policy
from orchestrator.guardrails.results import Evidence, Finding, Result
from orchestrator.guardrails.runbook import TrackRunbook

ID, TITLE = "AZ-GRD-006", "no production data"
_SEPARATORS = re.compile(r"[\s/:@,;=?&()\[\]{}'\"]+")


def check(plan: Plan, policy: Policy, runbook: TrackRunbook | None) -> Result:
    found = Finding(ID, TITLE)
    names = policy.other_site_names
    for variable, text in strings(plan.variables):
        hits = sorted(set(_SEPARATORS.split(text)) & names)
        if hits:
            found.failed.append(Evidence(f"var.{variable}", "value", text))
    if runbook is None:
        found.unknown.append(Evidence("(runbook)", "steps", "no runbook given (--runbook)"))
    for step in runbook.steps if runbook else ():
        read = sorted({token for r in step.reads for token in _SEPARATORS.split(r)} & names)
        evidence = Evidence(f"step {step.name}", "reads", list(step.reads))
        (found.failed if read else found.seen).append(evidence)
    return found.result(f"{len(found.seen)} runbook step(s) read only the track's own data; no variable "
                        f"names one of {len(names)} other-site name(s)",
                        f"{len(found.failed)} read or name another site's host or data store",
                        "the runbook was not given",
                        remedy="read the rebuild's synthetic data set; never a legacy or LPC store")


def strings(values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every string inside each variable's value (lists and maps walked)."""
    for name, value in values.items():
        stack = [value]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                yield name, item
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
