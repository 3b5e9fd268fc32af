"""`wave dry-run N` on a one-service lab with the real tools: it changes nothing (hosts, Terraform
states, the journal but for its record), its record is approved by a second person, the run that
follows applies its saved Terraform plans, and everything that run changed was predicted as a
change or an unknown. A state that moved between the rehearsal and the run refuses the run before
any change; Ctrl-C ends a rehearsal with nothing recorded; a wave another operator is running is
not rehearsed."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orchestrator.journal import Journal, resolve_url
from tests.conftest import PROJECT
from tests.engine.conftest import (
    cli_process,
    host_files,
    make_lab,
    one_service_catalog,
    state_files,
    wait_for,
)


def _cli(env: dict[str, str], catalog: Path, layout: Any, *args: str,
         by: str = "ann") -> subprocess.CompletedProcess:
    """`logius-migrate ARGS --lab LAB`, with --catalog for the commands that read the catalog."""
    reads_catalog = args[:2] == ("wave", "run") or (args[:2] == ("wave", "dry-run") and args[2].isdigit())
    extra = ["--catalog", str(catalog)] if reads_catalog else []
    return subprocess.run([sys.executable, "-m", "orchestrator", *args, *extra, "--lab", str(layout.root)],
                          env={**env, "LOGIUS_MIGRATE_OPERATOR": by}, cwd=PROJECT, capture_output=True,
                          text=True, timeout=600)


def _counts(layout: Any) -> dict[str, int]:
    """Rows of every journal table a run writes (and the dry-run must not)."""
    import sqlalchemy as sa

    with Journal(resolve_url(layout.journal, None)) as journal, journal.engine.connect() as connection:
        names = ["runs", "executions", "attempts", "rollback_points", "check_results", "blockers", "locks",
                 "service_states", "processes", "events", "dry_runs"]
        return {name: connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
                for name in names}


def _changed_files(before: dict[str, Any], after: dict[str, Any]) -> set[tuple[str, str]]:
    """(host, path relative to the host) of every file the run added, changed or removed."""
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    return {(name.split("/", 1)[0], name.split("/", 1)[1]) for name in changed if "/" in name}


def _covered(host: str, path: str, tasks: list[dict[str, Any]]) -> bool:
    """A prediction of a change or an unknown on that host whose paths hold the file (an
    unknown naming no path covers the host)."""
    for task in tasks:
        if task["host"] != host or task["outcome"] not in {"change", "unknown"}:
            continue
        if task["outcome"] == "unknown" and not task["paths"]:
            return True
        if any(path == p or path.startswith(p.rstrip("/") + "/") for p in task["paths"]):
            return True
    return False


@pytest.fixture
def lab(tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog, require_dry_run=True)
    return catalog, layout, isolated_env


def test_a_dry_run_changes_nothing_and_is_what_the_run_applies(lab, tmp_path):
    catalog, layout, env = lab
    hosts, states, counts = host_files(layout), state_files(layout), _counts(layout)
    refused = _cli(env, catalog, layout, "wave", "run", "1", "--approve")
    assert refused.returncode == 2 and "requires an approved dry-run of wave 1" in refused.stderr, \
        refused.stderr

    out = tmp_path / "out"
    done = _cli(env, catalog, layout, "wave", "dry-run", "1", "--format", "json", "--out", str(out))
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert host_files(layout) == hosts and state_files(layout) == states
    assert _counts(layout) == {**counts, "events": counts["events"] + 1, "dry_runs": 1}
    assert document["status"] == "complete" and document["services"] == ["alpha"]
    [stack] = document["stacks"]
    assert stack["resources"] and all(r["actions"] == ["create"] for r in stack["resources"])
    assert Path(stack["plan_file"]).is_file() and stack["state_serial"] is None
    outcomes = {(t["phase"], t["outcome"]) for t in document["tasks"]}
    assert ("prepare-target", "change") in outcomes and not any(o == "fail" for _, o in outcomes), outcomes
    assert {p.name for p in out.iterdir()} == {"dry-run.md", "dry-run.html", "dry-run.json"}

    own = _cli(env, catalog, layout, "wave", "dry-run", "approve", "1", "--by", "ann", "--reason", "mine")
    assert own.returncode == 2 and "someone else" in own.stderr
    assert _cli(env, catalog, layout, "wave", "dry-run", "approve", "1", "--by", "bob", "--reason",
                "board").returncode == 0

    run = _cli(env, catalog, layout, "wave", "run", "1", "--approve", "--format", "json")
    assert run.returncode == 0, run.stderr
    with Journal(resolve_url(layout.journal, None)) as journal:
        applied = [e.message for e in journal.events(run_id="wave-1") if e.kind == "dry-run"]
    assert applied and stack["sha256"][:12] in applied[0]
    compared = _cli(env, catalog, layout, "wave", "dry-run", "compare", "1", "wave-1", "--format", "json")
    assert compared.returncode == 0, compared.stdout + compared.stderr
    found = json.loads(compared.stdout)
    assert found["recall"] == 1.0 and found["happened"] > 0 and found["missed"] == []
    missed = [f for f in _changed_files(hosts, host_files(layout)) if not _covered(*f, document["tasks"])]
    assert missed == [], f"the run changed files no prediction covered: {missed}"


def test_a_state_that_moved_since_the_dry_run_refuses_the_run_before_any_change(lab):
    catalog, layout, env = lab
    assert _cli(env, catalog, layout, "wave", "dry-run", "1", "--service", "alpha").returncode == 0
    approved = _cli(env, catalog, layout, "wave", "dry-run", "approve", "1", "--by", "bob", "--reason", "ok")
    assert approved.returncode == 0, approved.stderr
    _apply_by_hand(catalog, layout)
    hosts, states = host_files(layout), state_files(layout)

    run = _cli(env, catalog, layout, "wave", "run", "1", "--approve")
    assert run.returncode == 2, run.stderr
    assert "dry-run 1 of wave 1 no longer stands: the Terraform state of alpha moved" in run.stderr
    assert host_files(layout) == hosts and state_files(layout) == states
    with Journal(resolve_url(layout.journal, None)) as journal:
        assert journal.runs() == []

    listed = json.loads(_cli(env, catalog, layout, "wave", "dry-run", "list", "--format", "json").stdout)
    assert [(r["id"], r["wave"], r["approved_by"]) for r in listed] == [(1, 1, "bob")]
    shown = _cli(env, catalog, layout, "wave", "dry-run", "show", "1", "--format", "md")
    assert shown.returncode == 0 and "alpha" in shown.stdout and "known after apply" in shown.stdout
    for wrong, says in ((("wave", "dry-run", "9"), "wave 9: plan 1 has waves 1..1"),
                        (("wave", "dry-run", "1", "--service", "beta"), "beta"),
                        (("wave", "dry-run", "show", "7"), "dry-run 7: no such dry-run")):
        refused = _cli(env, catalog, layout, *wrong)
        assert refused.returncode == 2 and says in refused.stderr and len(refused.stderr.splitlines()) <= 2, \
            refused.stderr

    again = _cli(env, catalog, layout, "wave", "dry-run", "1", "--format", "json")
    assert again.returncode == 0, again.stderr
    differences = _cli(env, catalog, layout, "wave", "dry-run", "diff", "1", "2", "--format", "json")
    assert any(d["kind"] == "resource" for d in json.loads(differences.stdout)), differences.stdout
    # Terraform's own check, behind the tool's: a plan made against a state that moved since is
    # refused by `terraform apply PLANFILE` itself, before any change.
    [stack] = json.loads(again.stdout)["stacks"]
    _apply_by_hand(catalog, layout, release="moved-on")
    moved = state_files(layout)
    _terraform_refuses_the_stale_plan(catalog, layout, Path(stack["plan_file"]))
    assert state_files(layout) == moved


def _terraform_refuses_the_stale_plan(catalog: Path, layout: Any, plan_file: Path) -> None:
    from orchestrator.engine.tools import stack_for
    from orchestrator.errors import StalePlan
    from tests.engine.conftest import session

    with session(catalog, layout) as ctx, pytest.raises(StalePlan, match="the saved plan is stale"):
        stack_for(ctx, ctx.service("alpha"), "by-hand").apply_plan(plan_file)


def _apply_by_hand(catalog: Path, layout: Any, **overrides: str) -> None:
    """Someone applies alpha's stack outside the tool (with ``overrides`` of its variables)."""
    from orchestrator.engine.tools import stack_for, tf_variables
    from tests.engine.conftest import session

    with session(catalog, layout) as ctx:
        alpha = ctx.service("alpha")
        stack_for(ctx, alpha, "by-hand").apply({**tf_variables(ctx, alpha), **overrides})


def test_ctrl_c_ends_a_dry_run_with_nothing_recorded(lab):
    catalog, layout, env = lab
    layout.drill_pause.write_text("prepare-target:60")
    counts = _counts(layout)
    process = cli_process(["wave", "dry-run", "1", "--catalog", str(catalog), "--lab", str(layout.root)],
                          {**env, "LOGIUS_MIGRATE_OPERATOR": "ann"})
    wait_for(lambda: bool(list(layout.terraform.rglob("dry-run-*.tfplan"))) or process.poll() is not None,
             timeout=120)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "nothing was changed or recorded" in err
    assert _counts(layout) == counts


def test_a_wave_another_operator_is_running_is_not_rehearsed(lab):
    catalog, layout, env = lab
    with Journal(resolve_url(layout.journal, None)) as journal:
        journal.acquire_lock("wave-1", "bob@elsewhere", 300)
    refused = _cli(env, catalog, layout, "wave", "dry-run", "1")
    assert refused.returncode == 4 and "bob@elsewhere" in refused.stderr, refused.stderr
    assert _counts(layout)["dry_runs"] == 0
