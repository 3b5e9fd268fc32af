"""What the programme may still spend: each moving service's downtime budget in this reporting
period (the availability rule), and the cost of running past the legacy contract end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orchestrator.clock import AMSTERDAM
from orchestrator.journal import Execution
from orchestrator.journal.tallies import executions_of_steps
from orchestrator.planning.cost import delay_cost
from orchestrator.policy.availability import Period, journalled_downtime, period_name, period_of, verdict


class _Steps:
    """The freeze and cutover steps of the runs whose cutover was done in ``period`` (the only ones
    journalled_downtime counts there), read once, answering as the journal does for the rule."""

    def __init__(self, journal: Any, period: Period) -> None:
        since = dt.datetime.combine(period.start, dt.time(), AMSTERDAM).timestamp()
        self.by_service = executions_of_steps(journal, ("freeze", "cutover"), "cutover", since)

    def executions(self, service: str) -> list[Execution]:
        return self.by_service.get(service, [])


def availability_rows(catalog: Any, journal: Any, today: dt.date, done: set[str]) -> list[dict[str, Any]]:
    """Per service that moves and has a norm: the period, its allowance, used, left, and whether
    its expected cutover downtime still fits (None for a service in ``done``: no cutover is left)."""
    period = period_of(today, period_name(catalog))
    steps = _Steps(journal, period)
    rows = []
    for service in sorted(catalog.services, key=lambda s: s.id):
        if not service.moves:
            continue
        used = journalled_downtime(steps, service.id, period)
        found = verdict(catalog, service, today, used)
        if found is None:
            continue
        rows.append({"service": service.id, "norm": catalog.availability_norm(service),
                     "period": period.describe(), "allowed_minutes": round(found.allowed, 1),
                     "used_minutes": round(used, 1), "left_minutes": round(found.left, 1),
                     "expected_minutes": None if service.id in done else round(found.expected, 1),
                     "fits": None if service.id in done else found.fits})
    return rows


def cost_of_delay(catalog: Any, plan: Any, forecast: dict[str, Any] | None) -> dict[str, Any]:
    """The plan's end against the contract end, the exposure and what each further month adds."""
    label = catalog.cost_label
    calendar = catalog.calendar
    contract_end = calendar.legacy_contract_end if calendar is not None else None
    if plan is None or not plan.waves or contract_end is None or catalog.cost_model is None:
        missing = "no approved plan" if plan is None or not plan.waves else \
            "no legacy contract end (calendar) or cost model (cost_model) in the catalog"
        return {"label": label, "note": f"no {label} computed: {missing}"}
    plan_end = max(dt.date.fromisoformat(w["end"]) for w in plan.waves)
    cost = delay_cost(plan_end, contract_end, catalog.cost_model)
    found = {"label": label, "plan_end": plan_end.isoformat(), "contract_end": contract_end.isoformat(),
             "months_past_contract_end": cost.months_past_contract_end,
             "monthly_meur": round(cost.monthly_meur, 2), "extra_meur": round(cost.extra_exposure_meur, 2),
             "total_meur": round(cost.total_exposure_meur, 2), "forecast": None}
    if forecast is not None:
        found["forecast"] = {k: forecast["cost"][k] for k in ("p50_meur", "p80_meur", "p90_meur")}
    return found
