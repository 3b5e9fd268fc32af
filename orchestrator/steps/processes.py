"""The tools' processes: following them while they run, and stopping the ones a crash orphaned.

When the main process dies alone (the OOM killer, a kill -9), a tool it started must not run on
unknown beside the resume. Every tool starts as the guard (``guard.py``): it tells a
:class:`Handshake` its pid and process group, the engine records them in the journal (through
:class:`ChildWatch`), and only then does the tool start. An ansible-playbook dies with its parent
(the guard kills its process group); a terraform finishes its work. On resume the engine waits for
or stops whatever of a dead run's recorded process groups still runs (:func:`settle_orphan`)
before reconciling anything.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import struct
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator import liveness
from orchestrator.steps import abstract_socket

_LOG = logging.getLogger("logius_migrate.processes")


@dataclass(frozen=True)
class Spawned:
    """A tool process as its guard announced it: ``token`` is in the environment of the tool and
    of every process it starts (see ``guard.py``)."""

    pid: int
    pgid: int
    token: str
    what: str


@dataclass
class ChildWatch:
    """How a caller follows the tool processes an adapter starts: ``started(Spawned)`` records one
    before it runs (it may raise: the tool then does not start) and returns a handle passed to
    ``ended(handle)`` once the process is gone; ``cancel()`` True asks the adapter to stop it now."""

    started: Callable[[Spawned], Any] = lambda spawned: None
    ended: Callable[[Any], None] = lambda token: None
    cancel: Callable[[], bool] = lambda: False


GUARD = Path(__file__).with_name("guard.py")


class Handshake:
    """The parent's side of the guard: a Unix socket in the abstract namespace (no path to outgrow
    a long TMPDIR, nothing left behind) on which each guard started by this adapter call
    announces itself. The kernel tells who connected (``SO_PEERCRED``): only a child of this
    process, of this user, is recorded through ``watch.started`` and then told ``go``. Use as a
    context manager; :meth:`command` wraps a tool's argv in the guard."""

    def __init__(self, watch: ChildWatch, what: str) -> None:
        self.watch, self.what = watch, what
        self.token = uuid.uuid4().hex
        self.name = f"logius-spawn-{os.getpid()}-{self.token}"
        self._server = abstract_socket.listen(self.name, backlog=8)
        self._closed = threading.Event()
        self._tokens: list[Any] = []
        self._thread = threading.Thread(target=abstract_socket.serve, name="spawn-handshake", daemon=True,
                                        args=(self._server, self._closed, self._answer))
        self._thread.start()

    def command(self, program: list[str], mode: str) -> list[str]:
        """``program`` started through the guard: ``supervise`` (dies with this process, with all
        it started) or ``exec`` (becomes the tool, outlives this process)."""
        return [sys.executable, "-IS", str(GUARD), "@" + self.name, mode, str(os.getpid()), self.token,
                "--", *program]

    def leftovers(self) -> list[int]:
        """Kill what still holds this call's token (a cancelled playbook's workers, each in a
        session of its own, outlive ansible-runner's kill of the process group); their pids."""
        from orchestrator.steps.guard import kill_holders

        return kill_holders(self.token)

    def _answer(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(10)
            connection.recv(64)
            pid = _child_peer(connection)
            self._tokens.append(self.watch.started(Spawned(pid, os.getpgid(pid), self.token, self.what)))
            connection.sendall(b"go\n")
        except Exception as exc:  # noqa: BLE001 - not recorded: the guard is not told to go
            _LOG.warning("%s was not started: it could not be recorded (%s)", self.what, exc)

    def __enter__(self) -> Handshake:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.leftovers()
        self._closed.set()
        self._thread.join(timeout=5)
        self._server.close()
        for token in self._tokens:
            self.watch.ended(token)


def _child_peer(connection: socket.socket) -> int:
    """The pid of the process on the other end, as the kernel tells it; ValueError unless it is
    a child of this process running as this user."""
    pid, uid, _gid = struct.unpack("3i", connection.getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")))
    parent = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
    if parent != os.getpid() or uid != os.getuid():
        raise ValueError(f"pid {pid} (parent {parent}, uid {uid}) is not a child of this process")
    return pid


def running(pid: int, started: float | None, pgid: int | None, token: str | None) -> list[int] | None:
    """What still runs of a recorded tool: its process, if it is still the one recorded, every
    process holding its token, and every member of its process group (a group whose id now
    belongs to another leader is not ours). None where this machine cannot tell."""
    from orchestrator.steps.guard import holders

    alive = liveness.is_alive(pid, started)
    if alive is None:
        return None
    found = {pid} if alive else set()
    if pgid is not None:
        ours = liveness.process_start(pgid) is None or (pgid == pid and alive)
        found |= set(liveness.group_members(pgid)) if ours else set()
    if token:
        found |= set(holders(token))
    return sorted(found)


def wait_gone(tool: Any, seconds: float) -> bool:
    """Wait up to ``seconds`` for the recorded ``tool`` and all it started to end; True if so."""
    deadline = time.monotonic() + seconds
    while _running(tool) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _running(tool)


def _running(tool: Any) -> list[int] | None:
    return running(tool.pid, tool.pid_started, tool.pgid, tool.token)


def _signal(tool: Any, signum: int) -> None:
    """``signum`` to the tool's process group (terraform's panicwrap child and providers), and for
    a playbook also to every process holding its token (its workers lead sessions of their own)."""
    targets = [] if tool.tool == "terraform" else [pid for pid in _running(tool) or [] if pid != tool.pgid]
    try:
        os.killpg(tool.pgid if tool.pgid is not None else os.getpgid(tool.pid), signum)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in targets:
        try:
            os.kill(pid, signum)
        except (ProcessLookupError, PermissionError):
            pass


def settle_orphan(tool: Any, wait_seconds: float) -> str:
    """Make sure a recorded tool of a dead run (a journal ChildProcess: pid, pid_started, pgid,
    token, tool) no longer runs, nor anything it started, and say what was done.

    Terraform is given ``wait_seconds`` to finish (so it writes its state), then interrupted as
    Ctrl-C would (it stops at a safe point). ansible-playbook is stopped at once: a half-applied
    phase is reconciled from the hosts' ledgers. Whatever ignores that is killed."""
    found = _running(tool)
    name = f"{tool.tool} (pid {tool.pid}" + (f", process group {tool.pgid})" if tool.pgid else ")")
    if found is None:
        return f"{name}: this machine cannot tell whether it still runs"
    if not found:
        return f"{name} had already ended"
    count = f"{len(found)} process(es): {', '.join(map(str, found[:8]))}"
    is_terraform = tool.tool == "terraform"
    if is_terraform and wait_gone(tool, wait_seconds):
        return f"waited for the orphaned {name} to finish ({count})"
    _signal(tool, signal.SIGINT if is_terraform else signal.SIGTERM)
    how = "interrupted" if is_terraform else "stopped"
    if wait_gone(tool, 30 if is_terraform else 5):
        return f"{how} the orphaned {name}: {count}"
    _signal(tool, signal.SIGKILL)
    wait_gone(tool, 5)
    return f"killed the orphaned {name}: {count}; it did not stop when asked"
