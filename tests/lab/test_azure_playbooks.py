"""The Azure test track's playbooks through the project's Ansible adapter, on an inventory of the
shape the track writes (group azure_test, local-connection hosts in folders): deploy-rebuild.yml
puts the build, its configuration and the synthetic data set on every VM and changes nothing in
check mode; acceptance-tests.yml passes on what it deployed, writes a JUnit report with a
testcase per test per host, and, after a VM is tampered with, fails, the report naming the
failed test."""

from __future__ import annotations

import hashlib
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.resources import resource
from orchestrator.steps import ansible

BUILD = "digipoort-rebuild-2023.4"
DATA_SET = resource("playbooks") / "files" / "synthetic-data" / "digipoort"
HOSTS = ("digipoort-azure-test-vm-0", "digipoort-azure-test-vm-1")
TESTS = ("build", "platform", "synthetic-data", "data-manifest", "no-other-site-hosts")


@pytest.fixture
def track(tmp_path: Path) -> dict[str, Any]:
    """An inventory as the track writes it after az-provision, its VMs folders below tmp_path."""
    roots = {host: tmp_path / "hosts" / host for host in HOSTS}
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "track_build": BUILD, "synthetic_data": str(DATA_SET),
                 "junit_path": str(tmp_path / "reports" / "junit.xml"),
                 "staging_dir": str(tmp_path / "staging")},
        "children": {"azure_test": {"hosts": {
            host: {"host_root": str(roots[host]), "service": "digipoort", "ansible_host": f"10.42.1.{4 + i}"}
            for i, host in enumerate(HOSTS)}}}}}))
    return {"inventory": inventory, "roots": roots, "junit": tmp_path / "reports" / "junit.xml",
            "tree": lambda: tree(tmp_path)}


def tree(folder: Path) -> dict[str, Any]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else "dir"
            for p in sorted(folder.rglob("*")) if p.name != "inventory.yml"}


def run(track: dict[str, Any], playbook: str, check: bool = False,
        hosts: tuple[str, ...] = HOSTS) -> ansible.PlaybookResult:
    return ansible.run_playbook(ansible.PlaybookRequest(playbook, track["inventory"], hosts, check=check))


def junit(path: Path) -> dict[tuple[str, str], str | None]:
    """(host, test) -> the failure's message, or None for a pass."""
    root = ET.parse(path).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["azure-test acceptance"]
    cases = {(c.get("classname", ""), c.get("name", "")): c for c in suites[0].findall("testcase")}
    failures = {key: case.find("failure") for key, case in cases.items()}
    assert suites[0].get("tests") == root.get("tests") == str(len(cases))
    failed = sum(f is not None for f in failures.values())
    assert suites[0].get("failures") == root.get("failures") == str(failed)
    return {key: None if failure is None else failure.get("message") for key, failure in failures.items()}


# One playbook run takes 10-20 s here (every copy is a stat and a copy module, each about a second
# of CPU); a test of more than one is marked slow.
def test_deploy_in_check_mode_changes_nothing(track):
    before = track["tree"]()
    rehearsed = run(track, "deploy-rebuild.yml", check=True, hosts=HOSTS[:1])
    assert rehearsed.succeeded, rehearsed.summary()
    assert rehearsed.hosts[HOSTS[0]].changed == 5, "every task but the first would change the VM"
    assert track["tree"]() == before


def test_acceptance_in_check_mode_writes_no_report_and_reports_without_failing(track):
    before = track["tree"]()
    checked = run(track, "acceptance-tests.yml", check=True, hosts=HOSTS[:1])
    assert checked.succeeded, "in check mode (before the deploy) a failure is reported, not raised"
    assert track["tree"]() == before and not track["junit"].exists()


@pytest.mark.slow  # three playbook runs on two VMs: 40-70 s
def test_deploy_then_acceptance_passes_and_a_tampered_build_fails_named(track):
    deployed = run(track, "deploy-rebuild.yml")
    assert deployed.succeeded, deployed.summary()
    manifest = dict(line.split()[::-1] for line in (DATA_SET / "MANIFEST").read_text().splitlines())
    for root in track["roots"].values():
        assert (root / "srv/digipoort/VERSION").read_text() == f"{BUILD}\n"
        assert (root / "etc/digipoort/app.conf").read_text() == (
            f"service = digipoort\nplatform = azure-test\nbuild = {BUILD}\ndata = synthetic\n")
        data = root / "var/lib/digipoort/data"
        assert sorted(p.name for p in data.iterdir()) == sorted([*manifest, "MANIFEST"])
        assert {n: hashlib.sha256((data / n).read_bytes()).hexdigest() for n in manifest} == manifest
        assert (root / "var/lib/logius-migrate/ledger/digipoort").read_text() == "az-deploy\n"

    passed = run(track, "acceptance-tests.yml")
    assert passed.succeeded, passed.summary()
    assert junit(track["junit"]) == {(host, test): None for host in HOSTS for test in TESTS}
    assert all(o.changed == 0 for h, o in passed.hosts.items() if h != HOSTS[0]), "read-only on the VMs"

    (track["roots"][HOSTS[1]] / "srv/digipoort/VERSION").write_text("digipoort-rebuild-2023.3\n")
    failed = run(track, "acceptance-tests.yml")
    assert not failed.succeeded
    assert failed.failed_hosts == {HOSTS[1]: f"acceptance failed on {HOSTS[1]}: build: digipoort runs "
                                             f"digipoort-rebuild-2023.3, not {BUILD}"}
    outcomes = junit(track["junit"])
    assert {key: message for key, message in outcomes.items() if message} == {
        (HOSTS[1], "build"): f"digipoort runs digipoort-rebuild-2023.3, not {BUILD}"}
    assert len(outcomes) == len(HOSTS) * len(TESTS)


@pytest.mark.slow  # two playbook runs: 25-35 s
def test_acceptance_names_other_site_hosts_and_data_that_is_not_the_data_set(track):
    one = HOSTS[:1]
    deployed = run(track, "deploy-rebuild.yml", hosts=one)
    assert deployed.succeeded, deployed.summary()
    root = track["roots"][HOSTS[0]]
    with (root / "etc/digipoort/app.conf").open("a") as config:
        config.write("peer = legacy-digipoort-gw\n")
    (root / "var/lib/digipoort/data/messages.csv").write_text("message_id\nreal-looking@example.nl\n")
    (root / "var/lib/digipoort/data/export.csv").write_text("from production\n")
    failed = run(track, "acceptance-tests.yml", hosts=one)
    assert set(failed.failed_hosts) == {HOSTS[0]}
    outcomes = {key: message for key, message in junit(track["junit"]).items() if message}
    assert outcomes == {
        (HOSTS[0], "data-manifest"): "3 data file(s), the manifest lists 2; not in the manifest: export.csv; "
                                     "sha256 differs: messages.csv",
        (HOSTS[0], "no-other-site-hosts"): "a legacy or LPC host name in etc/digipoort: app.conf"}
