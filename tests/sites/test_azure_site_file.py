"""A site of kind azure-test: its conditions required, the cloud's credentials refused in the file
(the field named, the value never echoed), and an azure block only on its own kind."""

from __future__ import annotations

import pytest
import yaml

from orchestrator.errors import CatalogError, InputError
from orchestrator.sites import load_site

CANARY = "canary-5ecret-in-the-file"


def azure_site(tmp_path, drop: tuple[str, ...] = (), **azure):
    conditions = {"region": "westeurope", "allowed_regions": ["westeurope"],
                  "allowed_ranges": ["198.51.100.0/24"], "owner": "team@example.org", "budget_amount": 100,
                  "budget_contacts": ["team@example.org"],
                  "synthetic_data": "data", **azure}
    for name in drop:
        conditions.pop(name)
    document = {"name": "azure", "kind": "azure-test",
                "terraform": {"work_dir": "work", "modules": {"rebuild": "module"}}, "azure": conditions}
    path = tmp_path / "azure-test.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def problems(path) -> list[str]:
    with pytest.raises(CatalogError) as raised:
        load_site(path)
    return raised.value.problems


def test_an_azure_test_site_loads_with_its_conditions_and_no_inventory_of_its_own(tmp_path):
    site = load_site(azure_site(tmp_path))
    assert site.kind == "azure-test" and site.track.allowed_regions == ["westeurope"]
    assert site.track.synthetic_data == tmp_path / "data"
    assert site.inventory == tmp_path / "work" / "inventory.yml", "the track writes its own"


@pytest.mark.parametrize("field", ["allowed_regions", "allowed_ranges", "region", "owner", "budget_contacts"])
def test_a_condition_left_out_is_named(field, tmp_path):
    [problem] = problems(azure_site(tmp_path, drop=(field,)))
    assert f"field 'azure.{field}'" in problem and "azure-test.yml" in problem


def test_an_empty_region_allow_list_is_refused(tmp_path):
    [problem] = problems(azure_site(tmp_path, allowed_regions=[]))
    assert "field 'azure.allowed_regions'" in problem


@pytest.mark.parametrize("field", ["client_secret", "subscription_id", "tenant_id", "client_id", "access_key",
                                   "sas_token", "password"])
def test_a_credential_in_the_file_is_refused_by_name_and_never_echoed(field, tmp_path):
    [problem] = problems(azure_site(tmp_path, **{field: CANARY}))
    assert f"field 'azure.{field}'" in problem and "never goes in a site file" in problem
    assert CANARY not in problem


def test_a_credential_among_the_module_variables_or_the_backend_config_is_refused(tmp_path):
    [problem] = problems(azure_site(tmp_path, variables={"client_secret": CANARY}))
    assert "azure.variables" in problem and CANARY not in problem
    path = azure_site(tmp_path)
    document = yaml.safe_load(path.read_text())
    document["terraform"]["backend"] = {"type": "azurerm", "config": {"access_key": CANARY}}
    path.write_text(yaml.safe_dump(document))
    [problem] = problems(path)
    assert "terraform.backend" in problem and "access_key" in problem and CANARY not in problem


def test_an_azure_block_belongs_to_its_kind_and_the_track_refuses_another_site(tmp_path):
    path = azure_site(tmp_path)
    document = yaml.safe_load(path.read_text())
    document.update(kind="lpc", inventory="inventory.yml")
    path.write_text(yaml.safe_dump(document))
    assert "belongs to a site of kind azure-test" in problems(path)[0]
    del document["azure"]
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InputError, match="is of kind lpc, not azure-test"):
        load_site(path).track  # noqa: B018 - what the track asks of its site
