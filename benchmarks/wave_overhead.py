"""What the engine costs over the bare commands it runs, measured in one run on three fresh labs.

A wave of every moving service of the catalog (19 on the shipped seeds) is run three ways:
  engine     `run_wave`: journal, rollback points, leases, retries, one ansible-runner run per
             phase over all hosts, Terraform stacks eight at a time (STACKS_AT_ONCE);
  sequential a shell script running the same `terraform apply` and `ansible-playbook` commands
             one after another;
  parallel   a shell script launching them as parallel as their order allows: every Terraform
             apply at once, then each phase's one ansible-playbook over all hosts, in order.
Reported: wall time of each and the ratios engine/parallel (target at most 1.1) and
engine/sequential. With ``--variants per-service`` the scripts instead run what a migration by
hand looks like: per service its Terraform apply, then one ansible-playbook per phase limited to
that service's hosts; sequential runs service after service, parallel runs every service's chain
at once.

With ``--chain-cost`` it runs the engine's wave only, timing what the tamper-evident chain's hooks
(journal/chain.py) spend inside it: their share of the wave's wall time, and the records appended.

Usage: python benchmarks/wave_overhead.py [--catalog seeds] [--variants batched|per-service] [--json]
       python benchmarks/wave_overhead.py --chain-cost
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

from orchestrator.catalog import load_catalog  # noqa: E402
from orchestrator.engine import run_wave  # noqa: E402
from orchestrator.engine.session import open_session  # noqa: E402
from orchestrator.lab import LabLayout, lab_up, load_secrets  # noqa: E402
from orchestrator.runbook import PHASES, hosts_of, runbook_for  # noqa: E402
from orchestrator.steps.secret_channel import SecretChannel  # noqa: E402
from orchestrator.steps.terraform import terraform_binary  # noqa: E402


def wave_members(catalog) -> list:
    return [s for s in catalog.services if s.moves]


def commands(catalog, layout: LabLayout, members: list, work: Path,
             channel: dict[str, str], check: bool = False) -> list[list[str]]:
    """The engine's commands, grouped: each group's commands may run together; groups in order.
    Secrets come from the benchmark's own secret channel (``channel``: its socket and token), as
    the engine's do. With ``check``, what a dry-run issues instead: per stack `terraform plan -out
    FILE` then `terraform show -json FILE`, and each playbook with ``--check --diff``."""
    groups: list[list[str]] = []
    for phase in PHASES:
        todo = [(s, step) for s in members for step in runbook_for(s)
                if step.name == phase and not step.deferred]
        if not todo or todo[0][1].kind == "gate":
            continue
        step = todo[0][1]
        services = [s for s, _ in todo]
        if step.kind == "terraform":
            groups.append([terraform_command(layout, service, work, check) for service in services])
        else:
            groups.append([playbook_command(layout, step, services, work, channel, check)])
    return groups


def terraform_command(layout: LabLayout, service, work: Path, check: bool) -> str:
    """The service's stack applied (``check``: planned to a file, and the file shown as JSON)."""
    terraform, stack = str(terraform_binary()), layout.site().stack_dir(service.id)
    var_file = work / f"{service.id}.tfvars.json"
    var_file.write_text(json.dumps({
        "service": service.id, "hosts": list(service.hosts.target),
        "release": service.min_release or "none",
        "fault_file": str(layout.faults / f"{service.id}.provision")}))
    if not check:
        return (f"{terraform} -chdir={stack} apply -auto-approve -input=false -no-color "
                f"-var-file={var_file} >/dev/null")
    plan_file = work / f"{service.id}.tfplan"
    return (f"{terraform} -chdir={stack} plan -input=false -no-color -var-file={var_file} "
            f"-out={plan_file} >/dev/null && {terraform} -chdir={stack} show -json {plan_file} >/dev/null")


def playbook_command(layout: LabLayout, step, services: list, work: Path, channel: dict[str, str],
                     check: bool) -> str:
    """The phase's one ansible-playbook over the services' hosts (``check``: --check --diff)."""
    hosts = sorted({h for s in services for h in hosts_of(s, step.runs_on)})
    variables = work / f"{step.name}.json"
    variables.write_text(json.dumps({
        "step_name": step.name,
        "cutover_services": [{"id": s.id, "targets": list(s.hosts.target)} for s in services],
        "verify_services": [s.id for s in services],
        "decommission_services": [s.id for s in services], **channel}))
    mode = "--check --diff " if check else ""
    return (f"ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_PIPELINING=1 ansible-playbook "
            f"-i {layout.inventory} --limit {','.join(hosts)} --forks 20 -e @{variables} {mode}"
            f"{PROJECT / 'playbooks' / step.playbook} >/dev/null")


def per_service_chains(catalog, layout: LabLayout, members: list, work: Path,
                       channel: dict[str, str]) -> list[list[str]]:
    """For each service, its own commands in order: Terraform, then one ansible-playbook per phase
    over just its hosts (and the gateway where the phase runs there)."""
    chains = []
    for service in members:
        folder = work / service.id
        folder.mkdir()
        chain = [command for group in commands(catalog, layout, [service], folder, channel)
                 for command in group]
        chains.append(chain)
    return chains


def chain_script(chains: list[list[str]], parallel: bool) -> str:
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", f"cd {PROJECT / 'playbooks'}"]
    for chain in chains:
        body = " && ".join(f"( {command} )" for command in chain)
        lines.append(f"( {body} ) &" if parallel else body)
    if parallel:
        lines.append("for job in $(jobs -p); do wait $job; done")
    return "\n".join(lines) + "\n"


def script(groups: list[list[str]], parallel: bool) -> str:
    lines = ["#!/usr/bin/env bash", "set -euo pipefail", f"cd {PROJECT / 'playbooks'}"]
    for group in groups:
        if parallel and len(group) > 1:
            lines += [f"{command} &" for command in group] + ["wait"]
        else:
            lines += group
    return "\n".join(lines) + "\n"


#: One wave of every moving service is not a plan the gates would pass: some need a later release
#: than the lab's, or a longer availability budget, or have no legacy backup, and no saved plan
#: gives the wave a window for the contract-change check. The checks still run
#: and are journalled for every service (their cost is measured); these are overridden.
OVERRIDES = {check: "benchmark: every moving service in one wave on the lab"
             for check in ("PRE-REL-001", "PRE-BAK-001", "PRE-AVL-001", "PRE-CON-001")}


def fresh_lab(catalog_path: Path, root: Path) -> LabLayout:
    """A fresh lab whose site runs no hooks: the lab's fault checks and drills are extra plays the
    scripts do not run, so the engine issues exactly the scripts' commands."""
    import yaml

    layout = LabLayout(root)
    lab_up(load_catalog(catalog_path), layout, signing=False)
    site = yaml.safe_load(layout.site_file.read_text())
    site.pop("hooks", None)
    layout.site_file.write_text(yaml.safe_dump(site, sort_keys=False))
    return layout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalog", type=Path, default=PROJECT / "seeds")
    parser.add_argument("--variants", choices=["batched", "per-service"], default="batched")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--chain-cost", action="store_true", help="only the engine: the chain's share")
    args = parser.parse_args()
    if args.chain_cost:
        chain_cost(args.catalog)
        return
    base = Path(tempfile.mkdtemp(prefix="logius-bench-"))
    os.environ["HOME"] = str(base / "home")
    os.environ.pop("TF_CLI_CONFIG_FILE", None)
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    try:
        catalog = load_catalog(args.catalog)
        members = wave_members(catalog)
        timings = {}

        layout = fresh_lab(args.catalog, base / "engine")
        with open_session(args.catalog, layout.site_file, None) as ctx:
            began = time.perf_counter()
            run_wave(ctx, 1, [s.id for s in members], resume=False, approve=True, overrides=OVERRIDES)
            timings["engine"] = time.perf_counter() - began

        for name, parallel in (("sequential", False), ("parallel", True)):
            layout = fresh_lab(args.catalog, base / name)
            work = base / f"{name}-work"
            work.mkdir()
            path = work / "wave.sh"
            secrets = load_secrets(layout)
            served = {"service_secrets": {s.id: secrets.get(s.id, {}) for s in members}}
            with SecretChannel(served) as channel:
                if args.variants == "batched":
                    path.write_text(script(commands(catalog, layout, members, work, channel.variables()),
                                           parallel))
                else:
                    chains = per_service_chains(catalog, layout, members, work, channel.variables())
                    path.write_text(chain_script(chains, parallel))
                env = layout.site().terraform_env().child_env()
                began = time.perf_counter()
                subprocess.run(["bash", str(path)], check=True, env=env)
                timings[name] = time.perf_counter() - began
    finally:
        shutil.rmtree(base, ignore_errors=True)

    report = {"services": len(members), "variants": args.variants,
              **{k: round(v, 2) for k, v in timings.items()},
              "engine_vs_parallel": round(timings["engine"] / timings["parallel"], 2),
              "engine_vs_sequential": round(timings["engine"] / timings["sequential"], 2)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"| wave of {report['services']} services | wall time (s) | engine / this |")
    print("| --- | ---: | ---: |")
    print(f"| engine (`run_wave`) | {report['engine']} | 1x |")
    kind = "the engine's batched commands" if args.variants == "batched" else "per-service commands"
    print(f"| parallel shell script, {kind} | {report['parallel']} | {report['engine_vs_parallel']}x |")
    print(f"| sequential shell script, {kind} | {report['sequential']} | "
          f"{report['engine_vs_sequential']}x |")


def chain_cost(catalog_path: Path) -> None:
    """The engine's wave with the chain's hooks timed (the outermost call only: they execute
    statements that pass through them again); the share of the wave's wall time they took."""
    from orchestrator.errors import WavePartial
    from orchestrator.journal import chain

    spent, depth = [0.0], [0]

    def timed(hook):
        def run(*args):
            depth[0] += 1
            began = time.perf_counter()
            try:
                return hook(*args)
            finally:
                depth[0] -= 1
                if not depth[0]:
                    spent[0] += time.perf_counter() - began
        return run

    chain._before, chain._after = timed(chain._before), timed(chain._after)
    base = Path(tempfile.mkdtemp(prefix="logius-bench-"))
    os.environ["HOME"] = str(base / "home")
    os.environ.pop("TF_CLI_CONFIG_FILE", None)
    os.environ["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    try:
        members = wave_members(load_catalog(catalog_path))
        layout = fresh_lab(catalog_path, base / "engine")
        spent[0] = 0.0
        with open_session(catalog_path, layout.site_file, None) as ctx:
            began = time.perf_counter()
            try:
                run_wave(ctx, 1, [s.id for s in members], resume=False, approve=True, overrides=OVERRIDES)
            except WavePartial as exc:  # the figures stand for the services that went on
                print(f"(partial: {'; '.join(exc.problems)})")
            wall = time.perf_counter() - began
            records = chain.verify(ctx.journal).size
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"wave of {len(members)} services: {wall:.1f} s; the chain's hooks {spent[0]:.2f} s "
          f"({100 * spent[0] / wall:.2f}%), {records} chain records in the journal")


if __name__ == "__main__":
    main()
