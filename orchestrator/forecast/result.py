"""The forecast's result: percentiles of the end date, the chance of meeting a deadline and the
contract end, the cost of delay at each percentile, a histogram and each wave's P50 and P90."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

PERCENTILES = (50, 80, 90)
HISTOGRAM_BINS = 20


@dataclass(frozen=True)
class Forecast:
    seed: int
    iterations: int
    plan: int
    today: dt.date
    deterministic_end: dt.date
    p50: dt.date
    p80: dt.date
    p90: dt.date
    deadline: dt.date | None
    p_deadline: float | None
    contract_end: dt.date
    p_contract_end: float
    cost: dict[str, Any]
    histogram: list[dict[str, Any]]
    waves: list[dict[str, Any]]
    #: What the forecast assumed, one line each (shown by the CLI; not part of the dict).
    assumptions: list[str] = field(default_factory=list, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The shape the dashboard draws (see the issue 19 contract)."""
        return {"seed": self.seed, "iterations": self.iterations, "plan": self.plan,
                "today": self.today.isoformat(), "deterministic_end": self.deterministic_end.isoformat(),
                "p50": self.p50.isoformat(), "p80": self.p80.isoformat(), "p90": self.p90.isoformat(),
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "p_deadline": self.p_deadline, "contract_end": self.contract_end.isoformat(),
                "p_contract_end": self.p_contract_end, "cost": dict(self.cost),
                "histogram": [dict(b) for b in self.histogram], "waves": [dict(w) for w in self.waves]}


def last_days(ends: Any) -> Any:
    """Exclusive end offsets (float days) as the last day worked (int offsets)."""
    import numpy as np

    return np.ceil(ends - 1e-9).astype(np.int64) - 1


def quantile_day(days: Any, percent: int) -> int:
    import numpy as np

    return int(np.quantile(days, percent / 100, method="inverted_cdf"))


def share_by(days: Any, limit: int) -> float:
    return round(float((days <= limit).mean()), 4)


def histogram(days: Any, day_of: Any) -> list[dict[str, Any]]:
    """At most HISTOGRAM_BINS bins of whole days, first to last day seen, both ends included."""
    import numpy as np

    low, high = int(days.min()), int(days.max())
    width = -(-(high - low + 1) // min(HISTOGRAM_BINS, high - low + 1))
    counts = np.bincount((days - low) // width)
    return [{"from": day_of(low + i * width).isoformat(),
             "to": day_of(low + (i + 1) * width - 1).isoformat(), "count": int(count)}
            for i, count in enumerate(counts)]


def cost_at(catalog: Any, contract_end: dt.date, ends: dict[int, dt.date]) -> dict[str, Any]:
    """The exposure running past the contract end adds, at each percentile's end date."""
    from orchestrator.planning.cost import delay_cost

    model = catalog.cost_model
    cost: dict[str, Any] = {"label": catalog.cost_label,
                            "monthly_meur": round(model.monthly_meur, 4) if model else 0.0}
    for percent, day in ends.items():
        extra = delay_cost(day, contract_end, model).extra_exposure_meur if model else 0.0
        cost[f"p{percent}_meur"] = round(extra, 2)
    return cost
