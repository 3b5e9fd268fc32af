"""A failure at a step of a rehost, then rollback: the lab is exactly as it was before the wave.

The failing steps are those whose rollback differs: provision (Terraform fails itself, before any
file step; three attempts), final-sync (every file step before it undone in one restore, on the LPC
and the legacy host, the freeze among them, then the landing zone destroyed), cutover (the point of
no return fails itself, so it is not crossed: no force needed; one attempt; the gateway) and verify
(past the point of no return: refused, then forced with a reason). A failure at prepare-target,
replicate-data or freeze is rolled back by the same restore over a prefix of final-sync's points,
its fault comes from the same lab hook, and its retry policy is final-sync's: not repeated here.
"""

from __future__ import annotations

import pytest

from orchestrator.engine import rollback_service, run_wave
from orchestrator.errors import InputError, RollbackRefused, WavePartial
from tests.engine.conftest import host_files, make_lab, one_service_catalog, session, state_files

#: step -> the host whose lab fault file breaks it (None: the Terraform stack's fault file)
FAULT_HOST = {"provision": None, "final-sync": "lpc-alpha", "cutover": "gateway", "verify": "lpc-alpha"}


@pytest.mark.parametrize("step", list(FAULT_HOST))
def test_a_failure_rolls_back_to_exactly_before_the_wave(step, tmp_path, isolated_env):
    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    hosts_before, state_before = host_files(layout), state_files(layout)
    host = FAULT_HOST[step]
    fault = (layout.faults / "alpha.provision" if host is None
             else layout.host_root(host) / f"etc/logius-lab/faults/alpha.{step}.always")
    fault.write_text("always")

    with session(catalog, layout) as ctx:
        with pytest.raises(WavePartial) as caught:
            run_wave(ctx, 1, ["alpha"], resume=False, approve=True)
        assert caught.value.held["alpha"].startswith(f"{step} failed (BLK-0001)")
        execution = ctx.journal.execution(f"wave-1/alpha/{step}")
        assert execution.status == "failed"
        policy = next(s for s in __import__("orchestrator.runbook", fromlist=["x"]).runbook_for(
            ctx.service("alpha")) if s.name == step).retry
        assert execution.attempts == policy.attempts
        if step == "verify":  # the cutover before it completed: past the point of no return
            with pytest.raises(RollbackRefused, match="point of no return"):
                rollback_service(ctx, "alpha")
            with pytest.raises(InputError, match="--reason"):
                rollback_service(ctx, "alpha", force=True)
            rollback_service(ctx, "alpha", force=True, reason="verify failed in the drill")
            forced = [e.message for e in ctx.journal.events("wave-1") if e.kind == "rollback-forced"]
            assert forced and "verify failed in the drill" in forced[0]
        else:
            rollback_service(ctx, "alpha")
        assert ctx.journal.run("wave-1").status == "rolled-back"
        assert ctx.journal.rollback_points(service="alpha") == []
        assert ctx.journal.service_state("alpha").state == "rolled-back", "it may be migrated again"

    fault.unlink()
    assert host_files(layout) == hosts_before
    assert state_files(layout) == state_before


def test_rollback_to_a_point_undoes_only_what_came_after_it(tmp_path, isolated_env):
    from orchestrator.errors import AwaitingApproval

    catalog = one_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    with session(catalog, layout) as ctx:
        with pytest.raises(AwaitingApproval):
            run_wave(ctx, 1, ["alpha"], resume=False)
        points = {p.step: p.id for p in ctx.journal.rollback_points(service="alpha")}
        result = rollback_service(ctx, "alpha", to_point=points["freeze"])
        assert result.undone == ["final-sync", "freeze"]
        assert ctx.journal.service_state("alpha").state == "in-flight", "partly undone: still in flight"
        assert ctx.journal.run("wave-1").status == "waiting-approval"
        assert {p.step for p in ctx.journal.rollback_points(service="alpha")} == {
            "provision", "prepare-target", "replicate-data"}
        with pytest.raises(InputError, match="not one of the open points"):
            rollback_service(ctx, "alpha", to_point=points["freeze"])
    assert "mode = read-write" in (layout.host_root("legacy-alpha") / "etc/alpha/app.conf").read_text()
    ledger = (layout.host_root("lpc-alpha") / "var/lib/logius-migrate/ledger/alpha").read_text().split()
    assert ledger == ["prepare-target", "replicate-data"]


def test_a_rolled_back_service_runs_again_in_its_wave_and_only_it(tmp_path, isolated_env, run_cli):
    """`wave run N` after a member was rolled back starts run wave-N.2 for exactly that member;
    wave status shows the first run's member rolled back afterwards; a wave all done is refused.
    Two members: beta is the one left alone (a retired third would add phases, not a proof)."""
    from tests.engine.conftest import ledger_counts, two_service_catalog

    catalog = two_service_catalog(tmp_path / "catalog")
    layout = make_lab(tmp_path / "lab", catalog)
    args = ["--catalog", str(catalog), "--lab", str(layout.root)]
    with session(catalog, layout) as ctx:
        run_wave(ctx, 1, ["alpha", "beta"], resume=False, approve=True)
        rollback_service(ctx, "alpha", force=True, reason="redo the cutover")
    before = ledger_counts(layout)
    rerun = run_cli("wave", "run", "1", "--approve", *args)
    assert rerun.exit_code == 0, rerun.stderr
    assert rerun.stdout.startswith("wave-1.2: done")
    with session(catalog, layout) as ctx:
        assert ctx.journal.run("wave-1").status == "done"
        assert {e.service for e in ctx.journal.executions(run_id="wave-1.2")} == {"alpha", "_wave"}
        assert ctx.journal.service_state("alpha").state == "cut-over"
        assert ctx.journal.service_state("alpha").run_id == "wave-1.2"
    after = ledger_counts(layout)
    assert {k: v for k, v in after.items() if "alpha" not in k} == \
        {k: v for k, v in before.items() if "alpha" not in k}, "the others were not touched again"
    status = run_cli("wave", "status", "1", "--lab", str(layout.root))
    assert "  runs: wave-1 done (rolled back afterwards: alpha); wave-1.2 done" in status.stdout
    again = run_cli("wave", "run", "1", "--approve", *args)
    assert again.exit_code == 2
    assert "wave 1 is done: every service of it was migrated by run wave-1, wave-1.2" in again.stderr
