"""The SSH lab's servers: real OpenSSH sshds (Debian's openssh-server) of the lab's own, on
loopback addresses only (127.0.0.2 and up, one per lab host), sharing one host key and a generated
client key. OpenSSH listens on at most 16 sockets per sshd (``MAX_LISTEN_SOCKS``), so the lab runs
one sshd per group of at most 16 hosts, each in a folder of its own (config, pid file, log), all on
one port. The lab's hosts stay folders on this machine; Ansible reaches each one over SSH at its
own address, exactly as it reaches a real host."""

from __future__ import annotations

import getpass
import os
import signal
import socket
import struct
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator.errors import InputError

if TYPE_CHECKING:
    from orchestrator.steps.process_runner import ProcessResult

SSHD = Path("/usr/sbin/sshd")
FIRST_ADDRESS = 2  # 127.0.0.2: 127.0.0.1 stays free for whatever else runs here
MAX_LISTEN = 16  # OpenSSH's MAX_LISTEN_SOCKS: more ListenAddress lines and sshd refuses to start
DAEMONISE_SECONDS = 10.0  # how long an sshd is given to daemonise, and then to listen
SERVER_PREFIX = "sshd-"  # the servers' folders below the lab's ssh folder: sshd-0, sshd-1, ...


def address(index: int) -> str:
    """The loopback address of the ``index``-th lab host (0-based): 127.0.0.2 and up (all of
    127.0.0.0/8 is loopback on Linux, with no setup)."""
    number = FIRST_ADDRESS + index
    if number > 0xFFFFFE:
        raise InputError(f"the SSH lab has room for {0xFFFFFE - FIRST_ADDRESS + 1} hosts on 127.0.0.0/8")
    return f"127.{number >> 16}.{(number >> 8) & 255}.{number & 255}"


def groups(addresses: list[str]) -> list[list[str]]:
    """The addresses split into one group per sshd, in order, at most MAX_LISTEN a group."""
    return [addresses[start:start + MAX_LISTEN] for start in range(0, len(addresses), MAX_LISTEN)]


def free_port(addresses: list[str]) -> int:
    """A TCP port free on every one of ``addresses`` (the kernel's pick on the first, checked on
    the others), so that all the lab's sshds can share it."""
    for _ in range(20):
        with socket.socket() as probe:
            probe.bind((addresses[0], 0))
            port = probe.getsockname()[1]
        if all(_bindable(a, port) for a in addresses[1:]):
            return port
    raise InputError("no TCP port is free on every loopback address of the SSH lab")


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
            return True
        except OSError:
            return False


def write_keys(folder: Path) -> None:
    """A host key, a client key, and the client key authorised."""
    from orchestrator.steps import process_runner

    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        if not (folder / name).exists():
            done = process_runner.run(process_runner.ProcessRequest(
                ("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name))))
            if done.returncode != 0:
                said = (done.stderr.strip().splitlines() or ["no message"])[-1]
                raise InputError(f"ssh-keygen could not make the lab's {name} (exit {done.returncode}): "
                                 f"{said}")
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())


def write_config(folder: Path, keys: Path, addresses: list[str], port: int) -> None:
    """The config of one sshd in ``folder`` (its pid file and log beside it), listening on
    ``addresses`` at ``port``, with the keys of ``keys``."""
    if not addresses or len(addresses) > MAX_LISTEN:
        raise ValueError(f"an sshd listens on 1 to {MAX_LISTEN} addresses, not {len(addresses)}")
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f"Port {port}", *(f"ListenAddress {a}" for a in addresses),
             f"HostKey {keys / 'host_key'}", f"AuthorizedKeysFile {keys / 'authorized_keys'}",
             "PasswordAuthentication no", "KbdInteractiveAuthentication no",
             "PermitRootLogin prohibit-password", f"PidFile {folder / 'sshd.pid'}", "StrictModes no",
             "UsePAM no", f"AllowUsers {getpass.getuser()}",
             "Subsystem sftp internal-sftp", "MaxStartups 100:30:200", "MaxSessions 100"]
    (folder / "sshd_config").write_text("\n".join(lines) + "\n")


def configured(folder: Path) -> tuple[list[str], int]:
    """The addresses and the port the sshd of ``folder`` is configured to listen on."""
    pairs = [line.split() for line in (folder / "sshd_config").read_text().splitlines()]
    port = next(int(p[1]) for p in pairs if p and p[0] == "Port")
    return [p[1] for p in pairs if p and p[0] == "ListenAddress"], port


def lab_port(keys: Path) -> int | None:
    """The port of the lab's sshds already configured below ``keys`` (all share it), if any."""
    folders = server_folders(keys)
    return configured(folders[0])[1] if folders else None


def server_folders(keys: Path) -> list[Path]:
    """Every sshd folder of the lab below ``keys``, in order (``keys`` itself when it holds the
    one sshd of a lab built before there were several)."""
    found = sorted((f for f in keys.glob(f"{SERVER_PREFIX}*")
                    if f.name.removeprefix(SERVER_PREFIX).isdigit() and (f / "sshd_config").exists()),
                   key=lambda f: int(f.name.removeprefix(SERVER_PREFIX)))
    return ([keys] if (keys / "sshd_config").exists() else []) + found


def _state(pid: int) -> tuple[str, str, int, int] | None:
    """(name, state, parent pid, start time) of process ``pid`` from /proc, or None when there is
    none; the start time tells a process from a later one given the same pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    return name, rest[0], int(rest[1]), int(rest[19])


def _alive(pid: int, started: int) -> bool:
    """Whether process ``pid`` that started at ``started`` still runs (a zombie does not)."""
    state = _state(pid)
    return state is not None and state[3] == started and state[1] not in ("Z", "X")


def running(folder: Path) -> int | None:
    """The pid of the sshd of ``folder`` if it runs (the pid file names a live sshd), else None."""
    try:
        pid = int((folder / "sshd.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    state = _state(pid)
    return pid if state is not None and state[0] == "sshd" and state[1] not in ("Z", "X") else None


def _listening(pid: int) -> set[tuple[str, int]]:
    """The IPv4 (address, port) pairs process ``pid`` listens on, from /proc: its own sockets only."""
    inodes = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # gone already
        return set()
    for fd in descriptors:
        try:
            target = fd.readlink().name
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
            host, port = fields[1].split(":")
            found.add((socket.inet_ntoa(struct.pack("=I", int(host, 16))), int(port, 16)))
    return found


def start_all(folders: list[Path]) -> None:
    """Start every sshd of ``folders`` that is not running, side by side, and wait until each
    listens on all its addresses. When one fails, those started here are stopped again and
    InputError names the server and the last line of its log."""
    from orchestrator.steps import process_runner

    if not SSHD.exists():
        raise InputError(f"{SSHD} is missing: the SSH lab needs Debian's openssh-server "
                         f"(apt-get install openssh-server)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
    pending = [folder for folder in folders if running(folder) is None]
    for folder in pending:
        (folder / "sshd.pid").unlink(missing_ok=True)  # stale: its process is gone
    launched = [(folder, process_runner.start(process_runner.ProcessRequest(
        (str(SSHD), "-f", str(folder / "sshd_config"), "-E", str(folder / "sshd.log")),
        timeout=DAEMONISE_SECONDS, keep_stdout=False))) for folder in pending]
    failures = []
    for folder, process in launched:  # every one waited for, so none is left half started
        try:
            _wait_listening(folder, process.wait())
        except InputError as failure:
            failures.append(failure)
    if failures:
        stop_all(pending)
        raise failures[0]


def _wait_listening(folder: Path, launched: ProcessResult, timeout: float = DAEMONISE_SECONDS) -> None:
    """Wait for the sshd ``launched`` for ``folder`` (killed when it did not daemonise in time) to
    write its pid file; it binds its sockets before, so the daemon must then listen on every
    configured address."""
    err = "it did not daemonise in time" if launched.stopped else launched.stderr
    addresses, port = configured(folder)
    deadline, pid = time.monotonic() + timeout, None
    while launched.returncode == 0 and pid is None and time.monotonic() < deadline:
        pid = running(folder)
        if pid is None:
            time.sleep(0.02)
    found = _listening(pid) if pid is not None else set()
    missing = [a for a in addresses if (a, port) not in found]
    if not missing:
        return
    log = folder / "sshd.log"
    lines = (err or "").strip().splitlines() or (log.read_text().strip().splitlines() if log.exists() else [])
    cause = next((line for line in reversed(lines) if f"port {port} on {missing[0]} " in line),
                 lines[-1] if lines else "")
    named = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
    raise InputError(f"the lab's sshd {folder.name} does not listen on {named} port {port}"
                     f"{': ' + cause if cause else ''}; see {log}")


def _children() -> dict[int, list[tuple[int, int]]]:
    """Parent pid -> its children as (pid, start time), for every process in /proc."""
    tree: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        state = _state(int(entry.name)) if entry.name.isdigit() else None
        if state is not None:
            tree.setdefault(state[2], []).append((int(entry.name), state[3]))
    return tree


def _descendants(roots: Iterable[int]) -> list[tuple[int, int]]:
    """``roots`` and every process below them, as (pid, start time)."""
    tree = _children()
    queue = [(pid, state[3]) for pid in roots if (state := _state(pid)) is not None]
    found = []
    while queue:
        process = queue.pop()
        found.append(process)
        queue.extend(tree.get(process[0], []))
    return found


def stop_all(folders: Iterable[Path], timeout: float = 5.0) -> None:
    """Stop the sshds of ``folders`` and every session they opened (a session outlives its
    listener otherwise, as long as the client's ControlPersist keeps it), all at once; wait until
    they are gone, and kill what is left after ``timeout`` seconds."""
    roots = [pid for pid in (running(folder) for folder in folders) if pid is not None]
    processes = _descendants(roots)
    for kind, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        for pid, _ in processes:
            try:
                os.kill(pid, kind)
            except OSError:
                pass
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and any(_alive(*process) for process in processes):
            time.sleep(0.02)
        processes = [process for process in processes if _alive(*process)]
        if not processes:
            return
