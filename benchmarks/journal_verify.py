"""What the tamper-evident chain costs: `journal verify` over a million records, and each write.

It builds a journal file on disk with --records chain records (by default 1,000,000: events
inserted, executions inserted then updated, each row's newest record its real digest), then runs
the installed CLI as a subprocess, `logius-migrate journal verify --db FILE`, beside a floor
measured in the same run: a subprocess of the same Python that only reads the same rows (the chain
and the tables, with the sqlite3 module) and hashes each record once. Each figure is the best of
--repeat runs. It also times --writes journal writes (an event each, one transaction each) with the
chain and without it (the engine's events unhooked), for the chain's cost per write.

Usage: python benchmarks/journal_verify.py [--records 1000000] [--writes 2000] [--repeat 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import event, select  # noqa: E402

from orchestrator.journal import Journal, chain, resolve_url  # noqa: E402

FLOOR = """
import hashlib, sqlite3, sys
connection = sqlite3.connect(sys.argv[1])
n = 0
for row in connection.execute("SELECT seq, tbl, row_key, op, digest, prev, hash FROM chain ORDER BY seq"):
    hashlib.sha256(f"{row[5]} {row[0]} {row[1]} {row[3]} {row[4]} {row[2]}".encode()).hexdigest()
    n += 1
for table in ("events", "executions"):
    for row in connection.execute(f"SELECT * FROM {table}"):
        n += 1
print(n)
"""


def build(path: Path, records: int) -> None:
    """A journal with ``records`` chain records: 80% events, 20% executions (inserted, updated)."""
    Journal(resolve_url(path, None), create=True).close()
    steps = records // 10
    events = records - 2 * steps - 1
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO runs VALUES ('wave-1', 1, 'wave', 'done', 'ann', 1.5, 2.5, '', 1.5, "
                           "2.5)")
        made = (("wave-1", 1.0 + i / 7, "step", f"step {i} of the wave done") for i in range(events))
        connection.executemany("INSERT INTO events (run_id, at, kind, message) VALUES (?, ?, ?, ?)", made)
        connection.executemany(
            "INSERT INTO executions (key, run_id, service, step, seq, status, attempts, started_at, "
            "finished_at, output, error) VALUES (?, 'wave-1', ?, 'provision', 1, 'done', 1, ?, ?, 'ok', '')",
            ((f"wave-1/s{i}/provision", f"s{i}", 1.0 + i / 3, 2.0 + i / 3) for i in range(steps)))
    journal = Journal(resolve_url(path, None))
    with journal.engine.begin() as connection:
        _chain_rows(connection, "runs", "insert")
        _chain_rows(connection, "events", "insert")
        _chain_rows(connection, "executions", "insert", stale=True)
        _chain_rows(connection, "executions", "update")
    journal.close()


def _chain_rows(connection, name: str, op: str, stale: bool = False) -> None:
    tbl = chain.table(name)
    column = chain.key_column(tbl).name
    batch: list[tuple[str, str, str]] = []
    for row in connection.execute(select(tbl).order_by(tbl.c[column])):
        values = row._asdict()
        if stale:
            values = {**values, "status": "running", "finished_at": None}
        batch.append((str(values[column]), op, chain.row_digest(values)))
        if len(batch) == 50000:
            chain.append_records(connection, name, batch)
            batch = []
    chain.append_records(connection, name, batch)


def best(command: list[str], repeat: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stdout}{done.stderr}")
    return min(times)


def write_cost(folder: Path, writes: int) -> dict[str, float]:
    """Seconds per journal write (one event, one transaction) with the chain and without it."""
    figures = {}
    for label in ("chained", "unchained"):
        journal = Journal(resolve_url(folder / f"{label}.db", None), create=True)
        if label == "unchained":
            event.remove(journal.engine, "before_execute", chain._before)
            event.remove(journal.engine, "after_execute", chain._after)
        start = time.perf_counter()
        for i in range(writes):
            journal.log(None, "k", f"write {i}")
        figures[label] = (time.perf_counter() - start) / writes
        journal.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--writes", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="journal-verify-") as temporary:
        folder = Path(temporary)
        path = folder / "journal.db"
        started = time.perf_counter()
        build(path, args.records)
        built = time.perf_counter() - started
        env = {**os.environ, "PYTHONPATH": str(PROJECT)}
        cli = [sys.executable, "-m", "orchestrator", "journal", "verify", "--db", str(path)]
        verify = best(cli, args.repeat, env)
        floor = best([sys.executable, "-c", FLOOR, str(path)], args.repeat, env)
        costs = write_cost(folder, args.writes)
    result = {"records": args.records, "build_seconds": round(built, 1), "verify_seconds": round(verify, 2),
              "floor_seconds": round(floor, 2), "ratio": round(verify / floor, 2),
              "write_ms_chained": round(costs["chained"] * 1000, 3),
              "write_ms_unchained": round(costs["unchained"] * 1000, 3),
              "chain_ms_per_write": round((costs["chained"] - costs["unchained"]) * 1000, 3)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"journal verify over {args.records:,} records: {verify:.2f} s (floor, reading the same rows and "
          f"hashing each record: {floor:.2f} s; ratio {verify / floor:.2f}); built in {built:.0f} s")
    print(f"a journal write (one event): {costs['chained'] * 1000:.2f} ms chained, "
          f"{costs['unchained'] * 1000:.2f} ms without the chain: {result['chain_ms_per_write']:.2f} ms "
          f"per write")


if __name__ == "__main__":
    main()
