"""`track azure-test guardrails`: its exit codes, its formats, bad input refused naming the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.guardrails import checkov
from tests.guardrails.conftest import EXAMPLES, write_plan

NOW = {"LOGIUS_MIGRATE_NOW": "2026-12-01T09:00"}


def guardrails(run_cli: Any, plan: Path, *extra: str) -> Any:
    return run_cli("track", "azure-test", "guardrails", str(plan), "--no-checkov", *extra, env=NOW)


def test_the_modules_plan_passes_exit_0(run_cli: Any, tmp_path: Path, module: dict[str, Any]) -> None:
    plan = write_plan(tmp_path, module)
    done = guardrails(run_cli, plan, "--runbook", str(EXAMPLES / "runbook.yaml"), "--format", "json")
    document = json.loads(done.output)
    assert done.exit_code == 0 and document["outcome"] == "PASS"
    assert [r["guardrail"] for r in document["results"]] == [f"AZ-GRD-00{n}" for n in range(1, 8)]
    assert {r["source"] for r in document["results"]} == {"logius"}


def test_a_failure_exits_1_and_names_the_evidence(run_cli: Any, tmp_path: Path,
                                                  module: dict[str, Any]) -> None:
    plan = write_plan(tmp_path, module, {"region": "eastus"})
    done = guardrails(run_cli, plan, "--runbook", str(EXAMPLES / "runbook.yaml"))
    assert done.exit_code == 1
    assert "AZ-GRD-001   FAIL" in done.output
    assert "azurerm_resource_group.test location = 'eastus'" in done.output
    md = guardrails(run_cli, plan, "--runbook", str(EXAMPLES / "runbook.yaml"), "--format", "md")
    assert "| logius | AZ-GRD-001 | FAIL |" in md.output


def test_inconclusive_exits_8(run_cli: Any, tmp_path: Path, module: dict[str, Any]) -> None:
    assert guardrails(run_cli, write_plan(tmp_path, module)).exit_code == 8  # no runbook given


@pytest.mark.parametrize("content,said", [
    ("{not json", "not JSON"),
    ('{"format_version": "2.0", "resource_changes": []}', "format_version '2.0' is not one this tool reads"),
    ('[1, 2]', "not a Terraform plan in JSON"),
])
def test_a_bad_plan_is_refused_naming_the_file(run_cli: Any, tmp_path: Path, content: str, said: str) -> None:
    plan = tmp_path / "bad.json"
    plan.write_text(content)
    done = guardrails(run_cli, plan)
    assert done.exit_code == 2 and f"error: {plan}: " in done.stderr and said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("policy,field", [
    ("allowed_regions: []\nallowed_ranges: [10.0.0.0/8]\nmax_expiry_days: 30\n", "field allowed_regions"),
    ("allowed_regions: [westeurope]\nallowed_ranges: [0.0.0.0/0]\nmax_expiry_days: 30\n",
     "field allowed_ranges"),
    ("allowed_regions: [westeurope]\nallowed_ranges: [10.0.0.0/8]\n", "field max_expiry_days"),
    ("allowed_regions: [westeurope]\nallowed_ranges: [10.0.0.0/8]\nmax_expiry_days: 3\nregion: x\n",
     "field region"),
    ("- a list\n", "not a mapping"),
])
def test_a_bad_policy_is_refused_naming_the_file_and_field(run_cli: Any, tmp_path: Path,
                                                           module: dict[str, Any], policy: str,
                                                           field: str) -> None:
    (tmp_path / "policy.yaml").write_text(policy)
    done = guardrails(run_cli, write_plan(tmp_path, module), "--policy", str(tmp_path / "policy.yaml"))
    assert done.exit_code == 2 and str(tmp_path / "policy.yaml") in done.stderr and field in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_missing_checkov_is_inconclusive_with_the_install_command(
        run_cli: Any, tmp_path: Path, module: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(checkov.ENV, str(tmp_path / "no-checkov-here"))
    plan = write_plan(tmp_path, module)
    done = run_cli("track", "azure-test", "guardrails", str(plan), "--runbook",
                   str(EXAMPLES / "runbook.yaml"), "--format", "json", env=NOW)
    document = json.loads(done.output)
    ours = [r for r in document["results"] if r["source"] == "logius"]
    theirs = [r for r in document["results"] if r["source"] == "checkov"]
    assert len(ours) == 7 and all(r["outcome"] == "PASS" for r in ours)
    assert [(r["outcome"], r["remedy"]) for r in theirs] == [("INCONCLUSIVE", checkov.INSTALL)]
    assert done.exit_code == 0  # checkov's findings are shown beside ours; ours decide


def test_checkovs_report_becomes_results_marked_as_checkovs() -> None:
    report = [{"check_type": "terraform_plan", "summary": {"passed": 3, "failed": 1},
               "results": {"failed_checks": [{"check_id": "CKV_AZURE_1", "check_name": "Use SSH keys",
                                              "resource": "azurerm_linux_virtual_machine.vm[0]",
                                              "file_path": "/plan.json", "file_line_range": [1, 9],
                                              "guideline": "https://docs"}]}}]
    found = checkov.findings(report, "plan.json")
    assert [(r.guardrail, r.outcome.value, r.source, r.evidence[0].address) for r in found] == \
        [("CKV_AZURE_1", "FAIL", "checkov", "azurerm_linux_virtual_machine.vm[0]")]
    assert checkov.findings({"passed": 0, "failed": 0}, "m")[0].outcome.value == "PASS"
