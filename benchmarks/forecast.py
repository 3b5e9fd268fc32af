"""How `logius-migrate plan forecast` performs, timed as a user runs it, beside a floor measured in
the same run: one deterministic planning pass (`logius-migrate plan --format json`).

On the shipped catalog and on a generated 1,000-service catalog (benchmarks/plan_scale.py's
generator, with a calendar and a forecast: section added), each written to disk with a journal
file holding an approved plan of it, a history of recorded steps with some retried attempts, and
two open blockers (built through the journal API, no waves run). Both commands run as subprocesses
of the installed CLI; each figure is the best of --repeat runs (wall seconds), with the CPU
time (user + system) of that run, which a shared machine's load moves less.

Targets (issue 19): 10,000 iterations under 2 s on the shipped catalog, under 20 s on 1,000 services.

Usage: python benchmarks/forecast.py [--repeat 3] [--iterations 10000] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(PROJECT), str(PROJECT / "benchmarks")]
NOW = "2024-12-02T09:00"
START = dt.date(2025, 1, 6)


def generated_catalog(folder: Path, services: int) -> Path:
    """plan_scale's synthetic catalog, with the calendar and forecast settings the forecast needs."""
    from plan_scale import synthetic_catalog

    data = synthetic_catalog(services)
    data["calendar"] = {"legacy_contract_end": "2025-12-31", "planning_start": START.isoformat()}
    data["cost_model"] = {"label": "cost of delay", "base_exposure_meur": 100, "paused_months": 12,
                          "exposure_after_pause_meur": 124}
    data["forecast"] = {"duration_spread": {"distribution": "triangular", "low": 0.9, "mode": 1,
                                            "high": 1.4}}
    folder.mkdir(parents=True)
    (folder / "catalog.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


def prepared_journal(catalog_path: Path, path: Path, start: dt.date, capacity: int) -> None:
    """A journal with an approved plan of the catalog, a step history and two open blockers."""
    os.environ["LOGIUS_MIGRATE_NOW"] = NOW
    from orchestrator.catalog import load_catalog
    from orchestrator.cli.plan import build_plan
    from orchestrator.cli.plans import plan_waves_document
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.blockers import add_blocker
    from orchestrator.journal.plans import approve_plan, save_plan

    catalog = load_catalog(catalog_path)
    waves = plan_waves_document(build_plan(catalog, start, 28, capacity, 1))
    with Journal(resolve_url(path, None), create=True) as journal:
        options = {"start": start.isoformat(), "wave_length_days": 28, "capacity": capacity,
                   "pilot_waves": 1, "deadline": None}
        saved = save_plan(journal, "ann", options, catalog.digest, catalog.file_digests, "lab", "0" * 64,
                          waves)
        approve_plan(journal, saved.id, "bob", "benchmark", allow_self_approval=False)
        _history(journal, catalog)
        first, middle = catalog.services[0].id, waves[len(waves) // 2]["number"]
        add_blocker(journal, f"service:{first}", "blocking", "disk", "ops", "ann", due=START)
        add_blocker(journal, f"wave:{middle}", "major", "network", "ops", "ann")


def _history(journal: Any, catalog: Any) -> None:
    """Forty recorded runs of provision and verify (hours each), one in five retried once."""
    from sqlalchemy import update

    from orchestrator.journal import schema

    journal.create_run("history", 1, "wave", "ann", status="done")
    for number in range(40):
        for step, hours in (("provision", 20 + number % 9), ("verify", 2 + number % 4)):
            execution = journal.begin_step("history", f"old-{number}", step, 1)
            for outcome in (("transient", "ok") if number % 5 == 0 else ("ok",)):
                journal.finish_attempt(execution.key, journal.start_attempt(execution.key), outcome)
            journal.finish_step(execution.key, "done")
            with journal.engine.begin() as connection:
                connection.execute(update(schema.executions).where(
                    schema.executions.c.key == execution.key).values(
                    started_at=1e9, finished_at=1e9 + hours * 3600))


def best(command: list[str], repeat: int) -> tuple[float, float, str]:
    """The best wall time of ``repeat`` runs, the CPU time (user + system) of that run, its stdout."""
    import resource

    env = {**os.environ, "LOGIUS_MIGRATE_NOW": NOW}
    runs, out = [], ""
    for _ in range(repeat):
        before, began = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        wall, after = time.perf_counter() - began, resource.getrusage(resource.RUSAGE_CHILDREN)
        runs.append((wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime))
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)}: exit {done.returncode}: {done.stderr.strip()}")
        out = done.stdout
    wall, cpu = min(runs)
    return wall, cpu, out


def measure(name: str, catalog: Path, journal: Path, start: dt.date, capacity: int, iterations: int,
            repeat: int) -> dict[str, Any]:
    tool = [sys.executable, "-m", "orchestrator", "-q"]
    forecast, forecast_cpu, out = best([*tool, "plan", "forecast", "--catalog", str(catalog), "--db",
                                        str(journal), "--iterations", str(iterations), "--format",
                                        "json"], repeat)
    floor, floor_cpu, _ = best([*tool, "plan", "--catalog", str(catalog), "--start", start.isoformat(),
                     "--capacity", str(capacity), "--format", "json"], repeat)
    result = json.loads(out)
    return {"catalog": name, "iterations": iterations, "forecast_s": round(forecast, 3),
            "plan_s": round(floor, 3), "ratio": round(forecast / floor, 2),
            "forecast_cpu_s": round(forecast_cpu, 3), "plan_cpu_s": round(floor_cpu, 3),
            "waves": len(result["waves"]),
            "p50": result["p50"], "p90": result["p90"], "deterministic_end": result["deterministic_end"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=10_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="forecast-bench-") as scratch:
        base = Path(scratch)
        shipped = PROJECT / "seeds"
        prepared_journal(shipped, base / "shipped.db", dt.date(2025, 1, 6), 2)
        rows.append(measure("shipped (20 services)", shipped, base / "shipped.db", START, 2,
                            args.iterations, args.repeat))
        large = generated_catalog(base / "large", 1000)
        prepared_journal(large, base / "large.db", START, 3)
        rows.append(measure("generated (1,000 services)", large, base / "large.db", START, 3,
                            args.iterations, args.repeat))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'catalog':<28} {'waves':>5} {'forecast s':>10} {'plan s':>7} {'ratio':>6} "
          f"{'CPU s (forecast/plan)':>22}  P50 / P90 (plan's end)")
    for row in rows:
        cpu = f"{row['forecast_cpu_s']:.2f} / {row['plan_cpu_s']:.2f}"
        print(f"{row['catalog']:<28} {row['waves']:>5} {row['forecast_s']:>10.3f} {row['plan_s']:>7.3f} "
              f"{row['ratio']:>5.2f}x {cpu:>22}  {row['p50']} / {row['p90']} ({row['deterministic_end']})")


if __name__ == "__main__":
    main()
