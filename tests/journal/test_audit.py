"""Checkpoints and the audit bundle: a signed checkpoint verified with ssh-keygen, the bundle checked
in a fresh folder by the system's Python with an empty environment, and a tampered bundle refused."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestrator.journal import Journal, chain, checkpoints, resolve_url
from orchestrator.journal.audit import export
from orchestrator.signing import Signer, SigningPolicy
from tests.journal.test_chain import new_journal, tamper, use

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture
def ann(tmp_path) -> tuple[Path, SigningPolicy]:
    """ann's ed25519 key and a policy whose allowed signers hold it for checkpoints and decisions."""
    keys = tmp_path / "keys"
    keys.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ann", "-f", str(keys / "ann")],
                   check=True)
    public = (keys / "ann.pub").read_text().split()
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'ann namespaces="logius-migrate,logius-migrate-checkpoint" {public[0]} {public[1]}\n')
    return keys / "ann", SigningPolicy(allowed_signers=allowed)


@pytest.fixture
def journal_path(tmp_path) -> Path:
    path = tmp_path / "journal.db"
    with new_journal(path) as journal:
        use(journal)
    return path


def offline(bundle: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The bundle copied to a fresh folder and checked there as the README says: the system's
    Python, isolated (-I), with nothing in its environment but PATH."""
    fresh = tmp_path / "auditor" / bundle.name
    shutil.copytree(bundle, fresh)
    return subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", SYSTEM_PYTHON, "-I", "verify.py"], cwd=fresh,
                          capture_output=True, text=True)


def test_a_signed_checkpoint_names_its_signer_and_verifies(journal_path, ann):
    key, policy = ann
    with Journal(resolve_url(journal_path, None)) as journal:
        point = checkpoints.write(journal, "lab", Signer(key), policy, wave=1)
        lines = point.note.split("\n")
        assert lines[0] == "logius-migrate/lab" and lines[1] == str(point.size) and lines[3] == ""
        assert lines[4].startswith("\u2014 ann ") and point.principal == "ann"
        assert point.body == "\n".join(lines[:3]) + "\n"
        assert checkpoints.signature_findings(journal, policy) == []
        assert chain.verify(journal).intact
    tamper(journal_path, "UPDATE checkpoints SET note = replace(note, 'logius-migrate/lab', "
                         "'logius-migrate/other')")
    with Journal(resolve_url(journal_path, None)) as journal:
        found = checkpoints.signature_findings(journal, policy)
    assert [f.problem.split(":")[0] for f in found] == ["checkpoint 1"]
    assert "does not verify" in found[0].problem


@pytest.mark.skipif(not Path(SYSTEM_PYTHON).exists(), reason="no system Python")
def test_the_bundle_is_verified_offline_and_a_tampered_one_refused(journal_path, ann, tmp_path):
    key, policy = ann
    bundle = tmp_path / "bundle"
    with Journal(resolve_url(journal_path, None)) as journal:
        checkpoints.write(journal, "lab", Signer(key), policy)
        journal.log(None, "after", "written after the checkpoint")
        manifest = export(journal, bundle, "lab", policy)
    assert sorted(p.name for p in bundle.iterdir()) == sorted(
        ["README.md", "allowed_signers", "checkpoints.json", "decisions.json", "manifest.json",
         "records.jsonl", "verify.py"])
    done = offline(bundle, tmp_path / "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"1 checkpoint\(s\) \(1 signed\), \d+ decision\(s\): intact$", done.stdout.strip())
    assert f"{manifest['records']} records" in done.stdout

    lines = (bundle / "records.jsonl").read_text().splitlines()
    edited = [json.loads(line) for line in lines]
    plan = next(r for r in reversed(edited) if r["tbl"] == "plans" and "row" in r)
    plan["row"]["approved_by"] = "ann"
    (bundle / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in edited))
    refused = offline(bundle, tmp_path / "2")
    assert refused.returncode == 1
    assert f"NOT VERIFIED: record {plan['seq']}: the row plans 1 differs from its digest" in refused.stdout

    (bundle / "records.jsonl").write_text("".join(line + "\n" for line in lines[:-3]))  # the tail cut
    manifest_file = bundle / "manifest.json"
    cut = json.loads(manifest_file.read_text())
    cut.update(records=len(lines) - 3, head=json.loads(lines[-4])["hash"])
    manifest_file.write_text(json.dumps(cut))
    truncated = offline(bundle, tmp_path / "3")
    assert truncated.returncode == 1 and "record(s) were removed" in truncated.stdout, truncated.stdout

    (bundle / "records.jsonl").write_text("".join(line + "\n" for line in lines))
    manifest_file.write_text(json.dumps(manifest))
    points = json.loads((bundle / "checkpoints.json").read_text())
    points[0]["principal"] = "bob"
    (bundle / "checkpoints.json").write_text(json.dumps(points))
    forged = offline(bundle, tmp_path / "4")
    assert forged.returncode == 1 and "the signature of bob does not verify" in forged.stdout


def test_journal_checkpoint_and_export_from_the_command_line(journal_path, ann, run_cli, tmp_path):
    key, _policy = ann
    db = ["--db", str(journal_path)]
    unsigned = run_cli("journal", "checkpoint", *db)
    assert unsigned.exit_code == 0 and unsigned.stdout.startswith("logius-migrate/journal\n")
    assert "(unsigned" in unsigned.stdout
    signed = run_cli("journal", "checkpoint", "--sign-with", str(key), *db, "--format", "json")
    assert signed.exit_code == 0, signed.stderr
    assert json.loads(signed.stdout)["signed"] is True
    verified = run_cli("journal", "verify", *db)
    assert verified.exit_code == 0 and "2 checkpoint(s) agree" in verified.stdout, verified.stdout
    exported = run_cli("journal", "export", "--audit", str(tmp_path / "b"), *db)
    assert exported.exit_code == 0 and (tmp_path / "b" / "verify.py").is_file()
    again = run_cli("journal", "export", "--audit", str(tmp_path / "b"), *db)
    assert again.exit_code == 2 and "not an empty folder" in again.stderr
