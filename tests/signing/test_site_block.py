"""The site file's signing block: its paths resolved against the file into the site's signing
policy, its mistakes named by file and field, and `site check` reading its allowed signers."""

from __future__ import annotations

import json

import pytest
import yaml

from orchestrator.errors import CatalogError
from orchestrator.signing import SigningPolicy
from orchestrator.sites import load_site
from tests.signing.conftest import allowed_signers


def site(tmp_path, **overrides):
    document = {"name": "prod", "inventory": "inventory/",
                "terraform": {"work_dir": "stacks", "modules": {"rehost": "modules/lpc"}}, **overrides}
    path = tmp_path / "site.yml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_signing_block_becomes_the_sites_policy_with_paths_beside_the_site_file(tmp_path):
    loaded = load_site(site(tmp_path, signing={
        "allowed_signers": "trust/allowed_signers", "revoked": "trust/revoked_keys",
        "require_signatures": True, "roles": {"approve-plan": ["ann", "bob"], "accept-release": ["bob"]},
        "keys": "keys"}))
    assert loaded.signing == SigningPolicy(
        allowed_signers=tmp_path / "trust" / "allowed_signers", revoked=tmp_path / "trust" / "revoked_keys",
        require=True, roles={"approve-plan": ("ann", "bob"), "accept-release": ("bob",)},
        keys=tmp_path / "keys")
    assert loaded.signing.enabled()


def test_a_site_without_the_block_signs_nothing_and_requires_nothing(tmp_path):
    loaded = load_site(site(tmp_path))
    assert loaded.signing == SigningPolicy() and not loaded.signing.enabled()
    assert not loaded.signing.require


@pytest.mark.parametrize("block, field, message", [
    ({"require_signatures": True}, "signing.allowed_signers", "Field required"),
    ({"allowed_signers": ""}, "signing.allowed_signers", "String should have at least 1 character"),
    ({"allowed_signers": "a", "roles": {"approve": ["ann"]}}, "signing.roles",
     "approve: not a role (the roles: approve-plan, approve-dry-run, approve-cutover, accept-release, "
     "waive-blocker, resolve-blocker, override, force-rollback)"),
    ({"allowed_signers": "a", "roles": {"override": ["ann smith"]}}, "signing.roles",
     "override: 'ann smith' is not a principal"),
    ({"allowed_signers": "a", "require": True}, "signing.require", "Extra inputs are not permitted"),
    ({"allowed_signers": "a", "require_signatures": "maybe"}, "signing.require_signatures",
     "Input should be a valid boolean"),
])
def test_a_mistake_in_the_block_is_named_by_file_and_field(tmp_path, block, field, message):
    path = site(tmp_path, signing=block)
    with pytest.raises(CatalogError) as caught:
        load_site(path)
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(f"{path}: site: field '{field}': {message}")


def test_site_check_reads_the_allowed_signers(tmp_path, keys, run_cli):
    from tests.sites.test_site_check import real_site

    path = real_site(tmp_path, run_cli)
    document = yaml.safe_load(path.read_text())
    allowed_signers(tmp_path, keys)
    document["signing"] = {"allowed_signers": "allowed_signers", "require_signatures": True,
                           "revoked": "revoked_keys"}
    path.write_text(yaml.safe_dump(document))
    result = run_cli("site", "check", "--site", str(path), "--format", "json")
    checks = {c["item"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["signing.allowed_signers"]["detail"] == "2 key(s) of ann, bob; signatures required"
    assert not checks["signing.revoked"]["ok"] and result.exit_code != 0
    (tmp_path / "allowed_signers").write_text("ann valid-before=2026 ssh-ed25519 AAAA\n")
    result = run_cli("site", "check", "--site", str(path), "--format", "json")
    checks = {c["item"]: c for c in json.loads(result.stdout)["checks"]}
    assert checks["signing.allowed_signers"]["detail"] == (
        f"{tmp_path / 'allowed_signers'}:1: option valid-before: its value is given in double quotes "
        f'(valid-before="...")')
