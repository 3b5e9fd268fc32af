"""The one place external programs start: terraform, ansible-inventory, a site's backup and secret
commands, the lab's ssh-keygen, sshds and Kubernetes API launcher. (ansible-playbook is started by
ansible-runner, through a launcher the Ansible adapter writes with :class:`Handshake` too.)

Every program starts from a :class:`ProcessRequest` and

- is recorded in the journal before it runs when the caller gives a
  :class:`~orchestrator.steps.processes.ChildWatch` (a run is active): it starts as the guard
  (``guard.py``), which waits until the :class:`~orchestrator.steps.processes.Handshake` has it
  recorded;
- is stopped past its ``timeout`` and when ``watch.cancel()`` asks for it (the result says which);
- never holds a secret in its argv: secrets go by environment or stdin, and an argv holding one
  of the request's ``secrets`` is refused before anything starts.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from orchestrator.errors import LogiusMigrateError
from orchestrator.steps.processes import ChildWatch, Handshake

MIN_INSIDE = 6  # characters: a secret this long is refused anywhere in an argument
POLL_SECONDS = 0.1  # how often a watched child's stop request and deadline are looked at
#: How each way of stopping a child goes: each signal in turn, and how long it is given to end.
STOPS = {
    "kill": ((signal.SIGKILL, 10.0),),  # as subprocess.run stops a child past its timeout
    # Ctrl-C (a safe point), Ctrl-C again (at once), kill as the last resort (terraform)
    "interrupt": ((signal.SIGINT, 3.0), (signal.SIGINT, 10.0), (signal.SIGKILL, 10.0)),
}


class SecretInArgv(LogiusMigrateError):
    """A program was to start with a secret value in its arguments (seen by every user in ps)."""


@dataclass(frozen=True)
class ProcessRequest:
    """One program to run. ``what`` names it in the journal and in messages ("terraform apply";
    by default the program's name). ``stdin`` is text for its standard input (else /dev/null).
    ``output_dir``: its output goes to temporary files there instead of pipes, so a child that
    outlives a killed caller does not die of a broken pipe. ``keep_stdout`` False sends stdout to
    /dev/null (a daemon's launcher). ``guard`` is how the guard starts a watched program:
    ``supervise`` (dies with this process) or ``exec`` (becomes it, outlives this process).
    ``stop`` is how it is stopped (see :data:`STOPS`; the signals go to its process group when
    ``new_session`` gives it a session of its own). ``stdin`` goes with pipes only, not with
    ``output_dir``."""

    argv: tuple[str, ...]
    what: str = ""
    cwd: Path | None = None
    env: Mapping[str, str] | None = None
    timeout: float | None = None
    stdin: str | None = None
    secrets: tuple[str, ...] = ()
    output_dir: Path | None = None
    keep_stdout: bool = True
    guard: str = "supervise"
    stop: str = "kill"
    new_session: bool = False

    def __post_init__(self) -> None:
        if self.stdin is not None and self.output_dir is not None:
            raise ValueError("a request's stdin goes with pipes, not with output_dir")
        if self.stop not in STOPS or self.guard not in ("supervise", "exec"):
            raise ValueError(f"stop {self.stop!r}, guard {self.guard!r}: not a way to stop or start")

    @property
    def name(self) -> str:
        return self.what or Path(self.argv[0]).name


@dataclass(frozen=True)
class ProcessResult:
    """How a program ended: its exit code (negative: the signal that ended it), its output, and
    ``stopped``: None, or ``"timeout"`` / ``"cancelled"`` when this module stopped it."""

    returncode: int
    stdout: str
    stderr: str
    stopped: str | None = None


def refuse_secrets(argv: Sequence[str], secrets: Iterable[str], what: str) -> None:
    """SecretInArgv when an argument of ``argv`` holds one of ``secrets`` (the value not named):
    is it, ends in ``=`` and it, or, for a value of at least :data:`MIN_INSIDE` characters, has it
    anywhere (a shorter one could sit by chance inside a path)."""
    values = [s for s in secrets if s]
    for argument in argv:
        tail = argument.rpartition("=")[2]
        if any(value in (argument, tail) or (len(value) >= MIN_INSIDE and value in argument)
               for value in values):
            raise SecretInArgv(f"{what} was not started: its arguments hold a secret value (secrets go "
                               f"to a program by its environment or its standard input)")


def run(request: ProcessRequest, watch: ChildWatch | None = None) -> ProcessResult:
    """Run ``request`` to its end (or until stopped; see :class:`ProcessResult`). OSError when the
    program cannot start (not there, not executable), as :mod:`subprocess` raises it."""
    return start(request, watch).wait()


def start(request: ProcessRequest, watch: ChildWatch | None = None) -> Started:
    """Start ``request`` (several may run side by side); :meth:`Started.wait` for its end."""
    refuse_secrets(request.argv, request.secrets, request.name)
    return Started(request, watch)


class Started:
    """A started program: recorded through ``watch`` (when given) before it ran; :meth:`wait`
    gives its result, stopping it past the request's timeout or on ``watch.cancel()``."""

    def __init__(self, request: ProcessRequest, watch: ChildWatch | None) -> None:
        self.request, self.watch = request, watch
        self._stack = contextlib.ExitStack()
        self._handshake: Handshake | None = None
        try:
            argv = list(request.argv)
            if watch is not None:
                argv[0] = _resolved(argv[0], request.env)
                self._handshake = self._stack.enter_context(Handshake(watch, request.name))
                argv = self._handshake.command(argv, request.guard)
            self._out, self._err = self._outputs()
            self.process = subprocess.Popen(
                argv, cwd=request.cwd, env=None if request.env is None else dict(request.env),
                stdin=subprocess.DEVNULL if request.stdin is None else subprocess.PIPE,
                stdout=self._out, stderr=self._err, text=request.output_dir is None,
                start_new_session=request.new_session)
        except BaseException:
            self._stack.close()
            raise

    def _outputs(self) -> tuple[Any, Any]:
        """Where stdout and stderr go: temporary files in the request's ``output_dir``, or pipes."""
        folder = self.request.output_dir
        if folder is None:
            return (subprocess.PIPE if self.request.keep_stdout else subprocess.DEVNULL), subprocess.PIPE
        folder.mkdir(parents=True, exist_ok=True)
        out = self._stack.enter_context(tempfile.TemporaryFile(dir=folder))
        return out, self._stack.enter_context(tempfile.TemporaryFile(dir=folder))

    def wait(self) -> ProcessResult:
        """Its result, once it has ended; an exception while waiting kills it, as in
        :func:`subprocess.run`."""
        try:
            if self.request.output_dir is not None:
                stopped = self._wait_files()
                return ProcessResult(self.process.returncode, _read(self._out), _read(self._err), stopped)
            stdout, stderr, stopped = self._wait_pipes()
            return ProcessResult(self.process.returncode, stdout or "", stderr or "", stopped)
        except BaseException:
            self.process.kill()
            raise
        finally:
            self._stack.close()

    def _wait_files(self) -> str | None:
        deadline = _deadline(self.request.timeout)
        while True:
            try:
                self.process.wait(timeout=POLL_SECONDS)
                return None
            except subprocess.TimeoutExpired:
                pass
            why = self._why_stop(deadline)
            if why is not None:
                self._stop()
                return why

    def _wait_pipes(self) -> tuple[str | None, str | None, str | None]:
        """Its output, read while it runs; stopped past the deadline or on a cancel request."""
        deadline, feed = _deadline(self.request.timeout), self.request.stdin
        while True:
            slice_ = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if self.watch is not None:  # looked at between slices of its run
                slice_ = POLL_SECONDS if slice_ is None else min(slice_, POLL_SECONDS)
            try:
                stdout, stderr = self.process.communicate(feed, timeout=slice_)
                return stdout, stderr, None
            except subprocess.TimeoutExpired:
                feed = None  # sent already: communicate goes on with it
            why = self._why_stop(deadline)
            if why is not None:
                self._stop()
                stdout, stderr = self.process.communicate()
                return stdout, stderr, why

    def _why_stop(self, deadline: float | None) -> str | None:
        if self.watch is not None and self.watch.cancel():
            return "cancelled"
        if deadline is not None and time.monotonic() >= deadline:
            return "timeout"
        return None

    def _stop(self) -> None:
        """Stop the program as its request says: each signal in turn until it has ended. Under a
        ``supervise`` guard the program itself, and all it started, is killed first (they hold its
        token), so none keeps the output pipes open."""
        if self._handshake is not None and self.request.guard == "supervise":
            self._handshake.leftovers()
        for signum, grace in STOPS[self.request.stop]:
            try:
                if self.request.new_session:
                    os.killpg(self.process.pid, signum)
                else:
                    self.process.send_signal(signum)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue


def _deadline(timeout: float | None) -> float | None:
    return time.monotonic() + timeout if timeout else None


def _read(handle: IO[bytes]) -> str:
    handle.seek(0)
    return handle.read().decode(errors="replace")


def _resolved(program: str, env: Mapping[str, str] | None) -> str:
    """The path of ``program`` as :mod:`subprocess` would find it (the guard execs a path), or the
    OSError it would raise."""
    if os.sep in program:
        found: str | None = program
    else:
        found = shutil.which(program, path=(env if env is not None else os.environ).get("PATH"))
    if found is None or not os.path.exists(found):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if not os.access(found, os.X_OK) or os.path.isdir(found):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
    return found

