"""REL-K8S-*: what the platform itself says through its Kubernetes API, against the manifest."""

from __future__ import annotations

from typing import Any

from orchestrator.checks import Outcome, Result

CHECKS: list[tuple[str, str]] = [
    ("REL-K8S-001", "server version matches the manifest"),
    ("REL-K8S-002", "every node is Ready"),
    ("REL-K8S-003", "required storage classes exist, one is the default"),
    ("REL-K8S-004", "NetworkPolicy is served"),
    ("REL-K8S-005", "an ingress class is present"),
    ("REL-K8S-006", "each component runs the manifest's digest and is ready"),
]
DEFAULT_CLASS = "storageclass.kubernetes.io/is-default-class"


def run(ctx: Any) -> list[Result]:
    """Each REL-K8S check; INCONCLUSIVE with the reason when there is no API or it cannot answer."""
    from orchestrator.steps.kubernetes import KubeError

    release = ctx.manifest.id
    results = []
    for (check_id, title), check in zip(CHECKS, (_version, _nodes, _storage, _network_policy,
                                                 _ingress, _workloads), strict=True):
        if ctx.kube is None:
            results.append(Result(check_id, title, release, Outcome.INCONCLUSIVE,
                                  f"not checked: {ctx.kube_reason}", remedy="validate with --site SITE"))
            continue
        try:
            outcome, summary, asked, answer = check(ctx)
        except KubeError as exc:
            outcome, summary, asked, answer = Outcome.INCONCLUSIVE, f"not checked: {exc}", "", str(exc)
        results.append(Result(check_id, title, release, outcome, summary, asked, answer))
    return results


Answer = tuple[Outcome, str, str, str]


def _verdict(problems: list[str], good: str, asked: str, answer: str) -> Answer:
    if problems:
        return Outcome.FAIL, "; ".join(problems), asked, answer
    return Outcome.PASS, good, asked, answer


def _version(ctx: Any) -> Answer:
    data = ctx.kube.version()
    served = str(data.get("gitVersion", "")).lstrip("v").split("+")[0].split("-")[0]
    wanted = ctx.manifest.kubernetes_version.lstrip("v")
    problems = [] if served == wanted else [f"the API serves {served or '?'}, the manifest says {wanted}"]
    return _verdict(problems, f"the API serves {served}", "GET /version", str(data.get("gitVersion")))


def _nodes(ctx: Any) -> Answer:
    nodes = ctx.kube.nodes()
    states = {}
    for node in nodes:
        listed = (node.get("status") or {}).get("conditions", [])
        conditions = {c.get("type"): c.get("status") for c in listed}
        states[(node.get("metadata") or {}).get("name", "?")] = conditions.get("Ready") == "True"
    bad = sorted(name for name, ready in states.items() if not ready)
    problems = ([f"not Ready: {', '.join(bad)}"] if bad else []) + ([] if nodes else ["no nodes"])
    answer = ", ".join(f"{n}: {'Ready' if r else 'NotReady'}" for n, r in sorted(states.items()))
    return _verdict(problems, f"{len(nodes)} node(s) Ready", "GET /api/v1/nodes", answer)


def _storage(ctx: Any) -> Answer:
    classes = ctx.kube.storage_classes()
    names = {(c.get("metadata") or {}).get("name") for c in classes}
    defaults = [(c.get("metadata") or {}).get("name") or "" for c in classes
                if ((c.get("metadata") or {}).get("annotations") or {}).get(DEFAULT_CLASS) == "true"]
    wanted = set(ctx.policy.required_storage_classes) | {s.name for s in ctx.manifest.storage_classes}
    missing = sorted(wanted - names)
    problems = ([f"missing: {', '.join(missing)}"] if missing else []) + \
               ([] if len(defaults) == 1 else [f"{len(defaults)} default storage classes"])
    return _verdict(problems, f"{', '.join(sorted(wanted))} present; default {', '.join(defaults)}",
                    "GET /apis/storage.k8s.io/v1/storageclasses",
                    f"{', '.join(sorted(n for n in names if n))}; default {', '.join(defaults) or 'none'}")


def _network_policy(ctx: Any) -> Answer:
    data = ctx.kube.get("/apis/networking.k8s.io/v1")
    kinds = {r.get("name") for r in data.get("resources", [])}
    problems = [] if "networkpolicies" in kinds else ["networking.k8s.io/v1 serves no networkpolicies"]
    return _verdict(problems, "networking.k8s.io/v1 serves networkpolicies", "GET /apis/networking.k8s.io/v1",
                    ", ".join(sorted(k for k in kinds if k)))


def _ingress(ctx: Any) -> Answer:
    classes = ctx.kube.get("/apis/networking.k8s.io/v1/ingressclasses").get("items", [])
    names = [(c.get("metadata") or {}).get("name") or "" for c in classes]
    problems = [] if names else ["no IngressClass"]
    return _verdict(problems, f"ingress class {', '.join(names)}",
                    "GET /apis/networking.k8s.io/v1/ingressclasses", ", ".join(names) or "none")


def _workloads(ctx: Any) -> Answer:
    problems, seen = [], []
    for component in ctx.manifest.components:
        if not component.workload or not component.namespace:
            continue
        kind, name = component.workload.split("/")
        data = ctx.kube.get(f"/apis/apps/v1/namespaces/{component.namespace}/{kind}s/{name}")
        images = [c.get("image", "") for c in
                  (((data.get("spec") or {}).get("template") or {}).get("spec") or {}).get("containers", [])]
        ready, wanted = _readiness(kind, data.get("status") or {}, data.get("spec") or {})
        seen.append(f"{component.name}: {', '.join(images)} ({ready}/{wanted} ready)")
        if component.digest and not any(image.endswith(component.digest) for image in images):
            running = ", ".join(images) or "nothing"
            problems.append(f"{component.name} runs {running}, not {component.digest[:19]}…")
        if ready < wanted:
            problems.append(f"{component.name} {ready}/{wanted} ready")
    if not seen:
        return Outcome.INCONCLUSIVE, "not checked: no component names its workload and namespace", "", ""
    return _verdict(problems, f"{len(seen)} workload(s) run the manifest's digests and are ready",
                    "GET each component's workload", "; ".join(seen))


def _readiness(kind: str, status: dict[str, Any], spec: dict[str, Any]) -> tuple[int, int]:
    if kind == "daemonset":
        return int(status.get("numberReady", 0)), int(status.get("desiredNumberScheduled", 0))
    return int(status.get("readyReplicas", 0)), int(spec.get("replicas", 1))

