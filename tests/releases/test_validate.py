"""`release validate` on the two example releases, on a site made of a small lab (its platform
landing zone applied by real Terraform, its LPC host smoke-tested by real Ansible) and a local HTTP
server answering with the Kubernetes API's JSON for a good platform and a broken one; the JUnit
report against an XSD of JUnit as Jenkins reads it; waivers; the decision and the blockers a
release claims to fix."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time

import pytest
import xmlschema
import yaml
from werkzeug import Response

from tests.checks.conftest import bare_site, write_site  # noqa: F401 - bare_site is a fixture
from tests.conftest import PROJECT, SEEDS, service, write_catalog

FIRST = SEEDS / "releases" / "lpc-1.0.yaml"
FIXED = SEEDS / "releases" / "lpc-1.1.yaml"
XSD = PROJECT / "tests" / "data" / "junit-jenkins.xsd"
MANIFEST = yaml.safe_load(FIXED.read_text())["release"]


def serve_platform(server, broken: bool = False) -> None:
    """The API's answers for a platform that runs lpc-1.1 (or, ``broken``, one that does not)."""
    server.expect_request("/version").respond_with_json(
        {"major": "1", "minor": "24", "gitVersion": "v1.24.6" if broken else "v1.24.7"})
    ready = [{"type": "Ready", "status": "True"}]
    server.expect_request("/api/v1/nodes").respond_with_json({"kind": "NodeList", "items": [
        {"metadata": {"name": "lpc-node-1"}, "status": {"conditions": ready}},
        {"metadata": {"name": "lpc-node-2"}, "status": {"conditions": [
            {"type": "Ready", "status": "False" if broken else "True"}]}}]})
    default = {"storageclass.kubernetes.io/is-default-class": "true"}
    server.expect_request("/apis/storage.k8s.io/v1/storageclasses").respond_with_json({"items": [
        {"metadata": {"name": "ceph-rbd", "annotations": {} if broken else default}},
        {"metadata": {"name": "ceph-fs"}}]})
    resources = [{"name": "ingresses"}, {"name": "ingressclasses"}] + ([] if broken else [
        {"name": "networkpolicies"}])
    server.expect_request("/apis/networking.k8s.io/v1").respond_with_json(
        {"kind": "APIResourceList", "groupVersion": "networking.k8s.io/v1", "resources": resources})
    server.expect_request("/apis/networking.k8s.io/v1/ingressclasses").respond_with_json(
        {"items": [] if broken else [{"metadata": {"name": "nginx"}}]})
    for component in MANIFEST["components"]:
        kind, name = component["workload"].split("/")
        image = component["image"]
        if broken and component["name"] == "calico":
            image = image.rsplit("@", 1)[0] + "@sha256:" + "0" * 64
        status = ({"numberReady": 3, "desiredNumberScheduled": 3} if kind == "daemonset"
                  else {"readyReplicas": 2, "replicas": 2})
        server.expect_request(f"/apis/apps/v1/namespaces/{component['namespace']}/{kind}s/{name}") \
            .respond_with_json({"spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": name, "image": image}]}}}, "status": status})


def kubeconfig(folder, httpserver):
    path = folder / "kube.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Config
clusters: [{{name: lpc, cluster: {{server: "{httpserver.url_for('/').rstrip('/')}"}}}}]
users: [{{name: auditor, user: {{token: read-only}}}}]
contexts: [{{name: lpc, context: {{cluster: lpc, user: auditor}}}}]
current-context: lpc
""")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A lab of one service on one LPC host, its platform built with lpc-1.1 (the newest release
    delivered by now): landing zone applied, the host's etc/lpc-release written."""
    from orchestrator.catalog import load_catalog
    from orchestrator.lab import LabLayout, lab_up

    root = tmp_path_factory.mktemp("release-lab")
    catalog = write_catalog(root / "catalog", {"catalog.yaml": {
        "releases": [{"id": "lpc-1.1", "name": "fixed", "status": "accepted", "delivered": "2022-10-01",
                      "available": "2022-10-03"}],
        "services": [service("app", hosts={"legacy": ["legacy-app"], "target": ["lpc-app"]})]}})
    layout = LabLayout(root / "lab")
    lab_up(load_catalog(catalog), layout, signing=False)  # the subject is the release, not signing
    return layout


def lab_site(lab, tmp_path, httpserver, **changes):
    """A site of its own for one test, in the lab's folder (its paths are the lab's): the lab's
    site with a journal of the test's and the Kubernetes API of the local server."""
    from orchestrator.journal import Journal, resolve_url

    site = yaml.safe_load(lab.site_file.read_text())
    site.update(journal=str(tmp_path / "journal.db"),
                kubernetes={"kubeconfig": str(kubeconfig(tmp_path, httpserver))})
    site.update(changes)
    Journal(resolve_url(tmp_path / "journal.db", None), create=True).close()
    path = lab.root / f"site-{tmp_path.name}.yml"
    path.write_text(yaml.safe_dump(site))
    return path


@pytest.fixture
def site(lab, tmp_path, httpserver):
    return lab_site(lab, tmp_path, httpserver)


@pytest.fixture
def api_site(tmp_path, httpserver):
    """A site with the Kubernetes API only: no landing zone, no LPC hosts (REL-TF and REL-ANS are
    INCONCLUSIVE at once), for the tests of the other checks and of the reports."""
    folder = tmp_path / "site"
    folder.mkdir()
    kubeconfig(folder, httpserver)
    return write_site(folder, release="lpc-1.1", kubernetes={"kubeconfig": "kube.yaml"})


def validate(run_cli, manifest, site, out, *extra):
    return run_cli("release", "validate", str(manifest), "--site", str(site), "--out", str(out),
                   "--format", "json", *extra)


def test_the_first_delivery_fails_and_the_fixed_release_passes(run_cli, site, httpserver, tmp_path):
    serve_platform(httpserver)
    first = validate(run_cli, FIRST, site, tmp_path / "first")
    assert first.exit_code == 1
    results = json.loads((tmp_path / "first" / "results.json").read_text())
    failed = [r["check"] for r in results["results"] if r["shown"] == "FAIL"]
    assert failed == ["REL-ANS-002", "REL-K8S-001", "REL-K8S-006", "REL-MAN-001", "REL-MAN-002",
                      "REL-MAN-003", "REL-MAN-004", "REL-MAN-005", "REL-TF-001"]
    assert [r["check"] for r in results["results"]] == sorted(r["check"] for r in results["results"])
    shown = {r["check"]: r for r in results["results"]}
    drift = shown["REL-TF-001"]
    assert drift["summary"].startswith("drift: the landing zone differs from lpc-1.0: Plan: ")
    assert drift["answer"].startswith("exit 2:\n")
    assert '"kubernetes_version" = "1.24.7" -> "1.20.7"' in drift["answer"]  # terraform's own diff
    assert "Refreshing state" not in drift["answer"]
    assert '  ~ "kubernetes_version" = "1.24.7" -> "1.20.7"' in (tmp_path / "first" / "report.md").read_text()
    assert shown["REL-ANS-002"]["summary"] == "runs lpc-1.1, not lpc-1.0: lpc-app"
    fixed = validate(run_cli, FIXED, site, tmp_path / "fixed")
    assert fixed.exit_code == 0, fixed.stdout
    assert json.loads(fixed.stdout)["counts"] == {"PASS": 15}


def test_a_broken_platform_fails_its_platform_checks(run_cli, api_site, httpserver, tmp_path):
    serve_platform(httpserver, broken=True)
    result = validate(run_cli, FIXED, api_site, tmp_path / "out")
    assert result.exit_code == 1
    shown = {r["check"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert {c for c, r in shown.items() if r["shown"] == "FAIL"} == {
        "REL-K8S-001", "REL-K8S-002", "REL-K8S-003", "REL-K8S-004", "REL-K8S-005", "REL-K8S-006"}
    assert shown["REL-K8S-002"]["summary"] == "not Ready: lpc-node-2"
    assert shown["REL-K8S-006"]["summary"].startswith("calico runs registry.lpc.example/calico/node:v3.24.3@")


@pytest.mark.parametrize("answer, words", [
    (Response('{"message":"forbidden"}', status=403, content_type="application/json"), "HTTP 403"),
    (Response("<html>gateway</html>", status=200, content_type="text/html"), "the answer is not JSON"),
    ("slow", "no answer within the timeout"),  # last: it keeps the shared server busy a moment
])
def test_what_the_api_cannot_answer_is_inconclusive(answer, words, run_cli, api_site, httpserver, tmp_path,
                                                     monkeypatch):
    monkeypatch.setenv("LOGIUS_MIGRATE_KUBE_TIMEOUT", "0.5")

    def slow(request):
        time.sleep(0.8)
        return Response("{}", content_type="application/json")

    handler = slow if answer == "slow" else (lambda request: answer)
    httpserver.expect_request("/version").respond_with_handler(handler)
    serve_platform(httpserver)  # every other question answered (the first handler of /version wins)
    result = validate(run_cli, FIXED, api_site, tmp_path / "out")
    shown = {r["check"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert shown["REL-K8S-001"]["shown"] == "INCONCLUSIVE"
    assert shown["REL-K8S-001"]["summary"].startswith("not checked: GET /version: ")
    assert words in shown["REL-K8S-001"]["summary"] and "Traceback" not in result.output


def test_the_junit_report_validates_against_the_jenkins_schema(run_cli, api_site, httpserver, tmp_path):
    serve_platform(httpserver, broken=True)
    validate(run_cli, FIRST, api_site, tmp_path / "out", "--waivers", str(waivers(tmp_path, [
        {"id": "REL-K8S-002", "reason": "node 2 in maintenance", "owner": "ops", "expires": "2099-01-01"}])))
    schema = xmlschema.XMLSchema(XSD)
    junit = tmp_path / "out" / "junit.xml"
    schema.validate(junit)
    tree = schema.to_dict(junit)
    suite = tree["testsuite"][0]
    assert {p["@name"]: p["@value"] for p in suite["properties"]["property"]}["release.id"] == "lpc-1.0"
    names = [case["@name"] for case in suite["testcase"]]
    assert names[0] == "REL-ANS-001 every LPC host answers Ansible"
    assert {case["@classname"] for case in suite["testcase"]} == {
        "release.lpc-1.0.ans", "release.lpc-1.0.k8s", "release.lpc-1.0.man", "release.lpc-1.0.tf"}
    skipped = [case["@name"].split()[0] for case in suite["testcase"] if "skipped" in case]
    assert skipped == ["REL-ANS-001", "REL-ANS-002", "REL-ANS-003", "REL-TF-001"]  # INCONCLUSIVE
    assert "@skipped" not in tree


@pytest.mark.parametrize("platform, words", [
    ("fresh", "not checked: the landing zone in {zone} has no state (nothing applied to compare with)"),
    ("no module", "not checked: terraform init in zone: rc 1: "),
    (None, "not checked: site lab declares no platform landing zone"),
])
def test_a_landing_zone_that_cannot_be_planned_is_inconclusive(platform, words, lab, run_cli, httpserver,
                                                               tmp_path):
    zone = tmp_path / "zone"
    terraform = yaml.safe_load(lab.site_file.read_text())["terraform"]
    terraform["platform"] = None if platform is None else {
        "work_dir": str(zone), "module": str(tmp_path / "missing") if platform == "no module"
        else terraform["platform"]["module"]}
    (tmp_path / "empty.yml").write_text("all: {}\n")  # no LPC hosts: the smoke test is not run
    site = lab_site(lab, tmp_path, httpserver, terraform=terraform, inventory=str(tmp_path / "empty.yml"))
    serve_platform(httpserver)
    result = validate(run_cli, FIXED, site, tmp_path / "out")
    assert result.exit_code == 8, result.output
    shown = {r["check"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert shown["REL-TF-001"]["shown"] == "INCONCLUSIVE"
    assert shown["REL-TF-001"]["summary"].startswith(words.format(zone=zone)), shown["REL-TF-001"]["summary"]
    assert shown["REL-ANS-001"]["summary"] == f"not checked: no host in group lpc of {tmp_path / 'empty.yml'}"


def test_the_landing_zone_state_in_the_journal_s_postgresql_database(lab, run_cli, httpserver, tmp_path,
                                                                     pg_url):
    """backend: journal with a PostgreSQL journal: the landing zone's state is in a database of its
    own, <journal>_tf_.platform, apart from the service stacks' <journal>_tf_<id>; planned from there."""
    import psycopg

    from orchestrator.catalog.manifest import load_manifest, platform_variables
    from orchestrator.engine.session import pg_backend
    from orchestrator.lab import lab_platform_module
    from orchestrator.steps.terraform import TerraformStack, write_platform_module
    from tests.steps.test_terraform import stack_databases

    assert run_cli("journal", "init", "--db", pg_url).exit_code == 0
    terraform = yaml.safe_load(lab.site_file.read_text())["terraform"]
    zone = tmp_path / "zone"
    terraform["platform"]["work_dir"] = str(zone)
    (tmp_path / "empty.yml").write_text("all: {}\n")
    site = lab_site(lab, tmp_path, httpserver, journal=pg_url, terraform=terraform,
                    inventory=str(tmp_path / "empty.yml"))
    write_platform_module(zone, lab_platform_module())
    stack = TerraformStack(zone, lab.site().terraform_env(), pg_backend(pg_url).for_platform())
    stack.init()
    stack.apply(platform_variables(load_manifest(FIXED)[0]))
    with psycopg.connect(pg_url) as connection:
        schemas = {row[0] for row in connection.execute("SELECT nspname FROM pg_namespace")}
    assert stack_databases(pg_url) == {pg_backend(pg_url).for_platform().database(zone)}
    assert "logius_platform" not in schemas and not any(s.startswith("tf_") for s in schemas)
    assert not (zone / "terraform.tfstate").exists()
    serve_platform(httpserver)
    for manifest, outcome in ((FIXED, "PASS"), (FIRST, "FAIL")):
        validate(run_cli, manifest, site, tmp_path / manifest.stem)
        results = json.loads((tmp_path / manifest.stem / "results.json").read_text())["results"]
        shown = {r["check"]: r for r in results}
        assert shown["REL-TF-001"]["shown"] == outcome, shown["REL-TF-001"]


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_smoke_playbook_fails_a_host_and_says_which_it_could_not_ask(lab, run_cli, httpserver, tmp_path):
    """One LPC host of the lab with too little disk for the policy, one that does not answer."""
    inventory = yaml.safe_load(lab.inventory.read_text())
    inventory["all"]["children"]["lpc"]["hosts"]["lpc-ghost"] = {
        "host_root": "/", "ansible_connection": "ssh", "ansible_host": "127.0.0.1",
        "ansible_port": closed_port(), "ansible_ssh_common_args": "-o ConnectTimeout=5 "
        "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    policy = yaml.safe_load((SEEDS / "releases" / "policy.yaml").read_text())
    policy["policy"]["min_free_disk_mb"] = 10**9
    (tmp_path / "policy.yaml").write_text(yaml.safe_dump(policy))
    site = lab_site(lab, tmp_path, httpserver, inventory=str(tmp_path / "inventory.yml"))
    serve_platform(httpserver)
    result = validate(run_cli, FIXED, site, tmp_path / "out", "--policy", str(tmp_path / "policy.yaml"))
    assert result.exit_code == 1
    shown = {r["check"]: r for r in json.loads((tmp_path / "out" / "results.json").read_text())["results"]}
    assert shown["REL-ANS-001"]["shown"] == "FAIL" and shown["REL-ANS-001"]["summary"].endswith(": lpc-ghost")
    assert shown["REL-ANS-002"]["shown"] == "INCONCLUSIVE"
    assert shown["REL-ANS-002"]["summary"].startswith("not asked on every host: ")
    assert shown["REL-ANS-002"]["summary"].endswith(": lpc-ghost")
    assert shown["REL-ANS-002"]["answer"].startswith("lpc-app: runs lpc-1.1; lpc-ghost: ")
    assert shown["REL-ANS-003"]["shown"] == "FAIL"
    assert re.fullmatch(r"\d+ MB free on \S+, the release needs 1000000000 MB: lpc-app",
                        shown["REL-ANS-003"]["summary"]), shown["REL-ANS-003"]["summary"]
    assert shown["REL-TF-001"]["shown"] == "PASS"


def waivers(tmp_path, entries):
    path = tmp_path / "waivers.yaml"
    path.write_text(yaml.safe_dump({"waivers": entries}))
    return path


def test_an_expired_waiver_no_longer_hides_a_failure(run_cli, api_site, httpserver, tmp_path):
    serve_platform(httpserver, broken=True)
    today = dt.date.today()
    entries = [
        {"pattern": "REL-K8S-00[1-5]", "reason": "platform rebuilt next week", "owner": "supplier",
         "expires": (today + dt.timedelta(days=7)).isoformat()},
        {"id": "REL-K8S-006", "reason": "calico hotfix", "owner": "supplier",
         "expires": (today - dt.timedelta(days=1)).isoformat()},
        {"id": "REL-MAN-999", "reason": "nothing", "owner": "nobody", "expires": "2099-01-01"}]
    given = waivers(tmp_path, entries)
    result = validate(run_cli, FIXED, api_site, tmp_path / "out", "--waivers", str(given))
    assert result.exit_code == 1
    doc = json.loads((tmp_path / "out" / "results.json").read_text())
    shown = {r["check"]: r["shown"] for r in doc["results"]}
    assert shown["REL-K8S-006"] == "FAIL" and shown["REL-K8S-001"] == "WAIVED"
    assert [w["target"] for w in doc["waivers"]["expired"]] == ["REL-K8S-006"]
    assert [w["target"] for w in doc["waivers"]["unmatched"]] == ["REL-MAN-999"]
    assert doc["waivers"]["applied"][0]["checks"] == ["REL-K8S-001", "REL-K8S-002", "REL-K8S-003",
                                                      "REL-K8S-004", "REL-K8S-005"]
    report = (tmp_path / "out" / "report.md").read_text()
    assert "- Expired (no longer applied): REL-K8S-006 (supplier, until" in report


@pytest.mark.parametrize("change, words", [
    (lambda m: m.pop("supplier"), "release: field 'supplier': Field required"),
    (lambda m: m.update(date="2022-13-01"), "release: field 'date': Input should be a valid date"),
    (lambda m: m["components"][0].update(version="one"),
     "field 'components[0].version': 'one' is not a version"),
    (lambda m: m.update(fixes=["ticket 7"]), "field 'fixes': 'ticket 7' is not a blocker id"),
])
def test_a_bad_manifest_names_the_file_and_the_field(change, words, run_cli, api_site, tmp_path):
    data = yaml.safe_load(FIXED.read_text())
    change(data["release"])
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = validate(run_cli, bad, api_site, tmp_path / "out")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"error: {bad}: {words}" in result.stderr or (f"error: {bad}: " in result.stderr
                                                          and words in result.stderr)
    assert not (tmp_path / "out").exists()


def test_a_directory_instead_of_a_manifest_names_the_manifests_in_it(run_cli, api_site, tmp_path):
    folder = SEEDS / "releases"  # the three manifests and the policy, which is not one
    result = validate(run_cli, folder, api_site, tmp_path / "out")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"error: {folder} is a directory, not a manifest; give one of the manifests "
                             f"in it: lpc-1.0.yaml, lpc-1.1.yaml, lpc-2.0.yaml\n")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.yaml").write_text("notes: none\n")
    result = validate(run_cli, empty, api_site, tmp_path / "out")
    assert result.exit_code == 2
    assert result.stderr == (f"error: {empty} is a directory, not a manifest, and it holds no manifests "
                             f"(YAML or JSON files with a 'release' section); give the path of one\n")
    assert not (tmp_path / "out").exists()


def test_a_bad_policy_names_the_file_and_the_field(run_cli, api_site, tmp_path):
    policy = yaml.safe_load((SEEDS / "releases" / "policy.yaml").read_text())
    policy["policy"]["required_components"][0]["min_version"] = "one"
    bad = tmp_path / "policy.yaml"
    bad.write_text(yaml.safe_dump(policy))
    result = validate(run_cli, FIXED, api_site, tmp_path / "out", "--policy", str(bad))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bad}: policy: field 'required_components[0].min_version': 'one' is not a version "
        "(MAJOR.MINOR[.PATCH])", "error: the policy has 1 problem(s)"]
    assert not (tmp_path / "out").exists()


def test_acceptance_needs_a_passing_validation_and_settles_the_claimed_blockers(run_cli, site, httpserver,
                                                                               tmp_path):
    from orchestrator.journal import Journal, resolve_url
    from orchestrator.journal.blockers import get_blocker

    where = ["--site", str(site)]
    for title in ("volumes detach under load", "network policies not enforced"):
        run_cli("blocker", "add", "--scope", "release:lpc-1.0", "--severity", "blocking", "--title", title,
                "--owner", "supplier", *where)
    never = run_cli("release", "accept", "lpc-1.1", "--by", "cio", "--reason", "x", *where)
    assert never.exit_code == 2 and "lpc-1.1 has never been validated" in never.stderr
    serve_platform(httpserver, broken=True)
    validate(run_cli, FIXED, site, tmp_path / "a")
    refused = run_cli("release", "accept", "lpc-1.1", "--by", "cio", "--reason", "x", *where)
    assert refused.exit_code == 2 and "validation 1 of lpc-1.1 is FAIL: REL-K8S-001 FAIL" in refused.stderr
    httpserver.clear()
    serve_platform(httpserver)
    assert validate(run_cli, FIXED, site, tmp_path / "b").exit_code == 0
    with Journal(resolve_url(tmp_path / "journal.db", None)) as journal:
        assert [get_blocker(journal, b).status for b in ("BLK-0001", "BLK-0002")] == ["resolved", "resolved"]
    accepted = run_cli("release", "accept", "lpc-1.1", "--by", "cio", "--reason", "validation 2 passed",
                       *where)
    assert accepted.exit_code == 0 and accepted.stdout.startswith("lpc-1.1 accepted by cio (validation 2")
    listed = {row["validation"]: row for row in json.loads(run_cli("release", "list", *where, "--format",
                                                                   "json").stdout)}
    assert listed[2]["decisions"] == [{"decision": "accepted", "by": "cio", "reason": "validation 2 passed"}]
    assert listed[1]["decisions"] == []
    assert "; accepted by cio: validation 2 passed" in run_cli("release", "list", *where).stdout
    changed = run_cli("release", "diff", "1", "2", *where, "--format", "json")
    assert {c["check"] for c in json.loads(changed.stdout)["changes"]} >= {"REL-K8S-001", "REL-K8S-006"}
    httpserver.clear()
    serve_platform(httpserver, broken=True)
    validate(run_cli, FIXED, site, tmp_path / "c")
    with Journal(resolve_url(tmp_path / "journal.db", None)) as journal:
        assert [get_blocker(journal, b).status for b in ("BLK-0001", "BLK-0002")] == ["open", "open"]


def test_a_refused_acceptance_names_alike_checks_once(run_cli, api_site, httpserver, tmp_path):
    serve_platform(httpserver)
    assert validate(run_cli, FIXED, api_site, tmp_path / "out").exit_code == 8
    refused = run_cli("release", "accept", "lpc-1.1", "--by", "cio", "--reason", "x", "--site", str(api_site))
    assert refused.exit_code == 2
    head = "error: validation 1 of lpc-1.1 is INCONCLUSIVE: "
    assert refused.stderr.splitlines() == [
        head + "REL-ANS-001, REL-ANS-002, REL-ANS-003 INCONCLUSIVE: "
        f"not checked: no host in group lpc of {api_site.parent / 'inventory.yml'}",
        head + "REL-TF-001 INCONCLUSIVE: not checked: site test-site declares no platform landing zone",
        "error: lpc-1.1 not accepted"]


def test_the_gate_reads_the_decision(run_cli, tmp_path, bare_site):  # noqa: F811 - the fixture
    """The catalog says r1 is accepted; the gate reads only the journal's decisions."""
    from orchestrator.checks.platform import release
    from orchestrator.journal.releases import decide
    from tests.checks.conftest import context
    from tests.conftest import accept_release

    path, journal = bare_site
    ctx = context(path, journal)
    assert release(ctx, ctx.catalog.service("app")).outcome.value == "FAIL"  # the catalog decides nothing
    accept_release(journal, "r1", "test-site", by="cio")
    assert release(ctx, ctx.catalog.service("app")).outcome.value == "PASS"
    decide(journal, "r1", "0" * 64, "rejected", None, "cio", "ingress drops sessions")
    rejected = release(ctx, ctx.catalog.service("app"))
    assert rejected.outcome.value == "FAIL"
    assert rejected.summary.startswith("release r1 is rejected on ")
    assert rejected.summary.endswith(", not accepted")


def test_the_catalog_folder_ignores_its_release_manifests(tmp_path):
    from orchestrator.catalog import load_catalog

    copy = tmp_path / "seeds"
    shutil.copytree(SEEDS, copy)
    assert len(load_catalog(copy).services) == 20


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_html_report_opens_in_headless_chromium_and_shows_every_failure(run_cli, site, httpserver,
                                                                             tmp_path):
    """Opened from file:// with no network: no console errors, every FAIL on the page, and a
    screenshot kept as a test artefact (outside git, in pytest's temporary folder)."""
    import subprocess

    serve_platform(httpserver, broken=True)
    validate(run_cli, FIRST, site, tmp_path / "out")
    page = tmp_path / "out" / "report.html"
    assert "http://" not in page.read_text() and "https://" not in page.read_text(), "no external assets"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    dom = subprocess.run([CHROMIUM, *flags, "--dump-dom", page.as_uri()], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    failures = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    for result in (r for r in failures if r["shown"] == "FAIL"):
        assert f'id="{result["check"]}"' in dom.stdout and 'data-outcome="FAIL"' in dom.stdout
    assert f'data-checks="{len(failures)}"' in dom.stdout, "the page's script ran"
    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *flags, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    assert shot.stat().st_size > 10_000
