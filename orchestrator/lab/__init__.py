"""The local lab: legacy, LPC and gateway hosts as folders, Terraform offline, inventories, secrets.

`lab up` makes only what is missing and records every path it made in a manifest, so running it
twice is harmless and `lab down` removes exactly what it made and nothing else.
"""

from __future__ import annotations

import concurrent.futures
import functools
import hashlib
import json
import os
import secrets
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Disposition, Service
from orchestrator.errors import InputError
from orchestrator.lab.layout import BACKUP_DIR, HOOKS, LabLayout, lab_module, lab_platform_module
from orchestrator.lab.layout import PLATFORM_DIR as PLATFORM_DIR

# The lab's default folder is the default site's rule, so it lives in orchestrator.sites.
from orchestrator.sites import LAB_ENV as LAB_ENV
from orchestrator.sites import default_lab_dir as default_lab_dir

if TYPE_CHECKING:
    from orchestrator.sites import Site

GATEWAY = "gateway"


@dataclass
class LabReport:
    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    hosts: int = 0
    services: int = 0


def lab_services(catalog: Catalog) -> list[Service]:
    return [s for s in catalog.services if s.hosts.legacy or s.hosts.target]


def data_host(hosts: list[str]) -> str | None:
    """The host that holds a service's data stores: the first of its group."""
    return hosts[0] if hosts else None


def seed_files(service: Service, release: str | None = None) -> dict[str, dict[str, str]]:
    """What a legacy service has on its hosts before migration: config everywhere, data on the
    data host. Contents are derived from the service id, so every lab is identical. Each LPC host
    names the platform ``release`` it was built with (``etc/lpc-release``, the smoke test reads it)."""
    files: dict[str, dict[str, str]] = {
        host: {"etc/lpc-release": f"{release}\n"} for host in service.hosts.target if release}
    for host in service.hosts.legacy:
        files[host] = {
            f"etc/{service.id}/app.conf": (f"service = {service.id}\nplatform = legacy\n"
                                           f"mode = read-write\n"),
            f"srv/{service.id}/VERSION": f"{service.id} legacy build\n",
        }
    holder = data_host(service.hosts.legacy)
    if holder:
        for store in service.data_stores:
            digest = hashlib.sha256(f"{service.id}/{store.name}".encode()).hexdigest()
            files[holder][f"var/lib/{service.id}/{store.name}/part-0001.dat"] = \
                "".join(f"{digest[:16]} record {n}\n" for n in range(200))
    return files


def gateway_route(service: Service) -> str:
    return (f"service = {service.id}\nbackend = legacy\nhosts = {','.join(service.hosts.legacy)}\n")


def lab_up(catalog: Catalog, layout: LabLayout, transport: str = "local",
           require_dry_run: bool = True, signing: bool = True) -> LabReport:
    """Build what is missing of the lab for ``catalog``; keep everything that is there. With
    ``transport="ssh"`` every host is reached over SSH through the lab's own sshd on loopback.
    The lab's site requires an approved dry-run before a wave runs unless ``require_dry_run`` is
    False (tests whose subject is the run itself), and signed decisions, by the keys of its two
    example people (:mod:`.signers`), unless ``signing`` is False."""
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.steps import terraform

    report = LabReport(layout.root)
    manifest = _manifest_for(layout, transport)
    services = lab_services(catalog)

    def make(relative: str, create: Any) -> None:
        path = layout.root / relative
        if path.exists() or path.is_symlink():
            report.kept.append(relative)
        else:
            create(path)
            report.created.append(relative)
            if relative not in manifest:
                manifest.append(relative)

    layout.root.mkdir(parents=True, exist_ok=True)
    release = delivered_by_now(catalog)
    at = layout.relative
    hosts = _make_hosts(services, release, make)
    make(at(layout.mirror), terraform.build_mirror)
    make(at(layout.cli_config), lambda path: terraform.write_cli_config(path, layout.mirror))
    make(at(layout.terraform_home), lambda path: path.mkdir(parents=True))
    if signing:
        _make_signers(layout, make)
    site_file = site_text(layout, release, require_dry_run, signing)
    make(at(layout.site_file), lambda path: _write(path, site_file))
    make(at(layout.azure_site_file), lambda path: _write(path, azure_site_text(layout)))
    make(at(layout.azure_work_dir), lambda path: path.mkdir(parents=True))
    make(at(layout.azure_hosts), lambda path: path.mkdir(parents=True))
    site = layout.site()  # the lab as the engine sees it: its stacks and its Terraform environment
    layout.azure_site()  # and as the Azure test track does: a file it cannot load fails here
    platform = _platform_job(catalog, layout, release, make)
    fresh_stacks = _make_stacks(services, layout, site, make)
    connection = _ssh_connection(layout, sorted(hosts), make) if transport == "ssh" else None
    inventory = render_inventory(hosts, layout, connection)
    make(at(layout.inventory), lambda path: _write(path, inventory))
    make(at(layout.secrets), lambda path: _write_secrets(path, services))
    make(at(layout.staging), lambda path: path.mkdir(parents=True))
    make(at(layout.faults), lambda path: path.mkdir(parents=True))
    make(at(layout.journal), lambda path: Journal(resolve_url(path, path), create=True).close())
    start_api = _kubeapi_job(services, layout, make)
    _write_manifest(layout, manifest)
    fresh_legacy = [h for h, v in hosts.items() if v.get("group") == "legacy"
                    and at(layout.host_root(h)) in report.created]
    env = site.terraform_env()
    jobs: list[Any] = [terraform.TerraformStack(site.stack_dir(sid), env).init for sid in fresh_stacks]
    if fresh_legacy:
        jobs.append(functools.partial(lab_backup, layout, fresh_legacy))
    if platform is not None:
        jobs.append(platform)
    _run_together([*jobs, start_api])
    report.hosts = len(hosts)
    report.services = len(services)
    return report


def _make_signers(layout: LabLayout, make: Any) -> None:
    """The example people's keys and the allowed signers file naming them (each kept when there)."""
    from orchestrator.lab import signers

    make(layout.relative(layout.keys), signers.write_keys)
    make(layout.relative(layout.allowed_signers),
         lambda path: signers.write_allowed_signers(path, layout.keys))


def _manifest_for(layout: LabLayout, transport: str) -> list[str]:
    """What the lab's manifest lists; InputError when the root is a file, or the lab there was
    built with another transport."""
    if layout.root.exists() and not layout.root.is_dir():
        raise InputError(f"--lab {layout.root}: is a file, not a folder; give a folder for the lab")
    manifest = _read_manifest(layout)
    built = "ssh" if "ssh" in manifest else "local" if manifest else None
    if built is not None and built != transport:
        raise InputError(f"lab {layout.root} was built with --transport {built}; run `logius-migrate lab "
                         f"down` first to rebuild it with --transport {transport}")
    return manifest


def _make_hosts(services: list[Service], release: str | None, make: Any) -> dict[str, dict[str, Any]]:
    """Every host of the lab as a folder (legacy hosts seeded, LPC hosts naming ``release``, the
    gateway with a route per service), and each host's inventory variables."""
    hosts: dict[str, dict[str, Any]] = {}
    for service in services:
        seeded = seed_files(service, release)
        for group, names in (("legacy", service.hosts.legacy), ("lpc", service.hosts.target)):
            holder = data_host(names)
            for host in names:
                hosts[host] = {"group": group, "service": service.id, "data_role": host == holder,
                               "release": service.min_release or "none",
                               "build": "rebuilt" if service.disposition is Disposition.REBUILD
                               else "new" if service.disposition is Disposition.NEW_BUILD
                               else "rehosted"}
                files = seeded.get(host, {})
                backups = group == "legacy"  # the legacy platform's backup folder, as on a real host

                def build(path: Path, files: dict[str, str] = files, backups: bool = backups) -> None:
                    _write_tree(path, files)
                    if backups:
                        (path / BACKUP_DIR).mkdir(parents=True, exist_ok=True)
                make(f"hosts/{host}", build)
    routes = {f"etc/gateway/routes/{s.id}.conf": gateway_route(s) for s in services if s.hosts.legacy}
    def gateway(path: Path) -> None:
        _write_tree(path, routes)
        (path / "etc/gateway/routes").mkdir(parents=True, exist_ok=True)
    make(f"hosts/{GATEWAY}", gateway)
    hosts[GATEWAY] = {"group": "gateway"}
    return hosts


def _make_stacks(services: list[Service], layout: LabLayout, site: Site, make: Any) -> list[str]:
    """A Terraform stack (root module) per moving service, where the lab's site keeps it; the ids
    of those made now."""
    from orchestrator.steps import terraform

    fresh = []
    for service in services:
        if not service.moves:
            continue
        relative = layout.relative(site.stack_dir(service.id))
        if not (layout.root / relative).exists():
            fresh.append(service.id)
        make(relative, lambda path: terraform.write_root_module(path, lab_module(), ["fault_file"]))
    return fresh


def _run_together(jobs: list[Any]) -> None:
    """Run the jobs side by side (stack inits, the backup playbook, the platform's apply): they wait
    on process start-up more than on the CPU. The first failure is raised."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def _platform_job(catalog: Catalog, layout: LabLayout, release: str | None, make: Any) -> Any:
    """The lab's platform landing zone: its root module made now, and (when just made) the job
    that delivers ``release`` (:func:`orchestrator.lab.delivery.deliver`); None when there is
    nothing to do (no release, no manifest of it, or already there)."""
    from orchestrator.lab.delivery import deliver, release_manifest
    from orchestrator.steps import terraform

    manifest = release_manifest(catalog, release) if release else None
    if release is None or manifest is None:
        return None
    fresh = not layout.platform_dir.exists()
    make(layout.relative(layout.platform_dir),
         lambda path: terraform.write_platform_module(path, lab_platform_module()))
    return functools.partial(deliver, layout, catalog, release, manifest) if fresh else None


def _kubeapi_job(services: list[Service], layout: LabLayout, make: Any) -> Any:
    """The lab's Kubernetes API stand-in: what it serves of the catalog (``kubeapi/``) and the
    kubeconfig made now, and the job that starts it unless it runs (:mod:`.kubeapi_process`)."""
    from orchestrator.lab import cluster, kubeapi_process

    make(kubeapi_process.FOLDER, lambda path: cluster.write_services(path, services))
    make(layout.relative(layout.kubeconfig), lambda path: kubeapi_process.write_kubeconfig(path, 0))
    return functools.partial(kubeapi_process.start, layout.root)


def lab_backup(layout: LabLayout, hosts: list[str] | None = None) -> list[str]:
    """Run the lab's backup job (playbooks/backup.yml) on its legacy hosts: each service's backup
    marker says it was taken now, by the tool's clock. Returns the hosts it ran on."""
    from orchestrator import clock
    from orchestrator.steps import ansible

    inventory = ansible.load_inventory(layout.inventory)
    targets = hosts if hosts is not None else sorted(
        h for h, v in inventory.items() if v["group"] == "legacy")
    if targets:
        result = ansible.run_playbook(ansible.PlaybookRequest(
            "backup.yml", layout.inventory, tuple(targets),
            {"backup_at": clock.now().isoformat(timespec="seconds")}))
        if not result.succeeded:  # the reason, not only the hosts: "backup.yml: failed on H: why"
            raise InputError(f"lab backup failed: {result.summary()}")
    return targets


def delivered_by_now(catalog: Catalog) -> str | None:
    """The release the lab's platform is built with: the newest the supplier has delivered by the
    tool's clock (the catalog's ``delivered`` dates). Whether it may be used is not the catalog's
    to say: the journal's decisions do (`release validate`, `release accept`)."""
    from orchestrator import clock
    from orchestrator.policy.releases import in_order

    today = clock.today()
    delivered = [r for r in in_order(catalog) if r.delivered is not None and r.delivered <= today]
    return delivered[-1].id if delivered else None


def site_document(layout: LabLayout, release: str | None = None, require_dry_run: bool = True,
                  signing: bool = True) -> dict[str, Any]:
    """The lab's site file, rendered from its layout: its inventory, stacks, secrets and journal,
    its own faults and drills (a Terraform variable of the lab module, and hook playbooks around
    every phase), and (``signing``) its signing block. Paths are relative to the lab's root, where
    the site file lives."""
    at = layout.relative
    module = str(lab_module())
    site: dict[str, Any] = {
        "name": "lab",
        "inventory": at(layout.inventory),
        "journal": at(layout.journal),
        "terraform": {"work_dir": at(layout.work_dir), "cli_config": at(layout.cli_config),
                      "home": at(layout.terraform_home), "backend": "journal",
                      "modules": {"rehost": module, "rebuild": module, "new-build": module},
                      "variables": {"fault_file": f"{{site_dir}}/{at(layout.faults)}/{{service}}.provision"},
                      "platform": {"module": str(lab_platform_module()),
                                   "work_dir": at(layout.platform_dir)}},
        "secrets": [{"file": at(layout.secrets)}],
        "hooks": {"before_phase": str(HOOKS / "before-phase.yml"),
                  "after_phase": str(HOOKS / "after-phase.yml"),
                  "pause": at(layout.drill_pause)},
        # The lab's Kubernetes API is a stand-in of its own (orchestrator/lab/kubeapi.py), so
        # every check can be answered: one that cannot holds its service, as on a real site.
        "kubernetes": {"kubeconfig": at(layout.kubeconfig), "context": "lab"},
        "on_inconclusive": "hold",
        "require_dry_run": require_dry_run,
        "backups": {"marker": f"{{site_dir}}/{at(layout.hosts)}/{{host}}/{BACKUP_DIR}/{{service}}.stamp",
                    "take": "logius-migrate lab backup"},
    }
    if release is not None:
        site["release"] = release
    if signing:
        from orchestrator.lab.signers import signing_block

        site["signing"] = signing_block(layout)
    return site


#: The lab's Azure test track: the Rijkscloud conditions and the environment's settings its site
#: file gives (the module's other variables are the track's own).
LAB_AZURE = {"region": "westeurope", "allowed_regions": ["westeurope", "northeurope"],
             "allowed_ranges": ["198.51.100.0/24"], "max_expiry_days": 30, "lifetime_days": 14,
             "owner": "digipoort-rebuild@logius.example", "budget_amount": 500,
             "budget_contacts": ["digipoort-rebuild@logius.example"]}


def azure_site_document(layout: LabLayout) -> dict[str, Any]:
    """The lab's Azure test track site file (kind azure-test), rendered from its layout: the lab's
    journal, Terraform mirror and home, the stand-in module (``terraform/lab/azure-test``,
    null provider only) on the local backend, the guardrails reading the plan of the real module
    (``guardrail_plan: module``), and the lab's folders as the test VMs (the local connection, each
    VM's root below the lab's ``azure-test/hosts/``, removed by `lab down`). Its fault:
    ``faults/SERVICE.azure-destroy`` makes the stand-in's destroy fail. Paths are relative to the
    lab's root, where the site file lives."""
    from orchestrator.lab.layout import lab_azure_module
    from orchestrator.resources import resource

    at = layout.relative
    return {
        "name": "lab-azure-test",
        "kind": "azure-test",
        "journal": at(layout.journal),
        "terraform": {"work_dir": at(layout.azure_work_dir), "cli_config": at(layout.cli_config),
                      "home": at(layout.terraform_home), "backend": "local",
                      "modules": {"rebuild": str(lab_azure_module())}},
        "azure": {**LAB_AZURE,
                  "synthetic_data": str(resource("playbooks") / "files" / "synthetic-data"),
                  "guardrail_plan": "module",
                  "guardrail_module": str(resource("terraform") / "modules" / "azure-test-environment"),
                  "connection": "local",
                  "host_root": f"{{site_dir}}/{at(layout.azure_hosts)}/{{host}}",
                  # One test VM: the lab proves the track's path; the real module's default is two.
                  "variables": {"admin_ssh_public_key": "ssh-ed25519 AAAA...lab lab", "vm_count": 1}},
        # The lab's faults and drills, as on its LPC site (never on a real one).
        "hooks": {"before_phase": str(HOOKS / "before-phase.yml"),
                  "after_phase": str(HOOKS / "after-phase.yml"),
                  "pause": at(layout.drill_pause)},
    }


def azure_site_text(layout: LabLayout) -> str:
    """The lab's Azure test track site file as `lab up` writes it (:func:`azure_site_document`)."""
    import yaml

    return ("# The lab's Azure test track site, written by `logius-migrate lab up`: nothing here reaches\n"
            "# Azure (the stand-in module is the null provider's, the test VMs are the lab's folders).\n"
            + yaml.safe_dump(azure_site_document(layout), sort_keys=False))


def site_text(layout: LabLayout, release: str | None = None, require_dry_run: bool = True,
              signing: bool = True) -> str:
    """The lab's site file as `lab up` writes it (:func:`site_document`)."""
    import yaml

    return ("# The lab's site, written by `logius-migrate lab up`.\n"
            + yaml.safe_dump(site_document(layout, release, require_dry_run, signing), sort_keys=False))


def _ssh_connection(layout: LabLayout, names: list[str], make: Any) -> dict[str, Any]:
    """Keys, each host at its own loopback address, and one sshd per group of at most 16 hosts
    (OpenSSH listens on at most 16 addresses per sshd), all on one port, started side by side;
    servers already running are kept."""
    import getpass

    from orchestrator.lab import sshd

    folder = layout.root / "ssh"
    if (folder / "sshd_config").exists():
        raise InputError(f"lab {layout.root} has the single sshd of an older logius-migrate; run "
                         f"`logius-migrate lab down` first to rebuild it with --transport ssh")
    addresses = {name: sshd.address(index) for index, name in enumerate(names)}
    make("ssh", sshd.write_keys)
    port = sshd.lab_port(folder) or sshd.free_port(list(addresses.values()))
    servers = []
    for number, group in enumerate(sshd.groups(list(addresses.values()))):
        relative = f"ssh/{sshd.SERVER_PREFIX}{number}"
        make(relative, lambda path, group=group: sshd.write_config(path, folder, group, port))
        servers.append(layout.root / relative)
    sshd.start_all(servers)
    python = "/usr/bin/python3" if Path("/usr/bin/python3").exists() else sys.executable
    # ssh's control sockets must have short paths (a Unix socket path holds 108 bytes at most):
    # not below a deep HOME, as Ansible's default ~/.ansible/cp would be.
    control = Path(tempfile.gettempdir()) / f"logius-cp-{os.getuid()}"
    return {"addresses": addresses, "port": port, "user": getpass.getuser(),
            "key": str(folder / "client_key"), "python": python, "control_path_dir": str(control)}


def render_inventory(hosts: dict[str, dict[str, Any]], layout: LabLayout,
                     ssh: dict[str, Any] | None = None) -> str:
    """The lab inventory from ``inventories/lab.yml.j2`` (jinja2): every host with its root, on
    the local connection, or (``ssh``) each at its own loopback address over SSH (the lab's
    sshds share one port, so ``ansible_port`` is the same for all)."""
    import jinja2

    from orchestrator.resources import resource

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(resource("inventories")),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True, autoescape=False)
    return env.get_template("lab.yml.j2").render(hosts=sorted(hosts.items()), layout=layout,
                                                 python=sys.executable, ssh=ssh)


def lab_status(layout: LabLayout) -> dict[str, Any]:
    """What the manifest lists and whether each piece is still there."""
    if not layout.exists():
        return {"root": str(layout.root), "up": False, "items": {}}
    from orchestrator.lab import kubeapi_process
    from orchestrator.lab.delivery import delivered

    manifest = _read_manifest(layout)
    items = {relative: (layout.root / relative).exists() for relative in manifest}
    platform = delivered(layout.root)
    return {"root": str(layout.root), "up": all(items.values()), "items": items,
            "hosts": sorted(p.name for p in layout.hosts.iterdir()) if layout.hosts.is_dir() else [],
            "release": platform["release"] if platform else None,
            "kubeapi": kubeapi_process.status(layout.root)}


def lab_down(layout: LabLayout) -> LabReport:
    """Remove exactly what `lab up` made (per the manifest), then folders it left empty."""
    report = LabReport(layout.root)
    if not layout.exists():
        return report
    manifest = _read_manifest(layout)
    from orchestrator.lab import kubeapi_process

    kubeapi_process.stop(layout.root)
    if "ssh" in manifest:
        from orchestrator.lab import sshd

        sshd.stop_all(sshd.server_folders(layout.root / "ssh"))
    for relative in sorted(manifest, key=lambda r: r.count("/"), reverse=True):
        path = layout.root / relative
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        report.removed.append(relative)
    for leftover in ("journal.db-wal", "journal.db-shm", "journal.db.lock"):
        (layout.root / leftover).unlink(missing_ok=True)
    layout.manifest.unlink()
    parents = {layout.root / parent for relative in manifest
               for parent in Path(relative).parents if str(parent) != "."}
    for folder in sorted(parents, key=lambda p: len(p.parts), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    if layout.root.is_dir() and not any(layout.root.iterdir()):
        layout.root.rmdir()
    return report


def load_secrets(layout: LabLayout) -> dict[str, dict[str, str]]:
    """The lab's secret store: service -> name -> value. Values must be non-empty strings (an
    empty one could not be told apart from its absence, nor redacted)."""
    from orchestrator.sites.secrets import checked_secrets

    path = layout.secrets
    if not path.exists():
        raise InputError(f"{path}: no lab secrets (run `logius-migrate lab up` first)")
    try:
        return checked_secrets(json.loads(path.read_text()), str(path))
    except ValueError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None


#: Folders every host has, so that restoring a step's paths never leaves a parent behind.
HOST_FOLDERS = ("etc", "srv", "var/lib/logius-migrate/ledger", "var/archive", "etc/logius-lab/faults")


def _write_tree(root: Path, files: dict[str, str]) -> None:
    for folder in HOST_FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    for relative, content in sorted(files.items()):
        _write(root / relative, content)


def _write(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def _write_secrets(path: Path, services: list[Service]) -> None:
    values = {s.id: {"db_password": secrets.token_urlsafe(18)} for s in services}
    path.touch(mode=0o600)
    path.write_text(json.dumps(values, indent=2, sort_keys=True))


def _read_manifest(layout: LabLayout) -> list[str]:
    return json.loads(layout.manifest.read_text()) if layout.manifest.exists() else []


def _write_manifest(layout: LabLayout, manifest: list[str]) -> None:
    temporary = layout.manifest.with_suffix(".tmp")
    temporary.write_text(json.dumps(manifest, indent=1))
    os.replace(temporary, layout.manifest)
