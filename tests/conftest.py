"""Shared helpers: small catalogs written as real YAML files, and a CLI runner."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from orchestrator.cli import cli

PROJECT = Path(__file__).resolve().parents[1]
SEEDS = PROJECT / "seeds"


def service(sid: str, **fields: Any) -> dict[str, Any]:
    """A minimal valid service document; keyword arguments override or add fields."""
    doc: dict[str, Any] = {
        "id": sid, "name": sid.upper(), "domain": "Access", "size": "S",
        "criticality": "low", "disposition": "rehost", "source": "test, 2024",
    }
    doc.update(fields)
    return doc


def write_catalog(folder: Path, files: dict[str, Any]) -> Path:
    """Write ``{relative name: document or raw text}`` under ``folder`` and return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        path.write_text(text, encoding="utf-8")
    return folder


def accept_release(journal: Any, release_id: str, site_name: str, by: str = "release-board",
                   decision: str = "accepted", policy: Any = None, signer: Any = None) -> None:
    """Record in ``journal`` that ``release_id`` was validated on site ``site_name`` and accepted
    (or ``decision``): the journal state `release validate` and `release accept` leave, for tests
    whose subject is not the validation itself (tests/releases runs the real one)."""
    from orchestrator.journal.releases import decide, record_validation

    doc = {"release": release_id, "manifest_sha256": "0" * 64, "outcome": "PASS", "site": site_name,
           "results": []}
    validation = record_validation(journal, doc, {}, by)
    if signer is not None:  # signed: the signer's principal decides
        by = signer.key.name
    decide(journal, release_id, "0" * 64, decision, validation, by, "test set-up", policy, signer)


@pytest.fixture(scope="session", autouse=True)
def _lab_apis_end_with_the_session(tmp_path_factory):
    """Every lab's Kubernetes API stand-in a test starts watches this test process and ends with it
    (LOGIUS_MIGRATE_KUBEAPI_WATCH), even when the session is killed; those of labs shared by a
    module's tests are stopped at the end of the session."""
    from orchestrator.lab.kubeapi_process import WATCH_ENV, stop_below

    os.environ[WATCH_ENV] = str(os.getpid())
    yield
    stop_below(tmp_path_factory.getbasetemp())


@pytest.fixture(autouse=True)
def _no_lab_of_the_working_directory(monkeypatch, tmp_path_factory):
    """A test never reads the default lab of the folder it runs in (``./.lab``, e.g. one left by
    scripts/demo.sh): $LOGIUS_MIGRATE_LAB names an empty folder unless the test sets its own."""
    monkeypatch.setenv("LOGIUS_MIGRATE_LAB", str(tmp_path_factory.getbasetemp() / "no-default-lab"))


@pytest.fixture(autouse=True)
def _lab_apis_end_with_their_test(request):
    """The stand-ins of the labs a test made in its temporary folder stop when the test ends."""
    yield
    folder = request.node.funcargs.get("tmp_path")
    if folder is not None:
        from orchestrator.lab.kubeapi_process import stop_below

        stop_below(folder)


@pytest.fixture
def isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Short leases, a private HOME and no inherited Terraform config (TOOLCHAIN.md's trap)."""
    monkeypatch.setenv("LOGIUS_MIGRATE_LEASE_SECONDS", "2")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LOGIUS_MIGRATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("TF_CLI_CONFIG_FILE", raising=False)
    monkeypatch.delenv("LOGIUS_MIGRATE_DB", raising=False)
    return dict(os.environ)


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Invoke `logius-migrate` in-process; returns the click Result (stdout and stderr apart)."""
    monkeypatch.setenv("LOGIUS_MIGRATE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOGIUS_MIGRATE_CATALOG", raising=False)

    def invoke(*args: str, env: dict[str, str] | None = None):
        return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)

    return invoke


def _pg_binaries() -> Path | None:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A throwaway PostgreSQL server from the Debian package, bound to 127.0.0.1, stopped at the
    end. Skipped where PostgreSQL is not installed, except in CI, where that is a failure."""
    import os
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile

    binaries = _pg_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed, but CI must test the PostgreSQL path")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    base = Path(tempfile.mkdtemp(prefix="logius-pg-"))
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run_as: dict[str, object] = {}
    if os.geteuid() == 0:  # the server refuses to run as root: drop to the package's user
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
        os.chown(sock, user.pw_uid, user.pw_gid)
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(base), "LC_ALL": "C.UTF-8"}

    def pg(*args: str, check: bool = True) -> None:
        subprocess.run(list(args), check=check, capture_output=True, cwd=base, env=env, **run_as)

    pg(str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    pg(str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(base / "server.log"), "-o",
       f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off", "start")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        pg(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server, request):
    """A fresh database on the test server, as a PostgreSQL URL."""
    import re

    import psycopg

    name = "t_" + re.sub(r"[^a-z0-9]", "_", request.node.name.lower())[:50]
    with psycopg.connect(f"{postgres_server}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{postgres_server}/{name}"


def pytest_collection_modifyitems(items):
    """Everything that runs real waves or tools is ``slow``: `pytest -m "not slow"` is the fast loop."""
    for item in items:
        if any(part in {"engine", "steps"} for part in item.path.parts[-3:-1]):
            item.add_marker(pytest.mark.slow)
    # The longest files first: on two workers (--dist loadfile keeps a file on one) they then end
    # beside the many short ones instead of after them (longest processing time first). xdist
    # keeps this order only with --no-loadscope-reorder (scripts/test.sh): by default it sends the
    # files with the most tests first, which put the one-test programme file last of all.
    items.sort(key=lambda item: LONGEST_FIRST.get(item.path.name, len(LONGEST_FIRST)))


#: Files by their measured time, longest first (`--durations`, 2026-12-01: the programme about 690 s
#: on a loaded machine, the next 300 to 400 s, the last here about 100 s; 2026-12-02: the ten
#: operators' races 230 to 390 s).
LONGEST_FIRST = {name: rank for rank, name in enumerate([
    "test_programme.py", "test_crash_resume.py", "test_rollback.py", "test_ssh_lab.py",
    "test_readme.py", "test_concurrency.py", "test_stopping.py", "test_dry_run.py", "test_track.py",
    "test_wave_run.py",
    "test_gates.py",
    "test_postgres.py", "test_ssh_lab_catalog.py", "test_wheel.py", "test_leases.py",
    "test_orphans.py", "test_kubeapi.py", "test_acting_on_decisions.py"])}


#: The people whose SSH keys the signing and decision tests sign with: ann and bob are allowed
#: signers there, eve never.
PEOPLE = ("ann", "bob", "eve")


@pytest.fixture(scope="session")
def keys(tmp_path_factory) -> dict[str, Path]:
    """Private keys of ann, bob and eve (each with its .pub beside it), made once a session."""
    folder = tmp_path_factory.mktemp("keys")
    for person in PEOPLE:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", person, "-f",
                        str(folder / person)], check=True)
    return {person: folder / person for person in PEOPLE}
