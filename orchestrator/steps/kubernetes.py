"""The Kubernetes adapter: the only module that imports the official ``kubernetes`` client.

For now it reads a site's kubeconfig (its contexts); the API calls of the gates (namespaces,
resource quotas, nodes, storage classes, deployments) come with the preconditions.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.errors import InputError


def kubeconfig_context(path: Path, context: str | None) -> str:
    """The context the site will use from its kubeconfig; InputError naming the file when it is
    missing, unreadable, or does not hold that context."""
    from kubernetes import config
    from kubernetes.config.config_exception import ConfigException

    if not path.is_file():
        raise InputError(f"kubeconfig {path}: no such file")
    try:
        contexts, active = config.list_kube_config_contexts(config_file=str(path))
    except (ConfigException, ValueError, TypeError, KeyError) as exc:
        raise InputError(f"kubeconfig {path}: not a usable kubeconfig ({exc})") from None
    names = [c["name"] for c in contexts or []]
    chosen = context or (active or {}).get("name")
    if chosen not in names:
        raise InputError(f"kubeconfig {path}: no context {chosen!r} (it has: {', '.join(names) or 'none'})")
    return str(chosen)
