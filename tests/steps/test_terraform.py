"""The Terraform adapter with the real binary: state kept aside and repaired after a crash, stale
locks cleared, timeouts enforced, secrets only in a call's own environment; on the pg backend a
database per stack, so parallel stacks never contend for a lock."""

from __future__ import annotations

import concurrent.futures
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from orchestrator.errors import LogiusMigrateError, StepFailed, StepTimeout
from orchestrator.steps.processes import ChildWatch
from orchestrator.steps.terraform import (
    LOCK_INFO,
    GenericBackend,
    PgBackend,
    TerraformEnv,
    TerraformStack,
    build_mirror,
    write_cli_config,
)
from tests.engine.conftest import make_lab, one_service_catalog


@pytest.fixture
def stack(tmp_path, isolated_env):
    layout = make_lab(tmp_path / "lab", one_service_catalog(tmp_path / "catalog"))
    variables = {"service": "alpha", "hosts": ["lpc-alpha"], "release": "none",
                 "fault_file": str(layout.faults / "alpha.provision")}
    return layout, TerraformStack(layout.site().stack_dir("alpha"), layout.site().terraform_env()), variables


def test_an_emptied_state_and_a_stale_lock_are_repaired_with_evidence(stack):
    layout, tf, variables = stack
    tf.apply(variables)
    good = (layout.site().stack_dir("alpha") / "terraform.tfstate").read_text()
    variables = {**variables, "hosts": ["lpc-alpha", "lpc-alpha-2"]}
    tf.apply(variables)  # keeps the previous state aside first
    state = layout.site().stack_dir("alpha") / "terraform.tfstate"
    state.write_bytes(b"")  # what a kill inside terraform's state write leaves
    (layout.site().stack_dir("alpha") / LOCK_INFO).write_text(json.dumps({"ID": "x1", "Operation": "apply",
                                                                   "Who": "ann@h"}))
    evidence = tf.repair()
    assert evidence[0].startswith("alpha: terraform.tfstate was unreadable (0 bytes) after a crash; put back")
    assert evidence[1] == ("alpha: cleared a stale Terraform lock (lock x1 for apply by ann@h); no process "
                           "holds it")
    assert state.read_text() == good
    assert tf.plan(variables), "the interrupted change is seen as still to do"
    tf.apply(variables)
    assert not tf.plan(variables) and tf.repair() == []


def test_a_first_apply_killed_before_any_state_leaves_no_state(stack):
    layout, tf, variables = stack
    tf._keep_state_aside()  # as apply does before it runs
    (layout.site().stack_dir("alpha") / "terraform.tfstate").write_bytes(b"")
    assert "there was no state before the interrupted change" in tf.repair()[0]
    assert not (layout.site().stack_dir("alpha") / "terraform.tfstate").exists()


def test_a_step_timeout_interrupts_terraform(stack):
    layout, tf, variables = stack
    (layout.faults / "alpha.provision").write_text("sleep 60")
    begun = time.monotonic()
    with pytest.raises(StepTimeout, match="ran past its timeout of 2s"):
        tf.apply(variables, timeout=2)
    assert time.monotonic() - begun < 20
    (layout.faults / "alpha.provision").unlink()
    tf.repair()
    tf.apply(variables)
    assert not tf.plan(variables)


def test_the_pg_password_is_only_in_the_calls_environment(tmp_path, isolated_env, pg_url):
    """Never in argv (seen in /proc while terraform runs), never in .terraform/, never in our own
    process environment."""
    from orchestrator.engine.session import pg_backend
    from orchestrator.journal import resolve_url

    password = "pg-Secret-9d2"
    url = pg_url.replace("postgresql://postgres@", f"postgresql://postgres:{password}@")
    layout = make_lab(tmp_path / "lab", one_service_catalog(tmp_path / "catalog"))
    backend = pg_backend(resolve_url(url, None))
    assert password not in backend.conn_str and backend.password == password
    seen = []

    def started(spawned: Any) -> None:
        try:
            seen.append(Path(f"/proc/{spawned.pid}/cmdline").read_bytes().decode(errors="replace"))
        except OSError:
            pass

    tf = TerraformStack(layout.site().stack_dir("alpha"), layout.site().terraform_env(), backend,
                        watch=ChildWatch(started=started))
    tf.init()
    tf.apply({"service": "alpha", "hosts": ["lpc-alpha"], "release": "none", "fault_file": "/nonexistent"})
    assert seen and all(password not in argv for argv in seen)
    files = [p for p in (layout.site().stack_dir("alpha") / ".terraform").rglob("*") if p.is_file()]
    assert files and all(password.encode() not in p.read_bytes() for p in files)
    assert password not in json.dumps(dict(os.environ))


SMALL_MODULE = """variable "service" {
  type = string
}

resource "null_resource" "landing_zone" {
  triggers = { service = var.service }
}

output "landing_zone" {
  value = null_resource.landing_zone.id
}
"""


@pytest.fixture
def tf_env(tmp_path, isolated_env) -> TerraformEnv:
    """The provider mirror and a HOME of their own, nothing from the machine."""
    build_mirror(tmp_path / "mirror")
    write_cli_config(tmp_path / "terraformrc", tmp_path / "mirror")
    return TerraformEnv(tmp_path / "terraformrc", tmp_path / "home")


def small_stacks(env: TerraformEnv, backend: PgBackend | GenericBackend, count: int) -> list[TerraformStack]:
    """``count`` one-resource stacks (svc-01, ...) on ``backend``, next to the CLI config."""
    stacks = []
    for n in range(1, count + 1):
        directory = env.cli_config.parent / "stacks" / f"svc-{n:02d}"  # type: ignore[union-attr]
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "main.tf").write_text(SMALL_MODULE)
        stacks.append(TerraformStack(directory, env, backend))
    return stacks


def provision_at_once(stacks: list[TerraformStack]) -> list[str]:
    """Each stack's provision as the engine runs it (init, the rollback point's snapshot, apply),
    all stacks at once in threads; the errors, one per failed stack."""
    def provision(stack: TerraformStack) -> str | None:
        try:
            stack.init()
            stack.snapshot(None)
            stack.apply({"service": stack.working_dir.name})
        except LogiusMigrateError as exc:
            return str(exc)
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        return [error for error in pool.map(provision, stacks) if error]


def stack_databases(pg_url: str) -> set[str]:
    """The databases on the server named after the journal's (``pg_url``'s), but for itself."""
    import psycopg

    journal_db = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url) as connection:
        rows = connection.execute("SELECT datname FROM pg_database WHERE starts_with(datname, %s) "
                                  "AND datname <> %s", (journal_db[:40], journal_db))
        return {row[0] for row in rows}


def test_nineteen_stacks_provision_at_once_on_the_pg_backend_without_a_lock_error(tf_env, pg_url):
    """Terraform 1.0's pg locks are advisory locks, which PostgreSQL keeps per database. In one
    database (the old layout: a schema per stack) a fresh stack's first apply holds the creation
    lock, -1, that every lock attempt takes: 18 of these 19 failed in each of eight runs, with
    "Error acquiring the state lock" (now and then an init racing another's CREATE SEQUENCE). With
    a database per stack (18 services' and the platform landing zone's), none does, and each state
    is where its stack finds it."""
    from orchestrator.engine.session import pg_backend
    from orchestrator.journal import resolve_url

    backend = pg_backend(resolve_url(pg_url, None))
    stacks = small_stacks(tf_env, backend, 19)
    stacks[-1] = TerraformStack(stacks[-1].working_dir, tf_env, backend.for_platform())  # the platform's
    errors = provision_at_once(stacks)
    assert errors == [], f"{len(errors)} of 19 stacks failed: {errors[:3]}"
    assert stack_databases(pg_url) == {s.backend.database(s.working_dir) for s in stacks}  # type: ignore[union-attr]
    assert len(stack_databases(pg_url)) == 19
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(stacks)) as pool:
        found = list(pool.map(TerraformStack.resources, stacks))
    assert found == [["null_resource.landing_zone"]] * 19, "each state where its stack finds it"


def test_each_stack_s_database_is_its_own(tmp_path, pg_url):
    """Named after the journal's database and the stack, the platform landing zone's (.platform)
    apart from every service's, a long name cut with a hash before PostgreSQL cuts it blindly; a
    database another journal marked as its own is refused."""
    import psycopg

    backend = PgBackend(pg_url.replace("postgresql://", "postgres://") + "?sslmode=disable")
    journal_db = pg_url.rsplit("/", 1)[1]
    alpha, platform = tmp_path / "alpha", tmp_path / "platform"
    assert backend.database(alpha) == f"{journal_db}_tf_alpha"
    assert backend.for_platform().database(platform) == f"{journal_db}_tf_.platform"
    server = pg_url.removeprefix("postgresql://").rsplit("/", 1)[0]
    assert backend.block(alpha) == ("pg", [f"conn_str=postgres://{server}/{journal_db}_tf_alpha?sslmode=disable",
                                           "schema_name=terraform_remote_state"])
    long_ones = [backend.database(tmp_path / ("s" * 120 + tail)) for tail in ("a", "b")]
    assert all(len(name) == 63 for name in long_ones) and long_ones[0] != long_ones[1]
    backend.prepare(alpha)
    backend.prepare(alpha)  # there already, marked as this stack's: used
    assert stack_databases(pg_url) == {f"{journal_db}_tf_alpha"}
    beta = backend.database(tmp_path / "beta")
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{beta}"')
        connection.execute(f"COMMENT ON DATABASE \"{beta}\" IS 'logius-migrate: Terraform state of stack "
                           f"beta of journal database elsewhere'")
    with pytest.raises(StepFailed, match="is another's"):
        backend.prepare(tmp_path / "beta")


def test_a_state_in_the_old_layout_s_schema_moves_into_the_stack_s_database(tf_env, pg_url):
    """A stack whose state the earlier layout kept in schema tf_<id> of the journal's database
    initialises again (backend.tf now names its database), takes that state along, applied
    resources and all, and renames the old schema tf_<id>_moved so it is never taken twice."""
    import psycopg

    from orchestrator.engine.session import pg_backend
    from orchestrator.journal import resolve_url

    backend = pg_backend(resolve_url(pg_url, None))
    old = GenericBackend("pg", {"conn_str": backend.conn_str, "schema_name": "tf_svc_01"})
    [before] = small_stacks(tf_env, old, 1)
    before.init()
    before.apply({"service": "svc-01"})
    lineage = json.loads(before.state_text())["lineage"]
    stack = TerraformStack(before.working_dir, tf_env, backend)
    assert not stack.initialized
    stack.init()
    assert json.loads(stack.state_text())["lineage"] == lineage
    assert stack.resources() == ["null_resource.landing_zone"] and not stack.plan({"service": "svc-01"})
    stack.init()  # again: nothing left to move
    with psycopg.connect(pg_url) as connection:
        schemas = {row[0] for row in connection.execute("SELECT nspname FROM pg_namespace")}
    assert "tf_svc_01_moved" in schemas and "tf_svc_01" not in schemas
