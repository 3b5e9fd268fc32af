"""The journal: the durable record of runs, steps, attempts, rollback points, leases, service
states, child processes and events."""

from orchestrator.journal.opening import DB_ENV, display_url, resolve_url
from orchestrator.journal.redaction import Redactor
from orchestrator.journal.store import (
    Attempt,
    ChildProcess,
    Event,
    Execution,
    Journal,
    Lease,
    LeaseHolder,
    LeaseState,
    RollbackPoint,
    Run,
    RunDetail,
    ServiceState,
    default_owner,
    execution_key,
)

__all__ = ["DB_ENV", "Attempt", "ChildProcess", "Event", "Execution", "Journal", "Lease", "LeaseHolder",
           "LeaseState", "Redactor", "RollbackPoint", "Run", "RunDetail", "ServiceState", "default_owner",
           "display_url", "execution_key", "resolve_url"]
