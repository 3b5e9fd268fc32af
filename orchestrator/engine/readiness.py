"""The verify step asks the cluster too: when the site has a Kubernetes API, a service is verified
only when its deployment in its namespace (:mod:`orchestrator.catalog.workload`) is ready."""

from __future__ import annotations

import time
from typing import Any

#: How long verify waits for a deployment to become ready, and how often it asks.
READY_WAIT_SECONDS = 5.0
ASK_EVERY_SECONDS = 0.5


def deployment_not_ready(site: Any, service: Any, wait_seconds: float = READY_WAIT_SECONDS) -> str | None:
    """None when the site has no Kubernetes API or the service's deployment is ready (asked again
    for up to ``wait_seconds``); else one line saying what the API answered."""
    from orchestrator.catalog.workload import service_deployment, service_namespace
    from orchestrator.checks import site_kube_client
    from orchestrator.errors import LogiusMigrateError
    from orchestrator.steps.kubernetes import KubeError

    if site.kubernetes is None:
        return None
    namespace, name = service_namespace(service), service_deployment(service)
    try:
        client = site_kube_client(site)
    except LogiusMigrateError as exc:  # a kubeconfig gone or broken: said, not raised
        return f"deployment {namespace}/{name}: cannot ask the Kubernetes API: {exc}"
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                ready, said = client.deployment_ready(namespace, name)
            except KubeError as exc:
                ready = False
                said = "it does not exist" if exc.status == 404 else f"the API did not say: {exc}"
            if ready or time.monotonic() >= deadline:
                break
            time.sleep(ASK_EVERY_SECONDS)
    finally:
        client.close()
    return None if ready else f"deployment {namespace}/{name} is not ready after {wait_seconds:g} s: {said}"
