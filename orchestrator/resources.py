"""Where the shipped playbooks, Terraform modules, inventory templates and example seeds are.

They travel inside the package (``orchestrator/_data/``), found through importlib.resources, so an
installed wheel works from any folder. In a clone, ``orchestrator/_data/*`` are links to the
repository's top-level ``playbooks/``, ``terraform/``, ``inventories/`` and ``seeds/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def resource(name: str) -> Path:
    """The folder ``name`` (playbooks, terraform, inventories, seeds) as a real path."""
    path = Path(str(resources.files("orchestrator") / "_data" / name))
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: the package's {name} are missing; reinstall logius-migrate")
    return path
