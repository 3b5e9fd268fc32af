"""Inventories of real sites: a folder of INI hosts with group_vars and host_vars, as Ansible users
write them, reads (through the real `ansible-inventory`) as the lab's rendered inventory does, and
the rollback points' capture works through it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestrator.errors import InputError
from orchestrator.lab import LabLayout, render_inventory
from orchestrator.steps import ansible

HOSTS = {
    "legacy-a": {"group": "legacy", "service": "a", "data_role": True, "release": "r1", "build": "rehosted"},
    "lpc-a": {"group": "lpc", "service": "a", "data_role": True, "release": "r1", "build": "rebuilt"},
    "lpc-a2": {"group": "lpc", "service": "a", "data_role": False, "release": "r1", "build": "rebuilt"},
    "gateway": {"group": "gateway"},
}


def as_folder(lab_file: Path, folder: Path) -> Path:
    """The same inventory as a site would keep it: hosts.ini naming the groups and hosts (with a
    parent group), every variable in group_vars/all.yml and host_vars/HOST.yml."""
    data = yaml.safe_load(lab_file.read_text())["all"]
    (folder / "group_vars").mkdir(parents=True)
    (folder / "host_vars").mkdir()
    (folder / "group_vars" / "all.yml").write_text(yaml.safe_dump(data["vars"]))
    ini = []
    for group, body in data["children"].items():
        ini += [f"[{group}]", *body["hosts"], ""]
        for host, variables in body["hosts"].items():
            (folder / "host_vars" / f"{host}.yml").write_text(yaml.safe_dump(variables))
    ini += ["[migration:children]", *data["children"], ""]
    (folder / "hosts.ini").write_text("\n".join(ini))
    return folder


@pytest.fixture
def inventories(tmp_path):
    layout = LabLayout(tmp_path / "lab")
    lab_file = tmp_path / "lab.yml"
    lab_file.write_text(render_inventory(HOSTS, layout))
    for host in HOSTS:
        root = layout.host_root(host)
        (root / "etc" / "a").mkdir(parents=True)
        (root / "etc" / "a" / "app.conf").write_text(f"host = {host}\n")
    return layout, lab_file, as_folder(lab_file, tmp_path / "prod")


def test_a_folder_of_ini_and_group_vars_reads_as_the_lab_inventory(inventories):
    _, lab_file, folder = inventories
    lab = ansible.load_inventory(lab_file)
    assert sorted(lab) == sorted(HOSTS) and lab["lpc-a"]["group"] == "lpc"
    assert ansible.load_inventory(folder) == lab


def test_the_rollback_capture_works_through_a_folder_inventory(inventories):
    _, lab_file, folder = inventories
    paths = {"lpc-a": ["etc/a"], "legacy-a": ["etc/a", "srv/a"]}
    captured = ansible.capture(folder, paths)
    assert captured == ansible.capture(lab_file, paths)
    assert [e["state"] for e in captured["lpc-a"]] == ["directory", "file"]


def test_a_change_to_group_vars_is_read_again(inventories):
    _, _, folder = inventories
    assert ansible.load_inventory(folder)["lpc-a"]["staging_dir"].endswith("staging")
    (folder / "group_vars" / "lpc.yml").write_text("staging_dir: /var/tmp/elsewhere\n")
    assert ansible.load_inventory(folder)["lpc-a"]["staging_dir"] == "/var/tmp/elsewhere"


def test_an_inventory_ansible_cannot_read_is_one_line_naming_it(tmp_path):
    broken = tmp_path / "hosts.ini"
    broken.write_text("[lpc\nlpc-a\n")
    with pytest.raises(InputError, match=rf"^{broken}: Ansible cannot read this inventory: "):
        ansible.load_inventory(broken)
    with pytest.raises(InputError, match=rf"^{tmp_path / 'none'}: no inventory here$"):
        ansible.load_inventory(tmp_path / "none")
