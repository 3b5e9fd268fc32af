"""The gates of a run: preconditions before each service's first change, and holding a service
(with the members of the wave that hard-depend on it) when a check or a step fails, so the rest
of the wave goes on. A step that fails after its retries opens a blocker with its evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrator.engine.context import EngineContext


def now() -> dt.datetime:
    """The moment of the change: the tool's one clock (see :mod:`orchestrator.clock`)."""
    from orchestrator import clock

    return clock.now()


def check_context(ctx: EngineContext, wave: int | None, members: list[str], plan: Any,
                  run_id: str | None = None) -> Any:
    from orchestrator.checks import CheckContext
    from orchestrator.engine.tools import child_watch, terraform_planner

    watch = child_watch(ctx, run_id, cancel_on_first_stop=True) if run_id is not None else None
    return CheckContext(catalog=ctx.catalog, site=ctx.site, journal=ctx.journal, now=now(),
                        plan=plan, wave=wave, members=list(members), planner=terraform_planner(ctx),
                        watch=watch)


def check_services(ctx: EngineContext, run_id: str | None, wave: int | None, members: list[str],
                   candidates: list[str], plan: Any, overrides: dict[str, str],
                   record: bool = True) -> dict[str, list[Any]]:
    """The preconditions of each of ``candidates`` (with the run's ``overrides``), every result
    journalled unless not ``record`` (with ``run_id``, or none for `logius-migrate check`);
    service -> its results."""
    from orchestrator.checks import run_checks, with_overrides
    from orchestrator.journal.evidence import record_results

    checks = check_context(ctx, wave, members, plan, run_id)
    found: dict[str, list[Any]] = {}
    try:
        for sid in candidates:
            found[sid] = with_overrides(run_checks(checks, ctx.service(sid)), overrides, ctx.owner)
            if record:
                record_results(ctx.journal, run_id, found[sid])
    finally:
        checks.close()
    return found


def run_gates(ctx: EngineContext, run_id: str, wave: int, members: list[str], candidates: list[str],
              plan: Any, overrides: dict[str, str], record: bool = True,
              seen: dict[str, list[Any]] | None = None) -> dict[str, str]:
    """Check each of ``candidates`` (members not begun, or held before); journal every result
    (a dry-run does not: ``record`` False, the results go to ``seen``); return the services the
    checks hold, with why, in one line each."""
    from orchestrator.checks import stopping

    refuse_foreign_overrides(overrides, members)
    held: dict[str, str] = {}
    for sid, results in check_services(ctx, run_id, wave, members, candidates, plan, overrides,
                                       record).items():
        if seen is not None:
            seen[sid] = results
        for result in results if record else ():
            if result.overridden_by is not None:
                note = (f"override applied: {result.check_id} {result.outcome.value} for {sid} let pass "
                        f"by {result.overridden_by}: {result.override_reason} ({result.summary})")
                ctx.journal.log(run_id, "override", note)
                ctx.progress.on_note(note)
        stops = stopping(results, ctx.site.on_inconclusive)
        if stops:
            held[sid] = "; ".join(f"{r.check_id} {r.outcome.value}: {r.summary}" for r in stops)
            if record:
                ctx.journal.log(run_id, "held", f"{sid} held before any change: {held[sid]}")
    return held


def refuse_foreign_overrides(overrides: dict[str, str], members: list[str]) -> None:
    """InputError for an override ``CHECK-ID:SERVICE`` whose service is not in the wave."""
    from orchestrator.errors import InputError

    for key in sorted(overrides):
        check_id, _, service = key.partition(":")
        if service and service not in members:
            raise InputError(f"--override {key}: {service} is not in this wave (its services: "
                             f"{', '.join(members)}); nothing was changed")


def dependants(ctx: EngineContext, members: list[str], held: set[str]) -> dict[str, str]:
    """Members that must wait for a held service: its hard dependants (and a retired service
    whose dependant is held), transitively. Returns member -> the held service it waits on."""
    from orchestrator.planning.rules import constraint_edges

    services = ctx.catalog.services
    index = ctx.catalog.index
    inside = {index[sid] for sid in members}
    after: dict[int, list[int]] = {}
    for first, then in constraint_edges(services, ctx.catalog.hard_pairs):
        if first in inside and then in inside:
            after.setdefault(first, []).append(then)
    waiting: dict[str, str] = {}
    stack = [(index[sid], sid) for sid in held]
    while stack:
        position, cause = stack.pop()
        for nxt in after.get(position, []):
            sid = services[nxt].id
            if sid not in held and sid not in waiting:
                waiting[sid] = cause
                stack.append((nxt, cause))
    return waiting


def open_failure_blocker(ctx: EngineContext, run_id: str, wave: int, service_id: str, step: str,
                         error: str) -> str:
    """A blocker for a step that failed after its retries, with its attempts as evidence."""
    from orchestrator.journal import execution_key
    from orchestrator.journal.blockers import add_blocker

    attempts = ctx.journal.attempts(execution_key(run_id, service_id, step))
    evidence = "\n".join(f"attempt {a.number}: {a.outcome} {a.error}".strip() for a in attempts)
    blocker = add_blocker(ctx.journal, f"service:{service_id}", "blocking",
                          f"{step} failed in {run_id} (wave {wave}): {error[:300]}", ctx.owner, ctx.owner,
                          evidence=evidence or error)
    ctx.journal.log(run_id, "blocker", f"{blocker.id} opened for {service_id}: {step} failed")
    return blocker.id
