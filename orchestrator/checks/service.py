"""Checks of the service itself: its hard dependencies, freezes, contract changes, backups and
availability budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from orchestrator.checks.base import CheckContext, Outcome, Result, precondition
from orchestrator.checks.windows import AMSTERDAM, active


@precondition("PRE-DEP-001", "hard dependencies moved first")
def dependencies(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-DEP-001: every hard dependency has cut over, or moves earlier in this same wave."""
    if not service.moves:
        return make(Outcome.PASS, "a retired service waits for its dependants, not for dependencies")
    hard = [d.service for d in service.dependencies if d.kind.value == "hard"]
    if not hard:
        return make(Outcome.PASS, "no hard dependencies", "", "none")
    states = {sid: ctx.journal.service_state(sid).state for sid in hard}
    waiting = []
    for sid in hard:
        dependency = ctx.catalog.service(sid)
        if not dependency.moves or states[sid] in {"cut-over", "decommissioned"} or sid in ctx.members:
            continue
        waiting.append(sid)
    answer = ", ".join(f"{sid}: {states[sid]}" + (" (in this wave)" if sid in ctx.members else "")
                       for sid in hard)
    asked = f"journal: service states of {', '.join(hard)}"
    if waiting:
        return make(Outcome.FAIL, f"hard dependencies not cut over: {', '.join(waiting)}", asked,
                    answer, "migrate them first (an earlier wave)")
    return make(Outcome.PASS, "every hard dependency has cut over or moves in this wave", asked, answer)


@precondition("PRE-WIN-001", "no blackout window or change freeze")
def freezes(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-WIN-001: no change freeze or blackout window holds the service now (Amsterdam time)."""
    calendar = ctx.catalog.calendar
    windows = active(list(calendar.freezes) if calendar else [], service, ctx.now)
    moment = ctx.now.astimezone(AMSTERDAM)
    asked = f"windows at {moment:%Y-%m-%d %H:%M %Z}"
    if not windows:
        return make(Outcome.PASS, "no freeze or blackout window now", asked, "none active")
    first = windows[0]
    answer = "; ".join(w.describe() for w in windows)
    outcome = Outcome.FAIL if first.level == "freeze" else Outcome.WARN
    return make(outcome, f"in {first.describe()}", asked, answer,
                f"wait until {first.end.astimezone(AMSTERDAM):%Y-%m-%d %H:%M %Z}"
                if outcome is Outcome.FAIL else "")


@precondition("PRE-CON-001", "no contract change in the wave's window")
def contract_change(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-CON-001: no application-contract change falls in the wave as it really runs: from today
    (the clock) to the end of its planned window, or today alone when it runs late. The planner
    keeps the change out of the planned window; this holds the same rule on the day of the run."""
    change = service.contract_change
    if change is None:
        return make(Outcome.PASS, "no application-contract change planned", "", "none")
    if ctx.plan is None or ctx.wave is None:
        return make(Outcome.INCONCLUSIVE, "not checked: no saved plan gives the wave's window", "",
                    f"contract change on {change.date}", "run the wave from a saved plan")
    wave = ctx.plan.wave(ctx.wave)
    today = ctx.now.astimezone(AMSTERDAM).date()
    start, end = today, max(today, dt.date.fromisoformat(wave["end"]))
    asked = (f"plan {ctx.plan.id} wave {ctx.wave}: planned {wave['start']} to {wave['end']}, "
             f"running from {today}")
    if start <= change.date <= end:
        return make(Outcome.FAIL, f"the contract change on {change.date} falls in wave {ctx.wave} as it "
                                  f"runs ({start} to {end})", asked, str(change.date),
                    "run the wave after the contract change, or move the service to another wave")
    return make(Outcome.PASS, f"the contract change on {change.date} is outside the wave as it runs "
                              f"({start} to {end})", asked, str(change.date))


@precondition("PRE-BAK-001", "legacy backup fresh enough")
def backups(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-BAK-001: the legacy platform's last backup is fresher than the service's limit."""
    source = ctx.site.backups
    if not service.hosts.legacy or not service.data_stores:
        return make(Outcome.PASS, "no legacy data to back up (no legacy host or no data store)")
    if source is None:
        return make(Outcome.INCONCLUSIVE, "not checked: the site names no backup marker or command",
                    "", "no 'backups' in the site file", "add backups: {marker: ...} or {command: [...]}")
    limit = dt.timedelta(hours=service.backup_max_age_hours)
    taken, asked = _last_backup(ctx, service, source)
    take = f"take a fresh backup: {source.take}" if source.take else \
        "take a fresh backup with the legacy platform's backup job (the site names no command for it)"
    if taken is None:
        return make(Outcome.FAIL, f"no backup found ({asked})", asked, "nothing", take)
    age = max(ctx.now - taken, dt.timedelta(0))  # each process's clock starts at $LOGIUS_MIGRATE_NOW
    answer = f"last backup {taken.astimezone(AMSTERDAM):%Y-%m-%d %H:%M %Z}, {_hours(age)} ago"
    if age > limit:
        return make(Outcome.FAIL, f"last backup {_hours(age)} ago, limit {_hours(limit)}", asked,
                    answer, take)
    return make(Outcome.PASS, f"last backup {_hours(age)} ago (limit {_hours(limit)})", asked, answer)


def _last_backup(ctx: CheckContext, service: Any, source: Any) -> tuple[dt.datetime | None, str]:
    if hasattr(source, "marker"):
        host = service.hosts.legacy[0] if service.hosts.legacy else ""
        path = Path(source.marker.format(site_dir=ctx.site.directory, service=service.id, host=host))
        if not path.is_file():
            return None, f"marker {path}"
        text = path.read_text().strip()
        if text:
            return _aware(dt.datetime.fromisoformat(text)), f"marker {path}"
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC), f"marker {path} (modified)"
    return _backup_command(ctx, service, source)


def _backup_command(ctx: CheckContext, service: Any, source: Any) -> tuple[dt.datetime | None, str]:
    """The site's backup command's answer: the moment of the last backup, if it names one. Inside
    a run (``ctx.watch``) the command is recorded in the journal and stops on a stop request."""
    from orchestrator.errors import Cancelled
    from orchestrator.steps import process_runner

    command = [arg.format(service=service.id) for arg in source.command]
    request = process_runner.ProcessRequest(tuple(command), what=f"{Path(command[0]).name} (backup check)",
                                            timeout=source.timeout_seconds)
    try:
        done = process_runner.run(request, ctx.watch)
    except OSError as exc:  # not there, not executable
        raise ValueError(f"{command[0]} cannot be run: {exc.strerror}") from None
    if done.stopped == "cancelled":
        raise Cancelled(f"{command[0]} was stopped on request")
    if done.stopped == "timeout":
        raise ValueError(f"{command[0]} gave no answer within {source.timeout_seconds} s")
    if done.returncode != 0:
        raise ValueError(f"{command[0]} exited {done.returncode}: {done.stderr.strip()[-200:]}")
    out = done.stdout.strip()
    return (_aware(dt.datetime.fromisoformat(out)) if out else None), f"command {' '.join(command)}"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@precondition("PRE-AVL-001", "downtime fits the availability budget")
def budget(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-AVL-001: the expected downtime fits what remains of the availability budget of the
    current period (downtime already journalled in it counts); the rule is the planner's too."""
    from orchestrator.policy import availability

    if not service.moves:
        return make(Outcome.PASS, "a retired service has no availability budget to keep")
    day = ctx.now.astimezone(AMSTERDAM).date()
    period = availability.period_of(day, availability.period_name(ctx.catalog))
    used = availability.journalled_downtime(ctx.journal, service.id, period)
    found = availability.verdict(ctx.catalog, service, day, used)
    if found is None:
        return make(Outcome.INCONCLUSIVE, "not checked: no availability norm (service or calendar)",
                    "", "", "declare availability_norm")
    norm = ctx.catalog.availability_norm(service)
    asked = (f"norm {norm}%: {found.allowed:.1f} min in {period.describe()}; journalled downtime "
             f"in it")
    answer = (f"{used:.1f} min used, {found.left:.1f} min left; expected {found.expected:g} min "
              f"({found.basis})")
    if not found.fits:
        return make(Outcome.FAIL, f"{found.summary()} (norm {norm}%)", asked, answer,
                    f"run it from {period.end} (the next period's budget), or shorten the cutover")
    return make(Outcome.PASS, found.summary(), asked, answer)


CHECKS = [dependencies, freezes, contract_change, backups, budget]
