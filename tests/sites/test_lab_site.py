"""The lab is a site like any other: its site file is rendered from its layout, and what the
engine, the checks and the releases see of the lab is the Site that file loads as."""

from __future__ import annotations

import yaml

from orchestrator.lab import LabLayout, site_document, site_text
from orchestrator.sites import default_lab_dir, default_site_path


def test_the_labs_site_is_rendered_from_its_layout_and_loads_as_a_site(tmp_path):
    layout = LabLayout(tmp_path / "lab")
    layout.root.mkdir()
    layout.site_file.write_text(site_text(layout, "r1"))
    assert yaml.safe_load(layout.site_file.read_text()) == site_document(layout, "r1")
    site = layout.site()
    root = layout.root.resolve()
    assert (site.name, site.release, site.journal) == ("lab", "r1", str(root / "journal.db"))
    assert site.inventory == root / "inventories" / "lab.yml" == layout.inventory.resolve()
    assert site.stack_dir("alpha") == layout.work_dir.resolve() / "alpha"
    assert site.platform is not None and site.platform[1] == layout.platform_dir.resolve()
    env = site.terraform_env()
    assert (env.cli_config, env.home) == (layout.cli_config.resolve(), layout.terraform_home.resolve())
    assert site.terraform_variables("alpha") == {"fault_file": f"{root}/faults/alpha.provision"}
    assert site.backups.marker.format(site_dir=root, service="alpha", host="legacy-alpha") == \
        str(layout.host_root("legacy-alpha").resolve() / "var/backups/logius-migrate/alpha.stamp")


def test_the_default_site_is_the_labs_decided_in_sites(tmp_path, monkeypatch):
    monkeypatch.delenv("LOGIUS_MIGRATE_SITE", raising=False)
    monkeypatch.setenv("LOGIUS_MIGRATE_LAB", str(tmp_path / "elsewhere"))
    assert default_lab_dir() == tmp_path / "elsewhere"
    assert default_site_path() == tmp_path / "elsewhere" / "site.yml"
    assert default_site_path(tmp_path / "given") == tmp_path / "given" / "site.yml"
