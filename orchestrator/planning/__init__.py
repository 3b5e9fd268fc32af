"""Wave planning: dependency-aware assignment, explanations and the cost of delay."""

from orchestrator.planning.rules import PlanOptions
from orchestrator.planning.waves import Done, Gap, Placement, Plan, Wave, plan_waves

__all__ = ["Done", "Gap", "Placement", "Plan", "PlanOptions", "Wave", "plan_waves"]
