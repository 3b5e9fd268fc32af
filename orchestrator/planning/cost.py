"""Cost of delay: what running past the legacy contract end adds to the unlawful-extension exposure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from orchestrator.catalog.models import CostModel

DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class DelayCost:
    contract_end: dt.date
    plan_end: dt.date
    months_past_contract_end: float
    monthly_meur: float
    extra_exposure_meur: float
    total_exposure_meur: float


def delay_cost(plan_end: dt.date, contract_end: dt.date, model: CostModel) -> DelayCost:
    """Months the plan runs past ``contract_end`` and the exposure that adds, on the model's slope."""
    months = max(0.0, (plan_end - contract_end).days / DAYS_PER_MONTH)
    return DelayCost(
        contract_end=contract_end,
        plan_end=plan_end,
        months_past_contract_end=round(months, 2),
        monthly_meur=model.monthly_meur,
        extra_exposure_meur=model.monthly_meur * months,
        total_exposure_meur=model.exposure_after_delay(months),
    )
