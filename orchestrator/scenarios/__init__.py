"""Scenarios scored on criteria, compared: a scenario file (``loading``) into a :class:`ScenarioSet`
(``model``); its weights resolved from groups and criteria (``weights``); rankings by weighted sum
and by TOPSIS (``ranking``); how firm the ranking is: the weight at which it flips, per criterion
(``sensitivity``), and a seeded Monte Carlo over the weights (``montecarlo``); ``compare`` puts them
into one document the reports render.

numpy and pymcdm are imported inside the functions that need them, never at the top.
"""

from __future__ import annotations

from orchestrator.scenarios.model import Criterion, Scenario, ScenarioSet, Score

__all__ = ["Criterion", "Scenario", "ScenarioSet", "Score"]
