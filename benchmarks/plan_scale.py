"""How the planner scales, measured beside a bare topological sort of the same graph, in one run.

For synthetic catalogs of 1,000, 10,000 and 100,000 services (about five hard dependencies each,
a few blackout windows, contract changes and release bounds) it times:
  - catalog validation (`catalog_from_data`: pydantic models, references, cycle search);
  - the planner (`plan_waves`);
  - `networkx.topological_generations` over the same dependency graph (the baseline);
and reports plan/baseline as a ratio. It also times start-up: `logius-migrate --help` and
`logius-migrate plan` (the shipped catalog) beside `python -c pass`.

Usage: python benchmarks/plan_scale.py [--sizes 1000,10000,100000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from orchestrator.catalog import catalog_from_data  # noqa: E402
from orchestrator.planning import PlanOptions, plan_waves  # noqa: E402

START = dt.date(2025, 1, 6)


def synthetic_catalog(n: int, seed: int = 7) -> dict:
    """``n`` services, each hard-depending on up to five earlier ones (so the graph is a DAG)."""
    rnd = random.Random(seed)
    releases = [{"id": f"r{i}", "name": f"R{i}", "status": "accepted", "source": "bench, 2025",
                 "available": (START + dt.timedelta(days=30 * i)).isoformat()} for i in range(4)]
    services = []
    for i in range(n):
        deps = sorted({f"s{rnd.randrange(i):06d}" for _ in range(5)}) if i else []
        doc = {"id": f"s{i:06d}", "name": f"Service {i}", "domain": "Access",
               "size": rnd.choice("SMLX").replace("X", "XL"),
               "criticality": rnd.choice(["low", "medium", "high", "vital"]),
               "disposition": rnd.choice(["rehost"] * 8 + ["rebuild", "retire"]),
               "dependencies": [{"service": d} for d in deps], "source": "bench, 2025"}
        if rnd.random() < 0.05:
            first = START + dt.timedelta(days=rnd.randrange(400))
            doc["blackout_windows"] = [{"start": first.isoformat(),
                                        "end": (first + dt.timedelta(days=20)).isoformat(),
                                        "reason": "freeze"}]
        if rnd.random() < 0.05:
            doc["contract_change"] = {"date": (START + dt.timedelta(days=rnd.randrange(400))).isoformat(),
                                      "description": "contract"}
        if rnd.random() < 0.3:
            doc["min_release"] = rnd.choice(releases)["id"]
        services.append(doc)
    return {"services": services, "releases": releases}


def best_of(repeat: int, func) -> tuple[float, object]:
    """Best wall time of ``repeat`` calls, with the garbage collector paused for every contender
    (the planner pauses it itself; the baseline gets the same conditions)."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            began = time.perf_counter()
            result = func()
            times.append(time.perf_counter() - began)
        finally:
            gc.enable()
    return min(times), result


def measure_scale(n: int, repeat: int) -> dict:
    data = synthetic_catalog(n)
    load_s, catalog = best_of(1, lambda: catalog_from_data(data))
    options = PlanOptions(start=START, wave_length_days=7, capacity=max(1, n // 20), pilot_waves=1)
    plan_s, plan = best_of(repeat, lambda: plan_waves(catalog, options))
    graph = nx.DiGraph()
    graph.add_nodes_from(s["id"] for s in data["services"])
    graph.add_edges_from((d["service"], s["id"]) for s in data["services"] for d in s["dependencies"])
    topo_s, generations = best_of(repeat, lambda: list(nx.topological_generations(graph)))
    return {"services": n, "edges": graph.number_of_edges(), "validate_s": round(load_s, 3),
            "plan_s": round(plan_s, 3), "topological_generations_s": round(topo_s, 3),
            "ratio": round(plan_s / topo_s, 2), "waves": len(plan.waves),
            "dependency_depth": len(generations)}


def measure_startup(repeat: int) -> dict:
    exe = shutil.which("logius-migrate", path=str(Path(sys.executable).parent)) or "logius-migrate"
    env = dict(os.environ, LOGIUS_MIGRATE_CATALOG=str(PROJECT / "seeds"))

    def timed(cmd: list[str]) -> float:
        samples = []
        for _ in range(repeat):
            began = time.perf_counter()
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
            samples.append(time.perf_counter() - began)
        return statistics.median(samples)

    base = timed([sys.executable, "-c", "pass"])
    helped = timed([exe, "--help"])
    planned = timed([exe, "plan"])
    return {"python_pass_s": round(base, 3), "help_s": round(helped, 3), "plan_s": round(planned, 3),
            "help_ratio": round(helped / base, 1), "plan_ratio": round(planned / base, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    scales = [measure_scale(int(n), args.repeat) for n in args.sizes.split(",")]
    startup = measure_startup(max(5, args.repeat * 3))
    if args.json:
        print(json.dumps({"scales": scales, "startup": startup}, indent=2))
        return
    print("| services | edges | validate (s) | plan (s) | topological sort (s) | plan / topo | waves |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in scales:
        print(f"| {row['services']:,} | {row['edges']:,} | {row['validate_s']} | {row['plan_s']} | "
              f"{row['topological_generations_s']} | {row['ratio']}x | {row['waves']} |")
    print()
    print("| start-up | median (s) | vs `python -c pass` |")
    print("| --- | ---: | ---: |")
    print(f"| `python -c pass` | {startup['python_pass_s']} | 1x |")
    print(f"| `logius-migrate --help` | {startup['help_s']} | {startup['help_ratio']}x |")
    print(f"| `logius-migrate plan` | {startup['plan_s']} | {startup['plan_ratio']}x |")


if __name__ == "__main__":
    main()
