"""A dry-run of a 19-service wave, timed as the user runs it, beside a replay of its commands.

Every moving service of the catalog (19 on the shipped seeds, as benchmarks/wave_overhead.py's
wave) is wave 1 of a saved and approved plan, on a fresh lab whose release is accepted:
  dry-run  `logius-migrate wave dry-run 1 --format json` as a subprocess (the gates, every stack's
           `terraform plan -out`, every phase's playbook with --check --diff, the document, the
           journal record);
  script   on another fresh lab, a shell script of the same tool commands: every stack's
           `terraform plan -out FILE` then `terraform show -json FILE`, eight stacks at a time
           as the engine's pool (STACKS_AT_ONCE), then each phase's one `ansible-playbook
           --check --diff` over the same hosts with the same variables, in the runbook's order.
The tool's clock stands on a day where every precondition of every service passes (NOW), so the
dry-run rehearses all of them without an override; the benchmark fails unless it did, and unless
the document's status is complete. Each round runs both, each on its own fresh lab, the script
first in even rounds. Reported per round: both wall times and the ratio (target at most 1.15x),
the machine's load, the CPU time of each (every process below it included: less sensitive to
other work on a shared machine than wall time), and the seconds of each phase.

Usage: python benchmarks/dry_run.py [--catalog seeds] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import datetime as dt
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

from wave_overhead import commands, fresh_lab, wave_members  # noqa: E402

from orchestrator.catalog import load_catalog  # noqa: E402
from orchestrator.engine.executors.terraform import STACKS_AT_ONCE  # noqa: E402
from orchestrator.journal import Journal, resolve_url  # noqa: E402
from orchestrator.lab import LabLayout, load_secrets  # noqa: E402
from orchestrator.steps.secret_channel import SecretChannel  # noqa: E402

#: The moment the clock stands on: lpc-2.0 (the release the later services need) was delivered on
#: 2023-05-01, so the lab is built with it; a Monday outside every blackout window and holiday, and
#: with the wave's window that one day, clear of both contract changes (2023-01-16, 2023-07-03).
NOW = "2023-06-12T09:00"


def prepared_lab(catalog_path: Path, root: Path, members: list) -> LabLayout:
    """A fresh lab (without hooks, as wave_overhead's) whose release is accepted, as `release
    validate` and `release accept` leave it, with a plan whose wave 1 is ``members``, saved by one
    person and approved by another (what `plan save` and `plan approve` record)."""
    from orchestrator.catalog.loader import catalog_digest
    from orchestrator.journal.plans import approve_plan, save_plan
    from orchestrator.journal.releases import decide, record_validation

    layout = fresh_lab(catalog_path, root)
    site = layout.site()
    day = dt.date.fromisoformat(NOW[:10]).isoformat()
    waves = [{"number": 1, "start": day, "end": day, "services": [s.id for s in members]}]
    whole, files = catalog_digest(catalog_path)
    with Journal(resolve_url(layout.journal, None)) as journal:
        if site.release is not None:
            document = {"release": site.release, "manifest_sha256": "0" * 64, "outcome": "PASS",
                        "site": site.name, "results": []}
            validation = record_validation(journal, document, {}, "supplier-board")
            decide(journal, site.release, "0" * 64, "accepted", validation, "cio", "benchmark set-up")
        saved = save_plan(journal, "planner", {"start": day, "capacity": len(members)}, whole, files,
                          site.name, site.digest, waves)
        approve_plan(journal, saved.id, "cab", "benchmark: every moving service in wave 1",
                     allow_self_approval=False)
    return layout


def cli_env(layout: LabLayout, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGIUS_MIGRATE_")}
    env.update(LOGIUS_MIGRATE_LAB=str(layout.root), LOGIUS_MIGRATE_NOW=NOW,
               LOGIUS_MIGRATE_HOME=str(home), LOGIUS_MIGRATE_KUBEAPI_WATCH=str(os.getpid()),
               PYTHONPATH=str(PROJECT))
    return env


def timed(command: list[str], **options) -> tuple[float, float, subprocess.CompletedProcess]:
    """Run ``command``: its wall time, the CPU time (user and system) of it and every process
    below it that was waited for, and what it gave."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run(command, **options)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def timed_dry_run(catalog_path: Path, layout: LabLayout, home: Path) -> dict:
    """`logius-migrate wave dry-run 1 --format json` as the user runs it: its wall and CPU time,
    its document, and when each phase began (from its progress lines on stderr, to the second)."""
    command = [sys.executable, "-m", "orchestrator", "wave", "dry-run", "1", "--catalog",
               str(catalog_path), "--by", "workgroup", "--format", "json"]
    started = dt.datetime.now()
    wall, cpu, done = timed(command, env=cli_env(layout, home), cwd=PROJECT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"dry-run exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return {"wall": wall, "cpu": cpu, "document": json.loads(done.stdout),
            "starts": phase_starts(done.stderr, started)}


def phase_starts(stderr: str, wall: dt.datetime) -> dict[str, float]:
    """``[HH:MM:SS] rehearsing PHASE: ...`` lines as PHASE -> seconds after ``wall``."""
    starts = {}
    for line in stderr.splitlines():
        stamp, _, rest = line.partition("] rehearsing ")
        if rest and stamp.startswith("["):
            moment = dt.datetime.combine(wall.date(), dt.time.fromisoformat(stamp[1:]))
            starts[rest.split(":", 1)[0]] = max(0.0, (moment - wall.replace(microsecond=0)).total_seconds())
    return starts


def timed_script(catalog, layout: LabLayout, members: list, work: Path) -> dict:
    """The replay's wall and CPU time, its commands, and each phase's seconds (from its marks)."""
    secrets = load_secrets(layout)
    served = {"service_secrets": {s.id: secrets.get(s.id, {}) for s in members}}
    with SecretChannel(served) as channel:
        groups = commands(catalog, layout, members, work, channel.variables(), check=True)
        path = work / "rehearsal.sh"
        path.write_text(rehearsal_script(groups, work))
        env = {**layout.site().terraform_env().child_env(), "LOGIUS_MIGRATE_NOW": NOW}
        wall, cpu, _ = timed(["bash", str(path)], check=True, env=env)
    marks = [float(line) for line in (work / "marks").read_text().split()]
    phases = {phase: round(end - start, 1)
              for phase, start, end in zip(script_phases(members), marks[:-1], marks[1:], strict=True)}
    return {"wall": wall, "cpu": cpu, "groups": groups, "phases": phases}


def rehearsal_script(groups: list[list[str]], work: Path) -> str:
    """The groups in order; a group of stacks runs STACKS_AT_ONCE at a time (a rolling pool, as
    the engine's: xargs -P), each stack's plan and show one after the other."""
    marks = work / "marks"
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", f"cd {PROJECT / 'playbooks'}"]
    for number, group in enumerate(groups):
        lines.append(f"date +%s.%N >> {marks}")
        if len(group) == 1:
            lines += group
            continue
        folder = work / f"group-{number}"
        folder.mkdir()
        for index, command in enumerate(group):
            (folder / f"{index:03}.sh").write_text(f"set -euo pipefail\n{command}\n")
        lines.append(f"ls {folder}/*.sh | xargs -P {STACKS_AT_ONCE} -n 1 bash")
    lines.append(f"date +%s.%N >> {marks}")
    return "\n".join(lines) + "\n"


def script_phases(members: list) -> list[str]:
    """The phases the script has a group for, in order (as ``commands`` builds them)."""
    from orchestrator.runbook import PHASES, runbook_for

    return [phase for phase in PHASES
            if any(step.name == phase and not step.deferred and step.kind != "gate"
                   for s in members for step in runbook_for(s))]


def verdict(document: dict, members: list) -> dict:
    """What the dry-run rehearsed; SystemExit unless it is every member, complete."""
    held = document["held"]
    rehearsed = [sid for sid in document["services"] if sid not in held]
    found = {"services": len(document["services"]), "rehearsed": len(rehearsed), "held": held,
             "status": document["status"], "stacks": len(document["stacks"]),
             "stack_errors": [s["service"] for s in document["stacks"] if s["error"]],
             "tasks": len(document["tasks"]),
             "outcomes": {o: sum(t["outcome"] == o for t in document["tasks"])
                          for o in ("change", "no-change", "unknown", "fail")}}
    if len(rehearsed) != len(members) or held or document["status"] != "complete":
        raise SystemExit(f"the dry-run did not rehearse all {len(members)} services completely: "
                         f"{json.dumps(found, indent=2)}")
    return found


def phase_table(starts: dict[str, float], total: float, script: dict[str, float]) -> list[dict]:
    """Per phase, the dry-run's seconds (from one progress line to the next; the first row is what
    comes before the first phase: the CLI's start and the gates; the last phase runs to the end,
    the document and the record included) beside the script's."""
    order = sorted(starts.items(), key=lambda item: item[1])
    bounds = [start for _, start in order] + [total]
    rows = [{"phase": "start and gates", "dry_run_s": round(bounds[0], 1), "script_s": None}]
    rows += [{"phase": phase, "dry_run_s": round(bounds[i + 1] - bounds[i], 1), "script_s": script.get(phase)}
             for i, (phase, _) in enumerate(order)]
    return rows




def one_round(catalog_path: Path, base: Path, number: int) -> dict:
    """A dry-run and a script, each on its own fresh lab (removed after); the script first in
    the even rounds, so that neither always runs first. SystemExit unless the dry-run rehearsed
    every member, complete."""
    catalog = load_catalog(catalog_path)
    members = wave_members(catalog)
    found: dict = {"round": number, "load_before": os.getloadavg()[0]}
    for side in (("script", "dry-run") if number % 2 == 0 else ("dry-run", "script")):
        root = base / f"{side}-{number}"
        if side == "dry-run":
            layout = prepared_lab(catalog_path, root / "lab", members)
            ran = timed_dry_run(catalog_path, layout, base / "home")
            found.update(verdict(ran["document"], members), dry_run_s=ran["wall"], dry_run_cpu_s=ran["cpu"],
                         starts=ran["starts"])
        else:
            layout = fresh_lab(catalog_path, root / "lab")
            (root / "work").mkdir()
            ran = timed_script(catalog, layout, members, root / "work")
            found.update(script_s=ran["wall"], script_cpu_s=ran["cpu"], script_phases=ran["phases"],
                         playbooks=sum(len(g) == 1 for g in ran["groups"]))
        shutil.rmtree(root, ignore_errors=True)
    found["load_after"] = os.getloadavg()[0]
    found["phases"] = phase_table(found.pop("starts"), found["dry_run_s"], found.pop("script_phases"))
    return found


def summary(rounds: list[dict]) -> dict:
    import statistics

    def total(key: str) -> float:
        return sum(r[key] for r in rounds)

    for item in rounds:
        item["ratio"] = round(item["dry_run_s"] / item["script_s"], 2)
        item["cpu_ratio"] = round(item["dry_run_cpu_s"] / item["script_cpu_s"], 2)
        for key in ("dry_run_s", "script_s", "dry_run_cpu_s", "script_cpu_s"):
            item[key] = round(item[key], 1)
    return {"services": rounds[0]["services"], "stacks_at_once": STACKS_AT_ONCE, "rounds": rounds,
            "median_ratio": round(statistics.median(r["ratio"] for r in rounds), 2),
            "total_ratio": round(total("dry_run_s") / total("script_s"), 2),
            "cpu_ratio": round(total("dry_run_cpu_s") / total("script_cpu_s"), 2)}


def print_tables(report: dict) -> None:
    first = report["rounds"][0]
    print(f"dry-run of {report['services']} services: {first['rehearsed']} rehearsed, status "
          f"{first['status']}; {first['stacks']} stacks planned, {first['tasks']} task predictions "
          f"{first['outcomes']}; script: plan and show {report['stacks_at_once']} stacks at a time, "
          f"then {first['playbooks']} playbooks --check --diff")
    print("| round | load (1 min) | `wave dry-run 1` (s) | script (s) | ratio | CPU (s): dry-run, script | "
          "CPU ratio |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in report["rounds"]:
        print(f"| {r['round']} | {r['load_before']:.1f} to {r['load_after']:.1f} | {r['dry_run_s']} | "
              f"{r['script_s']} | {r['ratio']}x | {r['dry_run_cpu_s']}, {r['script_cpu_s']} | "
              f"{r['cpu_ratio']}x |")
    print(f"median ratio {report['median_ratio']}x, all rounds {report['total_ratio']}x, "
          f"CPU {report['cpu_ratio']}x")
    print()
    heads = [f"round {r['round']}: dry-run, script (s)" for r in report["rounds"]]
    print("| phase | " + " | ".join(heads) + " |")
    print("| --- |" + " ---: |" * len(report["rounds"]))
    for index, row in enumerate(first["phases"]):
        cells = []
        for r in report["rounds"]:
            cell = r["phases"][index]
            script = "" if cell["script_s"] is None else f", {cell['script_s']}"
            cells.append(f"{cell['dry_run_s']}{script}")
        print(f"| {row['phase']} | " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=PROJECT / "seeds")
    parser.add_argument("--rounds", type=int, default=3, help="dry-run and script pairs [3]")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="logius-dry-run-"))
    os.environ.update(HOME=str(base / "home"), LOGIUS_MIGRATE_NOW=NOW,
                      LOGIUS_MIGRATE_KUBEAPI_WATCH=str(os.getpid()),
                      PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    os.environ.pop("TF_CLI_CONFIG_FILE", None)
    try:
        report = summary([one_round(args.catalog, base, n) for n in range(1, args.rounds + 1)])
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_tables(report)


if __name__ == "__main__":
    main()
