"""Cost of delay: what running past the legacy contract end adds to the unlawful-extension exposure."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from orchestrator.catalog.models import CostModel


@dataclass(frozen=True)
class DelayCost:
    contract_end: dt.date
    plan_end: dt.date
    months_past_contract_end: float
    monthly_meur: float
    extra_exposure_meur: float
    total_exposure_meur: float


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: dt.date, end: dt.date) -> float:
    """Calendar months from ``start`` to ``end`` (0 if end is not later): whole months, then the
    fraction of the month in progress. A year is exactly 12."""
    if end <= start:
        return 0.0
    months = (end.year - start.year) * 12 + end.month - start.month
    if _add_months(start, months) > end:
        months -= 1
    anchor, following = _add_months(start, months), _add_months(start, months + 1)
    return months + (end - anchor).days / (following - anchor).days


def delay_cost(plan_end: dt.date, contract_end: dt.date, model: CostModel) -> DelayCost:
    """Months the plan runs past ``contract_end`` and the exposure that adds, on the model's slope."""
    months = months_between(contract_end, plan_end)
    return DelayCost(
        contract_end=contract_end,
        plan_end=plan_end,
        months_past_contract_end=round(months, 2),
        monthly_meur=model.monthly_meur,
        extra_exposure_meur=model.monthly_meur * months,
        total_exposure_meur=model.exposure_after_delay(months),
    )
