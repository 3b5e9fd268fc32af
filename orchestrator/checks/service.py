"""Checks of the service itself: its hard dependencies, freezes, contract changes, backups and
availability budget."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path
from typing import Any

from orchestrator.checks import CheckContext, Outcome, Result, precondition
from orchestrator.checks.windows import AMSTERDAM, active

#: Minutes in an average month (365/12 days): a 99.8% norm allows 0.2% of it, about 87.6.
MONTH_MINUTES = 365 / 12 * 24 * 60
DEFAULT_DOWNTIME = {"S": 15, "M": 30, "L": 60, "XL": 120}


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
    """PRE-CON-001: no application-contract change falls in the wave's window."""
    change = service.contract_change
    if change is None:
        return make(Outcome.PASS, "no application-contract change planned", "", "none")
    if ctx.plan is None or ctx.wave is None:
        return make(Outcome.INCONCLUSIVE, "not checked: no saved plan gives the wave's window", "",
                    f"contract change on {change.date}", "run the wave from a saved plan")
    wave = ctx.plan.wave(ctx.wave)
    start, end = dt.date.fromisoformat(wave["start"]), dt.date.fromisoformat(wave["end"])
    asked = f"plan {ctx.plan.id} wave {ctx.wave}: {start} to {end}"
    if start <= change.date <= end:
        return make(Outcome.FAIL, f"the contract change on {change.date} falls in wave {ctx.wave} "
                                  f"({start} to {end})", asked, str(change.date),
                    "move the service to another wave, or the contract change")
    return make(Outcome.PASS, f"the contract change on {change.date} is outside the wave", asked,
                str(change.date))


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
    age = ctx.now - taken
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
    command = [arg.format(service=service.id) for arg in source.command]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=source.timeout_seconds,
                              check=False)
    except subprocess.TimeoutExpired:
        raise ValueError(f"{command[0]} gave no answer within {source.timeout_seconds} s") from None
    except OSError as exc:  # not there, not executable
        raise ValueError(f"{command[0]} cannot be run: {exc.strerror}") from None
    if done.returncode != 0:
        raise ValueError(f"{command[0]} exited {done.returncode}: {done.stderr.strip()[-200:]}")
    out = done.stdout.strip()
    return (_aware(dt.datetime.fromisoformat(out)) if out else None), f"command {' '.join(command)}"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=AMSTERDAM)


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:.1f} h" if hours < 48 else f"{hours / 24:.1f} days"


@precondition("PRE-AVL-001", "downtime fits the month's availability budget")
def budget(ctx: CheckContext, service: Any, make: Any) -> Result:
    """PRE-AVL-001: the expected downtime fits what remains of this month's availability budget
    (downtime already journalled this month counts against it)."""
    norm = ctx.catalog.availability_norm(service)
    if norm is None:
        return make(Outcome.INCONCLUSIVE, "not checked: no availability norm (service or calendar)",
                    "", "", "declare availability_norm")
    if not service.moves:
        return make(Outcome.PASS, "a retired service has no availability budget to keep")
    allowed = (100 - norm) / 100 * MONTH_MINUTES
    used = journalled_downtime(ctx.journal, service.id, ctx.now)
    expected = service.expected_downtime_minutes
    basis = "declared"
    if expected is None:
        expected, basis = DEFAULT_DOWNTIME[service.size.value], f"default for size {service.size.value}"
    left = allowed - used
    asked = f"norm {norm}%: {allowed:.1f} min a month; journalled downtime this month"
    answer = f"{used:.1f} min used, {left:.1f} min left; expected {expected:g} min ({basis})"
    if expected > left:
        return make(Outcome.FAIL, f"expected downtime {expected:g} min exceeds the {left:.1f} min left "
                                  f"this month (norm {norm}%)", asked, answer,
                    "wait for next month's budget, or shorten the cutover")
    return make(Outcome.PASS, f"expected {expected:g} min of {left:.1f} min left this month", asked, answer)


def journalled_downtime(journal: Any, service_id: str, now: dt.datetime) -> float:
    """Minutes of downtime the journal holds for the service this calendar month (Amsterdam):
    from the start of each done freeze to the end of the cutover after it."""
    local = now.astimezone(AMSTERDAM)
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()
    executions = journal.executions(service=service_id)
    minutes = 0.0
    for freeze in (e for e in executions if e.step == "freeze" and e.started_at):
        cutover = next((e for e in executions if e.run_id == freeze.run_id and e.step == "cutover"
                        and e.status == "done" and e.finished_at), None)
        end = cutover.finished_at if cutover else None
        if end is not None and end >= month_start:
            minutes += (end - max(freeze.started_at, month_start)) / 60
    return minutes


CHECKS = [dependencies, freezes, contract_change, backups, budget]
