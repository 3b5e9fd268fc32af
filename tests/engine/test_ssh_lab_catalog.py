"""The SSH lab at the shipped catalog's size: 44 hosts, more than one sshd can listen for (OpenSSH's
MAX_LISTEN_SOCKS is 16), on three sshds; every host answers over SSH and the pilot wave runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.lab import LabLayout, lab_down, sshd
from orchestrator.steps import ansible
from tests.conftest import SEEDS
from tests.engine.conftest import accept_lab_release, approve_plan, cli_process
from tests.engine.test_ssh_lab import require_sshd

pytestmark = pytest.mark.slow


def processes() -> dict[int, tuple[int, str, str]]:
    """Every live process: pid -> (parent pid, start time, command line), read from /proc."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] not in ("Z", "X"):
            found[int(entry.name)] = (int(fields[1]), fields[19], cmdline)
    return found


def run_cli(args: list[str], env: dict[str, str], timeout: float = 600) -> str:
    process = cli_process(args, env)
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err
    return out


@pytest.fixture
def seeds_ssh_lab(tmp_path, isolated_env):
    """Where the shipped catalog's SSH lab goes; taken down whatever the test did."""
    require_sshd()
    layout = LabLayout(tmp_path / "lab")
    yield layout
    lab_down(layout)


def test_the_whole_shipped_catalog_over_ssh(seeds_ssh_lab, isolated_env):
    """44 hosts, more than one sshd can listen for: three sshds of at most 16 addresses each, every
    host at its own address; a second `lab up` keeps them; every host answers an ad-hoc ping over
    SSH, wave 1 of the shipped plan runs over it, and `lab down` leaves no sshd nor session."""
    layout = seeds_ssh_lab
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="60")
    args = ["--catalog", str(SEEDS), "--lab", str(layout.root)]
    # the subject is SSH at the catalog's size, not the rehearsal (tests/engine/test_dry_run*.py)
    up = ["lab", "up", "--transport", "ssh", "--no-require-dry-run", "--unsigned", *args]
    assert "44 hosts for 20 services over ssh" in run_cli(up, env)
    servers = sshd.server_folders(layout.root / "ssh")
    listening = [sshd.configured(server) for server in servers]
    hosts = ansible.load_inventory(layout.inventory)
    assert [len(addresses) for addresses, _ in listening] == [16, 16, 12]
    assert sorted(h["ansible_host"] for h in hosts.values()) == sorted(
        a for addresses, _ in listening for a in addresses)
    assert len({h["ansible_host"] for h in hosts.values()}) == len(hosts) == 44
    assert {h["ansible_port"] for h in hosts.values()} == {port for _, port in listening}
    assert all(h["ansible_host"].startswith("127.") for h in hosts.values())
    listeners = [sshd.running(server) for server in servers]
    assert None not in listeners
    again = run_cli(up, env)
    assert " 0 item(s) created" in again and [sshd.running(s) for s in servers] == listeners

    ping = subprocess.run([str(Path(sys.executable).parent / "ansible"), "all", "-i", str(layout.inventory),
                           "-m", "ansible.builtin.ping", "-f", "44"],
                          env=dict(env, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, timeout=300)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert sorted(line.split(" | ")[0] for line in ping.stdout.splitlines()
                  if " | SUCCESS" in line) == sorted(hosts)
    assert all("Accepted publickey" in (server / "sshd.log").read_text() for server in servers)

    approve_plan(SEEDS, layout)
    accept_lab_release(layout)  # the release lab up delivered, as `release validate` and `accept` do
    assert "wave-1: done" in run_cli(["wave", "run", "1", "--approve", *args], env)

    before = processes()
    sessions = {(pid, started) for pid, (parent, started, _) in before.items() if parent in listeners}
    assert sessions, "ControlPersist keeps the wave's sessions open until lab down"
    lab_down(layout)
    after = processes()
    assert not {(pid, started) for pid, (_, started, _) in after.items()} & sessions
    assert not [cmdline for _, _, cmdline in after.values()
                if "sshd" in cmdline and str(layout.root) in cmdline]
