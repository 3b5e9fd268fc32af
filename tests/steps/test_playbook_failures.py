"""A playbook run that fails before reaching any host tells why, in one line: the program that
could not start, or Ansible's own first error; never only the hosts it did not reach. The tools
are found beside the interpreter, whatever PATH holds."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.errors import InputError
from orchestrator.lab import LabLayout, lab_up
from orchestrator.steps import ansible
from tests.engine.conftest import small_catalog

PLAYBOOK = """- hosts: all
  gather_facts: false
  tasks:
    - name: Say hello
      ansible.builtin.debug:
        msg: hello
"""


@pytest.fixture
def local(tmp_path):
    (tmp_path / "inventory.yml").write_text(
        "all:\n  hosts:\n    here:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n"
        "    there:\n      ansible_connection: local\n"
        "      ansible_python_interpreter: '{{ ansible_playbook_python }}'\n")
    (tmp_path / "hello.yml").write_text(PLAYBOOK)
    return tmp_path


def run(local: Path, playbook: str = "hello.yml") -> ansible.PlaybookResult:
    return ansible.run_playbook(ansible.PlaybookRequest(str(local / playbook), local / "inventory.yml",
                                                        ["here", "there"], {}))


def test_a_playbook_whose_program_cannot_start_says_so_in_one_line(local, monkeypatch):
    missing = local / "gone" / "ansible-playbook"
    monkeypatch.setattr(ansible, "tool_path", lambda name: str(missing))
    result = run(local)
    assert not result.succeeded
    expected = f"ansible-playbook not found or not executable: logius-migrate guard: cannot start {missing}"
    assert result.reason.startswith(expected), result.reason
    assert set(result.failed_hosts.values()) == {result.reason}, "each host carries the reason"
    summary = result.summary()
    assert "\n" not in summary and summary.endswith(result.reason)
    assert summary.startswith(f"{local / 'hello.yml'}: failed on here, there: ")


def test_a_launcher_ansible_runner_cannot_start_says_so_in_one_line(local, monkeypatch):
    """ansible-runner's own answer for a program it cannot spawn (rc 127, a line in its stdout)."""
    monkeypatch.setattr(ansible, "_launcher", lambda folder, handshake: local / "gone" / "launcher")
    result = run(local)
    assert result.reason == ("ansible-playbook not found or not executable: The command was not found "
                             f"or was not executable: {local / 'gone' / 'launcher'}.")
    assert set(result.failed_hosts.values()) == {result.reason}


def test_a_playbook_ansible_cannot_read_reports_its_first_error(local):
    (local / "broken.yml").write_text('- hosts: "{{ nothing_here }}"\n  tasks: []\n')
    result = run(local, "broken.yml")
    assert not result.succeeded
    assert result.reason.startswith("[ERROR]: ") and "nothing_here" in result.reason, result.reason
    assert "not run" not in result.summary()


def test_a_failing_task_keeps_its_own_message(local):
    (local / "fail.yml").write_text(PLAYBOOK.replace("ansible.builtin.debug:", "ansible.builtin.fail:"))
    result = run(local, "fail.yml")
    assert result.reason == "" and result.failed_hosts == {"here": "hello", "there": "hello"}
    assert result.summary() == f"{local / 'fail.yml'}: failed on here, there: hello"


def test_the_tools_are_found_beside_the_interpreter_whatever_path_holds(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    for tool in ("ansible-playbook", "ansible-inventory"):
        assert Path(ansible.tool_path(tool)).parent in {Path(f) for f in ansible.own_scripts()}
    monkeypatch.setattr(ansible, "own_scripts", lambda: [str(tmp_path)])
    with pytest.raises(InputError, match=r"^ansible-playbook not found: not in .* nor on PATH"):
        ansible.tool_path("ansible-playbook")


def test_lab_up_names_why_its_backup_failed(tmp_path, isolated_env, monkeypatch):
    missing = tmp_path / "gone" / "ansible-playbook"
    monkeypatch.setattr(ansible, "tool_path", lambda name: str(missing))
    with pytest.raises(InputError) as caught:
        lab_up(load_catalog(small_catalog(tmp_path / "catalog")), LabLayout(tmp_path / "lab"))
    message = str(caught.value)
    assert message.startswith("lab backup failed: backup.yml: failed on legacy-alpha, legacy-beta, "
                              "legacy-gamma: ansible-playbook not found or not executable: ")
    assert f"cannot start {missing}" in message and "\n" not in message
