"""Where everything of one lab lives, below its root: its hosts as folders, its Terraform mirror,
stacks and platform landing zone, its inventory, journal, secrets, manifest and site files. The
lab's site (:meth:`LabLayout.site`) is what the engine, the checks and the releases see of it; its
Azure test track site (:meth:`LabLayout.azure_site`) is what the track sees."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestrator.sites import Site

#: The lab's own hook playbooks around every phase (its faults and drills).
HOOKS = Path(__file__).resolve().parent / "hooks"
#: Where the lab's backup job writes its markers on each legacy host (see playbooks/backup.yml).
BACKUP_DIR = "var/backups/logius-migrate"
#: The platform landing zone's working directory, below the lab's root (as its manifest names it).
PLATFORM_DIR = "terraform/platform"


@dataclass(frozen=True)
class LabLayout:
    """Where everything of one lab lives, below ``root``."""

    root: Path

    def relative(self, path: Path) -> str:
        """``path`` (below the root, as given or resolved, as the lab's site gives its paths) as the
        lab's manifest and site file name it."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.resolve().relative_to(self.root.resolve()).as_posix()

    @property
    def hosts(self) -> Path:
        return self.root / "hosts"

    def host_root(self, host: str) -> Path:
        return self.hosts / host

    @property
    def terraform(self) -> Path:
        return self.root / "terraform"

    @property
    def work_dir(self) -> Path:
        """One Terraform stack per service below it (the site's ``terraform.work_dir``)."""
        return self.terraform / "work"

    @property
    def cli_config(self) -> Path:
        return self.terraform / "terraformrc"

    @property
    def terraform_home(self) -> Path:
        return self.terraform / "home"

    @property
    def mirror(self) -> Path:
        return self.terraform / "mirror"

    @property
    def platform_dir(self) -> Path:
        """The platform landing zone's working directory."""
        return self.root / PLATFORM_DIR

    @property
    def inventory(self) -> Path:
        return self.root / "inventories" / "lab.yml"

    @property
    def journal(self) -> Path:
        return self.root / "journal.db"

    @property
    def secrets(self) -> Path:
        """The lab's secret store, a 0600 JSON file (the site's ``secrets: [{file: ...}]``)."""
        return self.root / "secrets.json"

    @property
    def kubeconfig(self) -> Path:
        from orchestrator.lab.kubeapi_process import KUBECONFIG

        return self.root / KUBECONFIG

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def faults(self) -> Path:
        return self.root / "faults"

    @property
    def drill_pause(self) -> Path:
        """The lab's drill: ``PHASE:SECONDS`` written here holds a wave run still right after
        PHASE (the site's pause hook), so a test or an operator can kill or stop it there."""
        return self.faults / "pause"

    @property
    def keys(self) -> Path:
        """The lab's example people's private keys, one named by each principal (never in git)."""
        return self.root / "keys"

    @property
    def allowed_signers(self) -> Path:
        """Whose signatures the lab's site accepts (the site's ``signing.allowed_signers``)."""
        return self.root / "allowed_signers"

    @property
    def site_file(self) -> Path:
        return self.root / "site.yml"

    @property
    def azure_site_file(self) -> Path:
        """The lab's Azure test track site (kind azure-test), beside its own site file."""
        return self.root / "azure-test.yml"

    @property
    def azure_hosts(self) -> Path:
        """The test VMs of the lab's Azure test track, as folders (each VM's root below it)."""
        return self.root / "azure-test" / "hosts"

    @property
    def azure_work_dir(self) -> Path:
        """One Terraform stack per service below it (the azure-test site's ``terraform.work_dir``):
        the stand-in environment's, its fault file three levels up (``faults/SERVICE.azure-destroy``)."""
        return self.root / "azure-test" / "work"

    def exists(self) -> bool:
        return self.manifest.exists()

    def site(self) -> Site:
        """The lab's site, as its site file (written by `lab up`) says: its stacks, Terraform
        environment, inventory, secrets and journal."""
        from orchestrator.sites import load_site

        return load_site(self.site_file)

    def azure_site(self) -> Site:
        """The lab's Azure test track site, as its site file (written by `lab up`) says."""
        from orchestrator.sites import load_site

        return load_site(self.azure_site_file)


def lab_platform_module() -> Path:
    """The lab's platform landing zone (the LPC platform a release builds, null provider only)."""
    from orchestrator.resources import resource

    return resource("terraform") / "lab" / "platform"


def lab_azure_module() -> Path:
    """The lab's stand-in for the Azure test environment (null provider only, with a destroy fault)."""
    from orchestrator.resources import resource

    return resource("terraform") / "lab" / "azure-test"


def lab_module() -> Path:
    """The lab's landing-zone module (null provider only, with a fault hook of its own)."""
    from orchestrator.resources import resource

    return resource("terraform") / "lab" / "landing-zone"
