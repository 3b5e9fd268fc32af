"""The lab's Kubernetes API stand-in, held to real clients: the official Python client (through the
tool's own KubeClient and the lab's site), the real kubectl, the release checks, and a real wave.
It serves what the lab's files say: the delivered release, the services' workloads as the
playbooks left them; it runs as a daemon `lab up` starts and `lab down` stops."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestrator.lab import kubeapi_process
from tests.conftest import SEEDS, service
from tests.engine.conftest import make_lab, session, small_catalog

KUBECTL = Path("/usr/bin/kubectl")
#: The shipped catalog's releases (seeds/releases.yaml; their manifests are the shipped ones): the
#: lab is built with lpc-2.0, the newest delivered by now, and `lab deliver` may bring any of them.
RELEASES = [
    {"id": "lpc-1.0", "name": "LPC first version", "delivered": "2021-11-01", "status": "rejected"},
    {"id": "lpc-1.1", "name": "LPC fixed", "delivered": "2022-10-01", "available": "2022-10-03",
     "status": "accepted"},
    {"id": "lpc-2.0", "name": "LPC rebuilt", "delivered": "2023-05-01", "available": "2023-06-05",
     "status": "planned"}]


def with_releases(folder: Path, services: list | None = None) -> Path:
    """The small catalog (or one of ``services``) with the shipped releases."""
    import yaml

    path = small_catalog(folder, services)
    data = yaml.safe_load((path / "catalog.yaml").read_text())
    data["releases"] = RELEASES
    (path / "catalog.yaml").write_text(yaml.safe_dump(data))
    return path


def web_catalog(folder: Path) -> Path:
    """alpha declares its namespace, deployment and requests; beta declares nothing (its id is its
    namespace and its deployment's name); gamma retires."""
    return with_releases(folder, [
        service("alpha", hosts={"legacy": ["legacy-alpha"], "target": ["lpc-alpha-1", "lpc-alpha-2"]},
                kubernetes={"namespace": "web", "deployment": "alpha-web",
                            "requests": {"cpu": "500m", "memory": "1Gi"}}),
        service("beta", hosts={"legacy": ["legacy-beta"], "target": ["lpc-beta"]}),
        service("gamma", disposition="retire", hosts={"legacy": ["legacy-gamma"]})])


@pytest.fixture
def lab(tmp_path, isolated_env):
    catalog = web_catalog(tmp_path / "catalog")
    return catalog, make_lab(tmp_path / "lab", catalog, approve=False)


def client_of(layout):
    from orchestrator.checks import site_kube_client
    from orchestrator.sites import load_site

    return site_kube_client(load_site(layout.site_file))


def names(items):
    return sorted(item["metadata"]["name"] for item in items)


def test_the_official_client_reads_the_labs_cluster(lab):
    _, layout = lab
    client = client_of(layout)
    try:
        assert client.version()["gitVersion"] == "v1.26.4"  # lpc-2.0, the newest delivered
        nodes = client.nodes()
        assert names(nodes) == ["lpc-alpha-1", "lpc-alpha-2", "lpc-beta"]
        assert {n["status"]["nodeInfo"]["kubeletVersion"] for n in nodes} == {"v1.26.4"}
        assert all({"type": "Ready", "status": "True"}.items() <= n["status"]["conditions"][0].items()
                   for n in nodes)
        assert names(client.get("/api/v1/namespaces")["items"]) == [
            "beta", "ceph-csi", "cert-manager", "default", "ingress-nginx", "kube-system", "web"]
        assert client.namespace("gamma") is None, "a retired service has no namespace"
        [quota] = client.resource_quotas("web")
        assert quota["status"]["hard"] == {"requests.cpu": "1000m", "requests.memory": "2Gi"}
        assert client.resource_quotas("beta")[0]["status"]["hard"] == {
            "requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"}
        classes = {c["metadata"]["name"]: c["metadata"]["annotations"][
            "storageclass.kubernetes.io/is-default-class"] for c in client.storage_classes()}
        assert classes == {"ceph-fs": "false", "ceph-rbd": "true"}
        assert names(client.get("/apis/networking.k8s.io/v1/ingressclasses")["items"]) == ["nginx"]
        deployments = client.get("/apis/apps/v1/deployments")
        assert deployments["kind"] == "DeploymentList"
        assert names(deployments["items"]) == ["cert-manager", "ingress-nginx-controller"]  # no app yet
        calico = client.get("/apis/apps/v1/namespaces/kube-system/daemonsets/calico-node")
        assert calico["spec"]["template"]["spec"]["containers"][0]["image"].endswith(
            "@sha256:34b4e6b43166958c8db477a4a4229e6318fc74c44aa65e7284382370678fcb35")
        assert calico["status"]["numberReady"] == 3
        from orchestrator.steps.kubernetes import KubeError

        with pytest.raises(KubeError, match='HTTP 404 .*deployments.apps "alpha-web" not found') as missing:
            client.deployment_ready("web", "alpha-web")
        assert missing.value.status == 404
    finally:
        client.close()


@pytest.mark.skipif(not KUBECTL.exists(), reason="/usr/bin/kubectl is missing (Debian: apt-get install "
                                                  "kubernetes-client)")
def test_kubectl_lists_what_the_lab_serves(lab, isolated_env):
    _, layout = lab
    command = [str(KUBECTL), "--kubeconfig", str(layout.root / "kubeconfig"), "get", "nodes,ns,sc,deploy",
               "-A"]
    shown = subprocess.run(command, capture_output=True, text=True, env=isolated_env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    for name in ("node/lpc-alpha-1", "namespace/web", "storageclass.storage.k8s.io/ceph-rbd",
                 "deployment.apps/ingress-nginx-controller"):
        assert name in shown.stdout
    listed = subprocess.run([*command, "-o", "json"], capture_output=True, text=True, env=isolated_env,
                            timeout=60)
    assert listed.returncode == 0, listed.stderr
    kinds = sorted({item["kind"] for item in json.loads(listed.stdout)["items"]})
    assert kinds == ["Deployment", "Namespace", "Node", "StorageClass"]
    missing = subprocess.run([*command[:3], "get", "deploy", "-n", "web", "alpha-web"], capture_output=True,
                             text=True, env=isolated_env, timeout=60)
    assert missing.returncode == 1 and "NotFound" in missing.stderr


def validate(run_cli, layout, release, out):
    result = run_cli("release", "validate", str(SEEDS / "releases" / f"{release}.yaml"), "--lab",
                     str(layout.root), "--out", str(out), "--format", "json")
    shown = json.loads((out / "results.json").read_text())["results"]
    return result, {r["check"]: r for r in shown if r["check"].startswith("REL-K8S")}


def test_what_is_delivered_is_what_the_api_serves_and_the_release_checks_read(lab, run_cli, tmp_path):
    catalog, layout = lab
    where = ["--catalog", str(catalog), "--lab", str(layout.root)]
    first = run_cli("lab", "deliver", "lpc-1.0", *where)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"lab {layout.root}: lpc-1.0 delivered from ")
    assert ": 3 LPC host(s) name it (3 updated); Terraform: " in first.stdout
    assert (layout.host_root("lpc-beta") / "etc/lpc-release").read_text() == "lpc-1.0\n"
    assert "release lpc-1.0 delivered" in run_cli("lab", "status", "--lab", str(layout.root)).stdout
    _, checks = validate(run_cli, layout, "lpc-1.0", tmp_path / "1.0")
    assert checks["REL-K8S-004"]["shown"] == "FAIL"
    assert checks["REL-K8S-004"]["summary"] == "networking.k8s.io/v1 serves no networkpolicies"
    assert checks["REL-K8S-001"]["shown"] == "PASS", "the version served is the delivered one"
    again = json.loads(run_cli("lab", "deliver", "lpc-1.0", *where, "--format", "json").stdout)
    assert again["updated"] == [] and again["changes"] == {"add": 0, "change": 0, "destroy": 0}
    for release in ("lpc-1.1", "lpc-2.0"):
        assert run_cli("lab", "deliver", release, *where).exit_code == 0
        _, checks = validate(run_cli, layout, release, tmp_path / release)
        assert {c: r["shown"] for c, r in checks.items()} == {f"REL-K8S-00{n}": "PASS" for n in range(1, 7)}
    _, stale = validate(run_cli, layout, "lpc-1.1", tmp_path / "stale")  # lpc-2.0 runs now
    assert stale["REL-K8S-001"]["summary"] == "the API serves 1.26.4, the manifest says 1.24.7"
    unknown = run_cli("lab", "deliver", "lpc-9", *where)
    assert unknown.exit_code == 2
    assert unknown.stderr == ("error: release lpc-9 is not in the catalog (it has: lpc-1.0, lpc-1.1, "
                              "lpc-2.0)\n")


def test_a_wave_finds_its_namespaces_and_its_deployments_ready_until_a_rollback(lab, tmp_path):
    from orchestrator.engine import rollback_service, run_wave
    from tests.engine.conftest import approve_plan

    catalog, layout = lab
    approve_plan(catalog, layout)
    from orchestrator.journal.evidence import results

    with session(catalog, layout) as ctx:
        result = run_wave(ctx, 1, ["alpha", "beta", "gamma"], resume=False, approve=True)
        assert result.status == "done"
        namespaces = {r.service: (r.outcome, r.summary)
                      for r in results(ctx.journal, run_id="wave-1") if r.check_id == "PRE-K8S-001"}
        assert namespaces == {
            "alpha": ("PASS", "namespace web exists; room for cpu 500m, memory 1Gi"),
            "beta": ("PASS", "namespace beta (its id: the service declares no kubernetes section) exists; "
                             "room for no declared requests"),
            "gamma": ("PASS", "a retired service lands in no namespace")}
        client = client_of(layout)
        try:
            assert client.deployment_ready("web", "alpha-web") == (True, "2/2 ready, 2 updated")
            assert client.deployment_ready("beta", "beta") == (True, "1/1 ready, 1 updated")
            used = client.resource_quotas("web")[0]["status"]["used"]
            assert used == {"requests.cpu": "500m", "requests.memory": "1Gi"}
            points = {p.step: p.id for p in ctx.journal.rollback_points(service="alpha")}
            rollback_service(ctx, "alpha", to_point=points["cutover"], force=True, reason="route back")
            assert client.deployment_ready("web", "alpha-web") == (False, "0/2 ready, 2 updated")
            assert client.resource_quotas("web")[0]["status"]["used"]["requests.cpu"] == "0"
        finally:
            client.close()


def test_verify_asks_whether_the_deployment_is_ready(lab):
    """What the verify step asks after its playbook: beta's app on its LPC host, the gateway still
    routing to legacy, is not ready (one line, after the brief wait); routed to LPC, it is."""
    from orchestrator.catalog import load_catalog
    from orchestrator.engine.readiness import deployment_not_ready
    from orchestrator.sites import load_site

    catalog, layout = lab
    site, beta = load_site(layout.site_file), load_catalog(catalog).service("beta")
    assert deployment_not_ready(site, beta, wait_seconds=0.2) == (
        "deployment beta/beta is not ready after 0.2 s: it does not exist")
    (layout.host_root("lpc-beta") / "etc/beta").mkdir(parents=True)
    (layout.host_root("lpc-beta") / "etc/beta/app.conf").write_text("service = beta\nplatform = lpc\n")
    assert deployment_not_ready(site, beta, wait_seconds=0.2) == (
        "deployment beta/beta is not ready after 0.2 s: 0/1 ready, 1 updated")
    route = layout.host_root("gateway") / "etc/gateway/routes/beta.conf"
    route.write_text(route.read_text().replace("backend = legacy", "backend = lpc"))
    assert deployment_not_ready(site, beta, wait_seconds=0.2) is None


def test_lab_up_twice_runs_one_api_and_lab_down_stops_it(tmp_path, isolated_env, run_cli):
    catalog = with_releases(tmp_path / "catalog")
    root = tmp_path / "lab"
    up = ["lab", "up", "--unsigned", "--catalog", str(catalog), "--lab", str(root)]
    assert run_cli(*up).exit_code == 0
    first = kubeapi_process.running(root)
    assert first is not None and run_cli(*up).exit_code == 0
    assert kubeapi_process.running(root) == first, "kept, not started again"
    assert len(_stand_ins(root)) == 1
    kubeconfig = (root / "kubeconfig").read_text()
    assert f"server: http://127.0.0.1:{first['port']}" in kubeconfig
    status = json.loads(run_cli("lab", "status", "--lab", str(root), "--format", "json").stdout)
    assert status["kubeapi"] == {"running": True, "pid": first["pid"],
                                 "server": f"http://127.0.0.1:{first['port']}"}
    assert status["release"] == "lpc-2.0"
    kubeapi_process.stop(root)  # as if it had died: the next `lab up` starts it again
    assert "Kubernetes API stand-in not running" in run_cli("lab", "status", "--lab", str(root)).stdout
    assert run_cli(*up).exit_code == 0
    again = kubeapi_process.running(root)
    assert again is not None and again["pid"] != first["pid"] and len(_stand_ins(root)) == 1
    assert again["port"] == first["port"] and (root / "kubeconfig").read_text() == kubeconfig
    assert run_cli("lab", "down", "--lab", str(root)).exit_code == 0
    assert _stand_ins(root) == [] and not root.exists()


def test_a_stand_in_ends_when_its_lab_is_removed_under_it(tmp_path, isolated_env):
    from tests.engine.conftest import wait_for

    layout = make_lab(tmp_path / "lab", small_catalog(tmp_path / "catalog"), approve=False)
    assert len(_stand_ins(layout.root)) == 1
    shutil.rmtree(layout.root)
    wait_for(lambda: _stand_ins(layout.root) == [], timeout=10)


def _stand_ins(root: Path) -> list[str]:
    """The stand-in processes serving the lab at ``root``, from /proc (what `pgrep -af` shows)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"orchestrator.lab.kubeapi" in argv and str(root).encode() in argv:
            found.append(entry.name)
    return found
