"""AZ-GRD-002: every taggable resource carries ``data_classification = "test"``, ``owner`` and
``expires_on``.

Taggability is the azurerm provider's schema, encoded here: :data:`TAGGABLE` are the types whose
schema has a ``tags`` argument, :data:`UNTAGGABLE` those that have none (sub-resources,
associations, budgets). A resource whose planned values hold ``tags`` is taggable whatever its
type; an azurerm type in neither list is INCONCLUSIVE (add it to one); other providers are not
Azure resources and are left out."""

from __future__ import annotations

from orchestrator.guardrails.plan import Plan, Resource
from orchestrator.guardrails.results import Evidence, Finding, Result

ID, TITLE = "AZ-GRD-002", "test data classification, owner and expiry tags"
REQUIRED = {"data_classification": "test", "owner": None, "expires_on": None}

TAGGABLE = frozenset({
    "azurerm_resource_group", "azurerm_virtual_network", "azurerm_network_security_group",
    "azurerm_public_ip", "azurerm_public_ip_prefix", "azurerm_bastion_host", "azurerm_network_interface",
    "azurerm_linux_virtual_machine", "azurerm_windows_virtual_machine", "azurerm_virtual_machine",
    "azurerm_linux_virtual_machine_scale_set", "azurerm_orchestrated_virtual_machine_scale_set",
    "azurerm_managed_disk", "azurerm_key_vault", "azurerm_storage_account", "azurerm_log_analytics_workspace",
    "azurerm_private_endpoint", "azurerm_private_dns_zone", "azurerm_private_dns_zone_virtual_network_link",
    "azurerm_kubernetes_cluster", "azurerm_container_registry", "azurerm_nat_gateway", "azurerm_lb",
    "azurerm_application_gateway", "azurerm_firewall", "azurerm_route_table",
    "azurerm_user_assigned_identity",
    "azurerm_postgresql_flexible_server", "azurerm_mssql_server", "azurerm_mssql_database",
    "azurerm_application_insights", "azurerm_virtual_network_gateway", "azurerm_dns_zone",
})
UNTAGGABLE = frozenset({
    "azurerm_subnet", "azurerm_subnet_network_security_group_association", "azurerm_network_security_rule",
    "azurerm_subnet_route_table_association", "azurerm_subnet_nat_gateway_association",
    "azurerm_nat_gateway_public_ip_association", "azurerm_network_interface_security_group_association",
    "azurerm_consumption_budget_resource_group", "azurerm_consumption_budget_subscription",
    "azurerm_key_vault_secret", "azurerm_key_vault_access_policy", "azurerm_role_assignment",
    "azurerm_storage_container", "azurerm_virtual_network_peering", "azurerm_management_lock",
    "azurerm_monitor_diagnostic_setting", "azurerm_virtual_machine_extension",
    "azurerm_kubernetes_cluster_node_pool",
})


def taggable(resource: Resource) -> bool | None:
    """True, False, or None when this tool does not know the type."""
    if "tags" in resource.values or resource.type in TAGGABLE:
        return True
    if resource.type in UNTAGGABLE or not resource.type.startswith("azurerm_"):
        return False
    return None


def check(plan: Plan) -> Result:
    found = Finding(ID, TITLE)
    for resource in plan.resources:
        known = taggable(resource)
        if known is None:
            found.unknown.append(Evidence(resource.address, "type",
                                          f"{resource.type}: taggability not known"))
        elif known:
            _tags(resource, found)
    return found.result(f"{len(found.seen)} taggable resource(s) tagged",
                        f"{len(found.failed)} tag(s) missing or wrong",
                        "some tags or types could not be decided",
                        remedy="tag every resource with local.tags (data_classification = \"test\", owner, "
                               "expires_on)")


def _tags(resource: Resource, found: Finding) -> None:
    if resource.is_unknown("tags"):
        found.unknown.append(Evidence(resource.address, "tags", "(known after apply)"))
        return
    tags = resource.values.get("tags") or {}
    marks = resource.unknown.get("tags")
    unknown_tags: dict[str, object] = marks if isinstance(marks, dict) else {}
    for key, wanted in REQUIRED.items():
        value = tags.get(key)
        evidence = Evidence(resource.address, f"tags.{key}", value)
        if unknown_tags.get(key) is True:
            found.unknown.append(evidence)
        elif value in (None, "") or (wanted is not None and value != wanted):
            found.failed.append(evidence)
    found.seen.append(Evidence(resource.address, "tags", {k: tags.get(k) for k in REQUIRED}))
