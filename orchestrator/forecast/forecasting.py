"""Forecast the rest of the journal's newest approved plan: read the standing and the history,
simulate, summarise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from orchestrator.errors import InputError
from orchestrator.forecast.result import PERCENTILES, Forecast


def approved_plan(journal: Any) -> Any:
    """The newest approved plan (as `wave run` takes it); InputError when there is none."""
    from orchestrator.journal.plans import latest_approved

    plan = latest_approved(journal)
    if plan is None:
        raise InputError(f"{journal.display_url}: plans: no approved plan to forecast (logius-migrate "
                         f"plan save, then plan approve)")
    return plan


def forecast_programme(catalog: Any, journal: Any, *, today: dt.date, iterations: int = 10_000,
                       seed: int = 0, deadline: dt.date | None = None,
                       advance: Callable[[int], None] | None = None) -> Forecast:
    """The forecast of the approved plan's remaining waves, ``iterations`` draws seeded by ``seed``."""
    import numpy as np

    from orchestrator.forecast.history import read_history
    from orchestrator.forecast.programme import build_programme
    from orchestrator.forecast.simulate import simulate

    if iterations < 1:
        raise InputError(f"--iterations {iterations}: give at least 1")
    plan = approved_plan(journal)
    contract_end = catalog.calendar.legacy_contract_end if catalog.calendar is not None else None
    if contract_end is None:
        raise InputError("catalog: calendar: legacy_contract_end: needed for the forecast, not given")
    history = read_history(journal)
    programme = build_programme(plan, catalog, journal, history, today)
    if not programme.waves:
        raise InputError(f"plan {plan.id}: every service of it is done; nothing left to forecast")
    ends = simulate(programme, catalog.forecast_settings, np.random.default_rng(seed), iterations,
                    advance)
    return _summary(catalog, plan, programme, ends, seed, deadline, contract_end,
                    _assumptions(catalog, plan, programme))


def _summary(catalog: Any, plan: Any, programme: Any, ends: Any, seed: int, deadline: dt.date | None,
             contract_end: dt.date, assumptions: list[str]) -> Forecast:
    from orchestrator.forecast.result import cost_at, histogram, last_days, quantile_day, share_by

    waves = last_days(ends)
    final = waves[:, -1]
    at = {p: programme.day(quantile_day(final, p)) for p in PERCENTILES}
    deterministic = programme.day(programme.waves[-1].end)
    return Forecast(
        seed=seed, iterations=int(final.size), plan=plan.id, today=programme.today,
        deterministic_end=deterministic, p50=at[50], p80=at[80], p90=at[90], deadline=deadline,
        p_deadline=share_by(final, programme.offset(deadline)) if deadline else None,
        contract_end=contract_end, p_contract_end=share_by(final, programme.offset(contract_end)),
        cost=cost_at(catalog, contract_end, at), histogram=histogram(final, programme.day),
        waves=[{"number": wave.number, "p50": programme.day(quantile_day(waves[:, i], 50)).isoformat(),
                "p90": programme.day(quantile_day(waves[:, i], 90)).isoformat()}
               for i, wave in enumerate(programme.waves)],
        assumptions=assumptions)


def _assumptions(catalog: Any, plan: Any, programme: Any) -> list[str]:
    from orchestrator.forecast.sampling import describe

    settings = catalog.forecast_settings
    recorded = sorted(s.name for s in programme.steps.values() if s.history)
    estimated = sorted(s.name for s in programme.steps.values() if not s.history)
    kept = "hands its time on" if settings.early_finish else "keeps its slot"
    retried = sorted(f"{s.name} {s.failure_rate:.0%}" for s in programme.steps.values() if s.failure_rate)
    lines = [f"{len(programme.services)} services left in {len(programme.waves)} waves of plan "
             f"{plan.id}" + ("" if not catalog.digest or catalog.digest == plan.catalog_hash else
                             " (saved from another catalog than this one)"),
             "steps from the journal's recorded times: " + (", ".join(recorded) or "none"),
             "steps at their share of the wave length, times "
             + describe(settings.duration_spread, "") + " (one draw a service): "
             + (", ".join(estimated) or "none"),
             "failed or transient attempts, retried: " + (", ".join(retried) or "none recorded"),
             f"a wave ends with its slowest service; one done before its planned end {kept}"]
    for wait in programme.releases:
        lines.append(f"{wait.what}: from {programme.day(wait.day)} plus "
                     + describe(settings.release_delay_months, "months"))
    for wait in programme.blockers:
        lines.append(f"{wait.what}: holds {len(wait.columns)} service(s) to {programme.day(wait.day)} "
                     f"plus " + describe(settings.blocker_slip_days, "days"))
    return lines
