"""The site file: where waves run. Plain typed data, validated strictly (unknown fields refused).

A site names its Ansible inventory (real hosts over SSH, or the lab's folders), the Terraform
backend and module per disposition, where secrets come from (never the secrets themselves), the
Kubernetes API for the checks, the journal, and playbooks it runs around every phase (hooks).
Relative paths are relative to the site file.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from orchestrator.signing.policy import ROLES


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: What a site file never holds: a cloud credential (the azurerm provider and backend read them from
#: ARM_* environment variables, or the site names a secret source).
CREDENTIAL_FIELDS = ("subscription_id", "tenant_id", "client_id", "client_secret",
                     "client_certificate_password", "access_key", "sas_token", "password")


def _refuse_credential(name: str) -> str:
    variable = f"ARM_{name.upper()}" if name != "password" else "the environment"
    return (f"{name} is a credential and never goes in a site file; set {variable} in the environment "
            f"or name a secret source")


class BackendBlock(_Model):
    """Any Terraform backend: ``terraform { backend "<type>" {} }`` with ``-backend-config`` pairs.
    Give secrets to it through the environment (``secrets`` of the site), never here."""

    type: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]*$")
    config: dict[str, str] = Field(default_factory=dict)

    @field_validator("config")
    @classmethod
    def _no_credentials(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if name in CREDENTIAL_FIELDS:
                raise ValueError(f"config.{_refuse_credential(name)}")
        return value


class AzureTestSite(_Model):
    """The Azure test track's conditions and environment (``kind: azure-test``): the Rijkscloud
    conditions the guardrails hold its plan to, the module's variables, and how Ansible reaches the
    test VMs. Subscription, tenant and client come from the environment (ARM_*) or a secret source
    of service ``azure``, never from this file."""

    region: str = Field(min_length=1)
    allowed_regions: list[str] = Field(min_length=1)
    allowed_ranges: list[str] = Field(min_length=1)
    max_expiry_days: int = Field(default=30, gt=0, le=366)
    #: How long an environment lives: its ``expires_on`` is the run's start plus this many days.
    lifetime_days: int = Field(default=14, gt=0, le=366)
    owner: str = Field(min_length=1)
    budget_amount: float = Field(gt=0)
    budget_contacts: list[str] = Field(min_length=1)
    other_site_names: list[str] = Field(default_factory=list)
    #: The synthetic data set the rebuild ships (a folder): the only data the track's VMs get.
    synthetic_data: str = Field(min_length=1)
    #: Where the guardrails read the plan: ``terraform`` (``terraform show -json`` of the saved plan,
    #: a real site), or ``module`` (built from ``guardrail_module``'s own resources with the same
    #: variables: the lab, whose stand-in module has no azurerm resources).
    guardrail_plan: Literal["terraform", "module"] = "terraform"
    guardrail_module: str | None = None
    #: How Ansible reaches the VMs: over SSH at their private addresses (through the bastion or a
    #: VPN: ``ssh_common_args``), or the lab's local folders (``host_root`` names each one's root).
    connection: Literal["ssh", "local"] = "ssh"
    host_root: str = "/"
    ssh_user: str = "ansible"
    ssh_common_args: str | None = None
    #: Further variables of the module (vm_count, vm_size, admin_ssh_public_key, ...).
    variables: dict[str, Any] = Field(default_factory=dict)
    #: Also run checkov on each plan (from its own virtual environment, $LOGIUS_MIGRATE_CHECKOV).
    checkov: bool = False
    subscription_id: Any = None
    tenant_id: Any = None
    client_id: Any = None
    client_secret: Any = None
    client_certificate_password: Any = None
    access_key: Any = None
    sas_token: Any = None
    password: Any = None

    @field_validator(*CREDENTIAL_FIELDS)
    @classmethod
    def _never_here(cls, value: Any, info: Any) -> Any:
        if value is not None:
            raise ValueError(_refuse_credential(info.field_name))
        return value

    @field_validator("variables")
    @classmethod
    def _engine_sets(cls, value: dict[str, Any]) -> dict[str, Any]:
        taken = {"service", "region", "allowed_source_ranges", "owner", "expires_on", "budget_amount",
                 "budget_start", "budget_contacts"} & set(value)
        if taken:
            raise ValueError(f"{', '.join(sorted(taken))}: set by the track from the fields above")
        for name in value:
            if name in CREDENTIAL_FIELDS or "secret" in name or "password" in name:
                raise ValueError(_refuse_credential(name))
        return value


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


class SigningBlock(_Model):
    """Signed decisions (docs: ``ssh-keygen -Y verify``): the allowed signers file (principals,
    namespaces, valid-after, valid-before), an optional revocation list (a KRL or public keys one a
    line), whether an unsigned decision is refused, the principals each role is given to (a role
    not listed is anyone's), and, in the lab only, a folder of private keys named by principal."""

    allowed_signers: str = Field(min_length=1)
    revoked: str | None = Field(default=None, min_length=1)
    require_signatures: bool = False
    roles: dict[str, list[str]] = Field(default_factory=dict)
    keys: str | None = Field(default=None, min_length=1)

    @field_validator("roles")
    @classmethod
    def _known_roles_and_principals(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for role, principals in value.items():
            if role not in ROLES:
                raise ValueError(f"{role}: not a role (the roles: {', '.join(ROLES)})")
            bad = [p for p in principals if not p or any(c.isspace() or c in ',"*?!' for c in p)]
            if bad:
                raise ValueError(f"{role}: {bad[0]!r} is not a principal (a name of allowed_signers, "
                                 f"no spaces, commas, quotes or patterns)")
        return value


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
    #: ``lpc``: where waves migrate services; ``azure-test``: the Azure test track of a rebuild
    #: (``azure`` then says its conditions), where no wave runs.
    kind: Literal["lpc", "azure-test"] = "lpc"
    azure: AzureTestSite | None = None
    #: An inventory file or folder; a site of kind azure-test has none (the track writes one per
    #: environment from the VMs' addresses Terraform outputs).
    inventory: str | None = Field(default=None, min_length=1, description="an inventory file or folder")
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
    #: Signed decisions; without it a decision is recorded unsigned and none is required.
    signing: SigningBlock | None = None

    @model_validator(mode="after")
    def _azure_block_for_its_kind(self) -> SiteFile:
        if self.kind == "lpc" and self.inventory is None:
            raise ValueError("inventory: a site of kind lpc names its inventory (a file or folder)")
        if self.kind == "azure-test" and self.azure is None:
            raise ValueError("a site of kind azure-test needs an azure block (region, allowed_regions, "
                             "allowed_ranges, owner, budget_amount, budget_contacts, synthetic_data)")
        if self.kind != "azure-test" and self.azure is not None:
            raise ValueError("an azure block belongs to a site of kind azure-test")
        azure = self.azure
        if azure is not None and azure.guardrail_plan == "module" and not azure.guardrail_module:
            raise ValueError("azure.guardrail_plan module needs azure.guardrail_module (the azurerm module)")
        return self

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
