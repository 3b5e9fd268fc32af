"""Site files: validated like the catalog (every problem, one line naming the file, the item and the
field), with secrets read from where the site says and never written in it."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

from orchestrator.errors import CatalogError, InputError
from orchestrator.sites import load_site


def site(tmp_path, **overrides):
    document = {"name": "prod", "inventory": "inventory/",
                "terraform": {"work_dir": "stacks", "modules": {"rehost": "modules/lpc"}}}
    document.update(overrides)
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def problems(path) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load_site(path)
    return caught.value.problems


def test_a_minimal_site_resolves_paths_against_its_file(tmp_path):
    loaded = load_site(site(tmp_path, journal="state/journal.db"))
    assert loaded.inventory == tmp_path / "inventory"
    assert loaded.stack_dir("digid") == tmp_path / "stacks" / "digid"
    assert loaded.module_for("rehost") == tmp_path / "modules" / "lpc"
    assert loaded.journal == str(tmp_path / "state" / "journal.db")
    assert loaded.backend == "local" and loaded.secrets() == {}
    with pytest.raises(InputError, match="terraform.modules: no module for disposition 'rebuild'"):
        loaded.module_for("rebuild")


def test_every_problem_names_the_file_the_item_and_the_field(tmp_path):
    path = site(tmp_path, inventori="typo", terraform={
        "work_dir": "", "modules": {"rehost": "m", "lift": "m"}, "backend": {"type": "S3!"}})
    found = problems(path)
    assert f"{path}: site: field 'inventori': Extra inputs are not permitted" in found
    assert f"{path}: site: field 'terraform.work_dir': String should have at least 1 character (got '')" \
        in found
    assert any(p.startswith(f"{path}: site: field 'terraform.modules.lift") for p in found)
    assert any(p.startswith(f"{path}: site: field 'terraform.backend.block.type': String should match")
               for p in found)
    assert len(found) == 4


def test_a_secret_value_or_a_password_never_stands_in_a_site_file(tmp_path):
    found = problems(site(tmp_path, secrets=[{"file": "s.json"}, {"value": "hunter2"}],
                          journal="postgresql://ops:hunter2@db/journal"))
    path = tmp_path / "site.yml"
    assert found == [
        f"{path}: site: field 'secrets[1]': a secret source is one of {{file: PATH}}, {{env: {{service, "
        f"name, variable}}}} or {{command: [ARGV]}}; a site file never holds a value",
        f"{path}: site: field 'journal': a URL in a site file carries no password; give it in PGPASSWORD "
        f"or ~/.pgpass"]
    assert not any("hunter2" in p for p in found), "the value is never echoed"


def test_malformed_yaml_names_the_line(tmp_path):
    path = tmp_path / "site.yml"
    path.write_text("name: prod\ninventory: [unclosed\n")
    assert problems(path) == [f"{path} (line 3): not valid YAML"]


def test_secrets_come_from_files_environment_and_commands(tmp_path, monkeypatch):
    store = tmp_path / "secrets.json"
    store.write_text(json.dumps({"digid": {"db_password": "from-file", "api_key": "k1"}}))
    store.chmod(0o600)
    monkeypatch.setenv("DIGID_DB_PASSWORD", "from-env")
    vault = [sys.executable, "-c", "import json; print(json.dumps({'fbs': {'db_password': 'from-vault'}}))"]
    loaded = load_site(site(tmp_path, secrets=[
        {"file": "secrets.json"},
        {"env": {"service": "digid", "name": "db_password", "variable": "DIGID_DB_PASSWORD"}},
        {"command": vault}]))
    assert loaded.secrets() == {"digid": {"db_password": "from-env", "api_key": "k1"},
                                "fbs": {"db_password": "from-vault"}}


@pytest.mark.parametrize("source, message", [
    ({"file": "open.json"}, "readable by others (mode 0644); chmod 600 it"),
    ({"env": {"service": "a", "name": "b", "variable": "NOT_SET_ANYWHERE"}},
     "environment variable NOT_SET_ANYWHERE is not set (or empty)"),
    ({"command": [sys.executable, "-c", "import sys; sys.exit(3)"]}, "failed with exit 3"),
    ({"command": [sys.executable, "-c", "print('no json')"]}, "did not print JSON"),
    ({"command": [sys.executable, "-c", "print('{\"a\": {\"b\": \"\"}}')"]},
     "service a, secret b: must be a non-empty string"),
])
def test_a_bad_secret_source_is_one_line_naming_it(source, message, tmp_path, monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    (tmp_path / "open.json").write_text("{}")
    (tmp_path / "open.json").chmod(0o644)
    loaded = load_site(site(tmp_path, secrets=[source]))
    with pytest.raises(InputError, match="secrets\\[0\\]") as caught:
        loaded.secrets()
    assert message in str(caught.value) and str(tmp_path / "site.yml") in str(caught.value)


def test_the_cli_reports_a_bad_site_file_in_one_line_per_problem(tmp_path, run_cli):
    path = site(tmp_path, inventori="typo")
    result = run_cli("wave", "status", "1", "--site", str(path))
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first == f"error: {path}: site: field 'inventori': Extra inputs are not permitted"
