"""The tools' processes: following them while they run, and stopping the ones a crash orphaned.

When the main process dies alone (the OOM killer, a kill -9), its terraform or ansible-playbook
child runs on. A resume must not race it: the engine records every child's pid and start time in
the journal (through :class:`ChildWatch`), and on resume waits for or stops each one still alive
(:func:`settle_orphan`) before reconciling anything.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from orchestrator import liveness


@dataclass
class ChildWatch:
    """How a caller follows the tool processes an adapter starts: ``started(pid, what)`` returns a
    token passed to ``ended(token)`` once the process is gone; ``cancel()`` True asks the adapter
    to stop it now."""

    started: Callable[[int, str], Any] = lambda pid, what: None
    ended: Callable[[Any], None] = lambda token: None
    cancel: Callable[[], bool] = lambda: False


def wait_gone(pid: int, started: float | None, seconds: float) -> bool:
    """Wait up to ``seconds`` for the process to end; True if it did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if liveness.is_alive(pid, started) is not True:
            return True
        time.sleep(0.1)
    return liveness.is_alive(pid, started) is not True


def _signal(pid: int, signum: int, group: bool) -> None:
    try:
        if group:
            os.killpg(os.getpgid(pid), signum)
        else:
            os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def settle_orphan(pid: int, started: float | None, tool: str, wait_seconds: float) -> str:
    """Make sure a recorded child of a dead run no longer runs, and say what was done.

    Terraform is given ``wait_seconds`` to finish (so it writes its state), then interrupted as
    Ctrl-C would (it stops at a safe point). ansible-playbook is stopped at once: a half-applied
    phase is reconciled from the hosts' ledgers. Whatever ignores that is killed."""
    alive = liveness.is_alive(pid, started)
    if alive is None:
        return f"{tool} pid {pid}: this machine cannot tell whether it still runs"
    if not alive:
        return f"{tool} pid {pid} had already ended"
    # Both tools lead a process group of their own (terraform's panicwrap child does the work).
    is_terraform = tool == "terraform"
    if is_terraform and wait_gone(pid, started, wait_seconds):
        return f"waited for the orphaned terraform (pid {pid}) to finish"
    _signal(pid, signal.SIGINT if is_terraform else signal.SIGTERM, group=True)
    how = "interrupted" if is_terraform else "stopped"
    if wait_gone(pid, started, 30 if is_terraform else 5):
        return f"{how} the orphaned {tool} (pid {pid})"
    _signal(pid, signal.SIGKILL, group=True)
    wait_gone(pid, started, 5)
    return f"killed the orphaned {tool} (pid {pid}): it did not stop when asked"
