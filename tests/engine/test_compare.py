"""`wave dry-run compare`'s figures on a real SQLite journal: the unknown share is of every
prediction the line counts (tasks and Terraform resources), recall and precision of the changes."""

from __future__ import annotations

from orchestrator.engine.compare import compare, record_changes
from orchestrator.journal import Journal, resolve_url


def ran(name: str) -> dict:
    """A task change a run journalled."""
    return {"kind": "task", "phase": "prepare-target", "host": "lpc-alpha", "task": name}


def task(name: str, outcome: str, host: str = "lpc-alpha") -> dict:
    return {"phase": "prepare-target", "service": "alpha", "host": host, "task": name, "outcome": outcome,
            "reason": "", "diff": "", "paths": []}


def test_the_unknown_share_is_of_every_prediction_counted(tmp_path):
    document = {"id": 1, "stacks": [{"service": "alpha", "error": None, "resources": [
        {"address": "module.landing_zone.null_resource.zone", "actions": ["create"], "unknown": ["id"]},
        {"address": "module.landing_zone.null_resource.health", "actions": ["create"], "unknown": []}]}],
        "tasks": [task("Create the directories", "change"), task("Read the marker", "unknown"),
                  task("Write the configuration", "change"), task("Check the disk", "no-change")]}
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as journal:
        journal.create_run("wave-1", 1, "wave", "operator")
        record_changes(journal, "wave-1", [
            ran("Create the directories"), ran("Read the marker"),
            {"kind": "resource", "phase": "provision", "service": "alpha",
             "address": "module.landing_zone.null_resource.zone"}])
        found = compare(document, journal, "wave-1")
    assert found["predictions"] == 6  # four tasks, two resources
    assert found["unknown_share"] == 1 / 6  # not 1/4: the line reads "unknown N% of 6 prediction(s)"
    assert (found["recall"], found["predicted"], found["happened"], found["missed"]) == (1.0, 3, 3, [])
    assert found["precision"] == 2 / 4  # predicted changes: two tasks and two resources; one of each came


def test_a_change_nothing_predicted_is_missed(tmp_path):
    document = {"id": 2, "stacks": [], "tasks": [task("Create the directories", "no-change")]}
    with Journal(resolve_url(tmp_path / "journal.db", None), create=True) as journal:
        journal.create_run("wave-1", 1, "wave", "operator")
        record_changes(journal, "wave-1", [ran("Create the directories")])
        found = compare(document, journal, "wave-1")
    assert found["recall"] == 0.0 and found["unknown_share"] == 0.0
    assert found["missed"] == ["prepare-target: task 'Create the directories' changed lpc-alpha"]
