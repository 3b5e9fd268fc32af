"""checkov's Azure checks beside ours, run as a program from its own environment.

checkov cannot be installed beside this tool's pins (checkov 3.3.30 needs networkx<2.7 where the
test extra pins 3.6.1; through boto3 it needs python-dateutil<3 where kubernetes 37 needs >=3; and
its bc-python-hcl2 ships the same ``hcl2`` package as python-hcl2), so it is looked for as a
program: ``$LOGIUS_MIGRATE_CHECKOV``, else ``checkov`` on PATH. Its findings become results marked
source "checkov"; not found, one INCONCLUSIVE result says how to install it."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from orchestrator.guardrails.results import CHECKOV, Evidence, Outcome, Result

ENV = "LOGIUS_MIGRATE_CHECKOV"
VERSION = "3.3.30"
INSTALL = (f"python3 -m venv ~/.checkov && ~/.checkov/bin/pip install checkov=={VERSION} && "
           f"export {ENV}=~/.checkov/bin/checkov")
TIMEOUT = 1800.0


def find() -> str | None:
    given = os.environ.get(ENV)
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("checkov")


def scan_plan(plan: Path) -> list[Result]:
    return _scan(["-f", str(plan), "--framework", "terraform_plan"], str(plan))


def scan_module(module: Path) -> list[Result]:
    return _scan(["-d", str(module), "--framework", "terraform"], str(module))


def _scan(arguments: list[str], target: str) -> list[Result]:
    from orchestrator.steps.process_runner import ProcessRequest, run

    program = find()
    if program is None:
        return [Result("CKV_AZURE_*", "checkov's Azure checks", Outcome.INCONCLUSIVE,
                       f"checkov is not installed (${ENV} unset or wrong, none on PATH)",
                       remedy=INSTALL, source=CHECKOV)]
    argv = (program, *arguments, "-o", "json", "--quiet", "--compact", "--skip-download")
    done = run(ProcessRequest(argv, what="checkov", timeout=TIMEOUT))
    try:
        return findings(json.loads(done.stdout or "null"), target)
    except (ValueError, TypeError, KeyError):
        said = (done.stderr or done.stdout).strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        return [Result("CKV_AZURE_*", "checkov's Azure checks", Outcome.INCONCLUSIVE,
                       f"checkov gave no report on {target}: {said[0]}", source=CHECKOV)]


def findings(report: Any, target: str) -> list[Result]:
    """checkov's JSON (one report, or one per framework; ``{}``-like summary when nothing was
    scanned) as results: one FAIL per failed check and resource, or one PASS with the count."""
    reports = report if isinstance(report, list) else [report]
    failed: list[Result] = []
    passed = 0
    for one in reports:
        if not isinstance(one, dict):
            raise TypeError("not a checkov report")
        results = one.get("results") or {}
        passed += (one.get("summary") or {}).get("passed", 0)
        for check in results.get("failed_checks", []):
            where = f"{check.get('file_path', '')}:{'-'.join(map(str, check.get('file_line_range', [])))}"
            failed.append(Result(check["check_id"], check.get("check_name", ""), Outcome.FAIL,
                                 check.get("check_name", ""),
                                 (Evidence(check.get("resource", ""), where, ""),),
                                 remedy=check.get("guideline") or "", source=CHECKOV))
    if failed:
        return sorted(failed, key=lambda r: (r.guardrail, r.evidence[0].address))
    return [Result("CKV_*", "checkov's checks", Outcome.PASS, f"{passed} check(s) passed on {target}",
                   source=CHECKOV)]
