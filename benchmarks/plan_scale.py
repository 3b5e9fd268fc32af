"""How `logius-migrate plan` scales, timed as a user runs it, beside a floor measured in the same run.

For synthetic catalogs written to disk (10,000 services as a folder of YAML files; 100,000 as JSON,
about five hard dependencies each, a few blackout windows, contract changes and release bounds)
it runs the installed CLI as a subprocess:
  - `logius-migrate plan` (the table), `plan --format json` (written to a file), `catalog validate`,
    and on 100,000 services with the default options (capacity 3: 33,334 waves) the table and the
    JSON, each written to a file;
and, as the floor, a subprocess of the same Python that reads the same files (libyaml's C loader,
or `json`) and runs `networkx.topological_generations` over the same dependency graph. Each figure
is the best of --repeat runs; peak memory is the child's maximum resident set (wait4). It also
times start-up: `logius-migrate --help` and `plan` on the shipped catalog beside `python -c pass`.

Usage: python benchmarks/plan_scale.py [--repeat 3] [--json] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[1]
START = dt.date(2025, 1, 6)
FLOOR = """
import gc; gc.disable()  # as the CLI does while it loads and plans
import json, sys, networkx as nx, yaml
from pathlib import Path
services = []
for f in sorted(Path(sys.argv[1]).iterdir()):
    text = f.read_text(encoding="utf-8")
    data = json.loads(text) if f.suffix == ".json" else yaml.load(text, Loader=yaml.CSafeLoader)
    services += data.get("services", [])
graph = nx.DiGraph()
graph.add_nodes_from(s["id"] for s in services)
graph.add_edges_from((d["service"], s["id"]) for s in services for d in s.get("dependencies", ()))
print(len(list(nx.topological_generations(graph))))
"""


def synthetic_catalog(n: int, seed: int = 7) -> dict:
    """``n`` services, each hard-depending on up to five earlier ones (so the graph is a DAG)."""
    rnd = random.Random(seed)
    releases = [{"id": f"r{i}", "name": f"R{i}", "status": "accepted",
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


def write_catalog(folder: Path, data: dict, kind: str, files: int) -> int:
    """Write the catalog as ``files`` service files plus a releases file; returns bytes written."""
    folder.mkdir(parents=True)
    services = data["services"]
    chunk = -(-len(services) // files)
    parts = {f"services-{k:02d}": {"services": services[k * chunk:(k + 1) * chunk]}
             for k in range(files)}
    parts["releases"] = {"releases": data["releases"]}
    for name, doc in parts.items():
        path = folder / f"{name}.{kind}"
        if kind == "json":
            path.write_text(json.dumps(doc), encoding="utf-8")
        else:
            path.write_text(yaml.dump(doc, Dumper=yaml.CSafeDumper, sort_keys=False), encoding="utf-8")
    return sum(p.stat().st_size for p in folder.iterdir())


def run(cmd: list[str], env: dict, stdout_path: Path | None = None) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child (exit status checked)."""
    out = open(stdout_path, "w") if stdout_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        began = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        stderr = child.stderr.read().decode() if child.stderr else ""
    finally:
        if stdout_path:
            out.close()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {child.returncode}: {stderr[-500:]}")
    return elapsed, usage.ru_maxrss / 1024


def best(repeat: int, cmd: list[str], env: dict, stdout_path: Path | None = None) -> dict:
    runs = [run(cmd, env, stdout_path) for _ in range(repeat)]
    return {"seconds": round(min(r[0] for r in runs), 2), "peak_mb": round(max(r[1] for r in runs))}


def cli() -> str:
    return shutil.which("logius-migrate", path=str(Path(sys.executable).parent)) or "logius-migrate"


def measure_case(root: Path, n: int, kind: str, repeat: int, commands: list[tuple[str, list[str], bool]]
                 ) -> dict:
    """The floor and each command (label, arguments, whether its stdout goes to a file)."""
    folder = root / f"catalog-{n}-{kind}"
    size = write_catalog(folder, synthetic_catalog(n), kind, files=10 if kind == "yaml" else 1)
    env = dict(os.environ, LOGIUS_MIGRATE_HOME=str(root / "home"))
    floor = best(repeat, [sys.executable, "-c", FLOOR, str(folder)], env)
    rows = []
    for label, args, to_file in commands:
        out = root / "out.txt" if to_file else None
        figure = best(repeat, [cli(), *args, "--catalog", str(folder)], env, out)
        figure.update(command=label, ratio=round(figure["seconds"] / floor["seconds"], 2))
        if out:
            figure["output_mb"] = round(out.stat().st_size / 2**20, 1)
        rows.append(figure)
    return {"services": n, "format": kind, "catalog_mb": round(size / 2**20, 1), "floor": floor,
            "commands": rows}


def measure_startup(repeat: int) -> dict:
    env = dict(os.environ)
    env.pop("LOGIUS_MIGRATE_CATALOG", None)

    def median(cmd: list[str]) -> float:
        return statistics.median(run(cmd, env)[0] for _ in range(repeat))

    base = median([sys.executable, "-c", "pass"])
    helped, planned = median([cli(), "--help"]), median([cli(), "plan"])
    return {"python_pass_s": round(base, 3), "help_s": round(helped, 3), "plan_s": round(planned, 3),
            "help_ratio": round(helped / base, 1), "plan_ratio": round(planned / base, 1)}


def cases(root: Path, repeat: int) -> list[dict]:
    options = ["--start", START.isoformat(), "--wave-length", "7"]
    default = ["plan", "--start", START.isoformat()]
    return [
        measure_case(root, 10_000, "yaml", repeat, [
            ("plan", ["plan", *options, "--capacity", "500"], False),
            ("plan (default options: capacity 3, 3,334 waves)", default, False),
        ]),
        measure_case(root, 100_000, "json", repeat, [
            ("plan", ["plan", *options, "--capacity", "5000"], False),
            ("plan --format json", ["plan", *options, "--capacity", "5000", "--format", "json"], True),
            ("catalog validate", ["catalog", "validate"], False),
            ("plan (default options: capacity 3, 33,334 waves), table to a file", default, True),
            ("plan --format json (default options), to a file", [*default, "--format", "json"], True),
        ]),
    ]


def print_table(result: dict) -> None:
    print("| catalog | command | seconds | floor (s) | ratio | peak memory (MB) | output (MB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for case in result["cases"]:
        name = f"{case['services']:,} services, {case['format'].upper()} ({case['catalog_mb']} MB)"
        for row in case["commands"]:
            print(f"| {name} | `{row['command']}` | {row['seconds']} | {case['floor']['seconds']} | "
                  f"{row['ratio']}x | {row['peak_mb']} | {row.get('output_mb', '-')} |")
    s = result["startup"]
    print()
    print("| start-up | median (s) | vs `python -c pass` |")
    print("| --- | ---: | ---: |")
    print(f"| `python -c pass` | {s['python_pass_s']} | 1x |")
    print(f"| `logius-migrate --help` | {s['help_s']} | {s['help_ratio']}x |")
    print(f"| `logius-migrate plan` (shipped catalog) | {s['plan_s']} | {s['plan_ratio']}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--keep", type=Path, help="write the catalogs here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="plan-scale-"))
    try:
        result = {"cases": cases(root, args.repeat), "startup": measure_startup(max(5, args.repeat * 3))}
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
