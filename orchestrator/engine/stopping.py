"""Stopping a wave when told: SIGINT (Ctrl-C) and SIGTERM end it at the next safe point.

The first signal asks for a stop: a running Terraform apply finishes (interrupting one is what
corrupts state), a running Ansible phase is cancelled, and nothing further starts; the run is
journalled ``interrupted`` and the process exits 130 (SIGINT) or 143 (SIGTERM). A second signal
also interrupts a running terraform at once. A third leaves immediately; the journal stays
resumable either way, as after a crash. Where the run only waits for a person (the approval
prompt), the first signal ends the wait at once (:meth:`StopRequest.waiting`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator

from orchestrator.errors import Interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """A stop asked for by a signal or a caller; the engine checks it at every safe point."""

    def __init__(self) -> None:
        self._requested = threading.Event()
        self.signum: int = signal.SIGINT
        self.count = 0
        self.where: str | None = None  # set while the run only waits (a prompt): a stop ends it

    @contextlib.contextmanager
    def waiting(self, where: str) -> Iterator[None]:
        """While inside, the run only waits for a person: a stop request raises Interrupted here
        at once (from the signal handler) instead of waiting for the next safe point."""
        self.check(where)
        self.where = where
        try:
            yield
        finally:
            self.where = None

    def request(self, signum: int = signal.SIGINT) -> int:
        """Ask for a stop; returns how many times one was asked for."""
        if not self._requested.is_set():
            self.signum = signum
        self.count += 1
        self._requested.set()
        return self.count

    @property
    def requested(self) -> bool:
        return self._requested.is_set()

    @property
    def urgent(self) -> bool:
        """Asked twice: running tools are interrupted too."""
        return self.count >= 2

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``, waking early on a stop request; True if one came."""
        return self._requested.wait(seconds)

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name

    def interrupted(self, where: str) -> Interrupted:
        return Interrupted(f"stopped by {self.signal_name} {where}", self.signum)

    def check(self, where: str) -> None:
        """Raise Interrupted if a stop was requested."""
        if self.requested:
            raise self.interrupted(where)


@contextlib.contextmanager
def stop_on_signals(stop: StopRequest, say: Callable[[str], None]) -> Iterator[StopRequest]:
    """While inside, SIGINT and SIGTERM request ``stop`` instead of killing the process; the
    previous handlers come back afterwards. Outside the main thread this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handle(signum: int, _frame: object) -> None:
        count = stop.request(signum)
        name = signal.Signals(signum).name
        if stop.where is not None:
            where, stop.where = stop.where, None
            say(f"{name}: stopped {where}")
            raise stop.interrupted(where)
        if count == 1:
            say(f"{name}: stopping at the next safe point (a running terraform apply finishes, a "
                f"running playbook is cancelled); send it again to stop at once")
        elif count == 2:
            say(f"{name} again: interrupting the running tools now")
        else:
            os._exit(128 + signum)

    previous = {signum: signal.signal(signum, handle) for signum in SIGNALS}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
