"""After a crash, before anything else: settle the dead run's orphaned tools, repair Terraform
state, then decide for every step left ``running`` or ``interrupted`` whether its change is in
place (it is then done, never applied again) or runs again only where it is missing."""

from __future__ import annotations

import base64
import os

from orchestrator import liveness
from orchestrator.catalog.models import Service
from orchestrator.engine.context import EngineContext
from orchestrator.engine.states import state_on_done
from orchestrator.runbook import LEDGER_DIR, Step, hosts_of, runbook_for, step_named

ORPHAN_WAIT_ENV = "LOGIUS_MIGRATE_ORPHAN_WAIT"
UNSETTLED = {"running", "interrupted"}


def after_crash(ctx: EngineContext, run_id: str, services: list[Service], check_hosts: bool = True) -> None:
    """What a resumed run does first: settle the dead run's tools, close its attempts, repair its
    stacks, and (``check_hosts``: a wave's) check that every member's hosts are still in the
    site's inventory."""
    from orchestrator.sites.check import refuse_missing_hosts

    settle_orphans(ctx, run_id)
    close_attempts(ctx, run_id)
    repair_stacks(ctx, run_id, services)
    if check_hosts:
        refuse_missing_hosts(ctx.site, services)


def settle_orphans(ctx: EngineContext, run_id: str) -> None:
    """Wait for or stop every tool process the run recorded that still runs on this host."""
    from orchestrator.steps.processes import settle_orphan

    wait = float(os.environ.get(ORPHAN_WAIT_ENV, "60"))
    for process in ctx.journal.processes(run_id):
        if process.host != liveness.this_host():
            ctx.journal.log(run_id, "orphan", f"{process.tool} pid {process.pid} ran on host "
                                              f"{process.host}; it cannot be checked from here")
        else:
            ctx.journal.log(run_id, "orphan", settle_orphan(process, wait))
        ctx.journal.remove_process(process.id)


def close_attempts(ctx: EngineContext, run_id: str) -> None:
    """End the dead run's open attempts as ``interrupted``: every attempt ends in a final state.
    Whether the step's change is in place is decided afterwards, from the hosts and the state."""
    closed = ctx.journal.close_open_attempts(
        run_id, f"the process running this attempt ended without recording its outcome (found by "
                f"{ctx.owner} on resume; the step is reconciled from the hosts and the state)")
    if closed:
        ctx.journal.log(run_id, "attempts", f"closed {len(closed)} open attempt(s) as interrupted: "
                                            f"{', '.join(closed)}")


def repair_stacks(ctx: EngineContext, run_id: str, services: list[Service]) -> None:
    """Put back Terraform state a crash left unreadable, clear stale locks; journal the evidence."""
    from orchestrator.engine.tools import stack_for

    for service in services:
        if any(step.kind == "terraform" for step in runbook_for(service)) and \
                ctx.site.stack_dir(service.id).is_dir():
            for evidence in stack_for(ctx, service, run_id, init=False).repair():
                ctx.journal.log(run_id, "terraform-repair", evidence)


def applied_hosts(ctx: EngineContext, service: Service, step: Step) -> set[str]:
    """The hosts whose application ledger records ``step`` for ``service``."""
    from orchestrator.steps import ansible

    ledger_hosts = hosts_of(service, step.ledger_on)
    ledgers = {h: [f"{LEDGER_DIR}/{service.id}"] for h in ledger_hosts}
    captured = ansible.capture(ctx.site.inventory, ledgers)
    done = set()
    for host, entries in captured.items():
        if entries[0]["state"] == "file":
            if step.name in base64.b64decode(entries[0]["content"]).decode().splitlines():
                done.add(host)
    return done


def is_applied(ctx: EngineContext, service: Service, step: Step,
               run_id: str) -> tuple[bool, str, set[str]]:
    """Whether ``step``'s change is in place for ``service``: (applied, evidence, hosts done)."""
    if step.kind == "terraform-destroy":
        from orchestrator.engine.tools import stack_for

        left = stack_for(ctx, service, run_id).resources()
        return (not left, "the state holds no resource" if not left
                else f"the state still holds {len(left)} resource(s)", set())
    if step.kind in ("terraform", "guarded-terraform"):
        from orchestrator.engine.tools import stack_for, tf_variables

        changes = stack_for(ctx, service, run_id).plan(tf_variables(ctx, service))
        return (not changes, "terraform plan shows no changes" if not changes
                else "terraform plan shows changes", set())
    if not step.mutating or not step.ledger_on:
        return False, "read-only step", set()
    done = applied_hosts(ctx, service, step)
    ledger_hosts = hosts_of(service, step.ledger_on)
    if done == set(ledger_hosts):
        return True, f"applied on every host ({', '.join(sorted(done))})", done
    missing = sorted(set(ledger_hosts) - done)
    return False, f"not yet applied on {', '.join(missing)}", done


def settle_steps(ctx: EngineContext, run_id: str, wave_service: str,
                 applied_hosts: dict[str, set[str]]) -> list[str]:
    """Settle every step a dead or stopped process left unfinished: if its change is in place, it
    is done; otherwise it runs again, only where it is missing (``applied_hosts`` learns, by
    execution key, the hosts already done). Returns the steps settled as done, ``service/step``."""
    reconciled = []
    for execution in ctx.journal.executions(run_id=run_id):
        if execution.status not in UNSETTLED or execution.service == wave_service:
            continue
        service = ctx.service(execution.service)
        step = step_named(service, execution.step)
        applied, where, hosts = is_applied(ctx, service, step, run_id)
        applied_hosts[execution.key] = hosts
        if applied:
            ctx.journal.finish_step(execution.key, "done", output=f"reconciled after a crash: {where}",
                                    service_state=state_on_done(step))
            ctx.journal.log(run_id, "reconciled", f"{execution.key}: {where}")
            reconciled.append(f"{service.id}/{step.name}")
        else:
            ctx.journal.log(run_id, "reconciled", f"{execution.key}: {where}; runs again")
    return reconciled
