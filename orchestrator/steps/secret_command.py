"""Running a site's secret command (a vault CLI, say): the only place its output passes through.
Its stdout is returned to the caller's memory; it is never logged or written."""

from __future__ import annotations

from orchestrator.errors import InputError


def run_secret_command(command: list[str], timeout: int, label: str) -> str:
    from orchestrator.steps import process_runner

    shown = " ".join(command)
    try:
        done = process_runner.run(process_runner.ProcessRequest(tuple(command), timeout=timeout))
    except OSError as exc:
        raise InputError(f"{label}: `{shown}` could not run ({exc.__class__.__name__})") from None
    if done.stopped is not None:
        raise InputError(f"{label}: `{shown}` could not run (TimeoutExpired)")
    if done.returncode != 0:
        raise InputError(f"{label}: `{shown}` failed with exit {done.returncode}")
    return done.stdout
