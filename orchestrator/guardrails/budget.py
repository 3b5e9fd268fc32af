"""AZ-GRD-005: a budget with an enabled notification that mails someone."""

from __future__ import annotations

from typing import Any

from orchestrator.guardrails.plan import Plan, Resource
from orchestrator.guardrails.results import Evidence, Finding, Outcome, Result

ID, TITLE = "AZ-GRD-005", "a budget with a notification"
TYPES = ("azurerm_consumption_budget_resource_group", "azurerm_consumption_budget_subscription")
RECIPIENTS = ("contact_emails", "contact_groups", "contact_roles")


def check(plan: Plan) -> Result:
    found = Finding(ID, TITLE)
    budgets = list(plan.of_type(*TYPES))
    if not budgets:
        return Result(ID, TITLE, Outcome.FAIL, "no budget in the plan",
                      (Evidence("(plan)", "resource types", list(TYPES)),),
                      remedy="add an azurerm_consumption_budget_resource_group with a notification")
    for budget in budgets:
        _budget(budget, found)
    if found.seen:  # one good budget is enough
        return Result(ID, TITLE, Outcome.PASS, f"{len(found.seen)} notification(s) that mail someone",
                      tuple(found.seen))
    return found.result("", "no budget notifies anyone", "a budget's recipients are known only after apply",
                        remedy="give the budget an enabled notification with contact_emails")


def _budget(budget: Resource, found: Finding) -> None:
    notifications: list[Any] = budget.values.get("notification") or []
    unknown = budget.unknown.get("notification")
    if not notifications:
        found.failed.append(Evidence(budget.address, "notification", "none"))
    for number, notification in enumerate(notifications):
        where = f"notification[{number}]"
        marks = unknown[number] if isinstance(unknown, list) and number < len(unknown) else {}
        recipients = {k: notification.get(k) for k in RECIPIENTS if notification.get(k)}
        if any(isinstance(marks, dict) and marks.get(k) for k in RECIPIENTS):
            found.unknown.append(Evidence(budget.address, f"{where}.contact_emails", "(known after apply)"))
        elif notification.get("enabled") is False or not recipients:
            found.failed.append(Evidence(budget.address, where, {"enabled": notification.get("enabled"),
                                                                 **recipients}))
        else:
            found.seen.append(Evidence(budget.address, where, {"threshold": notification.get("threshold"),
                                                               **recipients}))
