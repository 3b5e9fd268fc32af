"""The same engine and playbooks over real SSH: the lab's hosts reached through real OpenSSH
sshds on loopback addresses (127.0.0.2 and up, at most 16 a server). A wave, a kill -9 of the main
process and resume, and a fault then rollback each end byte-identical, as on the local lab; the
whole shipped catalog (44 hosts, three sshds) answers over SSH and runs its pilot wave."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.errors import WavePartial
from orchestrator.lab import LabLayout, lab_down, sshd
from orchestrator.steps import ansible
from tests.conftest import SEEDS
from tests.engine.conftest import (
    approve_plan,
    cli_process,
    host_files,
    ledger_counts,
    make_lab,
    one_service_catalog,
    session,
    state_files,
    state_shape,
    wait_for,
)
from tests.engine.test_crash_resume import applying, kill_main, statuses

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The one-service wave on the local lab: what every SSH run must end as."""
    base = tmp_path_factory.mktemp("ssh-reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))
        patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        patch.delenv("LOGIUS_MIGRATE_DB", raising=False)
        catalog = one_service_catalog(base / "catalog")
        layout = make_lab(base / "lab", catalog)
        with session(catalog, layout) as ctx:
            run_wave(ctx, 1, ["alpha"], resume=False, approve=True)
        yield catalog, layout


def require_sshd() -> None:
    if not sshd.SSHD.exists():
        if os.environ.get("CI"):
            pytest.fail("openssh-server is not installed, but CI must test the SSH lab")
        pytest.skip("openssh-server is not installed (apt-get install openssh-server)")


@pytest.fixture
def ssh_lab(reference, tmp_path, isolated_env):
    require_sshd()
    catalog, ref = reference
    layout = make_lab(tmp_path / "lab", catalog, secrets_from=ref.root, transport="ssh")
    yield catalog, layout
    lab_down(layout)


def test_the_ssh_lab_reaches_every_host_over_ssh(ssh_lab):
    _, layout = ssh_lab
    hosts = ansible.load_inventory(layout.inventory)
    assert {h["ansible_connection"] for h in hosts.values()} == {"ssh"}
    assert sorted(h["ansible_host"] for h in hosts.values()) == ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
    assert sshd.server_folders(layout.root / "ssh") == [layout.root / "ssh" / "sshd-0"]
    config = (layout.root / "ssh" / "sshd-0" / "sshd_config").read_text()
    assert "ListenAddress 127.0.0.2" in config and "PasswordAuthentication no" in config


def test_a_wave_over_ssh_ends_as_on_the_local_lab(ssh_lab, reference):
    catalog, layout = ssh_lab
    with session(catalog, layout) as ctx:
        assert run_wave(ctx, 1, ["alpha"], resume=False, approve=True).status == "done"
    ref = reference[1]
    assert host_files(layout) == host_files(ref)
    assert state_shape(layout) == state_shape(ref)
    assert "Accepted publickey" in (layout.root / "ssh" / "sshd-0" / "sshd.log").read_text()


def test_a_run_killed_over_ssh_resumes_as_on_the_local_lab(ssh_lab, reference, isolated_env):
    catalog, layout = ssh_lab
    drill = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.replicate-data.sleep"
    drill.write_text("60")
    args = ["--catalog", str(catalog), "--lab", str(layout.root)]
    env = dict(isolated_env, LOGIUS_MIGRATE_LEASE_SECONDS="120")
    process = cli_process(["wave", "run", "1", "--approve", *args], env)
    wait_for(lambda: layout.journal.exists() and statuses(layout, "alpha/replicate-data") == ["running"]
             and applying(layout), timeout=180)
    kill_main(process)
    drill.unlink()
    resumed = cli_process(["wave", "resume", "1", "--approve", *args], isolated_env)
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    ref = reference[1]
    assert host_files(layout) == host_files(ref)
    assert ledger_counts(layout) == ledger_counts(ref)


def test_a_fault_over_ssh_rolls_back_to_exactly_before_the_wave(ssh_lab):
    catalog, layout = ssh_lab
    hosts, state = host_files(layout), state_files(layout)
    fault = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.final-sync.always"
    fault.write_text("always")
    with session(catalog, layout) as ctx:
        with pytest.raises(WavePartial) as caught:
            run_wave(ctx, 1, ["alpha"], resume=False, approve=True)
        assert "lab fault injected: alpha final-sync on lpc-alpha" in caught.value.held["alpha"]
        rollback_service(ctx, "alpha")
        assert ctx.journal.service_state("alpha").state == "rolled-back"
    fault.unlink()
    assert host_files(layout) == hosts
    assert state_files(layout) == state


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
    assert "44 hosts for 20 services over ssh" in run_cli(["lab", "up", "--transport", "ssh", *args], env)
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
    again = run_cli(["lab", "up", "--transport", "ssh", *args], env)
    assert " 0 item(s) created" in again and [sshd.running(s) for s in servers] == listeners

    ping = subprocess.run([str(Path(sys.executable).parent / "ansible"), "all", "-i", str(layout.inventory),
                           "-m", "ansible.builtin.ping", "-f", "44"],
                          env=dict(env, ANSIBLE_NOCOLOR="1"), capture_output=True, text=True, timeout=300)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    assert sorted(line.split(" | ")[0] for line in ping.stdout.splitlines()
                  if " | SUCCESS" in line) == sorted(hosts)
    assert all("Accepted publickey" in (server / "sshd.log").read_text() for server in servers)

    approve_plan(SEEDS, layout)
    assert "wave-1: done" in run_cli(["wave", "run", "1", "--approve", *args], env)

    before = processes()
    sessions = {(pid, started) for pid, (parent, started, _) in before.items() if parent in listeners}
    assert sessions, "ControlPersist keeps the wave's sessions open until lab down"
    lab_down(layout)
    after = processes()
    assert not {(pid, started) for pid, (_, started, _) in after.items()} & sessions
    assert not [cmdline for _, _, cmdline in after.values()
                if "sshd" in cmdline and str(layout.root) in cmdline]
