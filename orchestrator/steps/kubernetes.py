"""The Kubernetes adapter: the only module that imports the official ``kubernetes`` client.

It reads a site's kubeconfig and asks the API server for what the gates and the release checks
need: the server version, nodes, namespaces, resource quotas, storage classes and deployments. Each
answer is the API's own JSON (a dict), read from the raw response so that a server that sends
something that is not JSON is reported as such. Every call has a timeout; 429 and 5xx answers are
retried (tenacity, with a short back-off); anything else that goes wrong is a KubeError with one
clear line, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError, LogiusMigrateError

RETRIED = frozenset({429, 500, 502, 503, 504})


class KubeError(LogiusMigrateError):
    """The API could not answer the question; the message says why in one line, ``status`` is the
    HTTP status when the server answered with one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


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


class KubeClient:
    """Questions to one cluster, through the official client, as plain JSON."""

    def __init__(self, kubeconfig: Path, context: str | None = None, timeout: float = 10.0,
                 attempts: int = 3, wait_seconds: float = 0.5) -> None:
        from kubernetes import client, config

        chosen = kubeconfig_context(kubeconfig, context)
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(kubeconfig), context=chosen,
                                client_configuration=configuration)
        configuration.retries = False  # ours, below: only 429 and 5xx, with a back-off
        self.server = configuration.host
        self.api = client.ApiClient(configuration)
        self.timeout = timeout
        self.attempts = attempts
        self.wait_seconds = wait_seconds

    def close(self) -> None:
        self.api.close()

    def get(self, path: str) -> dict[str, Any]:
        """GET ``path`` (e.g. ``/api/v1/nodes``) and return its JSON; KubeError otherwise."""
        from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential

        retrying = Retrying(stop=stop_after_attempt(self.attempts),
                            wait=wait_exponential(multiplier=self.wait_seconds, max=5),
                            retry=retry_if_exception(lambda e: isinstance(e, _Retry)), reraise=True)
        try:
            for attempt in retrying:
                with attempt:
                    return self._get_once(path)
        except _Retry as exc:
            raise KubeError(f"GET {path}: {exc} after {self.attempts} attempts") from None
        raise AssertionError("unreachable")

    def _get_once(self, path: str) -> dict[str, Any]:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        method, url, headers, body, post = self.api.param_serialize(
            "GET", path, header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        try:
            response = self.api.call_api(method, url, header_params=headers, body=body,
                                         post_params=post, _request_timeout=self.timeout)
            raw = response.read()
        except ApiException as exc:
            status, reason, raw = exc.status, exc.reason, exc.body
            response = None
        except HTTPError as exc:
            raise KubeError(f"GET {path}: {_network_reason(exc)} (server {self.server})") from None
        if response is not None:
            status, reason = response.status, response.reason
        if status in RETRIED:
            raise _Retry(f"HTTP {status} {reason}")
        if not 200 <= int(status or 0) <= 299:
            raise KubeError(f"GET {path}: HTTP {status} {reason}{_message(raw)}", int(status or 0))
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, TypeError):
            raise KubeError(f"GET {path}: the answer is not JSON ({len(raw or b'')} bytes, starting "
                            f"{(raw or b'')[:40]!r})") from None
        if not isinstance(data, dict):
            raise KubeError(f"GET {path}: the answer is JSON but not an object")
        return data

    # -- the questions -------------------------------------------------------------------------

    def version(self) -> dict[str, Any]:
        return self.get("/version")

    def nodes(self) -> list[dict[str, Any]]:
        return self.get("/api/v1/nodes").get("items", [])

    def namespace(self, name: str) -> dict[str, Any] | None:
        """The namespace, or None when the API says it does not exist (404)."""
        try:
            return self.get(f"/api/v1/namespaces/{name}")
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def resource_quotas(self, namespace: str) -> list[dict[str, Any]]:
        return self.get(f"/api/v1/namespaces/{namespace}/resourcequotas").get("items", [])

    def storage_classes(self) -> list[dict[str, Any]]:
        return self.get("/apis/storage.k8s.io/v1/storageclasses").get("items", [])

    def deployment_ready(self, namespace: str, name: str) -> tuple[bool, str]:
        """Whether the deployment has all its replicas ready and updated, and what it says."""
        data = self.get(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
        wanted = int((data.get("spec") or {}).get("replicas", 1))
        status = data.get("status") or {}
        ready, updated = int(status.get("readyReplicas", 0)), int(status.get("updatedReplicas", 0))
        return ready >= wanted and updated >= wanted, f"{ready}/{wanted} ready, {updated} updated"


class _Retry(Exception):
    """A 429 or 5xx: worth asking again."""


def _message(body: Any) -> str:
    try:
        return f": {json.loads(body).get('message', '')}" if body else ""
    except (ValueError, TypeError, AttributeError):
        return ""


def _network_reason(exc: Exception) -> str:
    text = str(exc)
    if "timed out" in text.lower() or "timeout" in type(exc).__name__.lower():
        return "no answer within the timeout"
    if "refused" in text.lower():
        return "connection refused"
    return f"cannot reach the API server ({type(exc).__name__})"


def parse_quantity(value: Any) -> float:
    """A Kubernetes quantity ("500m", "2Gi", "1.5") as a number (cores, or bytes)."""
    from kubernetes.utils.quantity import parse_quantity as parse

    return float(parse(str(value)))
