"""`logius-migrate plan forecast`: a Monte Carlo forecast of the rest of the approved plan, from
where the programme stands and from the journal's own history (see docs/forecast.md).

numpy is imported inside the functions, so importing this package stays light."""

from __future__ import annotations

from orchestrator.forecast.forecasting import forecast_programme
from orchestrator.forecast.result import Forecast

__all__ = ["Forecast", "forecast_programme"]
