"""Retiring a service whatever it declares: without data stores, or on several legacy hosts with
its data on one of them, the archive keeps what the service has (config, application, data) and
the service is decommissioned; a failed archive rolls back to exactly before the wave."""

from __future__ import annotations

import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.errors import WavePartial
from orchestrator.steps import ansible
from tests.conftest import service
from tests.engine.conftest import host_files, make_lab, session, small_catalog

#: Retired without data stores (the case that failed), and retired from two hosts with its data
#: on the first.
DELTA = service("delta", disposition="retire", hosts={"legacy": ["legacy-delta"]})
EPSILON = service("epsilon", disposition="retire", hosts={"legacy": ["legacy-eps-1", "legacy-eps-2"]},
                  data_stores=[{"name": "epsilon-db", "size_gb": 1, "sync": "snapshot"}])


def archived(layout, host: str, sid: str) -> set[str]:
    root = layout.host_root(host) / "var/archive" / sid
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_retirements_with_and_without_data_are_archived_and_decommissioned(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog", [DELTA, EPSILON])
    layout = make_lab(tmp_path / "lab", catalog)
    with session(catalog, layout) as ctx:
        result = run_wave(ctx, 1, ["delta", "epsilon"], resume=False, approve=True)
        states = {sid: ctx.journal.service_state(sid).state for sid in ("delta", "epsilon")}
    assert result.status == "done"
    assert states == {"delta": "decommissioned", "epsilon": "decommissioned"}
    assert archived(layout, "legacy-delta", "delta") == {"etc/delta/app.conf", "srv/delta/VERSION"}
    conf = (layout.host_root("legacy-delta") / "var/archive/delta/etc/delta/app.conf").read_text()
    assert "service = delta" in conf and "mode = read-only" in conf, "archived after the freeze"
    assert archived(layout, "legacy-eps-1", "epsilon") == {
        "etc/epsilon/app.conf", "srv/epsilon/VERSION", "var/lib/epsilon/epsilon-db/part-0001.dat"}
    assert archived(layout, "legacy-eps-2", "epsilon") == {"etc/epsilon/app.conf", "srv/epsilon/VERSION"}
    for host, sid in (("legacy-delta", "delta"), ("legacy-eps-1", "epsilon"), ("legacy-eps-2", "epsilon")):
        assert not any((layout.host_root(host) / part / sid).exists() for part in ("etc", "srv", "var/lib"))
        assert not (layout.host_root("gateway") / f"etc/gateway/routes/{sid}.conf").exists()


def test_the_archive_is_check_mode_safe_and_idempotent(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog", [DELTA])
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    before = host_files(layout)
    variables = {"step_name": "archive"}
    checked = ansible.run_playbook(ansible.PlaybookRequest("archive.yml", layout.inventory, ["legacy-delta"],
                                                           variables, check=True))
    assert checked.succeeded, checked.summary()
    assert host_files(layout) == before
    assert checked.hosts["legacy-delta"].changed, "check mode tells what the archive would copy"
    runs: list[list[bool]] = []

    def copied(event):
        data = event.get("event_data") or {}
        if event.get("event") == "runner_item_on_ok" and data.get("task") == ARCHIVE_TASK:
            runs[-1].append(bool((data.get("res") or {}).get("changed")))

    for _ in range(2):
        runs.append([])
        run = ansible.run_playbook(ansible.PlaybookRequest("archive.yml", layout.inventory, ["legacy-delta"],
                                                           variables), on_event=copied)
        assert run.succeeded, run.summary()
    assert runs[0] == [True, True], "config and application archived, nothing else is there"
    assert runs[1] == [False, False], "the second archive changes nothing"


ARCHIVE_TASK = "Copy what the service has into the archive"


def test_a_failed_archive_of_a_retirement_without_data_rolls_back_exactly(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog", [DELTA])
    layout = make_lab(tmp_path / "lab", catalog)
    before = host_files(layout)
    fault = layout.host_root("legacy-delta") / "etc/logius-lab/faults/delta.archive.always"
    fault.write_text("always")
    with session(catalog, layout) as ctx:
        with pytest.raises(WavePartial) as caught:
            run_wave(ctx, 1, ["delta"], resume=False, approve=True)
        assert caught.value.held["delta"].startswith("archive failed")
        rollback_service(ctx, "delta")
        assert ctx.journal.service_state("delta").state == "rolled-back"
    fault.unlink()
    assert host_files(layout) == before
