"""The journal: the durable record of runs, steps, attempts, rollback points, leases and events."""

from orchestrator.journal.store import (
    Execution,
    Journal,
    Lease,
    Redactor,
    RollbackPoint,
    Run,
    default_owner,
    execution_key,
    resolve_url,
)

__all__ = ["Execution", "Journal", "Lease", "Redactor", "RollbackPoint", "Run", "default_owner",
           "execution_key", "resolve_url"]
