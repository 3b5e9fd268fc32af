"""Running a site's secret command (a vault CLI, say): the only place its output passes through.
Its stdout is returned to the caller's memory; it is never logged or written."""

from __future__ import annotations

import subprocess

from orchestrator.errors import InputError


def run_secret_command(command: list[str], timeout: int, label: str) -> str:
    shown = " ".join(command)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"{label}: `{shown}` could not run ({exc.__class__.__name__})") from None
    if done.returncode != 0:
        raise InputError(f"{label}: `{shown}` failed with exit {done.returncode}")
    return done.stdout
