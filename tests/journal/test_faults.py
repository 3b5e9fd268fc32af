"""A journal that is missing, empty, truncated, garbage, read-only, unreachable or schema-less, and
odd inputs around it: one line naming the file or URL and what to do, a meaningful exit code, never
a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.journal import Journal, resolve_url, schema
from tests.checks.conftest import write_site
from tests.conftest import PROJECT
from tests.engine.conftest import make_lab, one_service_catalog, small_catalog


@pytest.fixture
def lab(tmp_path, isolated_env):
    """A lab (of one service: the journal is what these tests break) whose journal holds a failed
    run with enough events to span many pages."""
    catalog = one_service_catalog(tmp_path / "catalog")
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


def test_a_read_only_journal_is_refused_to_a_writing_command_and_read_by_a_reading_one(lab, run_cli):
    _, layout = lab
    layout.journal.chmod(0o444)
    try:
        result = run_cli("blocker", "add", "--scope", "platform", "--severity", "minor", "--title", "t",
                         "--owner", "o", "--lab", str(layout.root))
        read = status(run_cli, layout)
    finally:
        layout.journal.chmod(0o644)
    assert result.exit_code == 2 and f"journal {layout.journal} is read-only" in one_line(result)
    assert (read.exit_code, read.stdout.splitlines()[0]) == (0, "wave 1: run wave-1 is failed")


@pytest.fixture
def auditors_copy(tmp_path):
    """A function making an auditor's copy of a journal (one failed run, ``version`` its schema's):
    the file mode 0444 in a folder of mode 0555 (put back afterwards, for the clean-up)."""
    folder = tmp_path / "audit"

    def make(version: int = schema.SCHEMA_VERSION) -> Path:
        live = tmp_path / "live.db"
        older_journal(live, version)
        if version == schema.SCHEMA_VERSION:
            from orchestrator.journal.blockers import add_blocker

            with Journal(resolve_url(live, None)) as journal:
                journal.create_run("wave-1", 1, "wave", "ann@h:1")
                journal.set_run_status("wave-1", "failed", json.dumps({"services": ["alpha"]}))
                add_blocker(journal, "platform", "major", "storage latency", "ops", "ann")
        folder.mkdir()
        copy = folder / "journal.db"
        shutil.copyfile(live, copy)
        copy.chmod(0o444)
        folder.chmod(0o555)
        return copy

    yield make
    if folder.exists():
        folder.chmod(0o755)


def older_journal(path: Path, version: int) -> None:
    """A journal at schema ``version``, made by the alembic revisions up to it, in WAL mode (so
    that SQLite's plain read-only mode would still make -wal and -shm files beside it)."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        config = Config()
        config.set_main_option("script_location", "orchestrator.journal:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, f"{version:04d}")
    engine.dispose()


def test_an_auditors_read_only_copy_is_read_and_never_written(auditors_copy, run_cli, tmp_path):
    """Tests run as root, whom file modes do not stop: what shows that nothing was written is the
    file's bytes and mtime, unchanged, and no -wal, -shm or -journal file beside it."""
    copy = auditors_copy()
    assert copy.read_bytes()[18:20] == b"\x02\x02"  # WAL mode: only an immutable open makes no -shm
    before = (copy.read_bytes(), copy.stat().st_mtime_ns)
    db, site = ["--db", str(copy)], ["--site", str(write_site(tmp_path / "site"))]
    shown = run_cli("journal", "show", *db, "--format", "json")
    assert shown.exit_code == 0, shown.stderr
    assert [r["id"] for r in json.loads(shown.stdout)["runs"]] == ["wave-1"]
    assert run_cli("wave", "status", "1", *db).stdout.splitlines()[0] == "wave 1: run wave-1 is failed"
    for command, shows in ((["blocker", "list"], "storage latency"), (["blocker", "show", "BLK-0001"],
                           "opened by ann"), (["plan", "list"], "no saved plans"), (["release", "list"], "")):
        result = run_cli(*command, *db, *site)
        assert result.exit_code == 0 and shows in result.stdout, (command, result.stderr)
    written = run_cli("blocker", "add", "--scope", "platform", "--severity", "minor", "--title", "t",
                      "--owner", "o", *db)
    assert written.exit_code == 2 and f"journal {copy} is read-only" in one_line(written)
    assert (copy.read_bytes(), copy.stat().st_mtime_ns) == before
    assert [p.name for p in copy.parent.iterdir()] == ["journal.db"]


def test_a_read_only_copy_of_an_older_schema_is_named_not_upgraded(auditors_copy, run_cli, tmp_path):
    older = schema.SCHEMA_VERSION - 1
    copy = auditors_copy(older)
    before = copy.read_bytes()
    result = run_cli("journal", "show", "--db", str(copy))
    assert result.exit_code == 2
    assert one_line(result) == (f"error: journal {copy} is read-only and at schema version {older}, older "
                                f"than this tool's {schema.SCHEMA_VERSION}, so it is not upgraded; read it "
                                f"with the logius-migrate that wrote it, or upgrade a writable copy "
                                f"(`logius-migrate journal init --db COPY`)\n")
    assert copy.read_bytes() == before and [p.name for p in copy.parent.iterdir()] == ["journal.db"]
    writable = tmp_path / "copy.db"
    shutil.copyfile(copy, writable)
    assert run_cli("journal", "init", "--db", str(writable)).stdout == (
        f"journal sqlite:///{writable}: already there, schema version {schema.SCHEMA_VERSION}\n")


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
    version = schema.SCHEMA_VERSION
    first = run_cli("journal", "init", "--db", str(path))
    assert first.exit_code == 0
    assert first.stdout == f"journal sqlite:///{path}: created, schema version {version}\n"
    again = run_cli("journal", "init", "--db", str(path))
    assert again.stdout == f"journal sqlite:///{path}: already there, schema version {version}\n"
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
