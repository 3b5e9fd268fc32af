"""Every guardrail passes on the module's own plan, and each violation fails exactly its guardrail."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from orchestrator.guardrails import TITLES, TrackRunbook, TrackStep, evaluate, load_policy, parse_plan
from orchestrator.guardrails.plan_json import build_plan
from orchestrator.guardrails.tags import TAGGABLE, UNTAGGABLE
from tests.guardrails.conftest import TODAY, VALUES, outcomes, remove_resource, resource_body

ALL = sorted(TITLES)


def failing(found: dict[str, str]) -> list[str]:
    return sorted(g for g, outcome in found.items() if outcome != "PASS")


def test_the_modules_own_plan_passes_every_guardrail(module: dict[str, Any]) -> None:
    found = outcomes(module)
    assert sorted(found) == ALL == [f"AZ-GRD-00{n}" for n in range(1, 8)]
    assert failing(found) == []


def test_the_plan_is_built_from_the_module(module: dict[str, Any]) -> None:
    plan = parse_plan(build_plan(module, VALUES), "built")
    types = {r.type for r in plan.resources}
    assert {"azurerm_linux_virtual_machine", "azurerm_bastion_host", "azurerm_key_vault",
            "azurerm_storage_account", "azurerm_consumption_budget_resource_group"} <= types
    assert sum(r.type == "azurerm_linux_virtual_machine" for r in plan.resources) == 2  # count = vm_count
    assert {t for t in types if t not in TAGGABLE | UNTAGGABLE} == set()
    bastion = next(plan.of_type("azurerm_bastion_host"))
    assert bastion.refs["ip_configuration.public_ip_address_id"] == ("azurerm_public_ip.bastion",)


def test_a_resource_in_eastus_fails_the_region_guardrail_only(module: dict[str, Any]) -> None:
    assert failing(outcomes(module, {"region": "eastus"})) == ["AZ-GRD-001"]


def test_a_missing_tag_fails_the_tag_guardrail_only(module: dict[str, Any]) -> None:
    storage = resource_body(module, "azurerm_storage_account", "test")
    storage["tags"] = {"owner": "x", "expires_on": "2026-12-21"}
    assert failing(outcomes(module)) == ["AZ-GRD-002"]


def test_a_wrong_classification_fails_the_tag_guardrail(module: dict[str, Any]) -> None:
    module["locals"][0]["tags"]["data_classification"] = "production"
    assert failing(outcomes(module)) == ["AZ-GRD-002"]


def test_an_nsg_open_to_the_internet_fails_the_exposure_guardrail_only(module: dict[str, Any]) -> None:
    rule = resource_body(module, "azurerm_network_security_group", "compute")["security_rule"][0]
    rule["source_address_prefix"] = "0.0.0.0/0"
    assert failing(outcomes(module)) == ["AZ-GRD-003"]


def test_allowed_ranges_beyond_the_policys_fail(module: dict[str, Any]) -> None:
    assert failing(outcomes(module, {"allowed_source_ranges": ["8.8.8.0/24"]})) == ["AZ-GRD-003"]


def test_a_public_ip_on_a_vm_fails_the_exposure_guardrail(module: dict[str, Any]) -> None:
    nic = resource_body(module, "azurerm_network_interface", "vm")
    nic["ip_configuration"][0]["public_ip_address_id"] = "${azurerm_public_ip.bastion.id}"
    assert failing(outcomes(module)) == ["AZ-GRD-003"]


def test_a_bastion_subnet_without_its_nsg_fails(module: dict[str, Any]) -> None:
    for block in module["resource"]:
        block.get("azurerm_subnet_network_security_group_association", {}).pop("bastion", None)
    assert failing(outcomes(module)) == ["AZ-GRD-003"]


@pytest.mark.parametrize("kind", ["azurerm_storage_account", "azurerm_key_vault"])
def test_public_network_access_fails_guardrail_4_only(module: dict[str, Any], kind: str) -> None:
    resource_body(module, kind, "test")["public_network_access_enabled"] = True
    assert failing(outcomes(module)) == ["AZ-GRD-004"]
    del resource_body(module, kind, "test")["public_network_access_enabled"]  # the provider's default
    assert failing(outcomes(module)) == ["AZ-GRD-004"]


def test_no_budget_fails_the_budget_guardrail_only(module: dict[str, Any]) -> None:
    remove_resource(module, "azurerm_consumption_budget_resource_group")
    assert failing(outcomes(module)) == ["AZ-GRD-005"]


def test_a_budget_without_a_recipient_fails(module: dict[str, Any]) -> None:
    assert failing(outcomes(module, {"budget_contacts": []})) == ["AZ-GRD-005"]


def test_an_expiry_too_far_fails_the_expiry_guardrail_only(module: dict[str, Any]) -> None:
    assert failing(outcomes(module, {"expires_on": "2027-06-01"})) == ["AZ-GRD-007"]
    assert failing(outcomes(module, {"expires_on": "2026-11-30"})) == ["AZ-GRD-007"]  # already past


def test_a_step_reading_a_legacy_data_store_fails_guardrail_6_only(module: dict[str, Any]) -> None:
    runbook = TrackRunbook((TrackStep("provision", "provision"),
                            TrackStep("copy", "deploy", ("digipoort-messages",)),
                            TrackStep("destroy", "destroy")))
    assert failing(outcomes(module, runbook=runbook)) == ["AZ-GRD-006"]


def test_a_variable_naming_a_legacy_host_fails_guardrail_6(module: dict[str, Any]) -> None:
    module["variable"].append({"source_db": {"default": "postgres://legacy-digipoort-app:5432/msgs"}})
    assert failing(outcomes(module)) == ["AZ-GRD-006"]
    module["variable"][-1] = {"source_db": {"default": "postgres://legacy-digipoort-app-synthetic/msgs"}}
    assert failing(outcomes(module)) == []


def test_no_destroy_step_fails_the_expiry_guardrail_only(module: dict[str, Any]) -> None:
    runbook = TrackRunbook((TrackStep("provision", "provision"), TrackStep("test", "test")))
    assert failing(outcomes(module, runbook=runbook)) == ["AZ-GRD-007"]


def test_without_a_runbook_its_guardrails_are_inconclusive(module: dict[str, Any]) -> None:
    found = outcomes(module, runbook=None)
    assert {g: o for g, o in found.items() if o != "PASS"} == {"AZ-GRD-006": "INCONCLUSIVE",
                                                               "AZ-GRD-007": "INCONCLUSIVE"}


def test_an_unknown_location_and_an_unknown_type_are_inconclusive(module: dict[str, Any]) -> None:
    storage = resource_body(module, "azurerm_storage_account", "test")
    storage["location"] = "${azurerm_resource_group.test.location}"
    module["resource"].append({"azurerm_frobnicator": {"x": {"name": "x", "__is_block__": True}}})
    found = outcomes(module)
    assert (found["AZ-GRD-001"], found["AZ-GRD-002"]) == ("INCONCLUSIVE", "INCONCLUSIVE")


def test_evidence_names_the_resource_the_attribute_and_the_value(module: dict[str, Any]) -> None:
    plan = parse_plan(build_plan(module, {**VALUES, "region": "eastus"}), "built")
    result = evaluate(plan, load_policy(None), None, TODAY)[0]
    assert result.outcome.value == "FAIL" and result.remedy
    assert result.evidence[0].as_dict() == {"address": "azurerm_resource_group.test", "attribute": "location",
                                            "value": "eastus"}


def test_the_expiry_limit_follows_the_clock(module: dict[str, Any]) -> None:
    assert failing(outcomes(module, today=dt.date(2026, 11, 21))) == []  # 2026-12-21: 30 days ahead
    assert failing(outcomes(module, today=dt.date(2026, 11, 20))) == ["AZ-GRD-007"]  # 31 days ahead
