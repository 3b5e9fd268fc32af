"""The same engine and playbooks over real SSH: the lab's hosts reached through real OpenSSH
sshds on loopback addresses (127.0.0.2 and up, at most 16 a server). A kill -9 of the main process
inside a playbook and resume, and a fault (in replicate-data: what provision and prepare-target
made is undone over SSH) then rollback each end byte-identical, as on the local lab
(the whole shipped catalog over SSH: test_ssh_lab_catalog.py, a file of its own so that it runs
beside these on the other worker).

That a wave over SSH ends as on the local lab (hosts, Terraform state, ledgers, public-key logins in
the sshd's log) is asserted at the end of the killed run's resume, which runs that same wave to its
end over SSH: every step before the kill in the first process, every one from the killed playbook on
in the resume (an uninterrupted wave takes the same steps over the same connections).
"""

from __future__ import annotations

import os

import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.errors import WavePartial
from orchestrator.lab import lab_down, sshd
from orchestrator.steps import ansible
from tests.engine.conftest import (
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
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert "wave-1: done" in out
    ref = reference[1]
    assert host_files(layout) == host_files(ref)
    assert state_shape(layout) == state_shape(ref)
    assert ledger_counts(layout) == ledger_counts(ref)
    assert "Accepted publickey" in (layout.root / "ssh" / "sshd-0" / "sshd.log").read_text()


def test_a_fault_over_ssh_rolls_back_to_exactly_before_the_wave(ssh_lab):
    catalog, layout = ssh_lab
    hosts, state = host_files(layout), state_files(layout)
    fault = layout.host_root("lpc-alpha") / "etc/logius-lab/faults/alpha.replicate-data.always"
    fault.write_text("always")
    with session(catalog, layout) as ctx:
        with pytest.raises(WavePartial) as caught:
            run_wave(ctx, 1, ["alpha"], resume=False, approve=True)
        assert "lab fault injected: alpha replicate-data on lpc-alpha" in caught.value.held["alpha"]
        rollback_service(ctx, "alpha")
        assert ctx.journal.service_state("alpha").state == "rolled-back"
    fault.unlink()
    assert host_files(layout) == hosts
    assert state_files(layout) == state
