"""Where a service runs on the LPC cluster: one rule, read by PRE-K8S-001, the verify step and the
lab's Kubernetes API stand-in, so that all three name the same namespace and deployment."""

from __future__ import annotations

from typing import Any


def service_namespace(service: Any) -> str:
    """The namespace ``service`` lands in: its catalog entry's ``kubernetes.namespace``, else the
    service id (a service that declares no ``kubernetes`` section runs in a namespace of its name)."""
    needs = service.kubernetes
    return needs.namespace if needs is not None else service.id


def service_deployment(service: Any) -> str:
    """The deployment that runs ``service`` in its namespace: ``kubernetes.deployment`` when the
    catalog names one, else the service id."""
    needs = service.kubernetes
    return needs.deployment if needs is not None and needs.deployment else service.id


def service_requests(service: Any) -> dict[str, str]:
    """What the service asks of its namespace's quota (``kubernetes.requests``); none declared: {}."""
    return dict(service.kubernetes.requests) if service.kubernetes is not None else {}
