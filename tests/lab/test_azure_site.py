"""The lab's Azure test track: `lab up` writes a site of kind azure-test beside its own (the
lab's journal, mirror and folders; the stand-in module), `lab down` removes it; the stand-in
applies and destroys offline, and the lab's fault file makes its destroy fail, naming itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orchestrator.catalog import load_catalog
from orchestrator.errors import StepFailed
from orchestrator.lab import LabLayout, lab_down, lab_up
from orchestrator.lab.layout import lab_azure_module
from orchestrator.resources import resource
from orchestrator.sites import load_site
from orchestrator.steps.terraform import TerraformEnv, TerraformStack, build_mirror, write_cli_config
from tests.engine.conftest import one_service_catalog


def test_lab_up_writes_a_loadable_azure_test_site_and_lab_down_removes_it(tmp_path, isolated_env):
    layout = LabLayout(tmp_path / "lab")
    report = lab_up(load_catalog(one_service_catalog(tmp_path / "catalog")), layout)
    assert {"azure-test.yml", "azure-test/work", "azure-test/hosts"} <= set(report.created)
    assert {"azure-test.yml", "azure-test/work"} <= set(json.loads(layout.manifest.read_text()))

    site = load_site(layout.azure_site_file)
    assert site == layout.azure_site()
    assert (site.kind, site.name, site.azure is not None) == ("azure-test", "lab-azure-test", True)
    lab = layout.site()
    assert site.journal == lab.journal == str(layout.journal.resolve())
    assert (site.cli_config, site.terraform_home) == (lab.cli_config, lab.terraform_home)
    assert site.work_dir == layout.azure_work_dir.resolve() and site.work_dir.is_dir()
    assert site.backend == "local" and site.modules == {"rebuild": lab_azure_module().resolve()}
    assert site.inventory == site.work_dir / "inventory.yml", "none given: the track writes one"
    azure = site.azure
    assert azure is not None
    assert (azure.region, azure.allowed_regions, azure.allowed_ranges) == (
        "westeurope", ["westeurope", "northeurope"], ["198.51.100.0/24"])
    assert (azure.max_expiry_days, azure.lifetime_days, azure.budget_amount) == (30, 14, 500)
    assert azure.owner == "digipoort-rebuild@logius.example"
    assert azure.budget_contacts == ["digipoort-rebuild@logius.example"]
    assert azure.synthetic_data == (resource("playbooks") / "files" / "synthetic-data").resolve()
    assert (azure.synthetic_data / "digipoort" / "MANIFEST").is_file()
    assert azure.guardrail_plan == "module"
    assert azure.guardrail_module == (resource("terraform") / "modules" / "azure-test-environment").resolve()
    assert azure.connection == "local" and azure.variables == {
        "admin_ssh_public_key": "ssh-ed25519 AAAA...lab lab", "vm_count": 1}
    assert (site.before_phase, site.after_phase, site.pause) == (
        lab.before_phase, lab.after_phase, lab.pause), "the lab's drills, as on its own site"
    assert azure.host_root(site.directory, "digipoort-azure-test-vm-0") == str(
        layout.azure_hosts.resolve() / "digipoort-azure-test-vm-0")

    again = lab_up(load_catalog(one_service_catalog(tmp_path / "catalog")), layout)
    assert "azure-test.yml" in again.kept and again.created == []

    down = lab_down(layout)
    assert {"azure-test.yml", "azure-test/work"} <= set(down.removed)
    assert not layout.azure_site_file.exists() and not (layout.root / "azure-test").exists()
    assert not layout.root.exists()


def standin_variables(service: str = "digipoort") -> dict[str, Any]:
    return {"service": service, "allowed_source_ranges": ["198.51.100.0/24"], "budget_amount": 500,
            "budget_start": "2026-12-01T00:00:00Z", "budget_contacts": ["digipoort-rebuild@logius.example"],
            "owner": "digipoort-rebuild@logius.example", "expires_on": "2026-12-15",
            "admin_ssh_public_key": "ssh-ed25519 AAAA...lab lab"}


@pytest.fixture
def standin(tmp_path, isolated_env) -> tuple[Path, TerraformStack]:
    """A stack of the stand-in where the lab's azure-test site keeps it (its fault file three
    levels up), on a provider mirror of its own as `lab up` builds one."""
    lab = tmp_path / "lab"
    build_mirror(lab / "terraform" / "mirror")
    write_cli_config(lab / "terraform" / "terraformrc", lab / "terraform" / "mirror")
    (lab / "terraform" / "home").mkdir()
    (lab / "faults").mkdir()
    stack = lab / "azure-test" / "work" / "digipoort"
    stack.mkdir(parents=True)
    names = list(standin_variables())
    (stack / "main.tf").write_text(
        "".join(f'variable "{n}" {{}}\n' for n in names)
        + f'module "environment" {{\n  source = "{lab_azure_module()}"\n'
        + "".join(f"  {n} = var.{n}\n" for n in names)
        + '}\n\noutput "host_addresses" {\n  value = module.environment.host_addresses\n}\n')
    tf = TerraformStack(stack, TerraformEnv(lab / "terraform" / "terraformrc", lab / "terraform" / "home"))
    tf.init()
    return lab, tf


def test_the_stand_in_applies_and_destroys_and_the_lab_fault_fails_its_destroy(standin, monkeypatch):
    lab, tf = standin
    errors: list[str] = []  # terraform's stderr of each call: the step's message has its first error only
    call = tf._tf.cmd

    def spy(*args: Any, **kwargs: Any) -> tuple[int, str, str]:
        rc, out, err = call(*args, **kwargs)
        errors.append(err or "")
        return rc, out, err

    monkeypatch.setattr(tf._tf, "cmd", spy)
    outputs = tf.apply(standin_variables())
    assert outputs["host_addresses"] == {"digipoort-azure-test-vm-0": "10.42.1.4",
                                         "digipoort-azure-test-vm-1": "10.42.1.5"}
    tf.destroy(standin_variables())
    assert tf.resources() == []

    tf.apply(standin_variables())
    fault = lab / "faults" / "digipoort.azure-destroy"
    fault.touch()
    with pytest.raises(StepFailed, match="terraform destroy in digipoort: rc 1: ") as failed:
        tf.destroy(standin_variables())
    assert "local-exec provisioner error" in str(failed.value)
    assert ("lab fault: ../../../faults/digipoort.azure-destroy makes the destroy of digipoort-azure-test "
            "fail") in " ".join(errors[-1].split())
    state = (tf.working_dir / "terraform.tfstate").read_text()
    assert tf.resources() == ["module.environment.null_resource.resource_group"], \
        "what is in the group goes first; the group is left"
    assert "../../../faults/digipoort.azure-destroy" in state

    fault.unlink()
    tf.destroy(standin_variables())
    assert tf.resources() == []
