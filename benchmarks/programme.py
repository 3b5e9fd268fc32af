"""The whole programme on the lab, timed as a user runs it, beside a replay of its tool commands.

1. `scripts/programme.sh` (the CLI as subprocesses, the clock set to each moment of the
   programme's history: three deliveries, their validations, three plans, every wave rehearsed
   by a dry-run, the rehearsal approved, run and compared with its run) on a fresh lab; the wall
   time of each command is recorded, and each `wave dry-run compare` line of its stdout read.
2. A sequential replay: on another fresh lab, for each wave the programme ran, a shell script of
   that wave's own tool commands (each `terraform apply`, then each phase's `ansible-playbook`
   over the wave's hosts, one after another), as in benchmarks/wave_overhead.py.
Reported: the total time (target under 5 minutes on the 2-core machine), each wave's dry-run and
`wave run` times, the run against its replay (target at most 1.1x), and the rehearsal's recall,
precision and unknown share against its run. Exits 1, after the report, unless every wave has a
compare line and every one has a recall of 100% (every change the run made was predicted).

Usage: python benchmarks/programme.py [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
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

#: `wave dry-run compare`'s line (orchestrator/cli/dry_runs.py), one per wave on programme.sh's stdout.
COMPARE = re.compile(r"dry-run (?P<dry_run>\d+) against (?P<run>\S+): recall (?P<recall>\d+)% "
                     r"\((?P<predicted>\d+) of (?P<happened>\d+) change\(s\) predicted\), precision "
                     r"(?P<precision>\d+)%, unknown (?P<unknown>\d+)% of "
                     r"(?P<predictions>\d+) prediction\(s\)")


def run_programme(base: Path) -> tuple[float, list[tuple[float, str]], Path, str]:
    """programme.sh on a fresh lab: its wall time, each command's (seconds, command), the lab, and
    its stdout. SystemExit, with the end of its stderr, when it fails (a recall below 100% does:
    `wave dry-run compare` exits 1)."""
    times = base / "times.tsv"
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGIUS_MIGRATE_")}
    env.update(LOGIUS_MIGRATE_LAB=str(base / "programme"), PROGRAMME_NO_SETUP="1",
               PROGRAMME_OUT=str(base / "reports"), PROGRAMME_TIMES=str(times),
               LOGIUS_MIGRATE_HOME=str(base / "home"),
               PYTHONPATH=os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")])))
    began = time.perf_counter()
    done = subprocess.run([str(PROJECT / "scripts/programme.sh")], env=env, capture_output=True, text=True)
    total = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"programme.sh exited {done.returncode}:\n{done.stdout[-1500:]}\n"
                         f"{done.stderr[-3000:]}")
    lines = [line.split("\t", 1) for line in times.read_text().splitlines()]
    return total, [(float(seconds), command) for seconds, command in lines], base / "programme", done.stdout


def comparisons(stdout: str) -> dict[str, dict[str, int]]:
    """Run id -> its compare line's figures (percentages as printed, rounded; counts exact)."""
    return {m["run"]: {k: int(v) for k, v in m.groupdict().items() if k != "run"}
            for m in COMPARE.finditer(stdout)}


def recall_failures(runs: list[tuple[str, list[str]]], compared: dict[str, dict[str, int]]) -> list[str]:
    """What is wrong with the rehearsals' recall: a wave without a compare line, or one whose
    run made a change its dry-run did not predict (``predicted`` below ``happened``)."""
    wrong = []
    for run_id, _ in runs:
        found = compared.get(run_id)
        if found is None:
            wrong.append(f"{run_id}: no `wave dry-run compare` line on programme.sh's stdout")
        elif found["predicted"] != found["happened"]:
            wrong.append(f"{run_id}: recall {found['recall']}%: {found['predicted']} of {found['happened']} "
                         f"change(s) predicted by dry-run {found['dry_run']}")
    return wrong


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
        total, times, lab, stdout = run_programme(base)
        runs = wave_members(lab)
        os.environ["HOME"] = str(base / "home")
        replayed = replay(base, runs)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    compared = comparisons(stdout)
    report = summary(total, times, runs, replayed, compared)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_tables(report)
    wrong = recall_failures(runs, compared)
    if wrong:
        raise SystemExit("recall below 100%:\n  " + "\n  ".join(wrong))


def summary(total: float, times: list[tuple[float, str]], runs: list[tuple[str, list[str]]],
            replayed: list[float], compared: dict[str, dict[str, int]]) -> dict:
    engine = [seconds for seconds, command in times if command.startswith("wave run ")]
    rehearsals = [seconds for seconds, command in times if re.match(r"wave dry-run \d", command)]
    rows = [{"run": run_id, "services": len(members), "dry_run_s": round(d, 2), "wave_run_s": round(e, 2),
             "replay_s": round(r, 2), "ratio": round(e / r, 2), "compare": compared.get(run_id)}
            for (run_id, members), d, e, r in zip(runs, rehearsals, engine, replayed, strict=True)]
    return {"total_s": round(total, 1), "commands": len(times), "waves": rows,
            "dry_runs_s": round(sum(rehearsals), 1), "waves_s": round(sum(engine), 1),
            "replay_s": round(sum(replayed), 1)}


def print_tables(report: dict) -> None:
    print(f"programme: {report['total_s']} s in all, {report['commands']} commands; the dry-runs "
          f"{report['dry_runs_s']} s, the wave runs {report['waves_s']} s")
    print("| run | services | `wave dry-run` (s) | `wave run` (s) | replay (s) | ratio | recall | "
          "precision | unknown |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in report["waves"]:
        found = row["compare"] or {}
        recall = (f"{found['recall']}% ({found['predicted']} of {found['happened']})" if found else "none")
        figures = (f"{found['precision']}% | {found['unknown']}% of {found['predictions']}" if found
                   else "- | -")
        print(f"| {row['run']} | {row['services']} | {row['dry_run_s']} | {row['wave_run_s']} | "
              f"{row['replay_s']} | {row['ratio']}x | {recall} | {figures} |")
    print(f"| all waves | | {report['dry_runs_s']} | {report['waves_s']} | {report['replay_s']} | "
          f"{round(report['waves_s'] / report['replay_s'], 2)}x | | | |")


if __name__ == "__main__":
    main()
