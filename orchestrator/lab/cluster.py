"""What the lab's LPC cluster holds, derived from the lab's files each time it is asked.

The platform comes from the delivered release (the platform landing zone's Terraform state: see
:func:`orchestrator.lab.delivery.delivered`): the Kubernetes version of every node (one per LPC
host of the inventory), each component's workload at its image, the storage classes, the ingress
class and network policy. The services come from ``kubeapi/services.json`` (written by `lab up`
from the catalog) and from what the playbooks wrote on the hosts: a service's deployment exists
once ``prepare-target`` put its configuration on its LPC hosts, and is ready while the gateway
routes it to LPC (``cutover``); a rollback that puts the route back makes it unready again.
Objects are the API's own JSON shapes (``apiVersion``, ``kind``, ``metadata``, ``spec``, ``status``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICES_FILE = "kubeapi/services.json"
#: The quota of a service namespace whose service declares no requests.
LAB_QUOTA = {"requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"}
QUOTA_KEYS = {"cpu": "requests.cpu", "memory": "requests.memory", "storage": "requests.storage",
              "pods": "pods"}
PROVISIONERS = {"ceph-rbd": "rbd.csi.ceph.com", "ceph-fs": "cephfs.csi.ceph.com"}
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def write_services(folder: Path, services: list[Any]) -> None:
    """``kubeapi/services.json``: every moving service's namespace, deployment, requests and hosts
    (the catalog's part of what the cluster holds)."""
    from orchestrator.catalog.workload import service_deployment, service_namespace, service_requests

    folder.mkdir(parents=True, exist_ok=True)
    entries = [{"id": s.id, "namespace": service_namespace(s), "deployment": service_deployment(s),
                "requests": service_requests(s), "lpc": list(s.hosts.target), "legacy": list(s.hosts.legacy)}
               for s in services if s.moves]
    (folder / Path(SERVICES_FILE).name).write_text(json.dumps(entries, indent=1))


@dataclass(frozen=True)
class Cluster:
    """One reading of the lab's files: the delivered platform (None: nothing delivered), the LPC
    hosts, the services, and where the hosts are."""

    root: Path
    platform: dict[str, Any] | None
    nodes: list[str]
    services: list[dict[str, Any]]
    created: str

    @property
    def version(self) -> str:
        return f"v{self.platform['kubernetes_version']}" if self.platform else "v0.0.0-undelivered"

    def serves_network_policy(self) -> bool:
        return bool(self.platform and self.platform.get("network_policy"))


def read_cluster(root: Path) -> Cluster:
    """The cluster as the lab's files say it is now."""
    from orchestrator.lab.delivery import delivered
    from orchestrator.steps.ansible import load_inventory

    inventory = root / "inventories" / "lab.yml"
    hosts = load_inventory(inventory) if inventory.exists() else {}
    path = root / SERVICES_FILE
    services = json.loads(path.read_text()) if path.exists() else []
    stamp = path.stat().st_mtime if path.exists() else 0
    created = dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Cluster(root, delivered(root), sorted(h for h, v in hosts.items() if v.get("group") == "lpc"),
                   services, created)


def objects(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    """Every object of the cluster by resource (``nodes``, ``namespaces``, ``deployments``, ...)."""
    platform = cluster.platform or {}
    apps = [_service_deployment(cluster, s) for s in cluster.services]
    found: dict[str, list[dict[str, Any]]] = {
        "nodes": [_node(cluster, name) for name in cluster.nodes],
        "namespaces": [_meta(cluster, "v1", "Namespace", name, spec={"finalizers": ["kubernetes"]},
                             status={"phase": "Active"}) for name in _namespaces(cluster)],
        "resourcequotas": [_quota(cluster, s, app) for s, app in zip(cluster.services, apps, strict=True)],
        "storageclasses": [_storage_class(cluster, name, default)
                           for name, default in sorted((platform.get("storage_classes") or {}).items())],
        "ingressclasses": _ingress_classes(cluster), "networkpolicies": _network_policies(cluster),
        "deployments": [app for app in apps if app is not None], "daemonsets": [], "statefulsets": []}
    for name, component in sorted((platform.get("components") or {}).items()):
        kind, _, workload = (component.get("workload") or "").partition("/")
        if kind and component.get("namespace"):
            found[f"{kind}s"].append(_component(cluster, name, component, kind, workload))
    return found


def _ingress_classes(cluster: Cluster) -> list[dict[str, Any]]:
    if not (cluster.platform or {}).get("ingress"):
        return []
    return [_meta(cluster, "networking.k8s.io/v1", "IngressClass", "nginx",
                  annotations={"ingressclass.kubernetes.io/is-default-class": "true"},
                  spec={"controller": "k8s.io/ingress-nginx"})]


def _network_policies(cluster: Cluster) -> list[dict[str, Any]]:
    """A default-deny policy in every service namespace, where the release has network policy."""
    if not cluster.serves_network_policy():
        return []
    return [_meta(cluster, "networking.k8s.io/v1", "NetworkPolicy", "default-deny-ingress", s["namespace"],
                  spec={"podSelector": {}, "policyTypes": ["Ingress"]}) for s in cluster.services]


def _namespaces(cluster: Cluster) -> list[str]:
    components = {c.get("namespace") for c in ((cluster.platform or {}).get("components") or {}).values()}
    return sorted({"default", "kube-system", *(n for n in components if n),
                   *(s["namespace"] for s in cluster.services)})


def _meta(cluster: Cluster, api_version: str, kind: str, name: str, namespace: str | None = None,
          annotations: dict[str, str] | None = None, labels: dict[str, str] | None = None,
          **body: Any) -> dict[str, Any]:
    """An object with the metadata the API gives every object (a stable uid, a creation time)."""
    metadata: dict[str, Any] = {"name": name, "uid": str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                                     f"{kind}/{namespace}/{name}")),
                                "resourceVersion": "1", "creationTimestamp": cluster.created}
    if namespace is not None:
        metadata["namespace"] = namespace
    if labels:
        metadata["labels"] = labels
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def _node(cluster: Cluster, name: str) -> dict[str, Any]:
    ready = {"type": "Ready", "status": "True", "reason": "KubeletReady",
             "message": "kubelet is posting ready status", "lastHeartbeatTime": cluster.created,
             "lastTransitionTime": cluster.created}
    return _meta(cluster, "v1", "Node", name, labels={"kubernetes.io/hostname": name,
                                                      "kubernetes.io/os": "linux"},
                 spec={}, status={"conditions": [ready],
                                  "addresses": [{"type": "Hostname", "address": name}],
                                  "nodeInfo": {"kubeletVersion": cluster.version, "kubeProxyVersion":
                                               cluster.version, "operatingSystem": "linux",
                                               "architecture": "amd64", "osImage": "LPC lab host",
                                               "containerRuntimeVersion": "containerd://1.6.8",
                                               "kernelVersion": "lab"}})


def _storage_class(cluster: Cluster, name: str, default: bool) -> dict[str, Any]:
    return _meta(cluster, "storage.k8s.io/v1", "StorageClass", name,
                 annotations={DEFAULT_CLASS: "true" if default else "false"},
                 provisioner=PROVISIONERS.get(name, f"lab.logius/{name}"), reclaimPolicy="Delete",
                 volumeBindingMode="Immediate", allowVolumeExpansion=True)


def _template(name: str, image: str, requests: dict[str, str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": name, "image": image}
    if requests:
        container["resources"] = {"requests": requests}
    return {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}}}


def _component(cluster: Cluster, name: str, component: dict[str, Any], kind: str,
               workload: str) -> dict[str, Any]:
    """A platform component's workload, fully ready, at the image the release delivered."""
    spec = _template(workload, component.get("image", ""))
    if kind == "daemonset":
        count = len(cluster.nodes)
        status = {"currentNumberScheduled": count, "desiredNumberScheduled": count, "numberReady": count,
                  "numberAvailable": count, "updatedNumberScheduled": count, "numberMisscheduled": 0}
    else:
        replicas = 2 if kind == "deployment" else 1
        spec["replicas"] = replicas
        status = {"replicas": replicas, "readyReplicas": replicas, "updatedReplicas": replicas,
                  "availableReplicas": replicas}
    kinds = {"deployment": "Deployment", "daemonset": "DaemonSet", "statefulset": "StatefulSet"}
    return _meta(cluster, "apps/v1", kinds[kind], workload, component["namespace"],
                 labels={"app.kubernetes.io/part-of": "lpc-platform", "app.kubernetes.io/name": name},
                 spec=spec, status=status)


def _service_deployment(cluster: Cluster, service: dict[str, Any]) -> dict[str, Any] | None:
    """The service's deployment: there once its app is on an LPC host, ready while cut over."""
    sid = service["id"]
    placed = [h for h in service["lpc"] if _app_on_lpc(cluster.root / "hosts" / h, sid)]
    if not placed:
        return None
    replicas = len(service["lpc"])
    ready = len(placed) if _cut_over(cluster.root, service) else 0
    spec = _template(service["deployment"], f"registry.lpc.example/services/{sid}:lab",
                     {k: v for k, v in service["requests"].items() if k in ("cpu", "memory")})
    spec["replicas"] = replicas
    available = {"type": "Available", "status": "True" if ready >= replicas else "False",
                 "reason": "MinimumReplicasAvailable" if ready >= replicas else "CutoverPending"}
    status = {"replicas": len(placed), "updatedReplicas": len(placed), "readyReplicas": ready,
              "availableReplicas": ready, "conditions": [available]}
    return _meta(cluster, "apps/v1", "Deployment", service["deployment"], service["namespace"],
                 labels={"app.kubernetes.io/name": sid}, spec=spec, status=status)


def _app_on_lpc(host: Path, service_id: str) -> bool:
    config = host / "etc" / service_id / "app.conf"
    try:
        return "platform = lpc" in config.read_text()
    except OSError:
        return False


def _cut_over(root: Path, service: dict[str, Any]) -> bool:
    """The gateway routes the service to LPC (cutover.yml); or its route was dropped after its
    legacy hosts were emptied (decommission.yml)."""
    route = root / "hosts" / "gateway" / "etc" / "gateway" / "routes" / f"{service['id']}.conf"
    try:
        return "backend = lpc" in route.read_text()
    except OSError:
        return bool(service["legacy"]) and not any(
            (root / "hosts" / h / "etc" / service["id"]).exists() for h in service["legacy"])


def _quota(cluster: Cluster, service: dict[str, Any], app: dict[str, Any] | None) -> dict[str, Any]:
    """The service namespace's quota: twice its declared requests (or the lab's quota); used is
    what its deployment requests while it is ready."""
    declared = {QUOTA_KEYS[k]: v for k, v in service["requests"].items()}
    hard = {k: _twice(v) for k, v in declared.items()} or dict(LAB_QUOTA)
    ready = int(((app or {}).get("status") or {}).get("readyReplicas", 0))
    used = {k: "0" for k in hard}
    if ready:
        used.update({k: v for k, v in declared.items() if k in hard})
        if "pods" in hard and "pods" not in declared:
            used["pods"] = str(ready)
    return _meta(cluster, "v1", "ResourceQuota", "compute", service["namespace"], spec={"hard": hard},
                 status={"hard": hard, "used": used})


def _twice(quantity: str) -> str:
    """Twice a Kubernetes quantity, in its own unit ("500m" -> "1000m", "1Gi" -> "2Gi")."""
    match = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)([A-Za-z]*)", str(quantity).strip())
    if not match:
        return str(quantity)
    return f"{float(match[1]) * 2:g}{match[2]}"
