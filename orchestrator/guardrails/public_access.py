"""AZ-GRD-004: storage accounts and key vaults with public network access disabled (Azure
Policy's "should disable public network access"). Not set is the provider's default, enabled."""

from __future__ import annotations

from orchestrator.guardrails.plan import Plan
from orchestrator.guardrails.results import Evidence, Finding, Result

ID, TITLE = "AZ-GRD-004", "storage and key vault public network access disabled"
TYPES = ("azurerm_storage_account", "azurerm_key_vault")
ATTRIBUTE = "public_network_access_enabled"


def check(plan: Plan) -> Result:
    found = Finding(ID, TITLE)
    for resource in plan.of_type(*TYPES):
        if resource.is_unknown(ATTRIBUTE):
            found.unknown.append(Evidence(resource.address, ATTRIBUTE, "(known after apply)"))
            continue
        value = resource.values.get(ATTRIBUTE)
        shown = "not set (the provider's default: true)" if value is None else value
        (found.seen if value is False else found.failed).append(Evidence(resource.address, ATTRIBUTE, shown))
    return found.result(f"{len(found.seen)} storage account(s) and key vault(s) private",
                        f"{len(found.failed)} with public network access",
                        "public network access is known only after apply",
                        remedy=f"set {ATTRIBUTE} = false and reach them through private endpoints")
