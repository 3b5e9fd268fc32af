"""Sites: where waves run. A site file (YAML) is read and validated into a :class:`Site`, with
every problem named by file, item and field; the engine takes a Site and knows nothing else of
where it runs. `lab up` writes the lab's own site file, and the lab is the default site."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.errors import CatalogError, InputError
from orchestrator.signing.policy import SigningPolicy

SITE_ENV = "LOGIUS_MIGRATE_SITE"
SITE_FILE = "site.yml"
#: The lab's folder when no ``--lab`` is given (the lab lives there, and so its site file).
LAB_ENV = "LOGIUS_MIGRATE_LAB"


@dataclass(frozen=True)
class Site:
    """A validated site with absolute paths."""

    path: Path
    name: str
    inventory: Path
    work_dir: Path
    modules: dict[str, Path]
    backend: Any  # "local", "pg" or a BackendBlock
    cli_config: Path | None
    terraform_home: Path | None
    variables: dict[str, str]
    secret_sources: tuple[Any, ...]
    kubernetes: Any
    journal: str | None
    before_phase: Path | None
    after_phase: Path | None
    allow_self_approval: bool
    release: str | None = None
    on_inconclusive: str = "hold"
    backups: Any = None
    protected: tuple[str, ...] = ()
    #: The platform landing zone: (module, working directory), or None when the site has none.
    platform: tuple[Path, Path] | None = None
    digest: str = ""  # SHA-256 of the site file: a saved plan names the site it was made for
    pause: Path | None = None  # the site's pause hook (hooks.pause), read at each safe point
    require_dry_run: bool = False  # a run applies an approved, current dry-run, or refuses
    kind: str = "lpc"  # lpc: waves run here; azure-test: the Azure test track of a rebuild
    azure: AzureTrack | None = None
    #: Who may sign what here (the signing block); by default nothing set up, nothing required.
    signing: SigningPolicy = field(default_factory=SigningPolicy)

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def track(self) -> AzureTrack:
        """The azure block of a site of kind azure-test; InputError on any other site."""
        if self.azure is None:
            raise InputError(f"{self.path}: site {self.name} is of kind {self.kind}, not azure-test; give "
                             f"the track's site with --site (the lab's: azure-test.yml in the lab)")
        return self.azure

    def stack_dir(self, service_id: str) -> Path:
        return self.work_dir / service_id

    def module_for(self, disposition: str) -> Path:
        if disposition not in self.modules:
            raise InputError(f"{self.path}: terraform.modules: no module for disposition {disposition!r}")
        return self.modules[disposition]

    def terraform_variables(self, service_id: str) -> dict[str, str]:
        return {name: value.format(service=service_id, site_dir=self.directory)
                for name, value in self.variables.items()}

    def terraform_env(self) -> Any:
        from orchestrator.steps.terraform import TerraformEnv

        return TerraformEnv(self.cli_config, self.terraform_home)

    def secrets(self) -> dict[str, dict[str, str]]:
        from orchestrator.sites.secrets import load_site_secrets

        return load_site_secrets(list(self.secret_sources), self.directory, str(self.path))


@dataclass(frozen=True)
class AzureTrack:
    """The azure block of a site of kind azure-test, its paths absolute (see ``sites/models.py``)."""

    model: Any  # the AzureTestSite as validated
    synthetic_data: Path
    guardrail_module: Path | None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def host_root(self, site_dir: Path, host: str) -> str:
        return self.model.host_root.format(site_dir=site_dir, host=host)


def default_lab_dir() -> Path:
    """The lab's folder: ``$LOGIUS_MIGRATE_LAB``, else ``./.lab``."""
    return Path(os.environ.get(LAB_ENV) or Path.cwd() / ".lab")


def default_site_path(lab_dir: Path | None = None) -> Path:
    """``$LOGIUS_MIGRATE_SITE``, else the lab's site file (``--lab``, ``$LOGIUS_MIGRATE_LAB`` or
    ``./.lab``)."""
    env = os.environ.get(SITE_ENV)
    if env and lab_dir is None:
        return Path(env)
    return Path(lab_dir or default_lab_dir()) / SITE_FILE


def load_site(path: Path) -> Site:
    """Read and validate the site file at ``path``; CatalogError lists every problem, one line
    each naming the file, the item and the field."""
    import yaml
    from pydantic import ValidationError

    from orchestrator.catalog.problems import field_path, pydantic_message
    from orchestrator.sites.models import SiteFile

    if not path.is_file():
        raise InputError(f"{path}: no site file here (run `logius-migrate lab up` for the lab, or pass "
                         f"--site FILE)")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise CatalogError([f"{path}{line}: not valid YAML"], "the site file") from None
    try:
        model = SiteFile.model_validate(raw)
    except ValidationError as exc:
        raise CatalogError([f"{path}: site: field '{field_path(e['loc'])}': {pydantic_message(e)}"
                            for e in exc.errors()], "the site file") from None
    return _resolve(model, path.resolve())


def _resolve(model: Any, path: Path) -> Site:
    def to(value: str) -> Path:
        return (path.parent / Path(value).expanduser()).resolve()

    def at(value: str | None) -> Path | None:
        return None if value is None else to(value)

    journal = model.journal
    if journal and "://" not in journal:
        journal = str(at(journal))
    terraform = model.terraform
    inventory = to(model.inventory) if model.inventory else to(terraform.work_dir) / "inventory.yml"
    return Site(path=path, name=model.name, inventory=inventory, work_dir=to(terraform.work_dir),
                modules={k: to(v) for k, v in terraform.modules.items()}, backend=terraform.backend,
                cli_config=at(terraform.cli_config), terraform_home=at(terraform.home),
                variables=dict(terraform.variables), secret_sources=tuple(model.secrets),
                kubernetes=model.kubernetes, journal=journal, before_phase=at(model.hooks.before_phase),
                after_phase=at(model.hooks.after_phase), allow_self_approval=model.allow_self_approval,
                release=model.release, on_inconclusive=model.on_inconclusive, backups=model.backups,
                protected=tuple(terraform.protected),
                platform=(to(terraform.platform.module), to(terraform.platform.work_dir))
                if terraform.platform else None,
                digest=hashlib.sha256(path.read_bytes()).hexdigest(), pause=at(model.hooks.pause),
                require_dry_run=model.require_dry_run, kind=model.kind,
                azure=AzureTrack(model.azure, to(model.azure.synthetic_data),
                                 at(model.azure.guardrail_module)) if model.azure else None,
                signing=_signing(model.signing, to))


def _signing(block: Any, to: Any) -> SigningPolicy:
    """The signing block with its paths resolved against the site file (none: the default)."""
    if block is None:
        return SigningPolicy()
    return SigningPolicy(allowed_signers=to(block.allowed_signers),
                         revoked=to(block.revoked) if block.revoked else None,
                         require=block.require_signatures,
                         roles={role: tuple(principals) for role, principals in block.roles.items()},
                         keys=to(block.keys) if block.keys else None)
