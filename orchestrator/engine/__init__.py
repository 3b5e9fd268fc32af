"""Executing waves: order, parallelism, retries, rollback points, resume, leases."""

from orchestrator.engine.context import EngineContext, Progress
from orchestrator.engine.rollback import RollbackResult, rollback_service
from orchestrator.engine.wave import WaveResult, run_wave

__all__ = ["EngineContext", "Progress", "RollbackResult", "WaveResult", "rollback_service", "run_wave"]
