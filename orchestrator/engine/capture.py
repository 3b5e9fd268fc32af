"""Rollback points for file-changing steps: everything a service's steps may touch on the step's
hosts, captured before the step, with secret values replaced by named placeholders."""

from __future__ import annotations

from typing import Any

from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext
from orchestrator.runbook import Step, group_of, hosts_of, touched_paths


def flat_secrets(secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """``service.name`` -> value, for masking captured files and restoring them."""
    return {f"{service}.{name}": value for service, values in secrets.items()
            for name, value in values.items()}


def record_file_points(ctx: EngineContext, run_id: str, step: Step, services: list[Service]) -> None:
    """One rollback point per service, written before ``step`` changes its files."""
    from orchestrator.steps import ansible

    if not services:
        return
    wanted: dict[str, dict[str, list[str]]] = {}
    by_host: dict[str, list[str]] = {}
    for service in services:
        for host in hosts_of(service, step.runs_on):
            paths = touched_paths(service, group_of(service, host))
            wanted.setdefault(service.id, {})[host] = paths
            by_host.setdefault(host, []).extend(paths)
    captured = ansible.capture(ctx.site.inventory, by_host)
    inventory = ansible.load_inventory(ctx.site.inventory)
    secrets = flat_secrets(ctx.secrets)
    for service in services:
        hosts = {}
        for host, paths in wanted[service.id].items():
            roots = tuple(f"{inventory[host]['host_root']}/{p}" for p in paths)
            below = tuple(f"{r}/" for r in roots)
            entries = [e for e in captured[host] if e["path"] in roots or e["path"].startswith(below)]
            hosts[host] = ansible.mask_secrets(entries, secrets)
        payload: dict[str, Any] = {"hosts": hosts}
        if step.name == "cutover":
            payload["routing"] = "legacy" if service.hosts.legacy else "none"
        ctx.journal.add_rollback_point(run_id, service.id, step.name, "files", payload,
                                       step.point_of_no_return)
