"""The site file: where waves run. Plain typed data, validated strictly (unknown fields refused).

A site names its Ansible inventory (real hosts over SSH, or the lab's folders), the Terraform
backend and module per disposition, where secrets come from (never the secrets themselves), the
Kubernetes API for the checks, the journal, and playbooks it runs around every phase (hooks).
Relative paths are relative to the site file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BackendBlock(_Model):
    """Any Terraform backend: ``terraform { backend "<type>" {} }`` with ``-backend-config`` pairs.
    Give secrets to it through the environment (``secrets`` of the site), never here."""

    type: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    config: dict[str, str] = Field(default_factory=dict)


class PlatformZone(_Model):
    """The LPC platform landing zone a supplier release builds (see ``terraform/modules/lpc-platform``):
    ``release validate`` writes a root module for ``module`` in ``work_dir`` and plans it, on the
    site's backend, with the manifest's values (REL-TF-001: no drift)."""

    module: str = Field(min_length=1)
    work_dir: str = Field(min_length=1)


class TerraformSite(_Model):
    work_dir: str = Field(min_length=1, description="one working directory per service below it")
    modules: dict[Literal["rehost", "rebuild", "new-build"], str] = Field(min_length=1)
    #: local state files; pg: in the journal's PostgreSQL database (the journal must be PostgreSQL);
    #: journal: pg when the journal is PostgreSQL, else local; or any backend block.
    backend: Annotated[
        Annotated[Literal["local", "pg", "journal"], Tag("name")] | Annotated[BackendBlock, Tag("block")],
        Discriminator(lambda v: "block" if isinstance(v, dict | BackendBlock) else "name",
                      custom_error_type="backend",
                      custom_error_message="expected local, pg, journal or {type, config}")] = "local"
    cli_config: str | None = None
    home: str | None = None
    #: Extra module variables per service; ``{service}`` and ``{site_dir}`` are filled in.
    variables: dict[str, str] = Field(default_factory=dict)
    #: Resource addresses (shell-style patterns, e.g. ``module.db.*``) a plan must never destroy.
    protected: list[str] = Field(default_factory=list)
    platform: PlatformZone | None = None

    @field_validator("variables")
    @classmethod
    def _not_ours(cls, value: dict[str, str]) -> dict[str, str]:
        taken = {"service", "hosts", "release"} & set(value)
        if taken:
            raise ValueError(f"{', '.join(sorted(taken))} are set by the engine itself")
        return value


class FileSecrets(_Model):
    """A JSON file of ``{service: {name: value}}``, readable by its owner only (mode 0600)."""

    file: str


class EnvSecret(_Model):
    """One secret from an environment variable of the operator's shell."""

    service: str
    name: str
    variable: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")


class EnvSecretSource(_Model):
    env: EnvSecret


class CommandSecrets(_Model):
    """A command (a vault CLI, say) that prints ``{service: {name: value}}`` as JSON on stdout."""

    command: list[str] = Field(min_length=1)
    timeout_seconds: int = Field(default=60, ge=1)


class KubernetesSite(_Model):
    kubeconfig: str
    context: str | None = None


class BackupMarker(_Model):
    """A file the legacy platform's backup job writes after each backup, holding its time (ISO
    8601) or, when empty, dated by its modification time. ``{site_dir}``, ``{service}`` and
    ``{host}`` (the service's first legacy host) are filled in."""

    marker: str = Field(min_length=1)
    #: How an operator takes a backup now (a command line, named in PRE-BAK-001's remedy).
    take: str | None = None


class BackupCommand(_Model):
    """A command that prints the time (ISO 8601) of the service's last good backup; ``{service}``
    in an argument is filled in."""

    command: list[str] = Field(min_length=1)
    timeout_seconds: int = Field(default=30, ge=1)
    #: How an operator takes a backup now (a command line, named in PRE-BAK-001's remedy).
    take: str | None = None


class Hooks(_Model):
    """Playbooks run in the same ansible-playbook run as each phase: before it (a host that fails
    there skips the phase) and after it. The lab injects its faults and drills this way."""

    before_phase: str | None = None
    after_phase: str | None = None
    #: A file the engine reads at each safe point of a wave run: ``PHASE:SECONDS`` holds the run
    #: still that long right after PHASE is journalled (for the gate, ``approve``: right before
    #: it), so it can be killed or stopped exactly there; a stop request ends the pause.
    pause: str | None = None


def _source_kind(value: Any) -> str | None:
    """Which kind of secret source an entry is, by its one key."""
    if isinstance(value, BaseModel):
        return {FileSecrets: "file", EnvSecretSource: "env", CommandSecrets: "command"}[type(value)]
    keys = set(value) & {"file", "env", "command"} if isinstance(value, dict) else set()
    return keys.pop() if len(keys) == 1 else None


SecretSource = Annotated[
    Annotated[FileSecrets, Tag("file")] | Annotated[EnvSecretSource, Tag("env")]
    | Annotated[CommandSecrets, Tag("command")],
    Discriminator(_source_kind, custom_error_type="secret_source",
                  custom_error_message="a secret source is one of {file: PATH}, {env: {service, name, "
                                       "variable}} or {command: [ARGV]}; a site file never holds a value")]


class SiteFile(_Model):
    name: str = Field(min_length=1)
    inventory: str = Field(min_length=1, description="an inventory file or folder")
    terraform: TerraformSite
    secrets: list[SecretSource] = Field(default_factory=list)
    kubernetes: KubernetesSite | None = None
    journal: str | None = Field(default=None, description="a PostgreSQL URL, or a journal file")
    hooks: Hooks = Field(default_factory=Hooks)
    allow_self_approval: bool = False
    #: The platform release this site runs (an id of the catalog's releases).
    release: str | None = None
    #: What an INCONCLUSIVE precondition does: hold the service (``fail`` is its old spelling, read
    #: as ``hold``), or only warn.
    on_inconclusive: Literal["hold", "fail", "warn"] = "hold"
    backups: BackupMarker | BackupCommand | None = None
    #: `wave run N` applies an approved, current dry-run of wave N (its saved Terraform plans),
    #: and refuses without one.
    require_dry_run: bool = False

    @field_validator("on_inconclusive")
    @classmethod
    def _hold_is_the_name(cls, value: str) -> str:
        return "hold" if value == "fail" else value

    @field_validator("journal")
    @classmethod
    def _no_password_in_the_journal_url(cls, journal: str | None) -> str | None:
        rest = (journal or "").partition("://")[2]
        if "@" in rest and ":" in rest.rsplit("@", 1)[0]:
            raise ValueError("a URL in a site file carries no password; give it in PGPASSWORD or ~/.pgpass")
        return journal
