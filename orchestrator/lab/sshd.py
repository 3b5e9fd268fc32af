"""The SSH lab's server: a real OpenSSH sshd (Debian's openssh-server) of the lab's own, on
loopback addresses only (127.0.0.2 and up, one per lab host), with its own host key and a
generated client key. The lab's hosts stay folders on this machine; Ansible reaches each one over
SSH at its own address, exactly as it reaches a real host."""

from __future__ import annotations

import getpass
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from orchestrator.errors import InputError

SSHD = Path("/usr/sbin/sshd")
FIRST_ADDRESS = 2  # 127.0.0.2: 127.0.0.1 stays free for whatever else runs here


def address(index: int) -> str:
    """The loopback address of the ``index``-th lab host (0-based): 127.0.0.2 and up (all of
    127.0.0.0/8 is loopback on Linux, with no setup)."""
    number = FIRST_ADDRESS + index
    return f"127.0.{number // 256}.{number % 256}"


def free_port(host: str = "127.0.0.2") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def write_keys(folder: Path) -> None:
    """A host key, a client key, and the client key authorised."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("host_key", "client_key"):
        if not (folder / name).exists():
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)],
                           check=True, stdin=subprocess.DEVNULL)
    (folder / "authorized_keys").write_text((folder / "client_key.pub").read_text())


def write_config(folder: Path, addresses: list[str], port: int) -> None:
    lines = [f"Port {port}", *(f"ListenAddress {a}" for a in addresses),
             f"HostKey {folder / 'host_key'}", f"AuthorizedKeysFile {folder / 'authorized_keys'}",
             "PasswordAuthentication no", "KbdInteractiveAuthentication no",
             "PermitRootLogin prohibit-password", f"PidFile {folder / 'sshd.pid'}", "StrictModes no",
             "UsePAM no", f"AllowUsers {getpass.getuser()}",
             "Subsystem sftp internal-sftp", "MaxStartups 100:30:200", "MaxSessions 100"]
    (folder / "sshd_config").write_text("\n".join(lines) + "\n")


def running(folder: Path) -> bool:
    pid_file = folder / "sshd.pid"
    if not pid_file.exists():
        return False
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
        return True
    except (OSError, ValueError):
        return False


def start(folder: Path) -> None:
    """Start the lab's sshd (if it is not running) and wait until it accepts connections."""
    if running(folder):
        return
    if not SSHD.exists():
        raise InputError(f"{SSHD} is missing: the SSH lab needs Debian's openssh-server "
                         f"(apt-get install openssh-server)")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation folder
    subprocess.run([str(SSHD), "-f", str(folder / "sshd_config"), "-E", str(folder / "sshd.log")],
                   check=True, stdin=subprocess.DEVNULL)
    config = (folder / "sshd_config").read_text().splitlines()
    port = int(next(line for line in config if line.startswith("Port ")).split()[1])
    host = next(line for line in config if line.startswith("ListenAddress ")).split()[1]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise InputError(f"the lab's sshd did not start listening on {host}:{port}; see {folder / 'sshd.log'}")


def stop(folder: Path) -> None:
    pid_file = folder / "sshd.pid"
    if not running(folder):
        return
    pid = int(pid_file.read_text().split()[0])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and running(folder):
        time.sleep(0.05)
