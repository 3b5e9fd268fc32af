"""The supplier delivers a release to the lab: its platform landing zone applied with real
Terraform from the release's manifest, and every LPC host naming the release (``etc/lpc-release``).

What is delivered lives in the platform landing zone's Terraform state: its ``platform`` output
holds the release, the Kubernetes version, each component's image, namespace and workload, the
storage classes and the default, ingress and network policy. `lab status` and the lab's Kubernetes
API stand-in read it back from there (:func:`delivered`), so there is one record of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError
from orchestrator.lab.layout import PLATFORM_DIR, LabLayout


@dataclass(frozen=True)
class Delivery:
    """What one delivery did: the release and its manifest, the LPC hosts now naming it (and those
    of them that named another before), and Terraform's changes by action."""

    release: str
    manifest: Path
    hosts: list[str]
    updated: list[str]
    changes: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"release": self.release, "manifest": str(self.manifest), "hosts": self.hosts,
                "updated": self.updated, "changes": self.changes}


def release_manifest(catalog: Any, release_id: str) -> Path | None:
    """The manifest of ``release_id``: first in the ``releases/`` folder beside the catalog file
    that declares the release, then among the shipped ones (``seeds/releases``)."""
    from orchestrator.catalog.manifest import find_manifest
    from orchestrator.resources import resource

    origin = catalog.origin.get(("releases", release_id))
    folders = ([Path(origin).parent / "releases"] if origin else []) + [resource("seeds") / "releases"]
    return find_manifest(folders, release_id)


def deliver(layout: LabLayout, catalog: Any, release_id: str, manifest_path: Path | None = None) -> Delivery:
    """Deliver ``release_id`` to the lab (its manifest found as :func:`release_manifest` finds it,
    or ``manifest_path``): apply its platform landing zone, then write the release on every LPC
    host. Delivering the release already there changes nothing. InputError (one line) for a
    release the catalog does not know, no manifest, or a manifest of another release."""
    from orchestrator.catalog.manifest import load_manifest, platform_variables

    known = [r.id for r in catalog.releases]
    if release_id not in known:
        raise InputError(f"release {release_id} is not in the catalog (it has: {', '.join(known) or 'none'})")
    path = manifest_path or release_manifest(catalog, release_id)
    if path is None:
        raise InputError(f"release {release_id} has no manifest (a releases/*.yaml with release.id "
                         f"{release_id}, beside the catalog or shipped); give one with --manifest FILE")
    manifest = load_manifest(path)[0]
    if manifest.id != release_id:
        raise InputError(f"{path} is the manifest of {manifest.id}, not of {release_id}")
    changes = _apply_platform(layout, platform_variables(manifest))
    hosts, updated = _name_release(layout, release_id)
    return Delivery(release_id, path, hosts, updated, changes)


def _apply_platform(layout: LabLayout, variables: dict[str, Any]) -> dict[str, int]:
    """Plan, then apply, the lab's platform landing zone with ``variables``; the plan's changes
    counted by action (add, change, destroy)."""
    from orchestrator.lab.layout import lab_platform_module
    from orchestrator.steps import terraform

    work_dir = layout.platform_dir
    stack = terraform.TerraformStack(work_dir, layout.site().terraform_env())
    if terraform.write_platform_module(work_dir, lab_platform_module()) or not stack.initialized:
        stack.init()
    planned = stack.planned_changes(variables)
    stack.apply(variables)
    counts = {"add": 0, "change": 0, "destroy": 0}
    for change in planned:
        actions = change["actions"]
        counts["add"] += "create" in actions
        counts["change"] += "update" in actions
        counts["destroy"] += "delete" in actions
    return counts


def _name_release(layout: LabLayout, release_id: str) -> tuple[list[str], list[str]]:
    """Write ``etc/lpc-release`` on every LPC host of the lab's inventory; (all of them, those
    whose file said something else before)."""
    from orchestrator.steps.ansible import load_inventory

    hosts = sorted(h for h, v in load_inventory(layout.inventory).items() if v.get("group") == "lpc")
    updated = []
    for host in hosts:
        path = layout.host_root(host) / "etc" / "lpc-release"
        if not path.exists() or path.read_text() != f"{release_id}\n":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(f"{release_id}\n")
            updated.append(host)
    return hosts, updated


def delivered(root: Path) -> dict[str, Any] | None:
    """The platform the lab runs, as its landing zone's state holds it (the ``platform`` output:
    release, kubernetes_version, components, storage_classes, ingress, network_policy), or None
    when nothing was delivered. Read from the state file itself: no Terraform run."""
    path = root / PLATFORM_DIR / "terraform.tfstate"
    try:
        state = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    platform = (state.get("outputs") or {}).get("platform", {}).get("value")
    if not isinstance(platform, dict) or not platform.get("release"):
        return None
    if not isinstance(platform.get("components"), dict):  # a lab built before the output said more
        platform["components"] = {name: {} for name in platform.get("components") or []}
    return platform
