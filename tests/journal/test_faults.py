"""A journal that is missing, empty, truncated, garbage, read-only, unreachable or schema-less, and
odd inputs around it: one line naming the file or URL and what to do, a meaningful exit code, never
a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import pytest

from orchestrator.journal import Journal, resolve_url
from tests.conftest import PROJECT
from tests.engine.conftest import make_lab, small_catalog


@pytest.fixture
def lab(tmp_path, isolated_env):
    catalog = small_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    journal = Journal(resolve_url(None, layout.journal))
    journal.create_run("wave-1", 1, "wave", "ann@h:1")
    journal.set_run_status("wave-1", "failed", json.dumps({"services": ["alpha"]}))
    for n in range(300):  # enough pages that a truncated file loses some
        journal.log("wave-1", "note", f"event {n} " + "x" * 200)
    journal.close()
    return catalog, layout


def status(run_cli, layout, *extra):
    return run_cli("wave", "status", "1", "--lab", str(layout.root), *extra)


def one_line(result) -> str:
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    return result.stderr


def test_an_empty_journal_file(lab, run_cli):
    _, layout = lab
    layout.journal.write_bytes(b"")
    result = status(run_cli, layout)
    assert result.exit_code == 2
    assert one_line(result) == (f"error: journal {layout.journal} is empty: it is not a logius-migrate "
                                f"journal (damaged or overwritten); restore it from a backup, or pass the "
                                f"right --db\n")


def test_a_garbage_journal_file(lab, run_cli):
    _, layout = lab
    layout.journal.write_bytes(b"this is not a database at all\n" * 100)
    result = status(run_cli, layout)
    assert result.exit_code == 2 and "is not a SQLite database" in one_line(result)


def test_a_truncated_journal_file(lab, run_cli):
    _, layout = lab
    data = layout.journal.read_bytes()
    assert len(data) > 8192
    layout.journal.write_bytes(data[: len(data) // 3])
    result = run_cli("journal", "show", "--lab", str(layout.root))
    assert result.exit_code == 2
    assert f"error: journal sqlite:///{layout.journal} is damaged (" in one_line(result)


def test_a_read_only_journal(lab, run_cli):
    _, layout = lab
    layout.journal.chmod(0o444)
    try:
        result = status(run_cli, layout)
    finally:
        layout.journal.chmod(0o644)
    assert result.exit_code == 2 and f"journal {layout.journal} is read-only" in one_line(result)


def test_a_journal_without_a_schema_version(lab, run_cli):
    import sqlite3

    _, layout = lab
    with sqlite3.connect(layout.journal) as connection:
        connection.execute("DELETE FROM meta")
    result = status(run_cli, layout)
    assert result.exit_code == 2 and "has no schema version: it is damaged" in one_line(result)


def test_a_database_that_is_not_a_journal(tmp_path, run_cli):
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = run_cli("journal", "show", "--db", str(other))
    assert result.exit_code == 2
    assert "has no journal tables: it is not a logius-migrate journal" in one_line(result)


def test_an_unreachable_postgresql_server_is_exit_1(tmp_path, run_cli):
    result = run_cli("journal", "show", "--db", "postgresql://ops:pw-Secret1@127.0.0.1:9/journal")
    assert result.exit_code == 1
    line = one_line(result)
    assert line.startswith("error: journal postgresql+psycopg://ops:***@127.0.0.1:9/journal: cannot "
                           "connect (")
    assert "pw-Secret1" not in line


def test_journal_init_creates_explicitly_and_only_once(tmp_path, run_cli):
    path = tmp_path / "new" / "journal.db"
    first = run_cli("journal", "init", "--db", str(path))
    assert first.exit_code == 0 and first.stdout == f"journal sqlite:///{path}: created, schema version 4\n"
    again = run_cli("journal", "init", "--db", str(path))
    assert again.stdout == f"journal sqlite:///{path}: already there, schema version 4\n"
    assert json.loads(run_cli("journal", "show", "--db", str(path), "--format", "json").stdout)["runs"] == []


def test_an_expired_lease_is_shown_as_stale_not_held(lab, run_cli):
    _, layout = lab
    journal = Journal(resolve_url(None, layout.journal))
    journal.acquire_lock("wave-1", "ann@elsewhere:1", ttl_seconds=0.1)
    journal.close()
    time.sleep(0.2)
    line = status(run_cli, layout).stdout.splitlines()[0]
    assert line == ("wave 1: run wave-1 is failed (lease of ann@elsewhere:1 is stale: expired; the next run "
                    "or resume takes it over)")
    shown = json.loads(status(run_cli, layout, "--format", "json").stdout)
    assert shown["lock"]["state"] == "expired"


def test_lab_up_on_a_file_is_one_line(tmp_path, run_cli):
    target = tmp_path / "a-file"
    target.write_text("x")
    result = run_cli("lab", "up", "--catalog", str(small_catalog(tmp_path / "catalog")), "--lab", str(target))
    assert result.exit_code == 2
    assert one_line(result) == f"error: --lab {target}: is a file, not a folder; give a folder for the lab\n"


@pytest.mark.parametrize("args", [["plan"], ["catalog", "list"], ["journal", "show", "--format", "json"]])
def test_output_into_a_closed_pipe_ends_quietly_with_141(args, lab, isolated_env):
    _, layout = lab
    extra = ["--lab", str(layout.root)] if args[0] == "journal" else []
    command = " ".join([sys.executable, "-m", "orchestrator", *args, *extra])
    done = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | true"], cwd=PROJECT, env=isolated_env,
                          capture_output=True, text=True, timeout=60)
    assert done.stderr == "" and done.returncode == 141


def test_a_url_password_never_reaches_the_log_file(tmp_path):
    from orchestrator.cli.base import safe_argv

    assert safe_argv(["x", "--db", "postgresql://ops:pw-Secret1@db:5432/j"]) == [
        "x", "--db", "postgresql://ops:***@db:5432/j"]


def test_secrets_are_redacted_whatever_their_length_and_empty_ones_refused(tmp_path):
    from orchestrator.errors import InputError
    from orchestrator.journal import Redactor
    from orchestrator.lab import LabLayout, load_secrets

    redact = Redactor(["k", "pw"])
    assert redact("key=k; pw=pw") == "***ey=***; ***=***"
    assert redact.deep({"a": ["pw", {"k": 1}]}) == {"a": ["***", {"***": 1}]}
    with pytest.raises(ValueError):
        Redactor([""])
    layout = LabLayout(tmp_path)
    layout.secrets.write_text(json.dumps({"alpha": {"db_password": ""}}))
    with pytest.raises(InputError, match=f"{layout.secrets}: service alpha, secret db_password: must be a "
                                         f"non-empty string"):
        load_secrets(layout)


def test_a_copy_of_the_journal_opens_again(lab, tmp_path):
    """Backups are plain copies: a copied journal opens and reads the same."""
    _, layout = lab
    copy = tmp_path / "copy.db"
    shutil.copyfile(layout.journal, copy)
    journal = Journal(resolve_url(copy, None))
    try:
        assert [r.id for r in journal.runs()] == ["wave-1"]
    finally:
        journal.close()
