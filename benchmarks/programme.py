"""The whole programme on the lab, timed as a user runs it, beside a replay of its tool commands.

1. `scripts/programme.sh` (the CLI as subprocesses, the clock set to each moment of the
   programme's history: three deliveries, their validations, three plans, every wave) on a fresh
   lab; the wall time of each command is recorded.
2. A sequential replay: on another fresh lab, for each wave the programme ran, a shell script of
   that wave's own tool commands (each `terraform apply`, then each phase's `ansible-playbook`
   over the wave's hosts, one after another), as in benchmarks/wave_overhead.py.
Reported: the total time (target under 5 minutes on the 2-core machine) and each wave's `wave
run` against its replay (target at most 1.1x).

Usage: python benchmarks/programme.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(PROJECT / "benchmarks"))

from wave_overhead import commands, fresh_lab, script  # noqa: E402

from orchestrator.catalog import load_catalog  # noqa: E402
from orchestrator.journal import Journal, resolve_url  # noqa: E402
from orchestrator.lab import load_secrets  # noqa: E402
from orchestrator.steps.secret_channel import SecretChannel  # noqa: E402


def run_programme(base: Path) -> tuple[float, list[tuple[float, str]], Path]:
    times = base / "times.tsv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGIUS_MIGRATE_")}
    env.update(LOGIUS_MIGRATE_LAB=str(base / "programme"), PROGRAMME_NO_SETUP="1",
               PROGRAMME_OUT=str(base / "reports"), PROGRAMME_TIMES=str(times),
               LOGIUS_MIGRATE_HOME=str(base / "home"))
    began = time.perf_counter()
    subprocess.run([str(PROJECT / "scripts/programme.sh")], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = time.perf_counter() - began
    lines = [line.split("\t", 1) for line in times.read_text().splitlines()]
    return total, [(float(seconds), command) for seconds, command in lines], base / "programme"


def wave_members(lab: Path) -> list[tuple[str, list[str]]]:
    """Each wave run of the programme, in order: its run id and its services."""
    with Journal(resolve_url(lab / "journal.db", None)) as journal:
        runs = [r for r in journal.runs() if r.kind == "wave"]
        return [(r.id, json.loads(r.detail)["services"]) for r in runs]


def replay(base: Path, runs: list[tuple[str, list[str]]]) -> list[float]:
    catalog = load_catalog(PROJECT / "seeds")
    layout = fresh_lab(PROJECT / "seeds", base / "replay")
    secrets = load_secrets(layout)
    seconds = []
    for number, (_, members) in enumerate(runs, start=1):
        services = [catalog.service(sid) for sid in members]
        work = base / f"replay-{number}"
        work.mkdir()
        served = {"service_secrets": {s.id: secrets.get(s.id, {}) for s in services}}
        with SecretChannel(served) as channel:
            path = work / "wave.sh"
            path.write_text(script(commands(catalog, layout, services, work, channel.variables()), False))
            began = time.perf_counter()
            subprocess.run(["bash", str(path)], check=True, env=layout.site().terraform_env().child_env())
            seconds.append(time.perf_counter() - began)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="logius-programme-"))
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    try:
        total, times, lab = run_programme(base)
        runs = wave_members(lab)
        os.environ["HOME"] = str(base / "home")
        replayed = replay(base, runs)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    engine = [seconds for seconds, command in times if command.startswith("wave run ")]
    rows = [{"run": run_id, "services": len(members), "wave_run_s": round(e, 2), "replay_s": round(r, 2),
             "ratio": round(e / r, 2)}
            for (run_id, members), e, r in zip(runs, engine, replayed, strict=True)]
    report = {"total_s": round(total, 1), "commands": len(times), "waves": rows,
              "waves_s": round(sum(engine), 1), "replay_s": round(sum(replayed), 1)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"programme: {report['total_s']} s in all, {report['commands']} commands")
    print("| run | services | `wave run` (s) | replay (s) | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(f"| {row['run']} | {row['services']} | {row['wave_run_s']} | {row['replay_s']} | "
              f"{row['ratio']}x |")
    print(f"| all waves | | {report['waves_s']} | {report['replay_s']} | "
          f"{round(report['waves_s'] / report['replay_s'], 2)}x |")


if __name__ == "__main__":
    main()
