"""The Azure test environment's own plan, built from its parsed module, and its variants."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.guardrails import evaluate, load_policy, load_runbook, parse_plan
from orchestrator.guardrails.plan_json import build_plan, parse_module
from tests.conftest import PROJECT

MODULE = PROJECT / "terraform" / "modules" / "azure-test-environment"
LAB = PROJECT / "terraform" / "lab" / "azure-test"
EXAMPLES = PROJECT / "examples" / "azure-test"
TODAY = dt.date(2026, 12, 1)
VALUES: dict[str, Any] = json.loads((EXAMPLES / "values.json").read_text())


@pytest.fixture(scope="session")
def parsed_module() -> dict[str, Any]:
    return parse_module(MODULE)


@pytest.fixture
def module(parsed_module: dict[str, Any]) -> dict[str, Any]:
    """A copy of the parsed module a test may change."""
    return copy.deepcopy(parsed_module)


def resource_body(module: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    for block in module["resource"]:
        if kind in block and name in block[kind]:
            return block[kind][name]
    raise KeyError(f"{kind}.{name}")


def remove_resource(module: dict[str, Any], kind: str) -> None:
    module["resource"] = [b for b in module["resource"] if kind not in b]


def outcomes(module: dict[str, Any], values: dict[str, Any] | None = None, runbook: Any = "example",
             today: dt.date = TODAY) -> dict[str, str]:
    plan = parse_plan(build_plan(module, {**VALUES, **(values or {})}), "built")
    steps = load_runbook(EXAMPLES / "runbook.yaml") if runbook == "example" else runbook
    return {r.guardrail: r.outcome.value for r in evaluate(plan, load_policy(None), steps, today)}


def write_plan(tmp_path: Path, module: dict[str, Any], values: dict[str, Any] | None = None) -> Path:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(build_plan(module, {**VALUES, **(values or {})})))
    return path
