"""`site check`: everything a site names is there and answers, or one FAIL line says what is not."""

from __future__ import annotations

import json

import yaml

KUBECONFIG = {"apiVersion": "v1", "kind": "Config",
              "clusters": [{"name": "lpc", "cluster": {"server": "https://127.0.0.1:6443"}}],
              "users": [{"name": "ops", "user": {"token": "not-a-real-token"}}],
              "contexts": [{"name": "lpc-prod", "context": {"cluster": "lpc", "user": "ops"}}],
              "current-context": "lpc-prod"}


INVENTORY = ("all: {children: {legacy: {hosts: {legacy-digid: {}}}, lpc: {hosts: {lpc-digid-1: {}, "
             "lpc-digid-2: {}}}, gateway: {hosts: {gateway: {}}}}}\n")


def real_site(tmp_path, run_cli, context="lpc-prod"):
    (tmp_path / "inventory.yml").write_text(INVENTORY)
    (tmp_path / "modules" / "lpc").mkdir(parents=True)
    (tmp_path / "kube").write_text(yaml.safe_dump(KUBECONFIG))
    (tmp_path / "secrets.json").write_text(json.dumps({"digid": {"db_password": "pw-1"}}))
    (tmp_path / "secrets.json").chmod(0o600)
    assert run_cli("journal", "init", "--db", str(tmp_path / "journal.db")).exit_code == 0
    site = {"name": "prod", "inventory": "inventory.yml", "journal": "journal.db",
            "terraform": {"work_dir": "stacks", "modules": {"rehost": "modules/lpc"}},
            "secrets": [{"file": "secrets.json"}], "kubernetes": {"kubeconfig": "kube", "context": context}}
    (tmp_path / "site.yml").write_text(yaml.safe_dump(site))
    return tmp_path / "site.yml"


def test_a_complete_site_checks_out(tmp_path, run_cli):
    path = real_site(tmp_path, run_cli)
    result = run_cli("site", "check", "--site", str(path), "--format", "json")
    document = json.loads(result.stdout)
    assert result.exit_code == 0 and document["ok"], document
    details = {c["item"]: c["detail"] for c in document["checks"]}
    assert details["secrets"] == "1 secret(s) for 1 service(s)"
    assert details["inventory"] == f"{tmp_path / 'inventory.yml'}: 1 legacy, 2 lpc, 1 gateway host(s)"
    assert details["kubernetes"] == "context lpc-prod"
    assert "pw-1" not in result.stdout


def test_an_inventory_without_hosts_fails(tmp_path, run_cli):
    path = real_site(tmp_path, run_cli)
    (tmp_path / "inventory.yml").write_text("all: {children: {legacy: {}, lpc: {}, gateway: {}}}\n")
    result = run_cli("site", "check", "--site", str(path))
    assert result.exit_code == 2
    assert [line for line in result.stdout.splitlines() if line.startswith("FAIL")] == [
        f"FAIL inventory                    {tmp_path / 'inventory.yml'}: the inventory has no hosts "
        "(0 legacy, 0 lpc, 0 gateway host(s)); a wave needs its services' hosts in the groups legacy, "
        "lpc, gateway"]


def test_a_missing_context_and_module_fail_in_one_line_each(tmp_path, run_cli):
    path = real_site(tmp_path, run_cli, context="lpc-acc")
    (tmp_path / "modules" / "lpc").rmdir()
    (tmp_path / "inventory.yml").write_text("[lpc\nlpc-1\n")
    result = run_cli("site", "check", "--site", str(path))
    assert result.exit_code == 2
    lines = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
    assert lines == [
        f"FAIL inventory                    {tmp_path / 'inventory.yml'}: Ansible cannot read this "
        "inventory: [ERROR]: No inventory was parsed, please check your configuration and options.",
        f"FAIL terraform.modules.rehost     {tmp_path / 'modules' / 'lpc'}: not found",
        f"FAIL kubernetes                   kubeconfig {tmp_path / 'kube'}: no context 'lpc-acc' "
        "(it has: lpc-prod)"]


def test_the_labs_own_site_checks_out(tmp_path, isolated_env, run_cli):
    from tests.engine.conftest import make_lab, small_catalog

    layout = make_lab(tmp_path / "lab", small_catalog(tmp_path / "catalog"))
    result = run_cli("site", "check", "--lab", str(layout.root))
    assert result.exit_code == 0, result.stdout
    assert "ok   secrets                      3 secret(s) for 3 service(s)" in result.stdout
    assert f"ok   inventory                    {layout.inventory}: 3 legacy, 2 lpc, 1 gateway host(s)" \
        in result.stdout
