"""How long `logius-migrate report` takes on a long history, beside a floor measured in the same run.

A synthetic journal: an approved plan of the shipped catalog's services, two per wave; 1,000 runs of
100 step executions each (100,000 in all, written with bulk inserts in one transaction), the
services' states, 60 blockers, and a validation and a decision per release. Then, each as a
subprocess of this Python, best of ``--repeat``:
  report  `logius-migrate report --out DIR --now ...` (dashboard.html, dashboard.md, status.json);
  floor   a plain sqlite3 read of every execution row of the same journal (what any report of the
          history costs at least), and `logius-migrate --help` (the start-up alone).
Targets: report under 3 s, dashboard.html under 2 MB.

Usage: python benchmarks/report.py [--executions 100000] [--repeat 3] [--json]
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

from sqlalchemy import insert  # noqa: E402

from orchestrator.catalog import load_catalog  # noqa: E402
from orchestrator.journal import Journal, schema  # noqa: E402
from orchestrator.journal.plans import approve_plan, save_plan  # noqa: E402

STEPS = ("provision", "prepare-target", "freeze", "sync-data", "cutover")
PER_RUN = 100
#: Inside the history (1,000 runs, four a day from 2027-01-15): the reporting period holds runs.
NOW = "2027-09-25T09:00"
DAY = 86400.0


def synthetic_journal(path: Path, executions: int) -> dict[str, int]:
    """Write the journal; what it holds, counted."""
    catalog = load_catalog(PROJECT / "seeds")
    ids = [s.id for s in catalog.services]
    journal = Journal(f"sqlite:///{path}", create=True)
    waves = [{"number": i + 1, "start": f"2027-{i % 12 + 1:02d}-01", "end": f"2027-{i % 12 + 1:02d}-28",
              "services": ids[2 * i:2 * i + 2]} for i in range(len(ids) // 2)]
    plan = save_plan(journal, "ann", {}, "c" * 64, {}, "lab", "s" * 64, waves)
    approve_plan(journal, plan.id, "bob", "benchmark", False)
    start = 1_800_000_000.0
    runs, rows = [], []
    for n in range(executions // PER_RUN):
        wave = n % len(waves) + 1
        run_id, begun = f"wave-{wave}.{n // len(waves) + 1}", start + n * DAY / 4
        runs.append({"id": run_id, "wave": wave, "kind": "wave", "status": "done" if n % 7 else "partial",
                     "owner": "ann@h:1", "created_at": begun, "updated_at": begun + 3600, "detail": "{}",
                     "started_at": begun, "finished_at": begun + 3600 if n % 7 else None})
        for k in range(PER_RUN):
            service, step = ids[k // len(STEPS) % len(ids)], STEPS[k % len(STEPS)]
            rows.append({"key": f"{run_id}/{service}/{step}/{k}", "run_id": run_id, "service": service,
                         "step": step, "seq": k, "status": "done" if k % 13 else "failed", "attempts": 1,
                         "started_at": begun + k * 30, "finished_at": begun + k * 30 + 25,
                         "output": "ok", "error": ""})
    blockers = [{"id": f"BLK-{i + 1:04d}", "scope": "platform",
                 "severity": ("blocking", "major", "minor")[i % 3],
                 "title": f"issue {i}", "owner": f"team-{i % 5}", "due": f"2027-0{i % 9 + 1}-15",
                 "status": ("open", "mitigated", "resolved")[i % 3], "evidence": "",
                 "created_at": start, "updated_at": start} for i in range(60)]
    with journal.engine.begin() as connection:
        connection.execute(insert(schema.runs), runs)
        connection.execute(insert(schema.executions), rows)
        connection.execute(insert(schema.blockers), blockers)
        connection.execute(insert(schema.service_states), [
            {"service": sid, "state": "cut-over", "run_id": runs[0]["id"], "updated_at": start}
            for sid in ids[:6]])
    journal.close()
    return {"runs": len(runs), "executions": len(rows), "services": len(ids), "waves": len(waves)}


def timed(cmd: list[str], repeat: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - began
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr[-2000:]}")
        best = min(best, elapsed)
    return round(best, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(PROJECT), "LOGIUS_MIGRATE_CATALOG": str(PROJECT / "seeds")}
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        began = time.perf_counter()
        held = synthetic_journal(root / "journal.db", args.executions)
        written = round(time.perf_counter() - began, 2)
        tool = [sys.executable, "-m", "orchestrator"]
        report = timed([*tool, "-q", "report", "--db", str(root / "journal.db"), "--out", str(root / "out"),
                        "--now", NOW], args.repeat, env)
        read = ("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); "
                "n=len(c.execute('select * from executions').fetchall()); print(n)")
        floor = timed([sys.executable, "-c", read, str(root / "journal.db")], args.repeat, env)
        startup = timed([*tool, "--help"], args.repeat, env)
        sizes = {p.name: p.stat().st_size for p in sorted((root / "out").iterdir())}
    result = {"journal": held, "written_s": written, "report_s": report, "sqlite_read_s": floor,
              "startup_s": startup, "sizes_bytes": sizes, "report_under_3s": report < 3,
              "html_under_2mb": sizes["dashboard.html"] < 2_000_000}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"journal: {held['executions']} step executions in {held['runs']} runs ({held['services']} "
          f"services, {held['waves']} waves), written in {written} s")
    print(f"report {report} s (target 3 s); floor: sqlite3 read of every execution {floor} s, "
          f"`logius-migrate --help` {startup} s")
    print("files: " + ", ".join(f"{name} {size / 1000:.1f} kB" for name, size in sizes.items())
          + " (dashboard.html target 2 MB)")


if __name__ == "__main__":
    main()
