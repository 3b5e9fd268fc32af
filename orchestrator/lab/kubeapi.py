"""The lab's Kubernetes API: a stand-in, not a Kubernetes. A local HTTP server (stdlib
``ThreadingHTTPServer`` on 127.0.0.1) that speaks the real API's JSON for what the tool asks a
cluster: ``/version``, discovery (``/api``, ``/apis``, ``/api/v1``, ``/apis/GROUP[/VERSION]``),
and read-only GETs of nodes, namespaces, resourcequotas, deployments, daemonsets, statefulsets,
storageclasses, ingressclasses and networkpolicies, cluster-wide or per namespace. Everything is
derived from the lab's files on each request (:mod:`orchestrator.lab.cluster`), so a delivery or
a cutover shows at once. What does not exist is a 404 ``Status``, as the API sends it; a write is
a 405. ``networking.k8s.io/v1`` serves ``networkpolicies`` only when the delivered release has
network policy. Requests for a server-side ``Table`` get the plain object, as from a server that
cannot print tables (clients then print it themselves).

Run as ``python -m orchestrator.lab.kubeapi LAB --port N`` (what `lab up` does, see
:mod:`orchestrator.lab.kubeapi_process`): it binds, daemonises, records its pid and start time,
and exits when asked (SIGTERM), or when its lab's manifest is gone.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

#: group/version -> (resource, singular, kind, namespaced, short names), as discovery lists them.
RESOURCES: dict[str, list[tuple[str, str, str, bool, list[str]]]] = {
    "v1": [("namespaces", "namespace", "Namespace", False, ["ns"]),
           ("nodes", "node", "Node", False, ["no"]),
           ("resourcequotas", "resourcequota", "ResourceQuota", True, ["quota"])],
    "apps/v1": [("daemonsets", "daemonset", "DaemonSet", True, ["ds"]),
                ("deployments", "deployment", "Deployment", True, ["deploy"]),
                ("statefulsets", "statefulset", "StatefulSet", True, ["sts"])],
    "networking.k8s.io/v1": [("ingressclasses", "ingressclass", "IngressClass", False, []),
                             ("networkpolicies", "networkpolicy", "NetworkPolicy", True, ["netpol"])],
    "storage.k8s.io/v1": [("storageclasses", "storageclass", "StorageClass", False, ["sc"])],
}


class NotFound(Exception):
    """What the request names does not exist: (message, details) of the 404 Status."""


def served(group_version: str, cluster: Any) -> list[tuple[str, str, str, bool, list[str]]]:
    """The resources ``group_version`` serves on this cluster (network policy only when delivered)."""
    return [r for r in RESOURCES.get(group_version, [])
            if r[0] != "networkpolicies" or cluster.serves_network_policy()]


def answer(path: str, cluster: Any) -> dict[str, Any]:
    """The JSON document the API serves at ``path``; NotFound when there is none."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    if parts == ["version"]:
        return _version(cluster)
    if parts == ["api"]:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}]}
    if parts == ["apis"]:
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [_group(g) for g in _groups()]}
    if parts[:1] == ["api"] and parts[1:2] == ["v1"]:
        return _under("v1", parts[2:], cluster)
    if parts[:1] == ["apis"] and len(parts) == 2 and parts[1] in _groups():
        return {"kind": "APIGroup", "apiVersion": "v1", **_group(parts[1])}
    if parts[:1] == ["apis"] and len(parts) >= 3 and f"{parts[1]}/{parts[2]}" in RESOURCES:
        return _under(f"{parts[1]}/{parts[2]}", parts[3:], cluster)
    raise NotFound("the server could not find the requested resource", {})


def _version(cluster: Any) -> dict[str, Any]:
    major, minor = (cluster.version.lstrip("v").split(".") + ["0"])[:2]
    return {"major": major, "minor": minor, "gitVersion": cluster.version, "gitCommit": "lab",
            "gitTreeState": "clean", "buildDate": cluster.created, "goVersion": "go1.19",
            "compiler": "gc", "platform": "linux/amd64"}


def _groups() -> list[str]:
    return sorted({gv.split("/")[0] for gv in RESOURCES if "/" in gv})


def _group(name: str) -> dict[str, Any]:
    version = next(gv for gv in RESOURCES if gv.startswith(f"{name}/")).split("/")[1]
    preferred = {"groupVersion": f"{name}/{version}", "version": version}
    return {"name": name, "versions": [preferred], "preferredVersion": preferred}


def _under(group_version: str, rest: list[str], cluster: Any) -> dict[str, Any]:
    """A group version's resource list, or what one of its resource paths names."""
    resources = served(group_version, cluster)
    if not rest:
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version,
                "resources": [{"name": name, "singularName": singular, "namespaced": namespaced,
                               "kind": kind, "verbs": ["get", "list"], "shortNames": short}
                              for name, singular, kind, namespaced, short in resources]}
    namespace = None
    if len(rest) >= 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    found = next((r for r in resources if r[0] == rest[0]), None)
    if found is None or len(rest) > 2 or (namespace is not None and not found[3]):
        raise NotFound("the server could not find the requested resource", {})
    from orchestrator.lab.cluster import objects

    items = [o for o in objects(cluster)[found[0]]
             if namespace is None or o["metadata"].get("namespace") == namespace]
    if len(rest) == 1:
        return {"apiVersion": group_version, "kind": f"{found[2]}List",
                "metadata": {"resourceVersion": "1"}, "items": items}
    if found[3] and namespace is None:
        raise NotFound("the server could not find the requested resource", {})
    match = next((o for o in items if o["metadata"]["name"] == rest[1]), None)
    if match is None:
        group = group_version.rpartition("/")[0]
        kind = f"{found[0]}.{group}" if group else found[0]
        raise NotFound(f'{kind} "{rest[1]}" not found', {"name": rest[1], "group": group, "kind": found[0]})
    return match


class Handler(BaseHTTPRequestHandler):
    """GET answers from the lab's files; anything else is refused as the read-only API it is."""

    server_version = "logius-lab-kubeapi"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        from orchestrator.lab.cluster import read_cluster

        try:
            self._send(200, answer(self.path, read_cluster(self.server.lab_root)))  # type: ignore[attr-defined]
        except NotFound as exc:
            message, details = exc.args
            self._send(404, _status(404, "NotFound", message, details))
        except Exception as exc:  # noqa: BLE001 - the client gets the API's 500, the log the cause
            self.log_error("GET %s: %r", self.path, exc)
            self._send(500, _status(500, "InternalError", f"the lab's API failed: {exc}", {}))

    def _refuse(self) -> None:
        self._send(405, _status(405, "MethodNotAllowed", "the lab's API is read-only", {}))

    do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815

    def _send(self, code: int, document: dict[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Only errors go to the log (log_error): a lab's API answers many GETs."""


def _status(code: int, reason: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "details": details, "code": code}


def make_server(root: Path, port: int) -> ThreadingHTTPServer:
    """The server for the lab at ``root``, bound on 127.0.0.1:``port`` (0: any free port)."""
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.lab_root = root  # type: ignore[attr-defined]
    return server


def main(argv: list[str] | None = None) -> int:
    """``LAB --port N``: bind (another free port when N is taken), daemonise, serve."""
    import argparse

    from orchestrator.lab import kubeapi_process

    parser = argparse.ArgumentParser(prog="python -m orchestrator.lab.kubeapi")
    parser.add_argument("lab", type=Path)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    root = args.lab.resolve()
    try:
        server = make_server(root, args.port)
    except OSError:
        server = make_server(root, 0)
    kubeapi_process.daemonise(root, server.server_address[1])
    kubeapi_process.serve_until_stopped(server, root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
