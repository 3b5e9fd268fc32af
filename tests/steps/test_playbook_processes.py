"""The Ansible adapter's processes: the playbook is recorded before it runs, the poll interval we set
reaches ansible-runner, and a cancel leaves nothing of the playbook running (its workers included,
which ansible-core starts in sessions of their own)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from orchestrator import liveness
from orchestrator.errors import Cancelled, StepFailed
from orchestrator.steps import ansible
from orchestrator.steps.guard import holders
from orchestrator.steps.processes import ChildWatch

PLAYBOOK = """- hosts: all
  gather_facts: false
  tasks:
    - name: Wait
      ansible.builtin.command: sleep {{ nap }}
      changed_when: false
"""


@pytest.fixture
def local(tmp_path):
    (tmp_path / "inventory.yml").write_text(
        "all:\n  hosts:\n    here:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n")
    (tmp_path / "nap.yml").write_text(PLAYBOOK)
    return tmp_path


def nap(local: Path, seconds: int) -> ansible.PlaybookRequest:
    return ansible.PlaybookRequest(str(local / "nap.yml"), local / "inventory.yml", ["here"],
                                   {"nap": seconds})


def test_the_poll_interval_reaches_ansible_runner(tmp_path):
    """ansible-runner 2.4.3 replaces a settings= argument by env/settings, or by nothing when that
    file is missing (then it polls every 5 s): the adapter writes the file, and the runner's own
    configuration reads our interval from it."""
    from ansible_runner.config.runner import RunnerConfig

    ansible._write_settings(tmp_path)
    config = RunnerConfig(private_data_dir=str(tmp_path), playbook="nap.yml", settings={"pexpect_timeout": 9})
    config.prepare_env()
    assert config.pexpect_timeout == ansible.POLL_SECONDS == 0.2


def test_a_playbook_is_recorded_before_it_runs_and_its_token_reaches_the_tasks(local):
    seen: list = []

    def started(spawned):
        seen.append((spawned, liveness.process_start(spawned.pid), holders(spawned.token)))
        return spawned

    result = ansible.run_playbook(nap(local, 0), watch=ChildWatch(started=started))
    assert result.succeeded, result.summary()
    [(spawned, start, holding)] = seen
    assert spawned.what == f"ansible-playbook {local / 'nap.yml'}" and spawned.pgid == spawned.pid
    assert start is not None and holding == [], "recorded before the playbook (or anything) started"
    assert holders(spawned.token) == [], "nothing of the run is left"


def test_a_cancelled_playbook_leaves_no_worker_running(local):
    tokens, stop = [], threading.Event()
    watch = ChildWatch(started=tokens.append, cancel=stop.is_set)
    timer = threading.Timer(2.0, stop.set)
    timer.start()
    with pytest.raises(Cancelled):
        ansible.run_playbook(nap(local, 60), watch=watch)
    [spawned] = tokens
    assert holders(spawned.token) == [], "the worker and its sleep were killed with the playbook"


def test_a_playbook_that_cannot_be_recorded_does_not_start(local):
    def refuse(spawned):
        raise OSError("the journal is unreachable")

    marker = local / "ran"
    (local / "touch.yml").write_text(PLAYBOOK.replace("sleep {{ nap }}", f"touch {marker}"))
    with pytest.raises(StepFailed, match="was not started: its process could not be recorded"):
        ansible.run_playbook(ansible.PlaybookRequest(str(local / "touch.yml"), local / "inventory.yml",
                                                     ["here"], {}), watch=ChildWatch(started=refuse))
    assert not marker.exists()


def test_the_guard_refuses_when_its_parent_is_not_the_one_named(tmp_path):
    """A parent that died before the guard asked for its death signal is noticed: nothing runs."""
    import subprocess
    import sys

    from orchestrator.steps.guard import NOT_RECORDED

    marker = tmp_path / "ran"
    guard = Path(ansible.__file__).with_name("guard.py")
    done = subprocess.run([sys.executable, "-IS", str(guard), str(tmp_path / "no-socket"), "supervise", "1",
                           "token", "--", "/usr/bin/touch", str(marker)], capture_output=True, timeout=30)
    assert done.returncode == NOT_RECORDED and not marker.exists()


def test_only_a_child_of_the_engine_is_recorded(tmp_path):
    """The handshake asks the kernel who connected: a process that is not the engine's child (here
    the engine itself) is not recorded and not told to go."""
    import socket

    from orchestrator.steps.processes import Handshake

    recorded: list = []
    with Handshake(ChildWatch(started=recorded.append), "ansible-playbook x.yml") as handshake:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as intruder:
            intruder.settimeout(5)
            intruder.connect("\0" + handshake.name)
            intruder.sendall(b"1 1\n")
            assert intruder.recv(16) == b""
    assert recorded == []


def test_a_long_temporary_folder_does_not_stop_a_playbook(local, tmp_path, monkeypatch):
    """A Unix socket path holds 108 bytes at most; the handshake's lives in the abstract namespace,
    so a deep TMPDIR (CI's, a user's) changes nothing, and nothing of it stays behind."""
    import tempfile

    deep = tmp_path / ("d" * 60) / ("e" * 60)
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    result = ansible.run_playbook(nap(local, 0))
    assert result.succeeded, result.summary()
    assert list(deep.iterdir()) == []


def test_a_recorded_playbook_is_forgotten_once_it_ended(local):
    recorded, forgotten = [], []
    watch = ChildWatch(started=lambda spawned: recorded.append(spawned) or spawned.pid,
                       ended=forgotten.append)
    ansible.run_playbook(nap(local, 0), watch=watch)
    assert forgotten == [recorded[0].pid]
