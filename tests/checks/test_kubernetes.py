"""PRE-K8S-001 and the Kubernetes adapter against a local HTTP server that answers with the API's
own JSON (shapes from the Kubernetes API reference: Namespace, ResourceQuotaList with
status.hard/status.used, NodeList with conditions, StorageClassList, Deployment, /version). No
API server can run here; the official client does the talking, over real HTTP."""

from __future__ import annotations

import socket
import time

import pytest
from werkzeug import Response

from orchestrator.checks.platform import kubernetes
from orchestrator.steps.kubernetes import KubeClient, KubeError
from tests.checks.conftest import context, write_site
from tests.conftest import service

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace",
             "metadata": {"name": "digid", "uid": "6f1c", "resourceVersion": "412"},
             "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def quota_list(cpu_used: str, memory_used: str) -> dict:
    return {"apiVersion": "v1", "kind": "ResourceQuotaList", "metadata": {"resourceVersion": "977"},
            "items": [{"apiVersion": "v1", "kind": "ResourceQuota",
                       "metadata": {"name": "compute", "namespace": "digid"},
                       "spec": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"}},
                       "status": {"hard": {"requests.cpu": "4", "requests.memory": "8Gi", "pods": "20"},
                                  "used": {"requests.cpu": cpu_used, "requests.memory": memory_used,
                                           "pods": "3"}}}]}


NODES = {"apiVersion": "v1", "kind": "NodeList", "metadata": {"resourceVersion": "1200"}, "items": [
    {"metadata": {"name": "lpc-node-1"}, "status": {"conditions": [
        {"type": "MemoryPressure", "status": "False"}, {"type": "Ready", "status": "True",
                                                         "reason": "KubeletReady"}]}}]}
STORAGE = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClassList", "items": [
    {"metadata": {"name": "ceph-rbd", "annotations": {
        "storageclass.kubernetes.io/is-default-class": "true"}}, "provisioner": "rbd.csi.ceph.com"}]}
VERSION = {"major": "1", "minor": "29", "gitVersion": "v1.29.4", "platform": "linux/amd64"}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "digid-web"},
              "spec": {"replicas": 3}, "status": {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 3}}
DIGID = service("digid", kubernetes={"namespace": "digid", "requests": {"cpu": "500m", "memory": "1Gi"}})


@pytest.fixture
def cluster_site(tmp_path, httpserver):
    (tmp_path / "cluster").mkdir()
    (tmp_path / "cluster" / "kube.yaml").write_text(f"""\
apiVersion: v1
kind: Config
clusters: [{{name: lpc, cluster: {{server: "{httpserver.url_for('/').rstrip('/')}"}}}}]
users: [{{name: operator, user: {{token: not-a-secret-here}}}}]
contexts: [{{name: lpc, context: {{cluster: lpc, user: operator}}}}]
current-context: lpc
""")
    return write_site(tmp_path / "cluster", release="r1", kubernetes={"kubeconfig": "kube.yaml"})


def check(site, journal, svc=DIGID):
    ctx = context(site, journal, [svc])
    try:
        return kubernetes(ctx, ctx.catalog.service(svc["id"]))
    finally:
        ctx.close()


def test_the_namespace_exists_with_room_in_its_quota(cluster_site, bare_site, httpserver):
    _, journal = bare_site
    httpserver.expect_request("/api/v1/namespaces/digid").respond_with_json(NAMESPACE)
    httpserver.expect_request("/api/v1/namespaces/digid/resourcequotas").respond_with_json(
        quota_list("1500m", "4Gi"))
    result = check(cluster_site, journal)
    assert result.outcome.value == "PASS", result
    assert "hard {'requests.cpu': '4'" in result.answer


def test_a_full_quota_or_a_missing_namespace_fails(cluster_site, bare_site, httpserver):
    _, journal = bare_site
    httpserver.expect_oneshot_request("/api/v1/namespaces/digid").respond_with_json(NAMESPACE)
    httpserver.expect_request("/api/v1/namespaces/digid/resourcequotas").respond_with_json(
        quota_list("3800m", "4Gi"))
    full = check(cluster_site, journal)
    assert full.outcome.value == "FAIL"
    assert full.summary == ("quota too small in digid: compute: requests.cpu needs 500m, 4 hard with "
                            "3800m used")
    httpserver.expect_request("/api/v1/namespaces/digid").respond_with_json(
        {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
         "message": 'namespaces "digid" not found'}, status=404)
    missing = check(cluster_site, journal)
    assert missing.outcome.value == "FAIL" and missing.summary == "namespace digid does not exist"


def test_a_500_is_retried_and_then_answered(cluster_site, bare_site, httpserver):
    _, journal = bare_site
    httpserver.expect_ordered_request("/api/v1/namespaces/digid").respond_with_data(
        "etcd leader changed", status=500)
    httpserver.expect_ordered_request("/api/v1/namespaces/digid").respond_with_json(NAMESPACE)
    httpserver.expect_ordered_request("/api/v1/namespaces/digid/resourcequotas").respond_with_json(
        quota_list("0", "0"))
    assert check(cluster_site, journal).outcome.value == "PASS"


@pytest.mark.parametrize("answer, words", [
    (Response('{"kind":"Status","message":"namespaces \\"digid\\" is forbidden: User cannot get"}',
              status=403, content_type="application/json"),
     "not checked: GET /api/v1/namespaces/digid: HTTP 403 FORBIDDEN: namespaces \"digid\" is forbidden"),
    (Response("<html>proxy error</html>", status=200, content_type="application/json"),
     "not checked: GET /api/v1/namespaces/digid: the answer is not JSON"),
    (Response("busy", status=503), "not checked: GET /api/v1/namespaces/digid: HTTP 503"),
    ("slow", "not checked: GET /api/v1/namespaces/digid: no answer within the timeout"),  # last: it
])                                                                  # keeps the shared server busy
def test_what_cannot_be_asked_is_inconclusive_in_one_line(answer, words, cluster_site, bare_site,
                                                          httpserver, monkeypatch):
    _, journal = bare_site
    monkeypatch.setenv("LOGIUS_MIGRATE_KUBE_TIMEOUT", "0.5")

    def slow(request):
        time.sleep(0.8)
        return Response("{}", content_type="application/json")

    handler = slow if answer == "slow" else (lambda request: answer)
    httpserver.expect_request("/api/v1/namespaces/digid").respond_with_handler(handler)
    result = check(cluster_site, journal)
    assert result.outcome.value == "INCONCLUSIVE"
    assert result.summary.startswith(words) and "\n" not in result.summary
    assert "Traceback" not in result.summary


def test_without_a_cluster_it_is_never_a_pass(bare_site):
    site, journal = bare_site
    assert check(site, journal).summary == "not checked: the site has no Kubernetes API"


def test_a_service_without_a_kubernetes_section_lands_in_the_namespace_of_its_id(cluster_site, bare_site,
                                                                               httpserver):
    _, journal = bare_site
    named = "namespace digid (its id: the service declares no kubernetes section)"
    httpserver.expect_oneshot_request("/api/v1/namespaces/digid").respond_with_json(
        {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404,
         "message": 'namespaces "digid" not found'}, status=404)
    missing = check(cluster_site, journal, service("digid"))
    assert (missing.outcome.value, missing.summary) == ("FAIL", f"{named} does not exist")
    httpserver.expect_request("/api/v1/namespaces/digid").respond_with_json(NAMESPACE)
    httpserver.expect_request("/api/v1/namespaces/digid/resourcequotas").respond_with_json(
        quota_list("3800m", "4Gi"))  # nearly full, but the service asks for nothing
    there = check(cluster_site, journal, service("digid"))
    assert (there.outcome.value, there.summary) == ("PASS", f"{named} exists; room for no declared requests")
    retired = check(cluster_site, journal, service("digid", disposition="retire"))
    assert (retired.outcome.value, retired.summary) == ("PASS", "a retired service lands in no namespace")


def test_the_adapter_asks_for_nodes_storage_version_and_deployments(cluster_site, httpserver):
    httpserver.expect_request("/version").respond_with_json(VERSION)
    httpserver.expect_request("/api/v1/nodes").respond_with_json(NODES)
    httpserver.expect_request("/apis/storage.k8s.io/v1/storageclasses").respond_with_json(STORAGE)
    httpserver.expect_request("/apis/apps/v1/namespaces/digid/deployments/digid-web").respond_with_json(
        DEPLOYMENT)
    client = KubeClient(cluster_site.parent / "kube.yaml")
    try:
        assert client.version()["gitVersion"] == "v1.29.4"
        [node] = client.nodes()
        assert {c["type"]: c["status"] for c in node["status"]["conditions"]}["Ready"] == "True"
        assert client.storage_classes()[0]["metadata"]["name"] == "ceph-rbd"
        assert client.deployment_ready("digid", "digid-web") == (False, "2/3 ready, 3 updated")
        headers = httpserver.log[0][0].headers
        assert headers["Authorization"] == "Bearer not-a-secret-here"
    finally:
        client.close()
    closed = cluster_site.parent / "closed.yaml"  # a port nothing listens on (the shared server runs on)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed.write_text((cluster_site.parent / "kube.yaml").read_text().replace(
        httpserver.url_for("/").rstrip("/"), f"http://127.0.0.1:{port}"))
    with pytest.raises(KubeError, match="connection refused"):
        KubeClient(closed, timeout=1, attempts=1).nodes()
