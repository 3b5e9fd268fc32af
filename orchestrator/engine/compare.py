"""How honest a rehearsal was: what a run really changed, measured against what its dry-run
predicted. A run journals what it changed (``changes`` events): each Ansible task that reported
a change, per phase and host, and each Terraform resource whose state differs after the apply.
Every one of them must have been predicted as a change or an unknown (recall, which must be
100%); precision is the share of predicted changes that happened; the unknown share (of every
prediction, Ansible tasks and Terraform resources) says how much the rehearsal could not know."""

from __future__ import annotations

import json
from typing import Any

CHANGES = "changes"  # the journal event kind a run records its changes under


class ChangeRecorder:
    """ansible-runner's events of one applied phase, kept where a task changed something."""

    def __init__(self, phase: str) -> None:
        self.phase = phase
        self.changed: list[dict[str, Any]] = []

    def handle(self, event: dict[str, Any]) -> None:
        data = event.get("event_data") or {}
        changed = (data.get("res") or {}).get("changed")
        if event.get("event") == "runner_on_ok" and changed and data.get("host"):
            self.changed.append({"kind": "task", "phase": self.phase, "host": data["host"],
                                 "task": data.get("task", "")})


def record_changes(journal: Any, run_id: str, changes: list[dict[str, Any]]) -> None:
    if changes:
        journal.log(run_id, CHANGES, json.dumps(changes, sort_keys=True))


def state_changes(service_id: str, before: str | None, after: str | None) -> list[dict[str, Any]]:
    """The resources whose instances differ between two Terraform states (added, removed, changed)."""
    def instances(state: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for resource in (json.loads(state).get("resources", []) if state else []):
            prefix = f"{resource['module']}." if "module" in resource else ""
            found[f"{prefix}{resource['type']}.{resource['name']}"] = resource.get("instances")
        return found

    old, new = instances(before), instances(after)
    return [{"kind": "resource", "phase": "provision", "service": service_id, "address": address}
            for address in sorted(set(old) | set(new)) if old.get(address) != new.get(address)]


def run_changes(journal: Any, run_id: str) -> list[dict[str, Any]]:
    return [item for event in journal.events(run_id=run_id) if event.kind == CHANGES
            for item in json.loads(event.message)]


def compare(document: dict[str, Any], journal: Any, run_id: str) -> dict[str, Any]:
    """Recall, precision and the unknown share of ``document``'s predictions against run
    ``run_id``'s journalled changes; ``missed`` names every change nothing predicted."""
    happened = run_changes(journal, run_id)
    tasks = document["tasks"]
    missed = [_describe(c) for c in happened if not _predicted(c, document)]
    changes = [t for t in tasks if t["outcome"] == "change"]
    came = [t for t in changes if any(_same_task(t, c) for c in happened)]
    resources = [(s["service"], _base(r["address"])) for s in document["stacks"] for r in s["resources"]]
    came_resources = [r for r in resources if any(c.get("address") == r[1] and c.get("service") == r[0]
                                                  for c in happened)]
    predicted_changes = len(changes) + len(resources)
    predictions = len(tasks) + len(resources)  # a resource's actions are known: never unknown
    unknown = sum(t["outcome"] == "unknown" for t in tasks)
    return {
        "dry_run": document.get("id"), "run": run_id, "happened": len(happened),
        "predicted": len(happened) - len(missed), "missed": missed,
        "recall": 1.0 if not happened else (len(happened) - len(missed)) / len(happened),
        "precision": 1.0 if not predicted_changes else (len(came) + len(came_resources)) / predicted_changes,
        "unknown_share": unknown / predictions if predictions else 0.0,
        "predictions": predictions,
    }


def _predicted(change: dict[str, Any], document: dict[str, Any]) -> bool:
    if change["kind"] == "resource":
        return any(s["service"] == change["service"] and (s["error"] or any(
            _base(r["address"]) == change["address"] for r in s["resources"])) for s in document["stacks"])
    return any(t["outcome"] in {"change", "unknown"} and _same_task(t, change) for t in document["tasks"])


def _same_task(prediction: dict[str, Any], change: dict[str, Any]) -> bool:
    """The prediction is of that task on that host in that phase (a prediction that names no
    task, as for an unreachable host, covers every task of the phase there)."""
    return (prediction["phase"] == change.get("phase") and prediction["host"] == change.get("host")
            and prediction["task"] in {change.get("task"), "(every task)"})


def _base(address: str) -> str:
    """A resource's address without its instance key (the state lists instances under it)."""
    return address.split("[")[0]


def _describe(change: dict[str, Any]) -> str:
    if change["kind"] == "resource":
        return f"{change['service']}: resource {change['address']} changed"
    return f"{change['phase']}: task {change['task']!r} changed {change['host']}"
