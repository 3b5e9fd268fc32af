"""The check-mode predictions of the Ansible phases: the real phases run with --check --diff, in
the runbook's order, on a one-service lab where nothing has run yet (plus an LPC host that cannot
be reached), feeding one rehearsal. Nothing changes on the hosts; every task says what it would do,
and a task that depends on an earlier step's change is never "no change" nor a false failure."""

from __future__ import annotations

import hashlib
import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from orchestrator.catalog import load_catalog
from orchestrator.engine.executors.ansible import phase_variables
from orchestrator.engine.prediction import (
    CANNOT_RUN,
    DEPENDS,
    UNREACHABLE,
    PhasePredictor,
    Rehearsed,
    TaskPrediction,
    overlap,
)
from orchestrator.journal.redaction import Redactor
from orchestrator.runbook import hosts_of, runbook_for
from orchestrator.steps.ansible import PlaybookRequest, load_inventory, run_playbook
from tests.conftest import PROJECT
from tests.engine.conftest import make_lab, one_service_catalog

PHASES = ("prepare-target", "replicate-data", "freeze", "final-sync", "cutover", "verify")
GHOST = "lpc-ghost"
LEDGER = "var/lib/logius-migrate/ledger/alpha"


def tree_digest(root: Path) -> dict[str, str]:
    """Every directory and file below ``root``: its mode and, for a file, the sha256 of its bytes."""
    return {str(p.relative_to(root)): f"{p.stat().st_mode:o}:" + (
        hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
        for p in sorted(root.rglob("*"))}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_ghost(inventory: Path, target: Path) -> Path:
    """The lab's inventory (its header kept, so it is read the same way) with one more LPC host
    of alpha that Ansible reaches over ssh at a port nothing listens on."""
    header, text = inventory.read_text().split("\n", 1)
    data = yaml.safe_load(text)
    data["all"]["children"]["lpc"]["hosts"][GHOST] = {
        "host_root": str(target.parent / "ghost-root"), "service": "alpha", "data_role": True,
        "release": "none", "build": "rehosted", "ansible_connection": "ssh",
        "ansible_host": "127.0.0.1", "ansible_port": closed_port()}
    target.write_text(header + "\n" + yaml.safe_dump(data, sort_keys=False))
    return target


def rehearse(catalog: Path, layout: Any, inventory: Path, phases: tuple[str, ...] = PHASES) -> dict[str, Any]:
    """Each phase's playbook in check mode, as the dry-run runs it: predictions per phase."""
    alpha = next(s for s in load_catalog(catalog).services if s.id == "alpha")
    secrets = json.loads(layout.secrets.read_text())
    redact = Redactor(v for values in secrets.values() for v in values.values())
    hostvars, rehearsed, made = load_inventory(inventory), Rehearsed(), {}
    for step in (s for s in runbook_for(alpha) if s.name in phases):
        ghost = [GHOST] if GHOST in hostvars and "lpc" in step.runs_on else []
        hosts = hosts_of(alpha, step.runs_on) + ghost
        predictor = PhasePredictor(step.name, hostvars, rehearsed, redact)
        result = run_playbook(PlaybookRequest(
            str(step.playbook), inventory, tuple(hosts), phase_variables(step, [alpha]),
            secret_variables={"service_secrets": secrets}, check=True), on_event=predictor.handle)
        made[step.name] = predictor.finish(hosts, result)
    return {"made": made, "rehearsed": rehearsed, "secret": secrets["alpha"]["db_password"]}


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory):
    base = tmp_path_factory.mktemp("rehearsal")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))
        patch.delenv("LOGIUS_MIGRATE_DB", raising=False)
        catalog = one_service_catalog(base / "catalog")
        layout = make_lab(base / "lab", catalog, approve=False)
        inventory = with_ghost(layout.inventory, base / "ghost.yml")
        before = tree_digest(layout.hosts)
        done = rehearse(catalog, layout, inventory)
        yield {**done, "layout": layout, "before": before, "after": tree_digest(layout.hosts)}


def of(predictions: list[TaskPrediction], host: str, task: str) -> list[TaskPrediction]:
    found = [p for p in predictions if p.host == host and p.task == task]
    assert found, f"no prediction of {task!r} on {host}: {predictions}"
    return found


def test_the_rehearsal_changes_nothing_on_the_hosts(rehearsal):
    assert rehearsal["after"] == rehearsal["before"]
    assert len(rehearsal["before"]) > 20
    staging = rehearsal["layout"].root / "staging"
    assert not staging.exists() or not any(staging.iterdir())  # nothing was fetched


def test_prepare_target_would_change_the_target_with_its_diff(rehearsal):
    made = rehearsal["made"]["prepare-target"]
    folders = of(made, "lpc-alpha", "Create the application directories")
    assert [(p.outcome, p.paths) for p in folders] == [("change", ("etc/alpha",)), ("change", ("srv/alpha",))]
    assert all("-state: absent\n+state: directory\n" in p.diff for p in folders)
    [config] = of(made, "lpc-alpha", "Write the application configuration")
    assert (config.outcome, config.paths) == ("change", ("etc/alpha/app.conf",))
    assert "+service = alpha\n+platform = lpc\n" in config.diff and config.diff.startswith("--- ")


def test_a_task_that_needs_an_earlier_change_is_unknown_never_a_false_failure(rehearsal):
    """The password line fails in check mode (the file is not written yet): it depends on it."""
    [password] = of(rehearsal["made"]["prepare-target"], "lpc-alpha", "Add the database password")
    assert password.outcome == "unknown"
    assert password.reason == f"{DEPENDS}prepare-target Write the application configuration on lpc-alpha"


def test_verify_depends_on_the_changes_it_checks(rehearsal):
    """The check-mode trap: verify reads what earlier phases would write, so its checks (which
    fail in check mode) and reads (which see nothing yet) are unknown, neither fail nor no-change."""
    made = rehearsal["made"]["verify"]
    for task in ("Read the application configuration", "Check the configuration is in place"):
        [found] = of(made, "lpc-alpha", task)
        assert (found.outcome, found.reason) == (
            "unknown", f"{DEPENDS}prepare-target Write the application configuration on lpc-alpha")
    for task in ("Read the routes", "Check every route points at LPC"):
        [found] = of(made, "gateway", task)
        assert (found.service, found.outcome) == ("alpha", "unknown")
        assert found.reason == f"{DEPENDS}cutover Route the services to their LPC hosts on gateway"


def test_replicating_through_the_staging_folder_is_never_no_change(rehearsal):
    for phase in ("replicate-data", "final-sync"):
        made = rehearsal["made"][phase]
        [fetch] = of(made, "legacy-alpha", "Fetch the data files to the controller")
        assert (fetch.outcome, fetch.reason) == ("unknown", CANNOT_RUN)
        [copy] = of(made, "lpc-alpha", "Copy the data files into place")
        assert (copy.outcome, copy.reason) == (
            "unknown", f"{DEPENDS}{phase} Fetch the data files to the controller on legacy-alpha")
    [find] = of(rehearsal["made"]["replicate-data"], "legacy-alpha", "Find the data files")
    assert (find.outcome, find.paths) == ("no-change", ("var/lib/alpha",))  # reads what nothing changed


def test_every_mutating_phase_would_add_its_ledger_line(rehearsal):
    where = {"prepare-target": "lpc-alpha", "replicate-data": "lpc-alpha", "freeze": "legacy-alpha",
             "final-sync": "lpc-alpha", "cutover": "gateway"}
    for phase, host in where.items():
        [line] = of(rehearsal["made"][phase], host, "Record the application in the ledger")
        assert (line.service, line.outcome, line.paths) == ("alpha", "change", (LEDGER,))
        assert f"\n+{phase}\n" in line.diff
    assert not [p for p in rehearsal["made"]["verify"] if "ledger" in p.task]


def test_an_unreachable_host_is_unknown_for_every_task(rehearsal):
    made = rehearsal["made"]["prepare-target"]
    ghost = [p for p in made if p.host == GHOST]
    assert [p.task for p in ghost] == list(dict.fromkeys(p.task for p in made if p.host == "lpc-alpha"))
    assert all(p.outcome == "unknown" and p.reason.startswith(UNREACHABLE) for p in ghost)
    assert "Connection refused" in ghost[0].reason
    unreached = [p for phase in PHASES for p in rehearsal["made"][phase] if p.host == GHOST]
    assert {p.outcome for p in unreached} == {"unknown"}


def test_the_rehearsal_names_every_task_it_saw_and_no_secret(rehearsal):
    everything = [p.as_dict() for phase in PHASES for p in rehearsal["made"][phase]]
    assert everything == [p.as_dict() for p in rehearsal["rehearsed"].predictions]
    assert {p["outcome"] for p in everything} == {"change", "no-change", "unknown"}
    assert not [p for p in everything if p["outcome"] in ("no-change", "fail") and p["phase"] == "verify"]
    assert rehearsal["secret"] not in json.dumps(everything)


def test_a_password_line_that_would_change_never_shows_the_password(tmp_path, isolated_env):
    """The configuration is there without the password: the line would change, and its diff
    (which holds the password) is never shown."""
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, approve=False)
    config = layout.host_root("lpc-alpha") / "etc/alpha/app.conf"
    config.parent.mkdir(parents=True)
    config.write_text("service = alpha\nplatform = lpc\nrelease = none\nbuild = rehosted\n")
    config.chmod(0o600)
    before = tree_digest(layout.hosts)
    done = rehearse(catalog, layout, layout.inventory, ("prepare-target",))
    [password] = of(done["made"]["prepare-target"], "lpc-alpha", "Add the database password")
    assert password.outcome == "change" and done["secret"] not in password.diff
    assert done["secret"] not in json.dumps([p.as_dict() for p in done["made"]["prepare-target"]])
    assert tree_digest(layout.hosts) == before


# -- the classifier on recorded events (tests/data/prediction-events.json: the real events of the
# -- runs above, the lab's root read as /lab) ----------------------------------------------------

RECORDED = json.loads((PROJECT / "tests/data/prediction-events.json").read_text())


def replay(phases: tuple[str, ...], rehearsed: Rehearsed | None = None, redact: Any = lambda text: text,
           events: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[TaskPrediction]]:
    """The recorded runs of ``phases`` fed to predictors in order (``events`` replaces a run's)."""
    rehearsed = Rehearsed() if rehearsed is None else rehearsed
    made = {}
    for phase in phases:
        predictor = PhasePredictor(phase, RECORDED["inventory"], rehearsed, redact)
        for event in (events or {}).get(phase, RECORDED["phases"][phase]["events"]):
            predictor.handle(event)
        made[phase] = predictor.finish(RECORDED["phases"][phase]["hosts"], None)
    return made


def test_recorded_runs_replay_as_they_were_predicted_live():
    made = replay(PHASES)
    [password] = of(made["prepare-target"], "lpc-alpha", "Add the database password")
    assert password.reason == f"{DEPENDS}prepare-target Write the application configuration on lpc-alpha"
    outcomes = {(p.phase, p.host, p.outcome) for phase in PHASES for p in made[phase]}
    assert ("verify", "lpc-alpha", "no-change") not in outcomes
    assert not [o for o in outcomes if o[2] == "fail"]
    assert {p.outcome for p in made["verify"]} == {"unknown"}


def test_a_diff_is_rendered_as_unified_text():
    made = replay(("prepare-target",))["prepare-target"]
    [config] = of(made, "lpc-alpha", "Write the application configuration")
    header = "/lab/hosts/lpc-alpha/etc/alpha/app.conf"
    assert config.diff == (f"--- {header}\n+++ {header}\n@@ -0,0 +1,4 @@\n"
                           "+service = alpha\n+platform = lpc\n+release = none\n+build = rehosted\n")
    [folder] = of(made, "lpc-alpha", "Create the application directories")[:1]
    assert folder.diff == ("--- before\n+++ after\n@@ -1,2 +1,2 @@\n path: /lab/hosts/lpc-alpha/etc/alpha\n"
                           "-state: absent\n+state: directory\n")
    [route] = of(replay(("cutover",))["cutover"], "gateway", "Route the services to their LPC hosts")
    assert "-backend = legacy\n-hosts = legacy-alpha\n+backend = lpc\n+hosts = lpc-alpha\n" in route.diff


def test_every_text_of_a_prediction_is_redacted():
    from orchestrator.journal.redaction import REDACTED

    redact = Redactor(["rehosted", "application configuration"])
    made = [p for phase in ("prepare-target", "verify") for p in replay((phase,), redact=redact)[phase]]
    texts = json.dumps([p.as_dict() for p in made])
    assert "rehosted" not in texts and "application configuration" not in texts
    [config] = of(made, "lpc-alpha", f"Write the {REDACTED}")
    assert f"+build = {REDACTED}\n" in config.diff
    [check] = of(made, "lpc-alpha", "Check the configuration is in place")
    assert check.reason == f"alpha: no {REDACTED} on lpc-alpha"


def test_a_skip_outside_a_loop_is_told_by_its_module():
    """ansible-runner gives no result for a skipped task outside a loop: the shell's skip is
    check mode's (shell cannot run in it), the copy's is its condition's."""
    made = replay(("replicate-data",), events={"replicate-data": RECORDED["shell_skip"]})["replicate-data"]
    assert [(p.task, p.outcome, p.reason) for p in made if p.host == "lpc-alpha"] == [
        ("Record the application in the ledger", "unknown", CANNOT_RUN)]
    copy = [e for e in RECORDED["phases"]["replicate-data"]["events"]
            if e["event_data"].get("host") != "legacy-alpha"]
    made = replay(("replicate-data",), events={"replicate-data": copy})["replicate-data"]
    [skipped] = of(made, "lpc-alpha", "Copy the data files into place")
    assert (skipped.outcome, skipped.reason) == ("no-change", "skipped")


def test_a_skip_by_its_condition_is_no_change_unless_an_earlier_step_may_change_it():
    hooks = ("Consume one-shot lab faults", "Fail as a lab fault demands")
    alone = replay(("freeze",))["freeze"]
    skipped = {(p.outcome, p.reason) for t in hooks for p in of(alone, "legacy-alpha", t)}
    assert skipped == {("no-change", "skipped")}
    after = replay(("prepare-target", "freeze"))["freeze"]
    assert {p.outcome for t in hooks for p in of(after, "legacy-alpha", t)} == {"unknown"}


def test_a_failure_no_earlier_step_explains_is_a_failure_with_its_message():
    made = replay(("verify",))["verify"]
    [check] = of(made, "lpc-alpha", "Check the configuration is in place")
    assert (check.outcome, check.reason) == ("fail", "alpha: no application configuration on lpc-alpha")
    [route] = of(made, "gateway", "Check every route points at LPC")
    assert (route.service, route.outcome) == ("alpha", "fail")
    assert route.reason == "alpha: the gateway does not route to LPC"
    [read] = of(made, "lpc-alpha", "Read the application configuration")
    assert (read.outcome, read.paths) == ("no-change", ("etc/alpha/app.conf",))


def test_a_hidden_result_is_a_change_only_when_ansible_says_so():
    events = {"prepare-target": RECORDED["hidden_change"]}
    [told] = replay(("prepare-target",), events=events)["prepare-target"][:1]
    assert (told.task, told.outcome, told.diff) == ("Add the database password", "change", "")
    silent = [{k: v for k, v in e.items() if k != "stdout"} for e in RECORDED["hidden_change"]]
    [untold] = replay(("prepare-target",), events={"prepare-target": silent})["prepare-target"][:1]
    assert (untold.outcome, untold.reason) == ("unknown", "the task hides its result (no_log)")


def test_a_host_check_mode_stopped_is_unknown_for_the_tasks_it_would_have_run():
    """A failure that depends on an earlier change and is not ignored stops the host in check
    mode only: every later task of it depends on that change too."""
    events, stopped = [], False
    for event in RECORDED["phases"]["prepare-target"]["events"]:
        data = event["event_data"]
        if data.get("host") == "lpc-alpha" and stopped:
            continue
        if data.get("host") == "lpc-alpha" and data.get("task") == "Add the database password":
            event, stopped = {**event, "event_data": {**data, "ignore_errors": False}}, True
        events.append(event)
    made = replay(("prepare-target",), events={"prepare-target": events})["prepare-target"]
    [ledger] = of(made, "lpc-alpha", "Record the application in the ledger")
    assert (ledger.outcome, ledger.reason) == (
        "unknown", f"{DEPENDS}prepare-target Write the application configuration on lpc-alpha")


def test_a_host_never_reached_or_a_playbook_that_could_not_run_is_unknown():
    predictor = PhasePredictor("cutover", RECORDED["inventory"], Rehearsed(), lambda text: text)
    [gateway] = predictor.finish(["gateway"], None, error="ERROR! the playbook could not be parsed")
    assert (gateway.task, gateway.outcome, gateway.reason) == (
        "(every task)", "unknown", "the playbook could not run: ERROR! the playbook could not be parsed")
    predictor = PhasePredictor("verify", RECORDED["inventory"], Rehearsed(), lambda text: text)
    for event in RECORDED["phases"]["verify"]["events"]:
        if event["event_data"].get("host") != "gateway":
            predictor.handle(event)
    made = predictor.finish(RECORDED["phases"]["verify"]["hosts"], None)
    assert [(p.task, p.reason) for p in made if p.host == "gateway"] == [
        ("(every task)", "the run never reached the host: not run")]


def test_paths_are_relative_to_the_host_root_and_overlap_by_folder():
    root = {host: {**hostvars, "host_root": "/"} for host, hostvars in RECORDED["inventory"].items()}
    predictor = PhasePredictor("cutover", root, Rehearsed(), lambda text: text)
    for event in RECORDED["phases"]["cutover"]["events"]:
        predictor.handle(event)
    route = predictor.finish(["gateway"], None)[0]
    assert route.paths == ("lab/hosts/gateway/etc/gateway/routes/alpha.conf",)
    assert overlap(["etc/alpha"], ["etc/alpha/app.conf"]) and overlap(["etc/alpha/app.conf"], ["etc/alpha"])
    assert not overlap(["etc/alpha"], ["etc/alphabet", "srv/alpha"])
