"""The guard every tool process of a run starts as: it is recorded in the journal before the tool
runs anything, and an Ansible run dies with the process that started it.

Run by path, standard library only (it starts in milliseconds, before the tool)::

    python -IS guard.py SOCKET MODE PARENT_PID TOKEN -- PROGRAM [ARGS...]

1. ``supervise`` mode (ansible-playbook) first asks the kernel for a signal when its parent dies
   (``PR_SET_PDEATHSIG``), then checks that the parent is still the one that started it: a parent
   that died before that is noticed here, and nothing runs.
2. It connects to the parent's Unix socket ``SOCKET`` (``@NAME``: in the abstract namespace) and
   waits for ``go``, which the parent sends once the journal holds its pid and process group (the
   parent asks the kernel who connected). No answer (the parent is gone, or could not record it):
   it exits 125 and nothing runs.
3. The tool starts with ``LOGIUS_MIGRATE_TOOL=TOKEN`` in its environment, which every process it
   starts inherits: ansible-playbook's workers each start a session of their own (ansible-core's
   ``WorkerProcess._detach``), so no process group holds them all, but the token finds them.
4. ``exec`` mode (terraform) becomes the tool, with the same pid: terraform outlives a dead parent
   and finishes writing its state, and the resume waits for it. ``supervise`` mode starts the tool
   as its child and, when its parent dies, kills every process that holds the token, so no
   playbook of a dead run goes on beside the resume.
"""

import os
import signal
import socket
import sys

NOT_RECORDED = 125
CANNOT_START = 127  # as a shell answers for a program it cannot run
PR_SET_PDEATHSIG = 1
TOKEN_ENV = "LOGIUS_MIGRATE_TOOL"


def holders(token: str) -> list[int]:
    """The live processes whose environment holds ``TOKEN_ENV=token`` (Linux /proc)."""
    mark = f"{TOKEN_ENV}={token}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as handle:
                if mark in handle.read().split(b"\0"):
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def kill_holders(token: str, spare: int | None = None) -> list[int]:
    """SIGKILL every process holding ``token`` (but ``spare``), until none is left; the pids."""
    killed: list[int] = []
    for _ in range(20):
        victims = [pid for pid in holders(token) if pid != spare and pid not in killed]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        killed += victims
    return killed


def _die_with_parent(parent: int, token: str) -> None:
    import ctypes

    def end_all(*_: object) -> None:
        kill_holders(token, spare=os.getpid())
        os._exit(128 + signal.SIGTERM)

    signal.signal(signal.SIGTERM, end_all)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
        sys.exit(f"logius-migrate guard: prctl failed (errno {ctypes.get_errno()})")
    if os.getppid() != parent:
        sys.exit(NOT_RECORDED)  # the parent died before the signal was asked for


def _recorded(path: str) -> bool:
    """Announce this process on the parent's socket (``@NAME``: in the abstract namespace) and
    wait for its ``go``."""
    address = "\0" + path[1:] if path.startswith("@") else path
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as channel:
            channel.settimeout(60)
            channel.connect(address)
            channel.sendall(f"{os.getpid()} {os.getpgrp()}\n".encode())
            return channel.recv(16).startswith(b"go")
    except OSError:
        return False


def _start(program: list[str]) -> None:
    """Become ``program``; when it cannot start, say why in one line (the caller shows the tool's
    output) and exit ``CANNOT_START``."""
    try:
        os.execv(program[0], program)
    except OSError as exc:
        os.write(2, f"logius-migrate guard: cannot start {program[0]}: {exc.strerror}\n".encode())
    finally:
        os._exit(CANNOT_START)


def _supervise(program: list[str]) -> int:
    child = os.fork()
    if child == 0:
        _start(program)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def main(argv: list[str]) -> int:
    path, mode, parent, token, separator, *program = argv
    if separator != "--" or not program or mode not in {"supervise", "exec"}:
        sys.exit("usage: guard.py SOCKET supervise|exec PARENT_PID TOKEN -- PROGRAM [ARGS...]")
    os.environ[TOKEN_ENV] = token
    if mode == "supervise":
        _die_with_parent(int(parent), token)
    if not _recorded(path):
        print("logius-migrate guard: the run did not record this process; nothing started",
              file=sys.stderr)
        return NOT_RECORDED
    if mode == "exec":
        _start(program)
    return _supervise(program)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
