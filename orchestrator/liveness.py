"""Whether a process on this host is still the one that was recorded: its pid and its start time.

A pid alone is not an identity: after a crash the number may be reused. Linux's
``/proc/PID/stat`` gives the start time in clock ticks since boot; together with the pid and the
host name it names one process for as long as the machine runs. Where /proc cannot be read the
answer is "unknown" (None), and callers fall back to what they did before (a lease's expiry).
"""

from __future__ import annotations

import socket
from pathlib import Path


def this_host() -> str:
    return socket.gethostname()


def process_start(pid: int) -> float | None:
    """The start time of ``pid`` in clock ticks since boot, or None if there is no such process
    or it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    if fields and fields[0] in {"Z", "X"}:
        return None  # a zombie has ended: only its exit status is left to collect
    try:
        return float(fields[19])  # field 22 of stat(5); fields[0] is field 3
    except (IndexError, ValueError):
        return None


def can_tell() -> bool:
    """True where process start times can be read (Linux)."""
    return Path("/proc/self/stat").exists()


def is_alive(pid: int, started: float | None) -> bool | None:
    """Whether the process recorded as (``pid``, ``started``) on this host still runs: True, False,
    or None when this machine cannot tell."""
    if not can_tell():
        return None
    now = process_start(pid)
    if now is None:
        return False
    if started is None:
        return True  # recorded without a start time: the pid runs, assume it is the same
    return now == started


def group_members(pgid: int) -> list[int]:
    """The pids of the live processes in process group ``pgid`` (Linux /proc; empty elsewhere)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if len(fields) > 2 and fields[0] not in {"Z", "X"} and fields[2] == str(pgid):
            members.append(int(entry.name))
    return sorted(members)
