"""A dry-run over the SSH lab with one host that cannot be reached (its sshd's port closed, as when
that host's sshd is stopped): the rehearsal is partial, that host's tasks are unknown and named,
the other hosts are rehearsed, and nothing changes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml

from orchestrator.lab import lab_down
from tests.conftest import PROJECT
from tests.engine.conftest import host_files, make_lab, one_service_catalog


@pytest.fixture
def ssh_lab(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, transport="ssh", require_dry_run=True)
    try:
        yield catalog, layout, isolated_env
    finally:
        lab_down(layout)


def _close_port_of(inventory, host: str) -> None:
    """Point ``host`` at a loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    text = inventory.read_text()
    document = yaml.safe_load(text)
    for group in document["all"]["children"].values():
        if host in (group.get("hosts") or {}):
            group["hosts"][host]["ansible_port"] = closed
    header = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
    inventory.write_text(header + yaml.safe_dump(document, sort_keys=False))


def test_an_unreachable_host_leaves_a_partial_rehearsal_naming_it(ssh_lab):
    catalog, layout, env = ssh_lab
    _close_port_of(layout.inventory, "lpc-alpha")
    hosts = host_files(layout)
    done = subprocess.run([sys.executable, "-m", "orchestrator", "wave", "dry-run", "1", "--format", "json",
                           "--catalog", str(catalog), "--lab", str(layout.root)], env=env, cwd=PROJECT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["status"] == "partial"
    unreached = [t for t in document["tasks"] if t["host"] == "lpc-alpha"]
    # every task there is unknown: most because the host was unreachable, the data copy (skipped on
    # the controller, before any connection) because the fetch it waits for cannot run in check mode
    assert unreached and all(t["outcome"] == "unknown" for t in unreached), unreached
    assert unreached[0]["reason"].startswith("the host was unreachable") and "Connection refused" in \
        unreached[0]["reason"]
    legacy = {t["outcome"] for t in document["tasks"] if t["host"] == "legacy-alpha"}
    assert "change" in legacy, document["tasks"]
    assert host_files(layout) == hosts
