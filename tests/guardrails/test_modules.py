"""The Azure test environment and its lab stand-in: formatted, the same variables and outputs, the
shipped policy naming Digipoort's other-site hosts and stores as the catalog does; checkov on it."""

from __future__ import annotations

import subprocess
import time
from typing import Any

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.guardrails import checkov, load_policy
from orchestrator.guardrails.plan_json import parse_module
from orchestrator.steps.terraform import terraform_binary
from tests.guardrails.conftest import LAB, MODULE


def signature(module: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    variables = {name: (body.get("type"), body.get("default")) for block in module["variable"]
                 for name, body in block.items()}
    outputs = sorted(name for block in module["output"] for name in block)
    return variables, outputs


def test_both_modules_are_formatted() -> None:
    done = subprocess.run([str(terraform_binary()), "fmt", "-check", "-recursive", str(MODULE.parent)],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout) == (0, "")


def test_the_lab_stand_in_has_the_same_variables_and_outputs(parsed_module: dict[str, Any]) -> None:
    lab = parse_module(LAB)
    assert signature(lab) == signature(parsed_module)
    named = {"region", "allowed_source_ranges", "budget_amount", "owner", "expires_on"}
    assert named <= set(signature(lab)[0])
    assert {"host_addresses", "resource_group_id", "budget_id"} <= set(signature(lab)[1])
    assert {k for b in lab["resource"] for k in b} == {"null_resource"}


def test_the_shipped_policy_names_digipoorts_legacy_and_lpc_hosts_and_stores() -> None:
    digipoort = load_catalog().service("digipoort")
    names = {*digipoort.hosts.legacy, *digipoort.hosts.target, *(s.name for s in digipoort.data_stores)}
    assert names and names <= load_policy(None).other_site_names


@pytest.mark.slow
@pytest.mark.skipif(checkov.find() is None, reason=f"checkov not installed: {checkov.INSTALL}")
def test_checkov_scans_the_module() -> None:
    started = time.monotonic()
    found = checkov.scan_module(MODULE)
    assert found and {r.source for r in found} == {"checkov"}
    assert all(r.guardrail.startswith("CKV") for r in found), [r.summary for r in found]
    assert time.monotonic() - started < 120
