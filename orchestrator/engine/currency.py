"""Whether an approved dry-run still stands for the run about to start: on a site that sets
``require_dry_run``, `wave run N` applies the newest approved dry-run of wave N, and refuses,
naming what changed since, when there is none or it no longer describes what would run: the
catalog, the site file, the inventory, a Terraform state that moved, a blocker now in force, the
plan or the wave's members."""

from __future__ import annotations

from typing import Any

from orchestrator.engine.context import EngineContext
from orchestrator.errors import Refused


def approved_rehearsal(ctx: EngineContext, wave: int, plan: Any, members: list[str]) -> Any:
    """The dry-run record the run applies; Refused (nothing run) when there is no approved one
    of this wave or when it is no longer current."""
    from orchestrator.journal.dry_runs import latest_approved_dry_run, list_dry_runs

    record = latest_approved_dry_run(ctx.journal, wave)
    if record is None:
        waiting = [r for r in list_dry_runs(ctx.journal, wave) if not r.approved]
        hint = (f"dry-run {waiting[-1].id} waits for approval: logius-migrate wave dry-run approve "
                f"{waiting[-1].id} --by NAME --reason TEXT" if waiting else
                f"rehearse it first: logius-migrate wave dry-run {wave}, then have it approved")
        raise Refused([f"site {ctx.site.name} requires an approved dry-run of wave {wave}; {hint}"],
                      "nothing was run")
    from orchestrator.journal.decisions import policy_of
    from orchestrator.journal.dry_runs import check_dry_run_approved

    check_dry_run_approved(ctx.journal, record, policy_of(ctx.site))
    changes = since(ctx, record, plan, members)
    if changes:
        raise Refused([f"dry-run {record.id} of wave {wave} no longer stands: {c}" for c in changes],
                      f"nothing was run; rehearse it again: logius-migrate wave dry-run {wave}")
    return record


def since(ctx: EngineContext, record: Any, plan: Any, members: list[str]) -> list[str]:
    """What changed since the dry-run, one line each (empty: it stands)."""
    from orchestrator.engine.rehearsal import digests

    document = record.document
    changes = [f"the {what} changed since it was rehearsed" for what, value in digests(ctx).items()
               if document["digests"].get(what) != value]
    if document["plan"] != plan.id:
        changes.append(f"it rehearsed plan {document['plan']}, the run takes plan {plan.id}")
    from orchestrator.engine.states import STARTABLE

    rehearsed = set(document["services"]) - set(document["held"])
    to_run = [sid for sid in members if ctx.journal.service_state(sid).state in STARTABLE]
    missing = sorted(set(to_run) - set(document["services"]))
    if missing:
        changes.append(f"it did not rehearse {', '.join(missing)}")
    changes += _moved_states(ctx, document, rehearsed & set(to_run))  # not those migrated since
    changes += _new_blockers(ctx, document, members)
    return changes


def _moved_states(ctx: EngineContext, document: dict[str, Any], rehearsed: set[str]) -> list[str]:
    from orchestrator.engine.tools import stack_for

    moved = []
    for stack in document["stacks"]:
        if stack["service"] not in rehearsed or not stack.get("sha256"):
            continue
        mark = stack_for(ctx, ctx.service(stack["service"]), "dry-run-check").state_mark()
        if (mark["state_serial"], mark["state_lineage"]) != (stack["state_serial"], stack["state_lineage"]):
            moved.append(f"the Terraform state of {stack['service']} moved (serial {stack['state_serial']} "
                         f"then, {mark['state_serial']} now)")
    return moved


def _new_blockers(ctx: EngineContext, document: dict[str, Any], members: list[str]) -> list[str]:
    from orchestrator import clock
    from orchestrator.engine.rehearsal import blockers_in_force

    now = set(blockers_in_force(ctx, document["wave"], members, clock.now().date()))
    then = set(document.get("blockers_in_force", []))
    return ([f"blocker {b} is in force since" for b in sorted(now - then)]
            + [f"blocker {b} no longer holds (what it held was not rehearsed)" for b in sorted(then - now)])
