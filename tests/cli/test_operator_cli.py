"""What operators expect of a mature command line: versions, verbosity through logging (Ansible's
following), a rotated log file under XDG_CACHE_HOME, a Terraform version check, completion."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from orchestrator.cli import logs
from tests.conftest import PROJECT


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestrator", *args], cwd=PROJECT, capture_output=True,
                          text=True, env={**os.environ, **(env or {})}, timeout=120)


def test_version_names_the_tool_ansible_and_terraform():
    lines = cli("--version").stdout.splitlines()
    assert lines[0].startswith("logius-migrate ")
    assert lines[1].startswith("ansible-core 2.") and "ansible-runner 2." in lines[1]
    assert lines[2] == "terraform 1.0.3 (supported: 1.0.x)"


def test_an_unsupported_terraform_is_refused_clearly(monkeypatch):
    from orchestrator.errors import LogiusMigrateError
    from orchestrator.steps import terraform

    monkeypatch.setattr(terraform, "SUPPORTED_VERSIONS", ("1.5.",))
    message = r"Terraform 1\.0\.3 at .*terraform is not supported; this tool supports Terraform 1\.5\.x"
    with pytest.raises(LogiusMigrateError, match=message):
        terraform.check_version()


def test_verbosity_sets_the_stderr_level_and_the_log_file_rotates_under_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("LOGIUS_MIGRATE_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    levels = {}
    for verbosity in (-1, 0, 1, 2):
        logs.configure(verbosity)
        handlers = logging.getLogger(logs.LOGGER).handlers
        levels[verbosity] = handlers[0].level
    assert levels == {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}
    rotating = handlers[1]
    assert rotating.baseFilename == str(tmp_path / "cache" / "logius-migrate" / "logius-migrate.log")
    assert (rotating.maxBytes, rotating.backupCount) == (1_000_000, 5)
    logs.redact_with(lambda text: text.replace("s3cret", "***"))
    logging.getLogger("logius_migrate.journal").info("password is %s", "s3cret")
    rotating.flush()
    assert "password is ***" in (tmp_path / "cache" / "logius-migrate" / "logius-migrate.log").read_text()
    logs.redact_with(None)  # type: ignore[arg-type]
    logs.configure(0)


def test_ansibles_output_follows_verbosity(tmp_path, isolated_env, caplog):
    from orchestrator.steps import ansible
    from tests.engine.conftest import make_lab, one_service_catalog

    layout = make_lab(tmp_path / "lab", one_service_catalog(tmp_path / "catalog"))
    texts = {}
    for verbosity in (0, 2):
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="logius_migrate.ansible"):
            ansible.run_playbook(ansible.PlaybookRequest("freeze.yml", layout.inventory, ["legacy-alpha"],
                                                         {"step_name": "freeze"}, check=True,
                                                         verbosity=verbosity))
        texts[verbosity] = "\n".join(r.getMessage() for r in caplog.records
                                      if r.name == "logius_migrate.ansible")
    assert "TASK [Put the legacy application in read-only mode]" in texts[0]
    assert "=> {" not in texts[0] and "=> {" in texts[2], "-vv runs Ansible at -v: results in full"


def test_quiet_leaves_only_errors(tmp_path):
    result = cli("-q", "catalog", "validate")
    assert result.returncode == 0 and result.stderr == ""


@pytest.mark.parametrize("words, expected", [
    ("logius-migrate rollback digi", {"digid", "digid-machtigen", "digiinkoop", "digilevering", "digimelding",
                                      "diginetwerk", "digipoort"}),
    ("logius-migrate runbook show fb", {"fbs"}),
])
def test_completion_offers_service_ids(words, expected):
    result = cli(env={"_LOGIUS_MIGRATE_COMPLETE": "bash_complete", "COMP_WORDS": words + "",
                      "COMP_CWORD": str(len(words.split()) - 1)})
    assert {line.split(",", 1)[1] for line in result.stdout.splitlines()} == expected


def approved_default_plan(folder, capacity: int = 3) -> str:
    """A journal under ``folder`` holding the shipped catalog's plan of these options (the
    defaults: `plan`'s), saved and approved: the plan completion reads. Returns its path."""
    from orchestrator.catalog import load_catalog
    from orchestrator.cli.plan import build_plan
    from orchestrator.cli.plans import plan_waves_document
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.plans import approve_plan, save_plan

    catalog = load_catalog()
    plan = build_plan(catalog, None, 28, capacity, 1)
    path = folder / "journal.db"
    with Journal(resolve_url(path, None), create=True) as journal:
        saved = save_plan(journal, "tester", {"capacity": capacity}, catalog.digest, catalog.file_digests,
                          "lab", "", plan_waves_document(plan))
        approve_plan(journal, saved.id, "reviewer", "tested", allow_self_approval=False)
    return str(path)


def test_completion_offers_the_plans_wave_numbers(tmp_path):
    result = cli(env={"_LOGIUS_MIGRATE_COMPLETE": "bash_complete", "COMP_WORDS": "logius-migrate wave run ",
                      "COMP_CWORD": "3", "LOGIUS_MIGRATE_DB": approved_default_plan(tmp_path)})
    numbers = [int(line.split(",", 1)[1]) for line in result.stdout.splitlines()]
    planned = cli("plan", "--format", "json").stdout
    import json

    assert numbers == [w["number"] for w in json.loads(planned)["waves"]] and len(numbers) > 5


def test_completion_offers_the_approved_plans_waves_not_a_plan_of_its_own(tmp_path):
    """The waves of the approved plan in the journal (here one of capacity 9: five waves, where
    the defaults make seven), not of a plan completion makes of its own. No approved plan, or no
    journal: nothing."""
    words = {"_LOGIUS_MIGRATE_COMPLETE": "bash_complete", "COMP_WORDS": "logius-migrate wave status ",
             "COMP_CWORD": "3"}
    approved = cli(env={**words, "LOGIUS_MIGRATE_DB": approved_default_plan(tmp_path, capacity=9)})
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.plans import list_plans

    with Journal(resolve_url(tmp_path / "journal.db", None)) as journal:
        waves = list_plans(journal)[0].waves
    assert approved.stdout.splitlines() == [f"plain,{w['number']}" for w in waves], approved.stderr
    assert len(waves) == 5
    Journal(resolve_url(tmp_path / "empty.db", None), create=True).close()
    for db in (tmp_path / "empty.db", tmp_path / "missing.db"):
        nothing = cli(env={**words, "LOGIUS_MIGRATE_DB": str(db)})
        assert nothing.returncode == 0 and nothing.stdout.strip() == "", nothing.stderr
