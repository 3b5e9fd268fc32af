"""How fast the guardrails (AZ-GRD-*) judge a large plan, timed as a user runs them, beside a floor.

It writes a plan JSON of --resources resources (default 5,000) on disk: the azure-test-environment
module's own plan (built from its parsed resources) with its VMs and NICs repeated (``vm_count``)
until the plan holds that many resources. It times, each the best of --repeat runs as a subprocess:
``logius-migrate track azure-test guardrails PLAN --no-checkov`` (with the example runbook), and as
the floor ``python -c 'import json; json.load(open(F))'``; then, once, checkov on the same plan
(``-f PLAN --framework terraform_plan``) when ``$LOGIUS_MIGRATE_CHECKOV`` or a checkov on PATH is found.

Usage: python benchmarks/guardrails.py [--resources 5000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))


def write_plan(path: Path, resources: int) -> int:
    from orchestrator.guardrails.plan_json import build_plan, parse_module

    module = parse_module(PROJECT / "terraform" / "modules" / "azure-test-environment")
    values = json.loads((PROJECT / "examples" / "azure-test" / "values.json").read_text())
    fixed = len(build_plan(module, {**values, "vm_count": 0})["resource_changes"])
    plan = build_plan(module, {**values, "vm_count": max(1, (resources - fixed) // 2)})
    path.write_text(json.dumps(plan))
    return len(plan["resource_changes"])


def best(argv: list[str], repeat: int, env: dict[str, str]) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        code = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                              check=False).returncode
        times.append(time.perf_counter() - started)
    return min(times), code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "LOGIUS_MIGRATE_NOW": "2026-12-01T09:00"}
    with tempfile.TemporaryDirectory() as folder:
        plan = Path(folder) / "plan.json"
        count = write_plan(plan, options.resources)
        cli = [sys.executable, "-m", "orchestrator", "track", "azure-test", "guardrails", str(plan),
               "--no-checkov", "--runbook", str(PROJECT / "examples" / "azure-test" / "runbook.yaml")]
        ours, code = best(cli, options.repeat, env)
        load = f"import json; json.load(open({str(plan)!r}))"
        floor, _ = best([sys.executable, "-c", load], options.repeat, env)
        figures = {"resources": count, "plan_bytes": plan.stat().st_size, "guardrails_s": round(ours, 3),
                   "exit_code": code, "floor_json_load_s": round(floor, 3)}
        from orchestrator.guardrails.checkov import find

        program = find()
        if program:
            figures["checkov_s"] = round(best([program, "-f", str(plan), "--framework", "terraform_plan",
                                               "-o", "json", "--quiet", "--compact", "--skip-download"],
                                              1, env)[0], 3)
    if options.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key:20} {value}")


if __name__ == "__main__":
    main()
