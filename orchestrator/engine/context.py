"""What a wave run or a rollback works with: the catalog, the site, the journal, the secrets."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from orchestrator.catalog.loader import Catalog
from orchestrator.catalog.models import Service
from orchestrator.engine.stopping import StopRequest
from orchestrator.journal import Journal, Lease, Redactor
from orchestrator.sites import Site

if TYPE_CHECKING:
    from orchestrator.steps.terraform import GenericBackend, PgBackend

LEASE_ENV = "LOGIUS_MIGRATE_LEASE_SECONDS"


def lease_seconds() -> float:
    return float(os.environ.get(LEASE_ENV, "30"))


@dataclass
class Progress:
    """Callbacks the engine reports through; the CLI decides how to show them."""

    on_phase: Callable[[str, list[str]], None] = lambda phase, services: None
    on_step: Callable[[str, str, str], None] = lambda service, step, status: None
    on_note: Callable[[str], None] = lambda text: None  # something the operator must see (an override)


@dataclass
class EngineContext:
    catalog: Catalog
    site: Site
    journal: Journal
    redactor: Redactor
    secrets: dict[str, dict[str, str]]
    owner: str
    backend: PgBackend | GenericBackend | None = None  # Terraform's; None: local state files
    progress: Progress = field(default_factory=Progress)
    keep_runner_dirs: Any = None  # a folder to keep ansible-runner private data dirs in (tests)
    stop: StopRequest = field(default_factory=StopRequest)
    verbosity: int = 0  # -1 quiet .. 2 (-vv: Ansible's own output too)
    #: A test track's run (engine/track.py ``TrackSetup``): its module variables, and the service
    #: as the track sees it (the test VMs where its LPC hosts would be). None for a wave.
    track: Any = None
    #: Who signs the decisions the run makes itself (the approval gate's cutover-approval): the
    #: operator's key (signing.Signer), or None unsigned.
    signer: Any = None

    def service(self, service_id: str) -> Service:
        service = self.catalog.service(service_id)
        return self.track.view(service) if self.track is not None else service


class LeaseKeeper:
    """Holds a lease and renews it in the background until released. ``lost`` turns true if a
    renewal finds the lease gone; the engine checks it between steps."""

    def __init__(self, journal: Journal, lease: Lease, ttl: float) -> None:
        self.journal, self.lease, self.ttl = journal, lease, ttl
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="lease", daemon=True)
        self._thread.start()

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.journal.renew_lock(self.lease, self.ttl):
                    self.lost = True
                    return
            except Exception:  # noqa: BLE001 - a failed renewal is retried at the next tick
                continue

    def release(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if not self.lost:
            self.journal.release_lock(self.lease)
