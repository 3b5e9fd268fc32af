"""The lab's Kubernetes API stand-in as a daemon of the lab's own (as the SSH lab runs its sshds).

`lab up` starts it (:func:`start`) unless it runs. It binds 127.0.0.1 on the port the lab's
kubeconfig names when that is free (else any), daemonises, and records ``{pid, started, port}``
in ``LAB/kubeapi/kubeapi.pid``: the start time, from /proc, tells it from a later process given
the same pid. `lab up` then writes ``LAB/kubeconfig`` (context ``lab``) for that port; `lab down`
stops it (:func:`stop`). The daemon also stops by itself when its lab's manifest is gone (the lab
was removed under it), when its pid file names another process, or when the process named by
``LOGIUS_MIGRATE_KUBEAPI_WATCH`` (a pid: the test session sets its own) has ended, so that no
stand-in outlives what started it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from orchestrator.errors import InputError

FOLDER = "kubeapi"
PID_FILE = "kubeapi.pid"
LOG_FILE = "kubeapi.log"
KUBECONFIG = "kubeconfig"
CONTEXT = "lab"
WATCH_ENV = "LOGIUS_MIGRATE_KUBEAPI_WATCH"


def started_at(pid: int) -> int | None:
    """The start time (clock ticks since boot) of live process ``pid``; None if none or a zombie."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (OSError, ValueError):
        return None
    fields = text[text.rindex(")") + 2:].split()
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _record(root: Path) -> dict[str, int] | None:
    try:
        record = json.loads((root / FOLDER / PID_FILE).read_text())
        return {key: int(record[key]) for key in ("pid", "started", "port")}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running(root: Path) -> dict[str, int] | None:
    """``{pid, started, port}`` of the lab's stand-in if it runs (the pid file names a live process
    that started when recorded), else None."""
    record = _record(root)
    if record is None or started_at(record["pid"]) != record["started"]:
        return None
    return record


def status(root: Path) -> dict[str, Any]:
    """Whether the stand-in runs, its pid and the server it answers on (for `lab status`)."""
    record = running(root)
    if record is None:
        return {"running": False}
    return {"running": True, "pid": record["pid"], "server": f"http://127.0.0.1:{record['port']}"}


def start(root: Path, timeout: float = 15.0) -> dict[str, int]:
    """Start the lab's stand-in unless it runs, and (re)write the lab's kubeconfig for its port.
    InputError with the last line of what it said when it cannot start."""
    from orchestrator.steps import process_runner

    record = running(root)
    if record is None:
        (root / FOLDER).mkdir(parents=True, exist_ok=True)
        (root / FOLDER / PID_FILE).unlink(missing_ok=True)  # stale: its process is gone
        package = Path(__file__).resolve().parents[2]  # where `orchestrator` is importable from
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(package), *filter(None, [os.environ.get("PYTHONPATH")])])}
        launcher = process_runner.run(process_runner.ProcessRequest(
            (sys.executable, "-m", "orchestrator.lab.kubeapi", str(root), "--port",
             str(_kubeconfig_port(root / KUBECONFIG))), env=env, timeout=timeout, keep_stdout=False))
        record = running(root)
        if launcher.returncode != 0 or record is None:
            said = (launcher.stderr or "").strip().splitlines()
            raise InputError(f"the lab's Kubernetes API did not start (rc {launcher.returncode})"
                             f"{': ' + said[-1] if said else ''}; see {root / FOLDER / LOG_FILE}")
    write_kubeconfig(root / KUBECONFIG, record["port"])
    return record


def _kubeconfig_port(path: Path) -> int:
    """The port the lab's kubeconfig names (0 when it names none): a restarted stand-in takes it
    again when it is free, so clients holding the kubeconfig keep working."""
    import re

    try:
        match = re.search(r"server: http://127\.0\.0\.1:(\d+)", path.read_text())
    except OSError:
        return 0
    return int(match[1]) if match else 0


def write_kubeconfig(path: Path, port: int) -> None:
    """A kubeconfig whose context ``lab`` names the stand-in at ``port`` (rewritten only if changed)."""
    import yaml

    text = yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "preferences": {}, "current-context": CONTEXT,
        "clusters": [{"name": CONTEXT, "cluster": {"server": f"http://127.0.0.1:{port}"}}],
        "users": [{"name": "lab-operator", "user": {"token": "lab"}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": "lab-operator"}}]},
        sort_keys=False)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def stop(root: Path, timeout: float = 5.0) -> bool:
    """Stop the lab's stand-in (SIGTERM, then SIGKILL after ``timeout`` seconds); True if it ran."""
    record = running(root)
    if record is None:
        return False
    for kind, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        try:
            os.kill(record["pid"], kind)
        except OSError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and started_at(record["pid"]) == record["started"]:
            time.sleep(0.02)
        if started_at(record["pid"]) != record["started"]:
            break
    (root / FOLDER / PID_FILE).unlink(missing_ok=True)
    return True


def stop_below(folder: Path) -> list[Path]:
    """Stop every lab stand-in recorded below ``folder`` (a test's temporary folder); their labs."""
    labs = [pid.parent.parent for pid in folder.rglob(f"{FOLDER}/{PID_FILE}")]
    return [lab for lab in labs if stop(lab)]


# -- inside the daemon ----------------------------------------------------------------------------

def daemonise(root: Path, port: int) -> None:
    """Fork: the parent records the child's pid, start time and ``port`` and exits (the launcher
    then knows the server is bound); the child leaves the session, and writes only to its log."""
    child = os.fork()
    if child:
        folder = root / FOLDER
        temporary = folder / f"{PID_FILE}.{child}"
        temporary.write_text(json.dumps({"pid": child, "started": started_at(child), "port": port}))
        os.replace(temporary, folder / PID_FILE)
        os._exit(0)
    os.setsid()
    os.chdir("/")
    log = os.open(root / FOLDER / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(null)
    os.close(log)


def serve_until_stopped(server: Any, root: Path) -> None:
    """Serve until SIGTERM, or until the lab, its pid file or the watched process is gone."""
    stopping = threading.Event()

    def shut(*_: Any) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shut)
    signal.signal(signal.SIGINT, shut)
    watched = _watched()
    threading.Thread(target=_watch, args=(root, watched, stopping, shut), daemon=True).start()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        record = _record(root)
        if record is not None and record["pid"] == os.getpid():
            (root / FOLDER / PID_FILE).unlink(missing_ok=True)


def _watched() -> tuple[int, int | None] | None:
    """The process named by LOGIUS_MIGRATE_KUBEAPI_WATCH, with its start time, if set."""
    value = os.environ.get(WATCH_ENV, "").strip()
    if not value.isdigit():
        return None
    return int(value), started_at(int(value))


def _watch(root: Path, watched: tuple[int, int | None] | None, stopping: threading.Event,
           shut: Any) -> None:
    me = os.getpid()
    while not stopping.wait(0.5):
        record = _record(root)
        gone = not (root / "manifest.json").exists() or (record is not None and record["pid"] != me)
        if watched is not None and (watched[1] is None or started_at(watched[0]) != watched[1]):
            gone = True
        if gone:
            shut()
