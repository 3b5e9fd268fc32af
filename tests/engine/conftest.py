"""A small lab for engine tests: real Ansible, real Terraform, real SQLite (or PostgreSQL)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from orchestrator.catalog import load_catalog
from orchestrator.engine.session import open_session
from orchestrator.journal import Journal, resolve_url
from orchestrator.lab import LabLayout, lab_up
from tests.conftest import PROJECT, service, write_catalog

SOURCE = "test, 2024"


def small_catalog(folder: Path, services: list[dict[str, Any]] | None = None) -> Path:
    """Two rehosted services and one to retire, all pilots: wave 1 holds all three. The calendar
    names an availability norm, so that every precondition can be answered on the lab (whose site
    holds a service on an INCONCLUSIVE one)."""
    if services is None:
        services = [
            service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]},
                    data_stores=[{"name": "alpha-db", "size_gb": 1, "sync": "rsync"}]),
            service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]},
                    data_stores=[{"name": "beta-db", "size_gb": 1, "sync": "db-replication"}]),
            service("gamma", disposition="retire", hosts={"legacy": ["legacy-gamma"]},
                    data_stores=[{"name": "gamma-archive", "size_gb": 1, "sync": "snapshot"}]),
        ]
    return write_catalog(folder, {"catalog.yaml": {
        "services": services,
        "calendar": {"legacy_contract_end": "2025-12-31", "planning_start": "2025-01-06",
                     "availability_norm": 99.5, "source": SOURCE}}})


def one_service_catalog(folder: Path) -> Path:
    return small_catalog(folder, [service(
        "alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]},
        data_stores=[{"name": "alpha-db", "size_gb": 1, "sync": "rsync"}])])


def two_service_catalog(folder: Path) -> Path:
    """The small catalog's two rehosted services, without the retired one: a wave whose cutover
    phase holds two services on the gateway, without gamma's archive and decommission phases."""
    return small_catalog(folder, [
        service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha"]},
                data_stores=[{"name": "alpha-db", "size_gb": 1, "sync": "rsync"}]),
        service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]},
                data_stores=[{"name": "beta-db", "size_gb": 1, "sync": "db-replication"}])])


def make_lab(root: Path, catalog: Path, secrets_from: Path | None = None,
             transport: str = "local", approve: bool = True, require_dry_run: bool = False,
             signing: bool = False) -> LabLayout:
    """A lab for ``catalog``, with the default plan saved and approved (by two people) unless
    ``approve`` is False, so `wave run` has waves to take. Its site does not require a dry-run
    before a run unless ``require_dry_run`` (these tests' subject is the run; test_dry_run.py's
    is the rehearsal), nor signed decisions unless ``signing`` (tests/decisions' subject): then
    ann saves the plan, bob approves it and accepts the release, each with the lab's key."""
    layout = LabLayout(root)
    lab_up(load_catalog(catalog), layout, transport, require_dry_run, signing=signing)
    accept_lab_release(layout)
    if secrets_from is not None:  # same passwords, so configuration files compare equal
        layout.secrets.write_text((secrets_from / "secrets.json").read_text())
    if approve:
        approve_plan(catalog, layout)
    return layout


def accept_lab_release(layout: LabLayout) -> None:
    """Record the release the lab was built with as validated and accepted on it, as `release
    validate` and `release accept` would (tests/releases and the programme test run the real ones)."""
    from orchestrator.sites import load_site
    from tests.conftest import accept_release

    site = load_site(layout.site_file)
    if site.release is not None:
        with Journal(resolve_url(layout.journal, None)) as journal:
            accept_release(journal, site.release, site.name, **signed_by(site, "bob"))


def approve_plan(catalog: Path, layout: LabLayout, *options: str, db: str | None = None) -> int:
    """What `plan save OPTIONS` by tester and `plan approve` by reviewer do, through the same
    functions (not the CLI, whose logging set-up would stay behind in the test process); returns
    the plan's id. ``options`` are plan options as on the command line (--capacity N)."""
    from orchestrator.catalog.loader import catalog_digest
    from orchestrator.cli.plan import build_plan
    from orchestrator.cli.plans import plan_waves_document
    from orchestrator.journal.plans import approve_plan as approve
    from orchestrator.journal.plans import save_plan
    from orchestrator.sites import load_site

    given = dict(zip(options[::2], options[1::2], strict=True))
    capacity = int(given.get("--capacity", 3))
    plan = build_plan(load_catalog(catalog), None, 28, capacity, 1)
    whole, files = catalog_digest(catalog)
    site = load_site(layout.site_file)
    saver, approver = ("ann", "bob") if site.signing.enabled() else ("tester", "reviewer")
    with Journal(resolve_url(db or layout.journal, None)) as journal:
        saved = save_plan(journal, saver, {"start": plan.options.start.isoformat(), "capacity": capacity},
                          whole, files, site.name, site.digest, plan_waves_document(plan),
                          **signed_by(site, saver))
        approve(journal, saved.id, approver, "tested", allow_self_approval=False, **signed_by(site, approver))
    return saved.id


def signed_by(site: Any, person: str) -> dict[str, Any]:
    """The policy and signer for a decision by ``person`` on ``site``: the lab's key of that
    person where the site signs, else nothing (unsigned)."""
    from orchestrator.signing import signer_for

    if not site.signing.enabled():
        return {}
    return {"policy": site.signing, "signer": signer_for(site.signing, None, person)}


def session(catalog: Path, layout: LabLayout, db: str | None = None, **kwargs: Any):
    return open_session(catalog, layout.site_file, db, **kwargs)


def host_files(layout: LabLayout) -> dict[str, Any]:
    """Every directory and file below the hosts, with mode and bytes: the lab as it stands. The
    backup job's markers are left out: they say when a backup was taken, by the clock."""
    tree: dict[str, Any] = {}
    for path in sorted(layout.hosts.rglob("*")):
        relative = str(path.relative_to(layout.hosts))
        if "/var/backups/logius-migrate/" in relative and relative.endswith(".stamp"):
            continue
        mode = oct(path.stat().st_mode & 0o7777)
        tree[relative] = ("dir", mode) if path.is_dir() else ("file", mode, path.read_bytes())
    return tree


def state_files(layout: LabLayout) -> dict[str, bytes | None]:
    """The raw Terraform state files of every stack (None where absent)."""
    files = {}
    for stack in sorted((layout.terraform / "work").iterdir()):
        for name in ("terraform.tfstate", "terraform.tfstate.backup"):
            path = stack / name
            files[f"{stack.name}/{name}"] = path.read_bytes() if path.exists() else None
    return files


def state_shape(layout: LabLayout) -> dict[str, Any]:
    """Terraform state without what is random by design (lineage, ids): resources and triggers."""
    shape = {}
    for stack in sorted((layout.terraform / "work").iterdir()):
        path = stack / "terraform.tfstate"
        if not path.exists():
            shape[stack.name] = None
            continue
        state = json.loads(path.read_text())
        shape[stack.name] = sorted(
            (r.get("module", ""), r["type"], r["name"], json.dumps(i.get("index_key")),
             json.dumps({k: v for k, v in i["attributes"].get("triggers", {}).items()
                         if k not in {"namespace", "policy"}}, sort_keys=True))
            for r in state.get("resources", []) for i in r["instances"])
    return shape


def ledger_counts(layout: LabLayout) -> dict[str, dict[str, int]]:
    """host/service -> step -> times applied, from the hosts' ledgers."""
    counts: dict[str, dict[str, int]] = {}
    for ledger in sorted(layout.hosts.glob("*/var/lib/logius-migrate/ledger/*")):
        key = f"{ledger.parts[-6]}/{ledger.name}"
        for line in ledger.read_text().splitlines():
            counts.setdefault(key, {}).setdefault(line, 0)
            counts[key][line] += 1
    return counts


def cli_process(args: list[str], env: dict[str, str], **kwargs: Any) -> subprocess.Popen:
    """`logius-migrate ARGS` as a real process in its own process group (so kill -9 takes its
    Ansible and Terraform children with it, as a crash of the machine would)."""
    return subprocess.Popen([sys.executable, "-m", "orchestrator", *args], env=env, cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def wait_for(condition, timeout: float = 90.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
