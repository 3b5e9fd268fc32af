"""The lab's example people sign: `lab up` makes ann's and bob's keys, the allowed signers file and
the site's signing block once (a second `lab up` keeps them), `lab up --unsigned` none of them, and
no key of theirs can end up in git."""

from __future__ import annotations

import json
import stat
import subprocess

import yaml

from orchestrator.catalog.loader import load_catalog
from orchestrator.lab import LabLayout, lab_up
from orchestrator.signing import ROLES, Signer, sign, signer_for, verify
from orchestrator.signing.statements import statement
from tests.conftest import PROJECT
from tests.engine.conftest import small_catalog

FILES = [".gitignore", "ann", "ann.pub", "bob", "bob.pub"]


def test_lab_up_makes_keys_signers_and_a_block_that_requires_signatures_once(tmp_path, isolated_env, run_cli):
    catalog = small_catalog(tmp_path / "catalog")
    layout = LabLayout(tmp_path / "lab")
    report = lab_up(load_catalog(catalog), layout)
    assert {"keys", "allowed_signers"} <= set(report.created)
    assert sorted(p.name for p in layout.keys.iterdir()) == FILES
    assert stat.S_IMODE(layout.keys.stat().st_mode) == 0o700
    assert stat.S_IMODE((layout.keys / "ann").stat().st_mode) == 0o600
    lines = [line for line in layout.allowed_signers.read_text().splitlines() if not line.startswith("#")]
    assert [line.split()[:2] for line in lines] == [
        ["ann", 'namespaces="logius-migrate,logius-migrate-checkpoint"'],
        ["bob", 'namespaces="logius-migrate,logius-migrate-checkpoint"']]
    block = yaml.safe_load(layout.site_file.read_text())["signing"]
    assert block == {"allowed_signers": "allowed_signers", "require_signatures": True,
                     "roles": {role: ["ann", "bob"] for role in ROLES}, "keys": "keys"}
    policy = layout.site().signing
    assert policy.require and policy.keys == layout.keys.resolve()
    signer = signer_for(policy, None, "bob")
    assert signer == Signer(layout.keys.resolve() / "bob")
    text = statement("plan-approval", "plan 1", "bob", 1764700000.0, "the demo", {"plan": "0" * 64})
    assert verify(text, sign(text, signer), policy) == "bob"

    before = {name: (layout.keys / name).read_bytes() for name in FILES}
    again = run_cli("lab", "up", "--catalog", str(catalog), "--lab", str(layout.root), "--format", "json")
    assert again.exit_code == 0 and json.loads(again.stdout)["created"] == []
    assert {name: (layout.keys / name).read_bytes() for name in FILES} == before
    down = run_cli("lab", "down", "--lab", str(layout.root))
    assert down.exit_code == 0 and not layout.keys.exists() and not layout.allowed_signers.exists()


def test_lab_up_unsigned_writes_no_keys_and_no_signing_block(tmp_path, isolated_env, run_cli):
    catalog = small_catalog(tmp_path / "catalog")
    root = tmp_path / "lab"
    up = run_cli("lab", "up", "--unsigned", "--catalog", str(catalog), "--lab", str(root))
    assert up.exit_code == 0, up.output
    assert not (root / "keys").exists() and not (root / "allowed_signers").exists()
    assert "signing" not in yaml.safe_load((root / "site.yml").read_text())
    assert not LabLayout(root).site().signing.enabled()


def test_the_labs_keys_are_ignored_by_git_wherever_the_lab_is(tmp_path):
    for path in (".lab/keys/ann", ".lab/keys/bob.pub", ".lab/allowed_signers"):
        assert subprocess.run(["git", "check-ignore", "-q", path], cwd=PROJECT).returncode == 0, path
    from orchestrator.lab.signers import write_keys

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_keys(tmp_path / "lab" / "keys")
    untracked = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                               capture_output=True, text=True, check=True).stdout
    assert untracked == ""
