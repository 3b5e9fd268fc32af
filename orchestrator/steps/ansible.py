"""The Ansible adapter: ansible-runner, one run per phase over every host of the wave.

Variables never go on the command line: ansible-runner would record that in its artifacts. The
ordinary ones go into a file in a private temporary folder outside the runner's private data
directory, passed with ``-e @file`` and deleted after the run. Secrets are never written to any
file: the playbooks read them through ``lookup('logius_secret', NAME)`` from a
:class:`~orchestrator.steps.secret_channel.SecretChannel`, and pipelining keeps module arguments out
of Ansible's own temporary files. Secret-bearing tasks are ``no_log``. The private data directory is
deleted once stats and events are read, unless the caller asks to keep it (as the tests do).

Our own signal handlers stay in charge: a ``cancel_callback`` is always passed (without one,
ansible-runner installs its own SIGINT/SIGTERM handlers for good), and a cancelled run raises
:class:`~orchestrator.errors.Cancelled`, a stop rather than a failure.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
import os
import shlex
import shutil
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import InputError
from orchestrator.steps.processes import ChildWatch, Handshake

_LOG = logging.getLogger("logius_migrate.ansible")


def playbooks() -> Path:
    """The shipped playbooks (inside the package)."""
    from orchestrator.resources import resource

    return resource("playbooks")


@dataclass(frozen=True)
class HostOutcome:
    host: str
    ok: bool
    unreachable: bool
    changed: int
    message: str


@dataclass(frozen=True)
class PlaybookResult:
    playbook: str
    status: str
    rc: int
    hosts: dict[str, HostOutcome]
    registered: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    diffs: list[dict[str, Any]] = field(default_factory=list)
    #: Why the run failed when no host got as far as a result (ansible's own first error, or the
    #: last line of its output); empty otherwise.
    reason: str = ""

    @property
    def failed_hosts(self) -> dict[str, str]:
        return {h: o.message for h, o in self.hosts.items() if not o.ok}

    @property
    def succeeded(self) -> bool:
        return self.rc == 0 and not self.failed_hosts

    def summary(self) -> str:
        """One line: what the run did, or where and why it failed (hosts that failed for the
        same reason named together)."""
        bad = self.failed_hosts
        if not bad and self.rc == 0:
            changed = sum(o.changed for o in self.hosts.values())
            return f"{self.playbook}: ok on {len(self.hosts)} host(s), {changed} change(s)"
        if not bad:
            return f"{self.playbook}: failed (rc {self.rc}): {self.reason or self.status}"
        by_message: dict[str, list[str]] = {}
        for host, message in sorted(bad.items()):
            by_message.setdefault(message, []).append(host)
        return f"{self.playbook}: failed on " + "; ".join(
            f"{', '.join(hosts)}: {message}" for message, hosts in by_message.items())


#: The first line of every inventory `lab up` renders: its shape is known, so it is read directly.
LAB_INVENTORY_HEADER = "# Rendered by `logius-migrate lab up`"
GROUPS = ("legacy", "lpc", "gateway")


def load_inventory(path: Path) -> dict[str, dict[str, Any]]:
    """Host name -> variables, with the host's group (legacy, lpc or gateway) as ``group``.

    An inventory `lab up` rendered is read directly (group ``all`` vars, then group vars, then host
    vars). Any other (a folder, INI, YAML with ``group_vars/`` beside it, a plugin) is read as
    Ansible itself reads it, through ``ansible-inventory --list``. Parsed once per version of its
    files; InputError naming the path when Ansible cannot read it."""
    if not path.exists():
        raise InputError(f"{path}: no inventory here")
    return _parsed_inventory(str(path), _signature(path))


def _signature(path: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, mtime and size of every file the inventory at ``path`` is made of."""
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
    else:
        files = [path] + [p for folder in ("group_vars", "host_vars")
                          for p in (path.parent / folder).rglob("*") if p.is_file()]
    return tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(files))


@functools.lru_cache(maxsize=8)
def _parsed_inventory(path: str, _signature: tuple[tuple[str, int, int], ...]) -> dict[str, dict[str, Any]]:
    source = Path(path)
    if source.is_file():
        with source.open(errors="replace") as handle:
            if handle.readline().startswith(LAB_INVENTORY_HEADER):
                return _lab_inventory(source)
    return _ansible_inventory(source)


def _lab_inventory(path: Path) -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(path.read_text()) or {}
    top = data.get("all", {})
    base = dict(top.get("vars") or {})
    hosts: dict[str, dict[str, Any]] = {}
    for group, body in (top.get("children") or {}).items():
        body = body or {}
        for name, host_vars in (body.get("hosts") or {}).items():
            hosts[name] = {**base, **(body.get("vars") or {}), **(host_vars or {}), "group": group}
    return hosts


INVENTORY_TIMEOUT = 120  # seconds ansible-inventory --list is given


def _ansible_inventory(path: Path) -> dict[str, dict[str, Any]]:
    """The inventory as ``ansible-inventory --list`` gives it: each host's merged variables, and
    its group (the first of legacy, lpc, gateway it belongs to, through child groups too)."""
    from orchestrator.steps import process_runner

    program = tool_path("ansible-inventory")
    env = {**os.environ, **ansible_env(), "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1"}
    done = process_runner.run(process_runner.ProcessRequest(
        (program, "-i", str(path), "--list"), timeout=INVENTORY_TIMEOUT, env=env))
    if done.stopped is not None:
        raise InputError(f"{path}: ansible-inventory gave no answer within {INVENTORY_TIMEOUT} s")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise InputError(f"{path}: Ansible cannot read this inventory: {last}")
    data = json.loads(done.stdout)
    hostvars = (data.get("_meta") or {}).get("hostvars") or {}

    def members(group: str) -> list[str]:
        body = data.get(group) or {}
        children = body.get("children") or []
        return list(body.get("hosts") or []) + [h for child in children for h in members(child)]

    hosts: dict[str, dict[str, Any]] = {}
    for group in [*GROUPS, *(g for g in data if g not in (*GROUPS, "_meta", "all"))]:
        for host in members(group):
            hosts.setdefault(host, {**hostvars.get(host, {}), "group": group})
    return hosts


_RUN_LOCK = threading.Lock()


@dataclass(frozen=True)
class PlaybookRequest:
    """One run of ``playbook`` over the ``limit`` hosts of ``inventory``. ``collect`` names a task
    whose per-host results are returned in ``registered``; ``check`` runs ``--check --diff`` and
    changes nothing. ``secret_variables`` reach the playbook only through
    ``lookup('logius_secret', NAME)``. ``hooks`` are a site's playbooks run in the same run before
    and after it. ``verbosity`` is Ansible's (-vv: 1). ``keep_private_data_dir`` keeps
    ansible-runner's folder there (else a temporary one, removed afterwards)."""

    playbook: str
    inventory: Path
    limit: tuple[str, ...]
    variables: dict[str, Any] = field(default_factory=dict)
    secret_variables: dict[str, Any] = field(default_factory=dict)
    check: bool = False
    forks: int = 20
    timeout: int | None = None
    collect: str | None = None
    keep_private_data_dir: Path | None = None
    hooks: tuple[Path | None, Path | None] = (None, None)
    verbosity: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "limit", tuple(sorted(set(self.limit))))


def run_playbook(request: PlaybookRequest, watch: ChildWatch | None = None,
                 on_event: Callable[[dict[str, Any]], None] | None = None) -> PlaybookResult:
    """Run the request's playbook once (see :class:`PlaybookRequest`); ``watch`` records it and
    may cancel it, ``on_event`` sees each of ansible-runner's events. Ansible's output goes to the
    ``logius_migrate.ansible`` logger (debug). Raises Cancelled when ``watch.cancel()`` stopped it,
    StepTimeout past the request's timeout."""
    sweep_leftovers()
    private = Path(request.keep_private_data_dir) if request.keep_private_data_dir else Path(
        tempfile.mkdtemp(prefix=f"logius-runner-{os.getpid()}-"))
    private.mkdir(parents=True, exist_ok=True)
    vars_dir = Path(tempfile.mkdtemp(prefix=f"logius-vars-{os.getpid()}-"))
    collected = _Collector(request.collect, request.check, on_event)
    try:
        runner = _run_runner(request, watch or ChildWatch(), private, vars_dir, collected)
        _raise_on_stop(runner.status, request.playbook, request.timeout, runner.rc)
        return _result(request.playbook, runner, list(request.limit), collected)
    finally:
        shutil.rmtree(vars_dir, ignore_errors=True)
        if request.keep_private_data_dir is None:
            shutil.rmtree(private, ignore_errors=True)


def _run_runner(request: PlaybookRequest, watch: ChildWatch, private: Path, vars_dir: Path,
                collected: _Collector) -> Any:
    """ansible-runner's run of the request, its ansible-playbook recorded first (the guard)."""
    import ansible_runner

    from orchestrator.steps.process_runner import refuse_secrets
    from orchestrator.steps.secret_channel import SecretChannel

    with SecretChannel(request.secret_variables) as channel, \
            Handshake(watch, f"ansible-playbook {request.playbook}") as handshake:
        vars_file = vars_dir / "vars.json"
        vars_file.write_text(json.dumps({**request.variables, **channel.variables()}))
        target = playbooks() / _with_hooks(request.playbook, request.hooks, vars_dir)  # absolute stays
        cmdline = ["-e", f"@{vars_file}", *(["--check", "--diff"] if request.check else []), str(target)]
        refuse_secrets(cmdline, _flat_values(request.secret_variables), handshake.what)
        _write_settings(private)
        with _RUN_LOCK:  # ansible-runner is not documented as thread-safe; phases run one at a time
            return ansible_runner.run(
                private_data_dir=str(private), project_dir=str(playbooks()),
                binary=str(_launcher(vars_dir, handshake)),
                inventory=str(request.inventory), limit=",".join(request.limit), cmdline=shlex.join(cmdline),
                quiet=True, suppress_env_files=True, rotate_artifacts=1, forks=request.forks,
                timeout=request.timeout, envvars={**ansible_env(), **_local_temp(vars_dir)},
                event_handler=collected.handle, cancel_callback=watch.cancel,
                verbosity=max(0, request.verbosity - 1) or None)


def _flat_values(data: Any) -> list[str]:
    """Every string held in ``data`` (nested dicts and lists): the secret values to keep out of argv."""
    if isinstance(data, dict):
        return [v for item in data.values() for v in _flat_values(item)]
    if isinstance(data, list | tuple):
        return [v for item in data for v in _flat_values(item)]
    return [data] if isinstance(data, str) else []


#: How often ansible-runner looks at a running playbook (our cancel callback): its default is 5 s.
POLL_SECONDS = 0.2


def _write_settings(private: Path) -> None:
    """ansible-runner's ``env/settings``: a ``settings=`` argument is dropped when this file is
    missing (2.4.3 replaces it with the file's contents), so the poll interval goes here."""
    (private / "env").mkdir(exist_ok=True)
    (private / "env" / "settings").write_text(json.dumps({"pexpect_timeout": POLL_SECONDS}))


def _launcher(folder: Path, handshake: Handshake) -> Path:
    """An executable that starts the real ansible-playbook through the guard: ansible-runner runs
    it in place of ansible-playbook (``binary``), with the same arguments."""
    program = tool_path("ansible-playbook")
    argv = handshake.command([program], "supervise")
    launcher = folder / "ansible-playbook"
    launcher.write_text(f'#!/bin/sh\nexec {shlex.join(argv)} "$@"\n')
    launcher.chmod(0o700)
    return launcher


def _local_temp(folder: Path) -> dict[str, str]:
    """Ansible's controller-side temporary files inside the run's own folder, which goes with the
    run, or is swept by the next one if this process is killed."""
    return {"ANSIBLE_LOCAL_TEMP": str(folder / "ansible-local")}


def tool_path(name: str) -> str:
    """``name`` (ansible-playbook, ansible-inventory) of the environment this tool runs in: beside
    the interpreter (a venv, pipx), in its installation's scripts folder (a ``pip install --user``
    whose bin is not on PATH), else from PATH; InputError when there is none."""
    found = shutil.which(name, path=os.pathsep.join(own_scripts())) or shutil.which(name)
    if found is None:
        raise InputError(f"{name} not found: not in {', '.join(own_scripts())} nor on PATH (it comes "
                         f"with ansible-core; reinstall logius-migrate)")
    return found


def own_scripts() -> list[str]:
    """Where the installation this tool runs from keeps its commands, in the order looked in: the
    user's scripts folder only when this package is installed for the user."""
    import sysconfig

    folders = [str(Path(sys.executable).parent), sysconfig.get_path("scripts")]
    user = sysconfig.get_preferred_scheme("user")
    if Path(__file__).resolve().is_relative_to(Path(sysconfig.get_path("purelib", user)).resolve()):
        folders.append(sysconfig.get_path("scripts", user))
    return list(dict.fromkeys(folders))


def ansible_env() -> dict[str, str]:
    """The environment of every ansible-playbook run. Pipelining sends module arguments through
    the connection's stdin instead of temporary module files, so a secret argument is never on
    disk; the lookup plugins are the shipped ones, whatever playbook (or hook) runs."""
    return {"ANSIBLE_NOCOLOR": "1", "ANSIBLE_RETRY_FILES_ENABLED": "0", "ANSIBLE_PIPELINING": "1",
            "ANSIBLE_LOOKUP_PLUGINS": str(playbooks() / "lookup_plugins")}


def _with_hooks(playbook: str, hooks: tuple[Path | None, Path | None], folder: Path) -> str:
    """The playbook to run: ``playbook`` itself, or one that imports the site's hooks around it (a
    host failing in the first hook is left out of the phase, as Ansible does with failed hosts)."""
    before, after = hooks
    if before is None and after is None:
        return playbook
    parts = [before, playbooks() / playbook, after]
    wrapper = folder / f"with-hooks-{Path(playbook).name}"
    wrapper.write_text("---\n" + "".join(f"- import_playbook: {json.dumps(str(p))}\n" for p in parts if p))
    return str(wrapper)


def _raise_on_stop(status: str, playbook: str, timeout: int | None, rc: int) -> None:
    from orchestrator.errors import Cancelled, StepFailed, StepTimeout
    from orchestrator.steps.guard import NOT_RECORDED

    if rc == NOT_RECORDED:
        raise StepFailed(f"{playbook} was not started: its process could not be recorded in the "
                         f"journal first (see the log at -v)")
    if status == "canceled":
        raise Cancelled(f"{playbook} was cancelled on request")
    if status == "timeout":
        raise StepTimeout(f"{playbook} ran past its timeout of {timeout}s and was stopped")


class _Collector:
    """The event handler: failures per host, the ``collect`` task's results, check-mode diffs."""

    def __init__(self, collect: str | None, check: bool,
                 on_event: Callable[[dict[str, Any]], None] | None) -> None:
        self.collect, self.check, self.on_event = collect, check, on_event
        self.registered: dict[str, list[dict[str, Any]]] = {}
        self.failures: dict[str, str] = {}
        self.diffs: list[dict[str, Any]] = []

    def handle(self, event: dict[str, Any]) -> bool:
        data = event.get("event_data") or {}
        host = data.get("host")
        kind = event.get("event", "")
        result = data.get("res") or {}
        if kind in {"runner_on_failed", "runner_on_unreachable"} and host:
            if not data.get("ignore_errors"):
                self.failures[host] = _failure_message(result)
        elif kind == "runner_on_ok" and self.collect and data.get("task") == self.collect and host:
            self.registered.setdefault(host, []).extend(result.get("results") or [result])
        if self.check and kind == "runner_on_ok" and result.get("diff"):
            self.diffs.append({"host": host, "task": data.get("task"), "diff": result["diff"]})
        if event.get("stdout"):
            _LOG.debug("%s", event["stdout"])
        if self.on_event is not None:
            self.on_event(event)
        return True


def _failure_message(result: dict[str, Any]) -> str:
    """The task's own message; for a loop, the first failed item's rather than Ansible's summary."""
    failed_items = [r for r in result.get("results") or []
                    if isinstance(r, dict) and (r.get("failed") or r.get("unreachable"))]
    message = (failed_items[0] if failed_items else result).get("msg") or "failed"
    return str(message).splitlines()[0][:300]


def sweep_leftovers() -> list[str]:
    """Remove the temporary folders (``logius-KIND-PID-*``: variable files, terraform's tfvars,
    Ansible's controller-side payloads, handshake sockets) of processes that are gone, as a kill
    -9 leaves them; returns their names."""
    from orchestrator import liveness

    if not liveness.can_tell():
        return []
    swept = []
    for folder in Path(tempfile.gettempdir()).glob("logius-*-*-*"):
        pid = folder.name.split("-")[2]
        if folder.is_dir() and pid.isdigit() and liveness.process_start(int(pid)) is None:
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder.name)
    return sorted(swept)


def _result(playbook: str, runner: Any, hosts: list[str], collected: _Collector) -> PlaybookResult:
    stats = runner.stats or {}
    reached = {h for key in ("processed", "failures", "dark") for h in (stats.get(key) or {})}
    reached |= set(collected.failures)
    reason = run_reason(runner) if runner.rc != 0 and not reached & set(hosts) else ""
    outcomes = {}
    for host in hosts:
        unreachable = host in (stats.get("dark") or {})
        failed = host in collected.failures or host in (stats.get("failures") or {}) or unreachable
        if host not in (stats.get("processed") or {}) and runner.rc != 0:
            failed = True
        outcomes[host] = HostOutcome(host, not failed, unreachable,
                                     int((stats.get("changed") or {}).get(host, 0)),
                                     collected.failures.get(host, "unreachable" if unreachable else
                                                            (reason or "not run") if failed else ""))
    return PlaybookResult(playbook, runner.status, runner.rc, outcomes, collected.registered,
                          collected.diffs, reason)


def run_reason(runner: Any) -> str:
    """Why a run that reached no host failed, in one line, from ansible's own output (ansible-
    runner's ``stdout``): its first error, else its last meaningful line; a program that could
    not start says so."""
    try:
        with runner.stdout as handle:
            lines = [line.strip() for line in handle.read().splitlines() if line.strip()]
    except Exception:  # noqa: BLE001 - no output kept (ansible-runner raises its own exception)
        lines = []
    errors = [line for line in lines if line.startswith(("[ERROR]", "ERROR!"))]
    quiet = [line for line in lines if not line.startswith(("[WARNING]", "[DEPRECATION WARNING]"))]
    found = (errors or quiet[-1:] or [f"no output, status {runner.status}"])[0]
    from orchestrator.steps.guard import CANNOT_START

    if runner.rc == CANNOT_START:  # ansible-runner's, the guard's and sh's answer alike
        found = f"ansible-playbook not found or not executable: {found}"
    return found[:300]


# -- capturing and restoring files (rollback points) ----------------------------------------------

def capture(inventory: Path, paths: dict[str, list[str]],
            use_ansible: bool = False) -> dict[str, list[dict[str, Any]]]:
    """What each path (relative to the host's ``host_root``) holds now, per host: entries of
    ``{path, state: absent|directory|file, mode, content (base64)}``, parents before children.

    Hosts on a local connection (the lab) are read directly, which gives the same entries as the
    capture playbook at a fraction of the cost; ``use_ansible`` forces the playbook everywhere.
    """
    hostvars = load_inventory(inventory)
    result: dict[str, list[dict[str, Any]]] = {}
    remote = {}
    for host, relative_paths in paths.items():
        root = Path(hostvars[host]["host_root"])
        absolute = [str(root / p) for p in relative_paths]
        if hostvars[host].get("ansible_connection") == "local" and not use_ansible:
            result[host] = [entry for p in absolute for entry in _capture_local(Path(p))]
        else:
            remote[host] = absolute
    if remote:
        result.update(_capture_remote(inventory, remote))
    return result


def _mode(path: Path) -> str:
    return format(stat.S_IMODE(path.stat().st_mode), "04o")


def _capture_local(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return [{"path": str(path), "state": "absent"}]
    if path.is_file():
        return [{"path": str(path), "state": "file", "mode": _mode(path),
                 "content": base64.b64encode(path.read_bytes()).decode()}]
    entries = [{"path": str(path), "state": "directory", "mode": _mode(path)}]
    for folder, dirs, files in os.walk(path):
        dirs.sort()
        for name in dirs:
            entries.append({"path": str(Path(folder) / name), "state": "directory",
                            "mode": _mode(Path(folder) / name)})
        for name in sorted(files):
            file = Path(folder) / name
            entries.append({"path": str(file), "state": "file", "mode": _mode(file),
                            "content": base64.b64encode(file.read_bytes()).decode()})
    return entries


def _capture_remote(inventory: Path, paths: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    from orchestrator.errors import StepFailed

    fetched = Path(tempfile.mkdtemp(prefix=f"logius-capture-{os.getpid()}-"))
    try:
        variables = {"capture": paths, "capture_dir": str(fetched)}
        stats_run = run_playbook(PlaybookRequest("capture.yml", inventory, tuple(paths), variables,
                                                 collect="Stat the paths"))
        if not stats_run.succeeded:
            raise StepFailed(f"capturing a rollback point failed: {stats_run.summary()}")
        tree_run = run_playbook(PlaybookRequest("capture.yml", inventory, tuple(paths), variables,
                                                collect="List what lies below the directories"))
        result = {}
        for host, absolute in paths.items():
            stats = {r["item"]: r["stat"] for r in stats_run.registered.get(host, [])}
            tree = sorted(tree_run.registered.get(host, [{}])[0].get("files", []),
                          key=lambda f: f["path"])

            def content(path: str, host: str = host) -> str:
                return base64.b64encode((fetched / host / path.lstrip("/")).read_bytes()).decode()

            entries: list[dict[str, Any]] = []
            for path in absolute:
                info = stats.get(path, {})
                if not info.get("exists"):
                    entries.append({"path": path, "state": "absent"})
                elif info.get("isreg"):
                    entries.append({"path": path, "state": "file", "mode": info["mode"],
                                    "content": content(path)})
                else:
                    entries.append({"path": path, "state": "directory", "mode": info["mode"]})
                    for item in tree:
                        if not item["path"].startswith(path + "/"):
                            continue
                        if item["isdir"]:
                            entries.append({"path": item["path"], "state": "directory",
                                            "mode": item["mode"]})
                        else:
                            entries.append({"path": item["path"], "state": "file",
                                            "mode": item["mode"], "content": content(item["path"])})
            result[host] = entries
        return result
    finally:
        shutil.rmtree(fetched, ignore_errors=True)


SECRET_MARK = "@@logius-secret:{}@@"


def mask_secrets(entries: list[dict[str, Any]], secrets: dict[str, str]) -> list[dict[str, Any]]:
    """Captured file contents with every secret value replaced by a named placeholder, so a
    rollback point never holds a secret; :func:`unmask_secrets` puts them back for a restore."""
    masked = []
    for entry in entries:
        if "content" in entry and secrets:
            raw = base64.b64decode(entry["content"])
            for name, value in secrets.items():
                raw = raw.replace(value.encode(), SECRET_MARK.format(name).encode())
            entry = {**entry, "content": base64.b64encode(raw).decode()}
        masked.append(entry)
    return masked


def secrets_in(entries: list[dict[str, Any]], names: Iterable[str]) -> list[dict[str, Any]]:
    """Each file entry with the names of the secret placeholders it holds (``secrets``), so the
    rollback playbook can put the values back in place, on the host, after restoring the file."""
    marked = []
    for entry in entries:
        if "content" in entry:
            raw = base64.b64decode(entry["content"])
            held = [n for n in names if SECRET_MARK.format(n).encode() in raw]
            if held:
                entry = {**entry, "secrets": [{"name": n, "mark": SECRET_MARK.format(n)} for n in held]}
        marked.append(entry)
    return marked


def restore_plan(captures: list[dict[str, list[dict[str, Any]]]]) -> dict[str, list[dict[str, Any]]]:
    """One restore per host from rollback points given newest first: for every captured root the
    oldest capture wins (undoing newest to oldest ends in the oldest). Each captured root is first
    removed, then rebuilt from that capture."""
    chosen: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for capture_set in captures:  # newest first: later (older) ones overwrite
        for host, entries in capture_set.items():
            roots: dict[str, list[dict[str, Any]]] = {}
            current_root = None
            for entry in entries:
                if current_root is None or not entry["path"].startswith(current_root + "/"):
                    current_root = entry["path"]
                    roots[current_root] = []
                roots[current_root].append(entry)
            chosen.setdefault(host, {}).update(roots)
    plan = {}
    for host, roots in chosen.items():
        entries = []
        for root, captured in sorted(roots.items()):
            entries.append({"path": root, "state": "absent"})
            entries.extend(e for e in captured if e["state"] != "absent")
        plan[host] = entries
    return plan
